/** Article checks shared by material/add_news and draft/add, and WeChat's content cleaning. */
import { WeixinError } from './errors';
import {
	normaliseImageUrl,
	randomDigits,
	randomId,
	type PermanentFile,
	type SandboxState,
	type StoredArticle,
} from './state';

const MAX_ARTICLES = 8;
const MAX_CONTENT_CHARACTERS = 20000;
const MAX_CONTENT_BYTES = 1024 * 1024;
const FLAG_FIELDS = ['show_cover_pic', 'need_open_comment', 'only_fans_can_comment'] as const;
const TEXT_FIELDS = ['author', 'digest', 'content_source_url'] as const;

export interface ArticleOptions {
	/** draft/add knows article_type (news | newspic); add_news does not. */
	allowNewspic: boolean;
	/** A missing digest of a single article is the start of its text: 64 characters for news, 54 for drafts. */
	digestLength: number;
	/** The article URL each stored article shows. */
	articleUrl(index: number): string;
}

/** Validates `articles` as the live service does and returns them as it would store them. */
export function buildArticles(
	articles: unknown,
	state: SandboxState,
	options: ArticleOptions,
): StoredArticle[] {
	if (!Array.isArray(articles) || articles.length === 0) throw new WeixinError(44003);
	if (articles.length > MAX_ARTICLES) throw new WeixinError(45008);
	return articles.map((article: unknown, index) => {
		if (typeof article !== 'object' || article === null || Array.isArray(article)) {
			throw new WeixinError(40097);
		}
		return buildArticle(article as Record<string, unknown>, index, articles.length, state, options);
	});
}

export function buildArticle(
	input: Record<string, unknown>,
	index: number,
	articleCount: number,
	state: SandboxState,
	options: ArticleOptions,
): StoredArticle {
	const articleType = options.allowNewspic ? input.article_type ?? 'news' : 'news';
	if (articleType !== 'news' && articleType !== 'newspic') throw new WeixinError(40097);
	if (typeof input.title !== 'string' || input.title.trim() === '') throw new WeixinError(44003);
	for (const field of TEXT_FIELDS) {
		if (input[field] !== undefined && typeof input[field] !== 'string') {
			throw new WeixinError(40097);
		}
	}
	const flags: Record<string, number> = {};
	for (const field of FLAG_FIELDS) {
		const value = input[field] ?? 0;
		if (value !== 0 && value !== 1) throw new WeixinError(40097);
		flags[field] = value;
	}

	const content = input.content ?? '';
	if (typeof content !== 'string') throw new WeixinError(40097);
	if (articleType === 'news' && content.trim() === '') throw new WeixinError(44003);
	// Characters are the reader's text, markup excluded; the byte limit weighs the whole HTML.
	if (
		[...visibleText(content)].length >= MAX_CONTENT_CHARACTERS ||
		Buffer.byteLength(content, 'utf8') >= MAX_CONTENT_BYTES
	) {
		throw new WeixinError(45002);
	}
	const cleaned = cleanContent(content, state.articleImageUrls);
	// Only a single article gets a digest taken from its text; in a multi-article post it stays empty.
	let digest = typeof input.digest === 'string' ? input.digest : '';
	if (input.digest === undefined && articleCount === 1) {
		const text = visibleText(cleaned).replace(/\s+/g, ' ').trim();
		digest = [...text].slice(0, options.digestLength).join('');
	}

	const common = {
		title: input.title,
		author: input.author ?? '',
		digest,
		content: cleaned,
		content_source_url: input.content_source_url ?? '',
		...flags,
		url: options.articleUrl(index),
	};
	if (articleType === 'newspic') {
		return {
			article_type: 'newspic',
			...common,
			image_info: newspicImages(input.image_info, state),
		};
	}
	const thumb = permanentImage(state, input.thumb_media_id);
	return {
		...(options.allowNewspic ? { article_type: 'news' } : {}),
		...common,
		thumb_media_id: thumb.mediaId,
		thumb_url: thumb.url ?? '',
	};
}

/** thumb_media_id and newspic images must name a permanent image or thumb (40007 otherwise). */
function permanentImage(state: SandboxState, mediaId: unknown): PermanentFile {
	const material = typeof mediaId === 'string' ? state.permanent.get(mediaId) : undefined;
	if (!material || (material.type !== 'image' && material.type !== 'thumb')) {
		throw new WeixinError(40007);
	}
	return material;
}

function newspicImages(imageInfo: unknown, state: SandboxState): unknown {
	const list = (imageInfo as { image_list?: unknown } | undefined)?.image_list;
	if (!Array.isArray(list) || list.length === 0) throw new WeixinError(44003);
	return {
		image_list: list.map((item: { image_media_id?: unknown } | null) => ({
			image_media_id: permanentImage(state, item?.image_media_id).mediaId,
		})),
	};
}

/**
 * What WeChat does to article HTML: script elements go, and so does every `<img>` whose src is
 * not a URL that media/uploadimg issued.
 */
export function cleanContent(html: string, issuedImageUrls: ReadonlySet<string>): string {
	return html
		.replace(/<script\b[^>]*>[\s\S]*?<\/script\s*>/gi, '')
		.replace(/<\/?script\b[^>]*>/gi, '')
		.replace(/<img\b[^>]*>/gi, (tag) => {
			const src = /\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(tag);
			const url = src ? src[1] ?? src[2] ?? src[3] : undefined;
			return url !== undefined && issuedImageUrls.has(normaliseImageUrl(url)) ? tag : '';
		});
}

const NAMED_CHARACTERS: Record<string, string> = {
	amp: '&',
	lt: '<',
	gt: '>',
	quot: '"',
	apos: "'",
	nbsp: '\u00a0',
};

/**
 * The reader's text, which WeChat counts against 20,000 characters and takes a digest from: no
 * markup, comments, scripts or styles, and a character reference (`&nbsp;`) is the one character.
 */
function visibleText(html: string): string {
	return html
		.replace(/<!--[\s\S]*?(?:-->|$)/g, '')
		.replace(/<(script|style)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi, '')
		.replace(/<[^>]*>/g, '')
		.replace(/&(#x[0-9a-f]+|#\d+|[a-z][a-z0-9]*);/gi, (_reference, name: string) => {
			if (name.startsWith('#')) {
				const code = /^#x/i.test(name) ? parseInt(name.slice(2), 16) : Number(name.slice(1));
				return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
			}
			return NAMED_CHARACTERS[name.toLowerCase()] ?? ' ';
		});
}

/** A permanent article URL like the ones the live service hands out. */
export function newsArticleUrl(index: number): string {
	const query = `__biz=${randomId(16)}==&mid=${randomDigits(10)}&idx=${index + 1}&sn=${randomId(
		32,
	)}`;
	return `http://mp.weixin.qq.com/s?${query}#rd`;
}
