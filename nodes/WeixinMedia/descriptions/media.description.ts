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

/** The four libraries batchget_material lists (thumbs are listed with the images). */
export function materialTypeProperty(description: string): INodeProperties {
	return {
		displayName: 'Material Type',
		name: 'materialType',
		type: 'options',
		options: [
			{ name: 'Image', value: 'image', description: 'Images and thumbs' },
			{ name: 'News', value: 'news', description: 'Articles, each with its news_item list' },
			{ name: 'Video', value: 'video' },
			{ name: 'Voice', value: 'voice' },
		],
		default: 'image',
		description,
	};
}
