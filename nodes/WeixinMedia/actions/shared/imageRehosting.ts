/**
 * WeChat drops every article `<img>` whose src media/uploadimg did not issue. Re-hosting fetches each
 * other image (http(s) URL, data: URI or binary property of the item), checks it against the article
 * image rules, uploads it once per item and points the HTML at WeChat's copy.
 */
import { NodeOperationError } from 'n8n-workflow';
import type { IExecuteFunctions } from 'n8n-workflow';

import { BINARY_IMAGE_PREFIX } from '../../descriptions/article.description';
import { fieldError } from '../../descriptions/validation';
import { MediaRuleViolation, describeLimit, ruleFor } from '../../media';
import { prepareUpload, prepareUploadFromBuffer, type UploadSource } from '../../media/source';
import {
	ExternalFetchError,
	InternalHostAllowance,
	fetchExternalFile,
	settle,
	settleSync,
} from '../../transport';
import { uploadArticleImage } from '../articleImage/upload.operation';
import { findImageSources } from './imgTags';

/** Images of one item fetched at the same time: quicker than one by one, gentle on image hosts. */
const CONCURRENT_FETCHES = 4;

/** Images already served by WeChat, which keeps them. */
const WECHAT_IMAGE_HOSTS = new Set(['mmbiz.qpic.cn']);

export type UnhostableImages = 'error' | 'skip';

// Type aliases rather than interfaces: they go into the output JSON as they are.
export type RehostedImage = { source: string; url: string };

export type SkippedImage = { source: string; reason: string };

/** An image that could not be re-hosted, for the caller to report against the article it is in. */
export class UnhostableImage extends Error {
	constructor(readonly source: string, readonly articleNumber: number, reason: string) {
		super(reason);
		this.name = 'UnhostableImage';
	}
}

/** Why one image cannot be re-hosted, in words that follow "image <source>: ". */
class ImageProblem extends Error {}

type Origin =
	| { kind: 'wechat' }
	| { kind: 'http'; url: string }
	| { kind: 'data'; uri: string }
	| { kind: 'binary'; property: string }
	| { kind: 'unsupported'; reason: string };

function classify(src: string): Origin {
	if (src === '') return { kind: 'unsupported', reason: 'the src is empty' };
	if (src.toLowerCase().startsWith(BINARY_IMAGE_PREFIX)) {
		return { kind: 'binary', property: src.slice(BINARY_IMAGE_PREFIX.length).trim() };
	}
	if (/^data:/i.test(src)) return { kind: 'data', uri: src };
	// A protocol-relative URL: WeChat serves articles over https.
	const absolute = src.startsWith('//') ? `https:${src}` : src;
	let url: URL;
	try {
		url = new URL(absolute);
	} catch {
		return {
			kind: 'unsupported',
			reason: `not an absolute URL; only http(s) URLs, data: URIs and ${BINARY_IMAGE_PREFIX}<property> can be re-hosted`,
		};
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		return {
			kind: 'unsupported',
			reason: `${url.protocol} URLs are not fetched; only http(s) URLs, data: URIs and ${BINARY_IMAGE_PREFIX}<property> can be re-hosted`,
		};
	}
	if (WECHAT_IMAGE_HOSTS.has(url.hostname.toLowerCase())) return { kind: 'wechat' };
	return { kind: 'http', url: absolute };
}

/** "data:image/png;base64,… (12,345 bytes)": reports never repeat a whole data: URI. */
function describeSource(src: string, origin: Origin, bytes?: number): string {
	if (origin.kind !== 'data') return src;
	const header = src.slice(0, Math.max(src.indexOf(','), 5));
	return bytes === undefined
		? `${header},…`
		: `${header},… (${bytes.toLocaleString('en-US')} bytes)`;
}

function decodeDataUri(uri: string): Buffer {
	const match = /^data:([^,]*),(.*)$/is.exec(uri);
	if (!match) throw new ImageProblem('not a valid data: URI (no comma before the data)');
	const [, header, data] = match;
	if (/;base64$/i.test(header.trim())) {
		const base64 = data.replace(/\s+/g, '');
		if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(base64)) {
			throw new ImageProblem('the data: URI is not valid base64');
		}
		return Buffer.from(base64, 'base64');
	}
	const text = settleSync(() => decodeURIComponent(data));
	if (!text.ok) throw new ImageProblem('the data: URI holds a broken %-escape');
	return Buffer.from(text.value, 'latin1');
}

function fileNameOf(url: string): string {
	const last = new URL(url).pathname.split('/').pop() ?? '';
	try {
		return decodeURIComponent(last) || 'image';
	} catch {
		return last || 'image';
	}
}

const ARTICLE_IMAGE_LIMIT = describeLimit('articleImage', 'image');

/** Bytes from outside the item's binaries, checked against the article image rules. */
async function loadExternal(
	ctx: IExecuteFunctions,
	origin: Extract<Origin, { kind: 'http' | 'data' }>,
	label: string,
	allowedInternalHosts: InternalHostAllowance,
): Promise<UploadSource> {
	const { maxBytes } = ruleFor('articleImage', 'image');
	let bytes: Buffer;
	let fileName = 'image';
	if (origin.kind === 'data') {
		bytes = decodeDataUri(origin.uri);
	} else {
		const { url } = origin;
		const fetched = await settle(() => fetchExternalFile(ctx, url, { maxBytes, allowedInternalHosts }));
		if (!fetched.ok) {
			const { error } = fetched;
			if (!(error instanceof ExternalFetchError)) throw error;
			throw new ImageProblem(
				error.tooLarge
					? `the file is larger than WeChat allows for an article image (${ARTICLE_IMAGE_LIMIT})`
					: `could not be fetched: ${error.message}`,
			);
		}
		bytes = fetched.value.bytes;
		fileName = fileNameOf(origin.url);
	}
	return prepareUploadFromBuffer(bytes, fileName, 'articleImage', 'image', label);
}

