import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forOperation, mediaIdLocator } from '../../descriptions/common.description';
import { materialTypeProperty } from '../../descriptions/media.description';
import { postMediaId } from '../shared/mediaFiles';

export const description: INodeProperties[] = forOperation('permanentMaterial', 'deleteMaterial', [
	materialTypeProperty('Which library “From List” shows; By ID and expressions need no type'),
	mediaIdLocator(
		'Media ID',
		'searchMaterials',
		'The permanent material to delete: pick it from the library of the Material Type above, or give its media_id',
	),
]);

export { validateMediaId as validate } from '../shared/mediaFiles';

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Deleting_Permanent_Assets.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { mediaId } = await postMediaId(this, itemIndex, '/cgi-bin/material/del_material', 'write');
	return [{ json: { media_id: mediaId, deleted: true } }];
}
