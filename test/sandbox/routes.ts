/** The API endpoints of the sandbox: one handler per path, all answering synchronously. */
import type { IncomingHttpHeaders } from 'http';

import { buildArticles, newsArticleUrl } from './articles';
import { isWhollyDeleted, LIFECYCLE_ROUTES, settlePublication } from './lifecycle';
import { WeixinError } from './errors';
import {
	contentTypeOf,
	extensionOf,
	formatForFilename,
	MEDIA_RULES,
	MEDIA_TYPES,
	sniffFormat,
	tooLong,
	voiceSeconds,
	type MediaFormat,
	type MediaType,
	type UploadTarget,
} from './media-check';
import { multipartBoundary, parseMultipart, type MultipartPart } from './multipart';
import {
	newPermanentId,
	newTemporaryId,
	normaliseImageUrl,
	randomDigits,
	randomId,
	type PermanentFile,
	type PermanentMaterial,
	type SandboxState,
	type StoredArticle,
} from './state';
import type { TokenStore } from './tokens';
import { SANDBOX_APPS, type SandboxConfig } from './types';

export interface RouteContext {
	method: string;
	query: URLSearchParams;
	headers: IncomingHttpHeaders;
	body: Buffer;
	/** Base URL of the sandbox, for the plain-http video URLs it serves itself. */
	baseUrl: string;
	remoteAddress: string;
	pathname: string;
	config: SandboxConfig;
	state: SandboxState;
	tokens: TokenStore;
	now: number;
}

export type Answer =
	| { kind: 'json'; body: Record<string, unknown> }
	| { kind: 'file'; bytes: Buffer; contentType: string; disposition?: string }
	| { kind: 'text'; status: number; contentType: string; text: string };

export interface Route {
	/** Token calls themselves; every other route needs a valid access_token. */
	tokenCall?: boolean;
	/** Served without an access_token (the plain-http video URLs). */
	public?: boolean;
	/** GET answers 43002 "require POST method". */
	postOnly?: boolean;
	/** Answers file bytes on success; its errors come back as text/plain, like the live service's. */
	fileAnswers?: boolean;
	handle(context: RouteContext): Answer;
}

/** Where the sandbox serves video bytes, like the CDN host of the live service's video URLs. */
export const VIDEO_PATH_PREFIX = '/vweixinp.tc.qq.com/';

const json = (body: Record<string, unknown>): Answer => ({ kind: 'json', body });

// ---------------------------------------------------------------------------------------------
// Tokens

function checkCredentials(appId: unknown, secret: unknown, wrongSecretErrcode: number): string {
	if (appId === undefined || appId === null || appId === '') throw new WeixinError(41002);
	const app = SANDBOX_APPS.find((known) => known.appId === appId);
	if (!app) throw new WeixinError(40013);
	if (secret === undefined || secret === null || secret === '') throw new WeixinError(41004);
	if (secret !== app.appSecret) throw new WeixinError(wrongSecretErrcode);
	return app.appId;
}

function checkWhitelist(context: RouteContext): void {
	if (context.config.ipWhitelisted) return;
	const ipv4 = context.remoteAddress.replace(/^::ffff:/, '');
	throw new WeixinError(40164, `invalid ip ${ipv4} ipv6 ::ffff:${ipv4}, not in whitelist`);
}

function classicToken(context: RouteContext): Answer {
	const { query } = context;
	if (query.get('grant_type') !== 'client_credential') throw new WeixinError(40002);
	// The classic endpoint really answers a wrong secret with 40001 "invalid credential".
	const appId = checkCredentials(query.get('appid') ?? undefined, query.get('secret') ?? undefined, 40001);
	checkWhitelist(context);
	return json({ ...context.tokens.issueClassic(appId, context.config.classicOverlapSeconds) });
}

