import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forOperation, mediaIdProperty } from '../../descriptions/common.description';
import { requiredText } from '../../descriptions/validation';
import { weixinRequest } from '../../transport';

export const description: INodeProperties[] = forOperation('draft', 'get', [
	mediaIdProperty('The media_id Draft → Create returned'),
]);

/** https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Get_draft.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const mediaId = requiredText(this, itemIndex, 'mediaId', 'Media ID');
	const answer = await weixinRequest(this, itemIndex, {
		method: 'POST',
		path: '/cgi-bin/draft/get',
		body: { media_id: mediaId },
		policy: 'read',
	});
	return [{ json: { media_id: mediaId, news_item: answer.news_item } }];
}
