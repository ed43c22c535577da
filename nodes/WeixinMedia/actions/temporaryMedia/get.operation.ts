import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import {
	binaryOutputProperty,
	forOperation,
	mediaIdProperty,
} from '../../descriptions/common.description';
import { downloadVideoProperty } from '../../descriptions/media.description';
import { downloadByMediaId, fileItem, queryByMediaId, videoItem } from '../shared/mediaFiles';

export const description: INodeProperties[] = forOperation('temporaryMedia', 'get', [
	mediaIdProperty('The media_id returned by a temporary upload (valid for 3 days)'),
	binaryOutputProperty,
	downloadVideoProperty('video_url'),
]);

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_temporary_materials.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { mediaId, target, answer } = await downloadByMediaId(
		this,
		itemIndex,
		queryByMediaId('/cgi-bin/media/get'),
	);
	if (answer.kind === 'file') return [fileItem({ media_id: mediaId }, answer, target)];
	// A video: WeChat answers with JSON holding a plain-http URL to the file.
	const json = { media_id: mediaId, ...answer.json };
	return [await videoItem(this, itemIndex, json, answer.json.video_url, target)];
}