interface PlannedImage {
	source: string;
	upload?: UploadSource;
	/** Why it is skipped, when it is. */
	reason?: string;
	url?: string;
}

/**
 * The images of one item's articles. `prepare` fetches and checks every image before anything is
 * uploaded, so a bad image (in "error" mode) stops the item before WeChat has stored anything;
 * `upload` then sends each distinct image once.
 */
export class ImageRehosting {
	private readonly planned = new Map<string, PlannedImage>();
	readonly skipped: SkippedImage[] = [];

	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly itemIndex: number,
		private readonly whenUnhostable: UnhostableImages,
	) {}

	/**
	 * Fetches and checks the images of `contents` (one HTML text per article, in article order), a few
	 * at a time. Results and errors are taken in document order, so what is reported does not depend
	 * on which host answered first. With `fetchUrls` false (checking a batch before anything is sent),
	 * http(s) images are left for later.
	 */
	async prepare(contents: string[], { fetchUrls = true } = {}): Promise<void> {
		const wanted: Array<{ src: string; origin: Exclude<Origin, { kind: 'wechat' }>; article: number }> =
			[];
		const seen = new Set<string>();
		for (const [index, html] of contents.entries()) {
			for (const { src } of findImageSources(html)) {
				if (seen.has(src)) continue;
				seen.add(src);
				const origin = classify(src);
				if (origin.kind === 'wechat') continue;
				if (origin.kind === 'http' && !fetchUrls) continue;
				wanted.push({ src, origin, article: index + 1 });
			}
		}

		// Read only when something is fetched: a list with a typo must not stop an article without URLs.
		const allowance = wanted.some(({ origin }) => origin.kind === 'http')
			? this.allowedInternalHosts()
			: new InternalHostAllowance('');
		const outcomes: Array<{ planned: PlannedImage } | { error: unknown }> = [];
		let next = 0;
		let failed = false;
		const worker = async () => {
			// After a failure in "error" mode, nothing later in the document needs fetching.
			while (next < wanted.length && !(failed && this.whenUnhostable === 'error')) {
				const index = next++;
				const { src, origin, article } = wanted[index];
				try {
					outcomes[index] = { planned: await this.load(src, origin, article, allowance) };
				} catch (error) {
					outcomes[index] = { error };
					failed = true;
				}
			}
		};
		await Promise.all(Array.from({ length: Math.min(CONCURRENT_FETCHES, wanted.length) }, worker));

		for (const [index, outcome] of outcomes.entries()) {
			if (outcome === undefined) continue; // never started: an earlier image failed
			if ('error' in outcome) throw outcome.error;
			this.planned.set(wanted[index].src, outcome.planned);
			if (!outcome.planned.upload && outcome.planned.reason !== undefined) {
				this.skipped.push({ source: outcome.planned.source, reason: outcome.planned.reason });
			}
		}
	}

	private allowedInternalHosts(): InternalHostAllowance {
		const list = this.ctx.getNodeParameter('allowedInternalHosts', this.itemIndex, '') as unknown;
		const allowance = settleSync(() => new InternalHostAllowance(typeof list === 'string' ? list : ''));
		if (allowance.ok) return allowance.value;
		throw fieldError(this.ctx, this.itemIndex, 'Allowed Internal Hosts', (allowance.error as Error).message);
	}

	private async load(
		src: string,
		origin: Exclude<Origin, { kind: 'wechat' }>,
		articleNumber: number,
		allowance: InternalHostAllowance,
	): Promise<PlannedImage> {
		let source = describeSource(src, origin);
		const loaded = await settle(async (): Promise<PlannedImage> => {
			if (origin.kind === 'unsupported') throw new ImageProblem(origin.reason);
			const upload =
				origin.kind === 'binary'
					? await prepareUpload(this.ctx, this.itemIndex, origin.property, 'articleImage', 'image')
					: await loadExternal(this.ctx, origin, source, allowance);
			source = describeSource(src, origin, upload.size);
			return { source, upload };
		});
		if (loaded.ok) return loaded.value;
		const { error } = loaded;
		const expected =
			error instanceof ImageProblem ||
			error instanceof MediaRuleViolation ||
			error instanceof NodeOperationError;
		if (!expected) throw error;
		// A binary property's own error already names the item and the property.
		if (this.whenUnhostable === 'error' && origin.kind === 'binary') throw error;
		const reason = (error as Error).message;
		if (this.whenUnhostable === 'error') throw new UnhostableImage(source, articleNumber, reason);
		return { source, reason };
	}

	/** Uploads every image that passed, each once; returns what was re-hosted. */
	async upload(): Promise<RehostedImage[]> {
		const rehosted: RehostedImage[] = [];
		for (const image of this.planned.values()) {
			if (!image.upload) continue;
			image.url = await uploadArticleImage(this.ctx, this.itemIndex, image.upload);
			rehosted.push({ source: image.source, url: image.url });
		}
		return rehosted;
	}

	/** WeChat's URL for an image src, once uploaded; undefined for images left as they are. */
	urlFor(src: string): string | undefined {
		return this.planned.get(src)?.url;
	}
}
