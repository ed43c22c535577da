import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import {
	binaryOutputProperty,
	forOperation,
	mediaIdLocator,
} from '../../descriptions/common.description';
import { downloadVideoProperty, materialTypeProperty } from '../../descriptions/media.description';
import { downloadByMediaId, fileItem, videoItem } from '../shared/mediaFiles';

export const description: INodeProperties[] = forOperation('permanentMaterial', 'get', [
	materialTypeProperty('Which library “From List” shows; By ID and expressions need no type'),
	mediaIdLocator(
		'Media ID',
		'searchMaterials',
		'The permanent material to download: pick it from the library of the Material Type above, or give its media_id (from Add or Get Many)',
	),
	binaryOutputProperty,
	downloadVideoProperty('down_url'),
]);

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Getting_Permanent_Assets.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	// get_material must be a POST with the id in a JSON body (a GET answers 43002).
	const { mediaId, target, answer } = await downloadByMediaId(this, itemIndex, (media_id) => ({
		method: 'POST',
		path: '/cgi-bin/material/get_material',
		body: { media_id },
		policy: 'read',
	}));
	if (answer.kind === 'file') return [fileItem({ media_id: mediaId }, answer, target)];
	// News answers with its articles (news_item), a video with title, description and down_url.
	const json = { media_id: mediaId, ...answer.json };
	return [await videoItem(this, itemIndex, json, answer.json.down_url, target)];
}
