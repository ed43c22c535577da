/**
 * Articles for News → Create (material/add_news), Draft → Create (draft/add) and Draft → Update
 * (draft/update): read from the UI or from JSON, checked as WeChat would check them, covers and
 * images uploaded, then sent.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { fieldError } from '../../descriptions/validation';
import { prepareUpload, type UploadSource } from '../../media/source';
import {
	markMayHaveWritten,
	settle,
	settleSync,
	weixinRequest,
	type RetryPolicy,
} from '../../transport';
import { addPermanentMaterial } from '../permanentMaterial/add.operation';
import {
	ImageRehosting,
	UnhostableImage,
	type RehostedImage,
	type UnhostableImages,
} from './imageRehosting';
import { replaceImageSources, visibleTextLength } from './imgTags';

export type ArticleResource = 'news' | 'draft';

const MAX_ARTICLES = 8;
const MAX_CONTENT_CHARACTERS = 20_000;
const MAX_CONTENT_BYTES = 1024 * 1024;
const MAX_NEWSPIC_IMAGES = 20;

const FLAG_KEYS = ['show_cover_pic', 'need_open_comment', 'only_fans_can_comment'] as const;
const TEXT_KEYS = ['author', 'digest', 'content_source_url'] as const;
const DRAFT_ONLY_KEYS = ['article_type', 'image_info', 'pic_crop_235_1', 'pic_crop_1_1'] as const;
const COMMON_KEYS = [
	'title',
	'content',
	'thumb_media_id',
	'cover_binary',
	...TEXT_KEYS,
	...FLAG_KEYS,
] as const;

type ArticleKey = (typeof COMMON_KEYS)[number] | (typeof DRAFT_ONLY_KEYS)[number];

/**
 * Fields WeChat hands out but does not take: Draft → Get's output carries them, and a user feeding it
 * back must not be refused for them. Any other field is passed on as given (WeChat adds fields, such
 * as cover_info and product_info, faster than this node could list them).
 */
const READ_ONLY_KEYS = ['url', 'thumb_url', 'is_deleted'];

/** The UI's names for WeChat's fields, so an error points at the field the user sees. */
const UI_LABELS: Record<ArticleKey, string> = {
	title: 'Title',
	content: 'Content',
	thumb_media_id: 'Cover Media ID',
	cover_binary: 'Cover Binary Field',
	author: 'Author',
	digest: 'Digest',
	content_source_url: 'Content Source URL',
	show_cover_pic: 'Show Cover in Article',
	need_open_comment: 'Open Comments',
	only_fans_can_comment: 'Only Followers Can Comment',
	article_type: 'Article Type',
	image_info: 'Image Media IDs',
	pic_crop_235_1: 'pic_crop_235_1',
	pic_crop_1_1: 'pic_crop_1_1',
};

interface InputMode {
	/** The node field errors name: "Articles" or "Articles (JSON)". */
	fieldLabel: string;
	label(key: ArticleKey): string;
}

const FIELDS_MODE: InputMode = { fieldLabel: 'Articles', label: (key) => UI_LABELS[key] };
const JSON_MODE: InputMode = { fieldLabel: 'Articles (JSON)', label: (key) => key };

/** A checked article: WeChat's fields, plus the binary property its cover is still to come from. */
interface CheckedArticle {
	fields: IDataObject;
	coverBinary?: string;
}

class ArticleProblem extends Error {}

// ---------------------------------------------------------------------------------------------
// Reading the input

const flag = (value: unknown) => (value === true ? 1 : 0);

const textOf = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/** One UI article as WeChat's fields; empty optional fields are left out. */
function fromFields(entry: IDataObject, resource: ArticleResource): IDataObject {
	const articleType = resource === 'draft' ? entry.articleType ?? 'news' : 'news';
	const article: IDataObject = {
		title: String(entry.title ?? ''),
		content: String(entry.content ?? ''),
		need_open_comment: flag(entry.needOpenComment),
		only_fans_can_comment: flag(entry.onlyFansCanComment),
	};
	if (resource === 'draft') article.article_type = articleType;
	for (const [key, name] of [
		['author', 'author'],
		['digest', 'digest'],
		['content_source_url', 'contentSourceUrl'],
	] as const) {
		if (textOf(entry[name]) !== '') article[key] = entry[name];
	}
	if (articleType === 'newspic') {
		const ids = String(entry.imageMediaIds ?? '')
			.split(',')
			.map((id) => id.trim())
			.filter((id) => id !== '');
		article.image_info = { image_list: ids.map((id) => ({ image_media_id: id })) };
		return article;
	}
	article.show_cover_pic = flag(entry.showCoverPic);
	if (entry.coverSource === 'binary') {
		if (textOf(entry.coverBinaryField) !== '') article.cover_binary = entry.coverBinaryField;
	} else if (textOf(entry.thumbMediaId) !== '') {
		article.thumb_media_id = entry.thumbMediaId;
	}
	return article;
}

