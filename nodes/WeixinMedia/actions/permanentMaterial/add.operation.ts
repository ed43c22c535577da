import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { binaryInputProperty, forOperation } from '../../descriptions/common.description';
import { mediaTypeProperty } from '../../descriptions/media.description';
import { itemParameter } from '../../descriptions/parameters';
import { requiredText } from '../../descriptions/validation';
import type { MediaType } from '../../media';
import type { UploadSource } from '../../media/source';
import { uploadMedia } from '../../transport';
import { prepareEachFile, uploadEachFile } from '../shared/mediaFiles';

const onlyForVideo = { show: { mediaType: ['video'] } };

export const description: INodeProperties[] = forOperation('permanentMaterial', 'add', [
	mediaTypeProperty(
		'permanent',
		'The kind of material; WeChat keeps it in the account’s material library until deleted',
	),
	binaryInputProperty,
	{
		displayName: 'Title',
		name: 'title',
		type: 'string',
		default: '',
		displayOptions: onlyForVideo,
		// Not `required`: n8n would then refuse to run when Media Type is an expression.
		description: 'The video’s title in the material library (required for a video)',
	},
	{
		displayName: 'Introduction',
		name: 'introduction',
		type: 'string',
		typeOptions: { rows: 2 },
		default: '',
		displayOptions: onlyForVideo,
		description: 'A short description of the video',
	},
]);

function formFields(ctx: IExecuteFunctions, itemIndex: number, type: MediaType) {
	const fields: Record<string, string> = {};
	if (type === 'video') {
		// WeChat wants the video's title and introduction as JSON in a `description` form field.
		fields.description = JSON.stringify({
			title: requiredText(ctx, itemIndex, 'title', 'Title'),
			introduction: String(ctx.getNodeParameter('introduction', itemIndex, '')),
		});
	}
	return fields;
}

/** Checks the item's fields and files; nothing is sent. */
export async function validate(this: IExecuteFunctions, itemIndex: number): Promise<UploadSource[]> {
	const type = itemParameter<MediaType>(this, 'mediaType', itemIndex);
	formFields(this, itemIndex, type);
	return await prepareEachFile(this, itemIndex, 'permanent', type, { forLater: true });
}

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	checked?: UploadSource[],
): Promise<INodeExecutionData[]> {
	const type = itemParameter<MediaType>(this, 'mediaType', itemIndex);
	const fields = formFields(this, itemIndex, type);
	return await uploadEachFile(this, itemIndex, { store: 'permanent', type, checked }, async (source) => {
		return await addPermanentMaterial(this, itemIndex, type, source, fields);
	});
}

/**
 * Stores one checked file as permanent material: `{ type, media_id, url? }` (WeChat sends `url`, empty
 * for types other than image; only a real one is passed on). Also used for article covers.
 */
export async function addPermanentMaterial(
	ctx: IExecuteFunctions,
	itemIndex: number,
	type: MediaType,
	source: UploadSource,
	fields: Record<string, string> = {},
): Promise<IDataObject> {
	const answer = await uploadMedia(ctx, itemIndex, {
		path: '/cgi-bin/material/add_material',
		qs: { type },
		source,
		fields,
		// A repeat after a lost answer would leave a second copy in the library: never resent.
		policy: 'write',
	});
	const material: IDataObject = { type, media_id: answer.media_id };
	if (typeof answer.url === 'string' && answer.url !== '') material.url = answer.url;
	return material;
}
