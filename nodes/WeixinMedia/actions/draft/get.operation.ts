import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forOperation, mediaIdProperty } from '../../descriptions/common.description';
import { postMediaId } from '../shared/mediaFiles';

export const description: INodeProperties[] = forOperation('draft', 'get', [
	mediaIdProperty('The media_id Draft → Create returned'),
]);

/** https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Get_draft.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { mediaId, answer } = await postMediaId(this, itemIndex, '/cgi-bin/draft/get', 'read');
	return [{ json: { media_id: mediaId, news_item: answer.news_item } }];
}