function stableToken(context: RouteContext): Answer {
	const body = jsonBody(context);
	if (body.grant_type !== 'client_credential') throw new WeixinError(40002);
	const appId = checkCredentials(body.appid, body.secret, 40125);
	if (body.force_refresh !== undefined && typeof body.force_refresh !== 'boolean') {
		throw new WeixinError(40097);
	}
	checkWhitelist(context);
	const renewal = { lagSeconds: context.config.stableRenewalLagSeconds };
	return json({ ...context.tokens.issueStable(appId, body.force_refresh === true, renewal) });
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/** POST bodies are read as JSON whatever their Content-Type, as the live service does. */
export function jsonBody(context: RouteContext): Record<string, unknown> {
	if (context.body.length === 0) throw new WeixinError(44002);
	let parsed: unknown;
	try {
		parsed = JSON.parse(context.body.toString('utf8'));
	} catch {
		throw new WeixinError(47001);
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw new WeixinError(47001);
	}
	return parsed as Record<string, unknown>;
}

function mediaIdFrom(body: Record<string, unknown>): string {
	if (typeof body.media_id !== 'string' || body.media_id === '') throw new WeixinError(40007);
	return body.media_id;
}

interface Upload {
	media: MultipartPart;
	format: MediaFormat;
	parts: MultipartPart[];
}

/** The checks every upload goes through, in the order the errcodes take precedence. */
function receiveUpload(context: RouteContext, target: UploadTarget, type: MediaType): Upload {
	const boundary = multipartBoundary(context.headers['content-type']);
	const parts = boundary === undefined ? undefined : parseMultipart(context.body, boundary);
	const media = parts?.find((part) => part.name === 'media');
	if (!parts || !media) throw new WeixinError(41005);
	if (media.data.length === 0) throw new WeixinError(44001);

	const format = sniffFormat(media.data);
	if (!format) throw new WeixinError(40004);
	if (formatForFilename(media.filename) !== format) throw new WeixinError(40113);
	const rule = MEDIA_RULES[target][type];
	if (!rule || !rule.formats.includes(format)) throw new WeixinError(40005);
	if (media.data.length > rule.maxBytes) throw new WeixinError(40006);
	if (rule.maxSeconds !== undefined) {
		const seconds = voiceSeconds(format, media.data);
		// A voice whose length cannot be read is a broken file, not a short one.
		if (seconds === undefined) throw new WeixinError(40005);
		if (tooLong(seconds, rule.maxSeconds)) throw new WeixinError(45007);
	}
	return { media, format, parts };
}

function mediaTypeFrom(context: RouteContext): MediaType {
	const type = context.query.get('type');
	if (!MEDIA_TYPES.includes(type as MediaType)) throw new WeixinError(40004);
	return type as MediaType;
}

// ---------------------------------------------------------------------------------------------
// Answers carrying files

function fileAnswer(bytes: Buffer, contentType: string, filename: string): Answer {
	return { kind: 'file', bytes, contentType, disposition: attachment(filename) };
}

/** A Content-disposition value; a non-ASCII name also goes in RFC 5987 form. */
function attachment(filename: string): string {
	const fallback = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
	if (fallback === filename) return `attachment; filename="${filename}"`;
	const encoded = encodeURIComponent(filename).replace(
		/['()*]/g,
		(char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
	);
	return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

const newVideoPath = () => `${VIDEO_PATH_PREFIX}${randomId(40)}.f10.mp4`;

const imageUrl = (format: MediaFormat, extra = '') =>
	`http://mmbiz.qpic.cn/mmbiz_${extensionOf(format)}/${randomId(54)}/0${extra}`;

// ---------------------------------------------------------------------------------------------
// Temporary media

function uploadTemporary(context: RouteContext): Answer {
	const type = mediaTypeFrom(context);
	const { media, format } = receiveUpload(context, 'temporary', type);
	const mediaId = newTemporaryId();
	context.state.temporary.set(mediaId, {
		mediaId,
		type,
		format,
		bytes: media.data,
		filename: media.filename ?? '',
		createdAt: context.now,
		videoPath: type === 'video' ? newVideoPath() : undefined,
	});
	// The live service names the id of a thumb differently.
	const idField = type === 'thumb' ? 'thumb_media_id' : 'media_id';
	return json({ type, [idField]: mediaId, created_at: context.now });
}

function getTemporary(context: RouteContext): Answer {
	const mediaId = context.query.get('media_id') ?? '';
	const media = context.state.liveTemporary(mediaId, context.now);
	if (!media) throw new WeixinError(40007);
	if (media.videoPath) return json({ video_url: context.baseUrl + media.videoPath });
	if (media.amrRendition) {
		return fileAnswer(media.amrRendition, contentTypeOf('amr'), `${mediaId}.amr`);
	}
	const format = media.format as MediaFormat;
	return fileAnswer(media.bytes, contentTypeOf(format), `${mediaId}.${extensionOf(format)}`);
}

function getHdVoice(context: RouteContext): Answer {
	const mediaId = context.query.get('media_id') ?? '';
	const media = context.state.liveTemporary(mediaId, context.now);
	if (!media || !media.amrRendition) throw new WeixinError(40007);
	return fileAnswer(media.bytes, 'voice/speex', `${mediaId}.speex`);
}

// ---------------------------------------------------------------------------------------------
// Permanent material

const MAX_VIDEO_TITLE_CHARACTERS = 64;
const MAX_VIDEO_INTRODUCTION_CHARACTERS = 120;

function videoDescription(parts: MultipartPart[]): { title: string; introduction: string } {
	const field = parts.find((part) => part.name === 'description');
	let description: unknown;
	try {
		description = field ? JSON.parse(field.data.toString('utf8')) : undefined;
	} catch {
		description = undefined;
	}
	if (typeof description !== 'object' || description === null || Array.isArray(description)) {
		throw new WeixinError(40097);
	}
	const { title = '', introduction = '' } = description as Record<string, unknown>;
	if (typeof title !== 'string' || typeof introduction !== 'string') throw new WeixinError(40097);
	if (
		[...title].length > MAX_VIDEO_TITLE_CHARACTERS ||
		[...introduction].length > MAX_VIDEO_INTRODUCTION_CHARACTERS
	) {
		throw new WeixinError(45004);
	}
	return { title, introduction };
}

function addMaterial(context: RouteContext): Answer {
	const type = mediaTypeFrom(context);
	const { media, format, parts } = receiveUpload(context, 'permanent', type);
	const description = type === 'video' ? videoDescription(parts) : {};
	const isPicture = type === 'image' || type === 'thumb';
	const material: PermanentFile = {
		mediaId: newPermanentId(),
		type,
		format,
		bytes: media.data,
		filename: media.filename ?? '',
		createdAt: context.now,
		updatedAt: context.now,
		sequence: context.state.nextSequence(),
		url: isPicture ? imageUrl(format, `?wx_fmt=${format}`) : undefined,
		videoPath: type === 'video' ? newVideoPath() : undefined,
		...description,
	};
	context.state.permanent.set(material.mediaId, material);
	return json({ media_id: material.mediaId, url: type === 'image' ? material.url : '' });
}

function permanentFrom(context: RouteContext): PermanentMaterial {
	const material = context.state.permanent.get(mediaIdFrom(jsonBody(context)));
	if (!material) throw new WeixinError(40007);
	return material;
}

function newsContent(material: {
	articles: StoredArticle[];
	createdAt: number;
	updatedAt: number;
}) {
	return {
		news_item: material.articles,
		create_time: material.createdAt,
		update_time: material.updatedAt,
	};
}

function getMaterial(context: RouteContext): Answer {
	const material = permanentFrom(context);
	if (material.type === 'news') return json(newsContent(material));
	if (material.type === 'video') {
		return json({
			title: material.title ?? '',
			description: material.introduction ?? '',
			down_url: context.baseUrl + material.videoPath,
		});
	}
	return fileAnswer(material.bytes, contentTypeOf(material.format), material.filename);
}

function deleteMaterial(context: RouteContext): Answer {
	const material = permanentFrom(context);
	context.state.permanent.delete(material.mediaId);
	return json({ errcode: 0, errmsg: 'ok' });
}

/** Thumbs live in the image library of the live service, so they count and list as images. */
const listedAs = (material: PermanentMaterial) =>
	material.type === 'thumb' ? 'image' : material.type;

function materialCount(context: RouteContext): Answer {
	const counts = { voice_count: 0, video_count: 0, image_count: 0, news_count: 0 };
	for (const material of context.state.permanent.values()) {
		counts[`${listedAs(material)}_count` as keyof typeof counts]++;
	}
	return json(counts);
}

const LISTABLE_TYPES = ['image', 'voice', 'video', 'news'];

function listItem(material: PermanentMaterial): Record<string, unknown> {
	if (material.type === 'news') {
		const content = newsContent(material);
		return { media_id: material.mediaId, content, update_time: material.updatedAt };
	}
	const { mediaId, filename, updatedAt, url } = material;
	return { media_id: mediaId, name: filename, update_time: updatedAt, url: url ?? '' };
}

function batchGetMaterial(context: RouteContext): Answer {
	const body = jsonBody(context);
	const { type, offset = 0, count } = body;
	if (typeof type !== 'string' || !LISTABLE_TYPES.includes(type)) throw new WeixinError(40004);
	const validCount = Number.isInteger(count) && (count as number) >= 1 && (count as number) <= 20;
	if (!validCount || !Number.isInteger(offset) || (offset as number) < 0) {
		throw new WeixinError(40007);
	}
	const all = [...context.state.permanent.values()]
		.filter((material) => listedAs(material) === type)
		.sort((a, b) => b.sequence - a.sequence);
	const page = all.slice(offset as number, (offset as number) + (count as number));
	const item = page.map(listItem);
	return json({ total_count: all.length, item_count: item.length, item });
}

// ---------------------------------------------------------------------------------------------
// Article images, news, drafts, publishing

function uploadArticleImage(context: RouteContext): Answer {
	const { format } = receiveUpload(context, 'articleImage', 'image');
	const url = imageUrl(format);
	context.state.articleImageUrls.add(normaliseImageUrl(url));
	return json({ url });
}

function addNews(context: RouteContext): Answer {
	if (context.config.addNewsRetired) throw new WeixinError(45106);
	const articles = buildArticles(jsonBody(context).articles, context.state, {
		allowNewspic: false,
		digestLength: 64,
		articleUrl: newsArticleUrl,
	});
	const mediaId = newPermanentId();
	context.state.permanent.set(mediaId, {
		mediaId,
		type: 'news',
		articles,
		createdAt: context.now,
		updatedAt: context.now,
		sequence: context.state.nextSequence(),
	});
	return json({ media_id: mediaId });
}

function addDraft(context: RouteContext): Answer {
	const articles = buildArticles(jsonBody(context).articles, context.state, {
		allowNewspic: true,
		digestLength: 54,
		articleUrl: newsArticleUrl,
	});
	const mediaId = newPermanentId();
	context.state.drafts.set(mediaId, {
		mediaId,
		articles,
		createdAt: context.now,
		updatedAt: context.now,
	});
	return json({ media_id: mediaId });
}

function getDraft(context: RouteContext): Answer {
	const draft = context.state.drafts.get(mediaIdFrom(jsonBody(context)));
	if (!draft) throw new WeixinError(40007);
	return json({ news_item: draft.articles });
}

function submitPublication(context: RouteContext): Answer {
	const draft = context.state.drafts.get(mediaIdFrom(jsonBody(context)));
	if (!draft) throw new WeixinError(40007);
	const publishId = randomDigits(10);
	context.state.publications.set(publishId, {
		publishId,
		draftId: draft.mediaId,
		articleCount: draft.articles.length,
		pollsLeft: context.config.publishPollsBeforeDone,
		outcome: context.config.publishOutcome,
		articleId: randomId(43),
		articleUrls: draft.articles.map(() => `https://mp.weixin.qq.com/s/${randomId(22)}`),
	});
	return json({ errcode: 0, errmsg: 'ok', publish_id: publishId });
}

const FINAL_STATUS = { success: 0, failed: 3, rejected: 4 } as const;

function getPublication(context: RouteContext): Answer {
	const { publish_id: publishId } = jsonBody(context);
	const publication =
		typeof publishId === 'string' || typeof publishId === 'number'
			? context.state.publications.get(String(publishId))
			: undefined;
	if (!publication) throw new WeixinError(40007);
	if (publication.pollsLeft > 0) {
		publication.pollsLeft--;
		return json({ publish_id: publication.publishId, publish_status: 1, fail_idx: [] });
	}
	if (publication.outcome !== 'success') {
		return json({
			publish_id: publication.publishId,
			publish_status: FINAL_STATUS[publication.outcome],
			fail_idx: [1],
		});
	}
	settlePublication(context.state, publication, context.now);
	// 5: every article of the post was deleted after publishing.
	const status = isWhollyDeleted(context.state, publication.articleId) ? 5 : FINAL_STATUS.success;
	return json({
		publish_id: publication.publishId,
		publish_status: status,
		article_id: publication.articleId,
		article_detail: {
			count: publication.articleCount,
			item: publication.articleUrls.map((articleUrl, index) => ({
				idx: index + 1,
				article_url: articleUrl,
			})),
		},
		fail_idx: [],
	});
}

// ---------------------------------------------------------------------------------------------

function serveVideo(context: RouteContext): Answer {
	const bytes = context.state.videoAt(context.pathname, context.now);
	if (!bytes) return { kind: 'text', status: 404, contentType: 'text/plain', text: 'Not Found' };
	return { kind: 'file', bytes, contentType: 'video/mp4' };
}

const ROUTES: Record<string, Route> = {
	'/cgi-bin/token': { tokenCall: true, handle: classicToken },
	'/cgi-bin/stable_token': { tokenCall: true, postOnly: true, handle: stableToken },
	'/cgi-bin/media/upload': { postOnly: true, handle: uploadTemporary },
	'/cgi-bin/media/get': { fileAnswers: true, handle: getTemporary },
	'/cgi-bin/media/get/jssdk': { fileAnswers: true, handle: getHdVoice },
	'/cgi-bin/media/uploadimg': { postOnly: true, handle: uploadArticleImage },
	'/cgi-bin/material/add_material': { postOnly: true, handle: addMaterial },
	'/cgi-bin/material/get_material': { postOnly: true, fileAnswers: true, handle: getMaterial },
	'/cgi-bin/material/del_material': { postOnly: true, handle: deleteMaterial },
	'/cgi-bin/material/get_materialcount': { handle: materialCount },
	'/cgi-bin/material/batchget_material': { postOnly: true, handle: batchGetMaterial },
	'/cgi-bin/material/add_news': { postOnly: true, handle: addNews },
	'/cgi-bin/draft/add': { postOnly: true, handle: addDraft },
	'/cgi-bin/draft/get': { postOnly: true, handle: getDraft },
	'/cgi-bin/freepublish/submit': { postOnly: true, handle: submitPublication },
	'/cgi-bin/freepublish/get': { postOnly: true, handle: getPublication },
	...LIFECYCLE_ROUTES,
};

const VIDEO_ROUTE: Route = { public: true, fileAnswers: true, handle: serveVideo };

export function findRoute(pathname: string): Route | undefined {
	if (pathname.startsWith(VIDEO_PATH_PREFIX)) return VIDEO_ROUTE;
	return Object.prototype.hasOwnProperty.call(ROUTES, pathname) ? ROUTES[pathname] : undefined;
}
