import type { INodeProperties } from 'n8n-workflow';

import { describeLimit, type MediaStore, type MediaType } from '../media';

const MEDIA_TYPE_NAMES: Record<MediaType, string> = {
	image: 'Image',
	voice: 'Voice',
	video: 'Video',
	thumb: 'Thumb',
};

/** The Media Type selector of an upload; each option states the formats and limits of `store`. */
export function mediaTypeProperty(store: MediaStore, description: string): INodeProperties {
	const options = (Object.keys(MEDIA_TYPE_NAMES) as MediaType[]).map((type) => ({
		name: MEDIA_TYPE_NAMES[type],
		value: type,
		description: describeLimit(store, type),
	}));
	return {
		displayName: 'Media Type',
		name: 'mediaType',
		type: 'options',
		options,
		default: 'image',
		description,
	};
}

/** For the downloads that answer a video with a URL (`urlField`) instead of its bytes. */
export function downloadVideoProperty(urlField: string): INodeProperties {
	return {
		displayName: 'Download Video',
		name: 'downloadVideo',
		type: 'boolean',
		default: false,
		description: `Whether to download a video into the output binary field too. WeChat answers a video with a URL (${urlField}), which is always returned.`,
	};
}
