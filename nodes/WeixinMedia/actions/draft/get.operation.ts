import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forOperation, mediaIdLocator } from '../../descriptions/common.description';
import { postMediaId } from '../shared/mediaFiles';

export const description: INodeProperties[] = forOperation('draft', 'get', [
	mediaIdLocator(
		'Media ID',
		'searchDrafts',
		'The draft to read: pick it by its titles, or give the media_id Draft → Create returned',
	),
]);

/** https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Get_draft.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { mediaId, answer } = await postMediaId(this, itemIndex, '/cgi-bin/draft/get', 'read');
	return [{ json: { media_id: mediaId, news_item: answer.news_item } }];
}
