import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forOperation, mediaIdProperty } from '../../descriptions/common.description';
import { requiredText } from '../../descriptions/validation';
import { weixinRequest } from '../../transport';

export const description: INodeProperties[] = forOperation('permanentMaterial', 'deleteMaterial', [
	mediaIdProperty('The media_id of the permanent material to delete'),
]);

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Deleting_Permanent_Assets.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const mediaId = requiredText(this, itemIndex, 'mediaId', 'Media ID');
	await weixinRequest(this, itemIndex, {
		method: 'POST',
		path: '/cgi-bin/material/del_material',
		body: { media_id: mediaId },
		policy: 'write',
	});
	return [{ json: { media_id: mediaId, deleted: true } }];
}
