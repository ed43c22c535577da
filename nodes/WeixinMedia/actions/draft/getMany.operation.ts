import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forOperation } from '../../descriptions/common.description';
import { listPosts, listPostsProperties } from '../shared/posts';

export const description: INodeProperties[] = forOperation('draft', 'getMany', listPostsProperties);

/** https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Get_draft_list.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const drafts = await listPosts(this, itemIndex, '/cgi-bin/draft/batchget', 'media_id');
	return drafts.map((json) => ({ json }));
}
