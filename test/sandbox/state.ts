/** Everything the sandbox remembers between calls, apart from tokens. */
import { randomBytes, randomInt } from 'crypto';

import type { MediaFormat, MediaType } from './media-check';

export const TEMPORARY_MEDIA_LIFETIME_SECONDS = 3 * 24 * 3600;

export interface TemporaryMedia {
	mediaId: string;
	type: MediaType;
	format: MediaFormat | 'speex';
	bytes: Buffer;
	filename: string;
	createdAt: number;
	/** Set for a JS-SDK HD voice: media/get then serves this 8 kHz AMR rendition instead. */
	amrRendition?: Buffer;
	/** Path of the plain-http URL a video is served from. */
	videoPath?: string;
}

export interface StoredArticle {
	[field: string]: unknown;
	title: string;
	content: string;
}

interface PermanentBase {
	mediaId: string;
	createdAt: number;
	updatedAt: number;
	/** Insertion order: lists are newest first even within one second. */
	sequence: number;
}

export interface PermanentFile extends PermanentBase {
	type: MediaType;
	format: MediaFormat;
	bytes: Buffer;
	filename: string;
	/** The mmbiz.qpic.cn URL of an image or thumb. */
	url?: string;
	title?: string;
	introduction?: string;
	videoPath?: string;
}

export interface PermanentNews extends PermanentBase {
	type: 'news';
	articles: StoredArticle[];
}

export type PermanentMaterial = PermanentFile | PermanentNews;

export interface Draft {
	mediaId: string;
	articles: StoredArticle[];
	createdAt: number;
	updatedAt: number;
}

export interface Publication {
	publishId: string;
	draftId: string;
	articleCount: number;
	/** freepublish/get answers "publishing" until this reaches 0. */
	pollsLeft: number;
	outcome: 'success' | 'failed' | 'rejected';
	articleId: string;
	articleUrls: string[];
}

/** A post freepublish published: what freepublish/batchget and getarticle show, deleted ones flagged. */
export interface PublishedPost {
	articleId: string;
	publishId: string;
	/** The draft's articles with their article URL and `is_deleted`. */
	articles: StoredArticle[];
	createdAt: number;
	updatedAt: number;
	sequence: number;
}

export class SandboxState {
	readonly temporary = new Map<string, TemporaryMedia>();
	readonly permanent = new Map<string, PermanentMaterial>();
	readonly drafts = new Map<string, Draft>();
	readonly publications = new Map<string, Publication>();
	/** Successfully published posts by article_id. */
	readonly published = new Map<string, PublishedPost>();
	/** uploadimg URLs, normalised (see normaliseImageUrl): the only img src article content keeps. */
	readonly articleImageUrls = new Set<string>();
	private sequence = 0;

	nextSequence(): number {
		return ++this.sequence;
	}

	/** A live temporary media, or undefined when unknown or past its three days. */
	liveTemporary(mediaId: string, now: number): TemporaryMedia | undefined {
		const media = this.temporary.get(mediaId);
		if (!media || now - media.createdAt >= TEMPORARY_MEDIA_LIFETIME_SECONDS) return undefined;
		return media;
	}

	/** The bytes behind a sandbox-served video URL path, while the video still exists. */
	videoAt(path: string, now: number): Buffer | undefined {
		for (const media of this.temporary.values()) {
			if (media.videoPath === path) return this.liveTemporary(media.mediaId, now)?.bytes;
		}
		for (const material of this.permanent.values()) {
			if (material.type !== 'news' && material.videoPath === path) return material.bytes;
		}
		return undefined;
	}
}

/** URL-safe random text, the alphabet of media ids and tokens. */
export function randomId(length: number): string {
	return randomBytes(length).toString('base64url').slice(0, length);
}

export function randomDigits(length: number): string {
	let digits = String(randomInt(1, 10));
	while (digits.length < length) digits += String(randomInt(0, 10));
	return digits;
}

/** Temporary ids are 64 characters, permanent ones 43, as on the live service. */
export const newTemporaryId = () => randomId(64);
export const newPermanentId = () => randomId(43);

/** Compares image URLs the way the content filter does: scheme, query and fragment ignored. */
export function normaliseImageUrl(url: string): string {
	return url
		.trim()
		.replace(/&amp;/g, '&')
		.replace(/^(https?:)?\/\//i, '')
		.replace(/[?#].*$/, '');
}
