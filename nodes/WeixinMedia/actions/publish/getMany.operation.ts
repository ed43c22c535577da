import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forOperation } from '../../descriptions/common.description';
import { listPosts, listPostsProperties } from '../shared/posts';

export const description: INodeProperties[] = forOperation(
	'publish',
	'getMany',
	listPostsProperties,
);

/** https://developers.weixin.qq.com/doc/offiaccount/Publish/Get_publication_records.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const posts = await listPosts(this, itemIndex, '/cgi-bin/freepublish/batchget', 'article_id');
	return posts.map((json) => ({ json }));
}
