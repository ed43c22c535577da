import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { binaryInputProperty, forOperation } from '../../descriptions/common.description';
import { mediaTypeProperty } from '../../descriptions/media.description';
import { itemParameter } from '../../descriptions/parameters';
import type { MediaType } from '../../media';
import type { UploadSource } from '../../media/source';
import { uploadMedia } from '../../transport';
import { prepareEachFile, uploadEachFile } from '../shared/mediaFiles';

export const description: INodeProperties[] = forOperation('temporaryMedia', 'upload', [
	mediaTypeProperty('temporary', 'The kind of media; WeChat keeps temporary media for 3 days'),
	binaryInputProperty,
]);

/** Checks the item's files; nothing is sent. */
export async function validate(this: IExecuteFunctions, itemIndex: number): Promise<UploadSource[]> {
	const type = itemParameter<MediaType>(this, 'mediaType', itemIndex);
	return await prepareEachFile(this, itemIndex, 'temporary', type, { forLater: true });
}

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/New_temporary_materials.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	checked?: UploadSource[],
): Promise<INodeExecutionData[]> {
	const type = itemParameter<MediaType>(this, 'mediaType', itemIndex);
	return await uploadEachFile(this, itemIndex, { store: 'temporary', type, checked }, async (source) => {
		const answer = await uploadMedia(this, itemIndex, {
			path: '/cgi-bin/media/upload',
			qs: { type },
			source,
			// A repeated temporary upload only leaves a spare copy that expires in 3 days.
			policy: 'repeatableWrite',
		});
		return {
			type: answer.type ?? type,
			// WeChat answers a thumb upload with thumb_media_id instead of media_id.
			media_id: answer.media_id ?? answer.thumb_media_id,
			created_at: answer.created_at,
		};
	});
}