/**
 * Accepts an array of articles, `{articles: [...]}` as WeChat's own body has it, `{news_item: [...]}`
 * as Draft → Get and Permanent Material → Get answer, or one article.
 */
function fromJson(value: unknown): unknown[] {
	let parsed = value;
	if (typeof value === 'string') {
		const json = settleSync(() => JSON.parse(value) as unknown);
		if (!json.ok) throw new ArticleProblem(`is not valid JSON (${(json.error as Error).message})`);
		parsed = json.value;
	}
	if (Array.isArray(parsed)) return parsed;
	if (parsed && typeof parsed === 'object') {
		const { articles, news_item: newsItem } = parsed as IDataObject;
		if (Array.isArray(articles)) return articles;
		return Array.isArray(newsItem) ? newsItem : [parsed];
	}
	throw new ArticleProblem('must be an array of article objects');
}

// ---------------------------------------------------------------------------------------------
// Checking

/** Text is counted as the reader sees it (see visibleTextLength); the byte limit weighs the whole HTML. */
function contentLimitProblem(content: string): string | undefined {
	const characters = visibleTextLength(content);
	if (characters >= MAX_CONTENT_CHARACTERS) {
		return `has ${characters.toLocaleString(
			'en-US',
		)} characters of text; WeChat allows fewer than 20,000`;
	}
	const bytes = Buffer.byteLength(content, 'utf8');
	if (bytes >= MAX_CONTENT_BYTES) {
		return `is ${bytes.toLocaleString(
			'en-US',
		)} bytes; WeChat allows less than 1 MB (1,048,576 bytes)`;
	}
	return undefined;
}

const FAMILIAR_KEYS: readonly string[] = [...COMMON_KEYS, ...DRAFT_ONLY_KEYS];

