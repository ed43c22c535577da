/**
 * WeChat's media limits as data: which formats each store takes for each media type, how big,
 * and how long. The official pages disagree slightly; this is their union.
 */
import type { MediaFormat } from './formats';

/** temporary: media/upload; permanent: material/add_material; articleImage: media/uploadimg. */
export type MediaStore = 'temporary' | 'permanent' | 'articleImage';
export type MediaType = 'image' | 'voice' | 'video' | 'thumb';

export interface MediaRule {
	/** In the order messages list them. */
	formats: readonly MediaFormat[];
	maxBytes: number;
	/** 'atMost': size ≤ maxBytes; 'under': size < maxBytes. */
	bound: 'atMost' | 'under';
	maxDurationSeconds?: number;
}

/**
 * WeChat's pages say "10M", "2M", "64KB" and "1MB" without a byte-exact definition; binary units
 * are assumed, and "under 1 MB" for article images is read as strictly less than 1 MiB.
 */
export const KIB = 1024;
export const MIB = 1024 * 1024;

const VOICE_MAX_SECONDS = 60;

const videoRule: MediaRule = { formats: ['mp4'], maxBytes: 10 * MIB, bound: 'atMost' };
const thumbRule: MediaRule = { formats: ['jpg'], maxBytes: 64 * KIB, bound: 'atMost' };

export const MEDIA_RULES: Record<MediaStore, Partial<Record<MediaType, MediaRule>>> = {
	temporary: {
		image: { formats: ['jpg', 'png', 'gif'], maxBytes: 10 * MIB, bound: 'atMost' },
		voice: {
			formats: ['amr', 'mp3'],
			maxBytes: 2 * MIB,
			bound: 'atMost',
			maxDurationSeconds: VOICE_MAX_SECONDS,
		},
		video: videoRule,
		thumb: thumbRule,
	},
	permanent: {
		image: { formats: ['jpg', 'png', 'gif', 'bmp'], maxBytes: 10 * MIB, bound: 'atMost' },
		voice: {
			formats: ['mp3', 'wma', 'wav', 'amr'],
			maxBytes: 2 * MIB,
			bound: 'atMost',
			maxDurationSeconds: VOICE_MAX_SECONDS,
		},
		video: videoRule,
		thumb: thumbRule,
	},
	// uploadimg takes images only.
	articleImage: {
		image: { formats: ['jpg', 'png'], maxBytes: MIB, bound: 'under' },
	},
};

/** The rule for a store and type; throws on a pairing no WeChat endpoint offers (a bug). */
export function ruleFor(store: MediaStore, type: MediaType): MediaRule {
	const rule = MEDIA_RULES[store][type];
	if (!rule) throw new Error(`WeChat has no ${type} upload in the ${store} store`);
	return rule;
}
