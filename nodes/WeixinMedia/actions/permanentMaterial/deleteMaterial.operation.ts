import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forOperation, mediaIdProperty } from '../../descriptions/common.description';
import { requiredText } from '../../descriptions/validation';
import { postMediaId } from '../shared/mediaFiles';

export const description: INodeProperties[] = forOperation('permanentMaterial', 'deleteMaterial', [
	mediaIdProperty('The media_id of the permanent material to delete'),
]);

/** Checks the item's Media ID; nothing is sent. */
export async function validate(this: IExecuteFunctions, itemIndex: number): Promise<void> {
	requiredText(this, itemIndex, 'mediaId', 'Media ID');
}

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Deleting_Permanent_Assets.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { mediaId } = await postMediaId(this, itemIndex, '/cgi-bin/material/del_material', 'write');
	return [{ json: { media_id: mediaId, deleted: true } }];
}