/** Checks one article; a problem with a missing field names the fields it did not recognise (typos). */
function checkArticle(raw: unknown, resource: ArticleResource, mode: InputMode): CheckedArticle {
	if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
		throw new ArticleProblem('is not an object with article fields');
	}
	const input = { ...(raw as IDataObject) };
	for (const key of READ_ONLY_KEYS) delete input[key];
	const checked = settleSync(() => checkFields(input, resource, mode));
	if (checked.ok) return checked.value;
	const { error } = checked;
	const unfamiliar = Object.keys(input).filter((key) => !FAMILIAR_KEYS.includes(key));
	if (error instanceof ArticleProblem && unfamiliar.length > 0) {
		error.message += ` (passed on to WeChat as given: ${unfamiliar
			.map((key) => `\`${key}\``)
			.join(', ')})`;
	}
	throw error;
}

function checkFields(input: IDataObject, resource: ArticleResource, mode: InputMode): CheckedArticle {
	const { label } = mode;

	const articleType = input.article_type ?? 'news';
	if (articleType !== 'news' && articleType !== 'newspic') {
		throw new ArticleProblem(`${label('article_type')} must be news or newspic`);
	}
	if (articleType === 'newspic' && resource === 'news') {
		throw new ArticleProblem('picture posts (newspic) can only be created with Draft → Create');
	}

	if (input.title !== undefined && input.title !== null && typeof input.title !== 'string') {
		throw new ArticleProblem(`${label('title')} must be text, not ${JSON.stringify(input.title)}`);
	}
	if (typeof input.title !== 'string' || input.title.trim() === '') {
		throw new ArticleProblem(`${label('title')} is empty`);
	}
	for (const key of [...TEXT_KEYS, 'pic_crop_235_1', 'pic_crop_1_1'] as const) {
		if (input[key] !== undefined && typeof input[key] !== 'string') {
			throw new ArticleProblem(`${label(key)} must be text`);
		}
	}
	const fields: IDataObject = { ...input };
	// material/add_news has no article types.
	if (resource === 'news') delete fields.article_type;
	for (const key of FLAG_KEYS) {
		const value = input[key];
		if (value === undefined) continue;
		if (value !== 0 && value !== 1 && typeof value !== 'boolean') {
			throw new ArticleProblem(`${label(key)} must be 0 or 1, not ${JSON.stringify(value)}`);
		}
		fields[key] = Number(value);
	}

	const content = input.content ?? '';
	if (typeof content !== 'string') throw new ArticleProblem(`${label('content')} must be text`);
	if (articleType === 'news' && content.trim() === '') {
		throw new ArticleProblem(`${label('content')} is empty`);
	}
	const tooLong = contentLimitProblem(content);
	if (tooLong) throw new ArticleProblem(`${label('content')} ${tooLong}`);

	if (articleType === 'newspic') {
		checkNewspicImages(input.image_info, label('image_info'));
		return { fields };
	}
	return checkCover(fields, label);
}

function checkNewspicImages(imageInfo: unknown, fieldLabel: string): void {
	const list = (imageInfo as IDataObject | undefined)?.image_list;
	if (!Array.isArray(list) || list.length === 0) {
		throw new ArticleProblem(`${fieldLabel}: a picture post needs at least one permanent image`);
	}
	if (list.length > MAX_NEWSPIC_IMAGES) {
		throw new ArticleProblem(`${fieldLabel}: ${list.length} images; WeChat allows at most 20`);
	}
	const valid = (item: unknown) =>
		typeof (item as IDataObject | null)?.image_media_id === 'string' &&
		((item as IDataObject).image_media_id as string).trim() !== '';
	if (!list.every(valid)) {
		throw new ArticleProblem(`${fieldLabel}: every image needs an image_media_id`);
	}
}

/** A news article needs one cover: a permanent image's media_id, or a binary to upload as one. */
function checkCover(fields: IDataObject, label: InputMode['label']): CheckedArticle {
	const mediaId = textOf(fields.thumb_media_id);
	const binary = textOf(fields.cover_binary);
	if (fields.thumb_media_id !== undefined && typeof fields.thumb_media_id !== 'string') {
		throw new ArticleProblem(`${label('thumb_media_id')} must be text`);
	}
	if (fields.cover_binary !== undefined && typeof fields.cover_binary !== 'string') {
		throw new ArticleProblem(`${label('cover_binary')} must be text`);
	}
	if (mediaId !== '' && binary !== '') {
		throw new ArticleProblem(
			`has both ${label('thumb_media_id')} and ${label('cover_binary')}; give one cover`,
		);
	}
	if (mediaId === '' && binary === '') {
		throw new ArticleProblem(
			`has no cover: set ${label('thumb_media_id')} (a permanent image's media_id) or ${label(
				'cover_binary',
			)} (a binary property of the item)`,
		);
	}
	delete fields.cover_binary;
	if (binary !== '') return { fields, coverBinary: binary };
	fields.thumb_media_id = mediaId;
	return { fields };
}

/** Reads the articles of one item and checks them all; nothing is sent. */
function readArticles(
	ctx: IExecuteFunctions,
	itemIndex: number,
	resource: ArticleResource,
	single: boolean,
): { articles: CheckedArticle[]; mode: InputMode } {
	const fromUi = ctx.getNodeParameter('articlesInput', itemIndex, 'fields') === 'fields';
	const mode = fromUi ? FIELDS_MODE : JSON_MODE;
	let number = 0;
	const read = settleSync(() => {
		const raw = fromUi
			? (
					((ctx.getNodeParameter('articles', itemIndex, {}) as IDataObject).article ??
						[]) as IDataObject[]
			  ).map((entry) => fromFields(entry, resource))
			: fromJson(ctx.getNodeParameter('articlesJson', itemIndex, '[]'));
		if (raw.length === 0) throw new ArticleProblem('holds no article; add at least one');
		if (single && raw.length > 1) {
			throw new ArticleProblem(
				`holds ${raw.length} articles; Draft → Update replaces one article at a time`,
			);
		}
		if (raw.length > MAX_ARTICLES) {
			throw new ArticleProblem(`holds ${raw.length} articles; WeChat allows at most 8 in one post`);
		}
		return raw.map((article, index) => {
			number = index + 1;
			return checkArticle(article, resource, mode);
		});
	});
	if (read.ok) return { articles: read.value, mode };
	if (!(read.error instanceof ArticleProblem)) throw read.error;
	const where = number === 0 ? '' : `article ${number}: `;
	throw fieldError(ctx, itemIndex, mode.fieldLabel, `${where}${read.error.message}`);
}

// ---------------------------------------------------------------------------------------------
// Sending

type UploadedCover = { binary_property: string; media_id: string; url?: string };

/** Permanent material this item already created: every later failure of the item names it. */
function withCoversNamed(error: unknown, covers: Map<string, UploadedCover>): unknown {
	if (covers.size === 0 || !(error instanceof Error)) return error;
	const list = [...covers.values()].map((cover) => cover.media_id).join(', ');
	const note = `The cover images uploaded for it stay in the material library (media_id ${list}); use them as Cover Media ID instead of uploading them again.`;
	const described = error as Error & { description?: string | null };
	described.description = described.description ? `${described.description} ${note}` : note;
	markMayHaveWritten(error);
	return error;
}

/**
 * Uploads each distinct cover binary as permanent image material (WeChat takes a permanent image's
 * id as thumb_media_id) into `uploaded`, which the caller reads even when a later cover fails.
 */
async function uploadCovers(
	ctx: IExecuteFunctions,
	itemIndex: number,
	sources: Map<string, UploadSource>,
	uploaded: Map<string, UploadedCover>,
): Promise<void> {
	for (const [property, source] of sources) {
		const material = await addPermanentMaterial(ctx, itemIndex, 'image', source);
		const cover: UploadedCover = { binary_property: property, media_id: String(material.media_id) };
		if (material.url !== undefined) cover.url = String(material.url);
		uploaded.set(property, cover);
	}
}

interface PreparedArticles {
	articles: CheckedArticle[];
	mode: InputMode;
	coverSources: Map<string, UploadSource>;
	images?: ImageRehosting;
}

interface PrepareOptions {
	/** false when checking a batch before anything is sent: images at http(s) URLs are fetched later. */
	fetchUrls: boolean;
	/** Draft → Update replaces one article: more are refused. */
	single?: boolean;
}

/** Reads and checks the item's articles, cover files and article images. Nothing is sent. */
async function prepareArticles(
	ctx: IExecuteFunctions,
	itemIndex: number,
	resource: ArticleResource,
	{ fetchUrls, single = false }: PrepareOptions,
): Promise<PreparedArticles> {
	const { articles, mode } = readArticles(ctx, itemIndex, resource, single);

	const coverSources = new Map<string, UploadSource>();
	for (const { coverBinary } of articles) {
		if (coverBinary !== undefined && !coverSources.has(coverBinary)) {
			coverSources.set(
				coverBinary,
				await prepareUpload(ctx, itemIndex, coverBinary, 'permanent', 'image'),
			);
		}
	}

	const rehost = ctx.getNodeParameter('rehostImages', itemIndex, true) as boolean;
	const images = rehost
		? new ImageRehosting(
				ctx,
				itemIndex,
				ctx.getNodeParameter('unhostableImages', itemIndex, 'error') as UnhostableImages,
		  )
		: undefined;
	const prepared = await settle(
		async () =>
			await images?.prepare(
				articles.map(({ fields }) => String(fields.content ?? '')),
				{ fetchUrls },
			),
	);
	if (!prepared.ok) {
		const { error } = prepared;
		if (!(error instanceof UnhostableImage)) throw error;
		throw fieldError(
			ctx,
			itemIndex,
			mode.fieldLabel,
			`article ${error.articleNumber}: image ${error.source}: ${error.message}`,
			'Fix or remove the image, or set "Image That Cannot Be Re-Hosted" to skip it.',
		);
	}
	return { articles, mode, coverSources, images };
}

/** Checks one item's articles, covers and images as they would be sent; nothing is sent. */
export async function checkArticlesInput(
	ctx: IExecuteFunctions,
	itemIndex: number,
	resource: ArticleResource,
	single = false,
): Promise<void> {
	await prepareArticles(ctx, itemIndex, resource, { fetchUrls: false, single });
}

interface SentArticles {
	/** The articles as WeChat got them: covers and re-hosted image URLs filled in. */
	body: IDataObject[];
	answer: IDataObject;
	covers: Map<string, UploadedCover>;
	images?: ImageRehosting;
	rehostedImages: RehostedImage[];
}

/**
 * Uploads what the articles need and sends them. What can be repeated harmlessly goes first
 * (article images: media/uploadimg), the permanent covers last, so a failure on the way leaves no
 * permanent material behind; once covers exist, every failure names them.
 */
async function uploadAndSend(
	ctx: IExecuteFunctions,
	itemIndex: number,
	{ articles, mode, coverSources, images }: PreparedArticles,
	requestFor: (body: IDataObject[]) => { path: string; body: IDataObject; policy: RetryPolicy },
): Promise<SentArticles> {
	const rehostedImages = (await images?.upload()) ?? [];
	const contents = articles.map(({ fields }, index) => {
		if (!images || typeof fields.content !== 'string') return fields.content;
		const content = replaceImageSources(fields.content, (src) => images.urlFor(src));
		// WeChat's URLs can be longer than what they replace.
		const tooLong = contentLimitProblem(content);
		if (tooLong) {
			throw fieldError(
				ctx,
				itemIndex,
				mode.fieldLabel,
				`article ${index + 1}: ${mode.label('content')} with re-hosted images ${tooLong}`,
			);
		}
		return content;
	});

	const covers = new Map<string, UploadedCover>();
	const sent = await settle(async () => {
		await uploadCovers(ctx, itemIndex, coverSources, covers);
		const body = articles.map(({ fields, coverBinary }, index) => {
			const article = { ...fields };
			if (coverBinary !== undefined) article.thumb_media_id = covers.get(coverBinary)?.media_id;
			if (contents[index] !== undefined) article.content = contents[index];
			return article;
		});
		const answer = await weixinRequest(ctx, itemIndex, { method: 'POST', ...requestFor(body) });
		return { body, answer };
	});
	if (!sent.ok) throw withCoversNamed(sent.error, covers);
	return { ...sent.value, covers, images, rehostedImages };
}

/** What was uploaded on the way: covers, re-hosted and skipped images. */
function uploads({ covers, images, rehostedImages }: SentArticles): IDataObject {
	const json: IDataObject = {};
	if (covers.size > 0) json.uploaded_covers = [...covers.values()];
	if (images) {
		json.rehosted_images = rehostedImages;
		json.skipped_images = images.skipped;
	}
	return json;
}

export interface ArticleCreation {
	resource: ArticleResource;
	/** material/add_news or draft/add. */
	path: string;
}

/**
 * Creates the item's articles in one call to `path` and returns one output item: WeChat's media_id
 * and what was uploaded on the way (covers, re-hosted and skipped images).
 */
export async function createArticles(
	ctx: IExecuteFunctions,
	itemIndex: number,
	{ resource, path }: ArticleCreation,
): Promise<INodeExecutionData[]> {
	const prepared = await prepareArticles(ctx, itemIndex, resource, { fetchUrls: true });
	const sent = await uploadAndSend(ctx, itemIndex, prepared, (body) => ({
		path,
		body: { articles: body },
		// Creates a post (or draft): a lost answer must not lead to a second one.
		policy: 'write',
	}));
	return [
		{
			json: { media_id: sent.answer.media_id, article_count: sent.body.length, ...uploads(sent) },
		},
	];
}

/**
 * Replaces the article at 0-based `index` of a draft with the item's one article, checked, with its
 * cover uploaded and its images re-hosted like Draft → Create's.
 */
export async function updateDraftArticle(
	ctx: IExecuteFunctions,
	itemIndex: number,
	mediaId: string,
	index: number,
): Promise<INodeExecutionData[]> {
	const prepared = await prepareArticles(ctx, itemIndex, 'draft', { fetchUrls: true, single: true });
	const sent = await uploadAndSend(ctx, itemIndex, prepared, ([article]) => ({
		path: '/cgi-bin/draft/update',
		body: { media_id: mediaId, index, articles: article },
		// Sending the same replacement twice leaves the same draft: safe to repeat.
		policy: 'repeatableWrite',
	}));
	const [article] = sent.body;
	return [
		{
			json: { media_id: mediaId, index, updated: true, title: article.title, ...uploads(sent) },
		},
	];
}
