/**
 * Bad input is refused before anything is sent (no API call, no token call), with an error that
 * names the item and the field; under continueOnFail the bad item becomes one error item and the
 * good items beside it still succeed.
 */
import type { ICredentialDataDecryptedObject, INodeParameters } from 'n8n-workflow';

import { amr, bmp, gif, jpeg, mp3, mp4, png, wav, wma } from '../fixtures/media';
import { runNode, type InputItem } from '../harness';
import { useSandbox } from '../support';
import { callsTo, seed, type Seeded } from './support';

const env = useSandbox();
let seeded: Seeded;

beforeEach(async () => {
	seeded = await seed(env.sandbox);
});

const KIB = 1024;
const MIB = 1024 * KIB;

interface BadInput {
	/** What is wrong, as the test title shows it. */
	name: string;
	parameters: INodeParameters;
	bad: InputItem;
	/**
	 * An item the same parameters succeed with (`n`: the first or second good item of a run); absent
	 * when the problem is the credential's.
	 */
	good?: (seeded: Seeded, n: 0 | 1) => InputItem;
	credentials?: ICredentialDataDecryptedObject;
	/** The field or property the message must name, e.g. "Media ID" or "data". */
	field: string;
	problem: RegExp;
	/** The API path each good item calls once. */
	path?: string;
}

const data = (bytes: Buffer, fileName?: string): InputItem['files'] => [{ bytes, fileName }];

// ---- the parameters under test; per-item values come from the item's JSON through expressions

const temporaryUpload: INodeParameters = {
	resource: 'temporaryMedia',
	operation: 'upload',
	mediaType: '={{ $json.type ?? "image" }}',
	binaryPropertyName: '={{ $json.field ?? "data" }}',
};
const goodImage = () => ({ files: data(jpeg(3000), 'ok.jpg') });

const permanentAdd: INodeParameters = {
	resource: 'permanentMaterial',
	operation: 'add',
	mediaType: '={{ $json.type ?? "image" }}',
	binaryPropertyName: 'data',
	title: '={{ $json.title ?? "" }}',
};

const byMediaId = (resource: string, operation: string): INodeParameters => ({
	resource,
	operation,
	mediaId: '={{ $json.mediaId }}',
	binaryPropertyName: '={{ $json.out ?? "data" }}',
});

const getMany: INodeParameters = {
	resource: 'permanentMaterial',
	operation: 'getMany',
	materialType: 'image',
	returnAll: false,
	limit: '={{ $json.limit }}',
};

const articlesFrom = (resource: 'news' | 'draft'): INodeParameters => ({
	resource,
	operation: 'create',
	articlesInput: 'json',
	articlesJson: '={{ $json.articles }}',
	rehostImages: '={{ $json.rehost ?? false }}',
	unhostableImages: 'error',
});

/** An item whose articles (JSON) are `articles`, or one good article with `change` applied. */
const articleItem = (articles: unknown, extra: InputItem = {}): InputItem => ({
	...extra,
	json: {
		articles: typeof articles === 'string' ? articles : JSON.stringify(articles),
		...extra.json,
	},
});
const article = (change: Record<string, unknown> = {}) => ({
	title: '标题',
	content: '<p>正文</p>',
	thumb_media_id: 'seeded-cover',
	...change,
});
/** Good articles use the seeded permanent image as cover. */
const goodArticles = (seeded: Seeded) =>
	articleItem([article({ thumb_media_id: seeded.permanentImage })]);
const rehosting = (content: string, extra: InputItem = {}) =>
	articleItem([article({ content })], { ...extra, json: { rehost: true } });

const ARTICLES_JSON = 'Articles (JSON)';

const BAD_INPUTS: BadInput[] = [
	// ---- Temporary Media → Upload
	{
		name: 'an item without any binary data',
		parameters: temporaryUpload,
		bad: { json: { note: 'no file' } },
		good: goodImage,
		field: 'data',
		problem: /^the item has no binary data$/,
		path: '/cgi-bin/media/upload',
	},
	{
		name: 'a misspelled binary property',
		parameters: temporaryUpload,
		bad: { json: { field: 'dta' }, files: data(jpeg(3000), 'a.jpg') },
		good: goodImage,
		field: 'dta',
		problem: /no binary property with this name \(it has: data\)/,
		path: '/cgi-bin/media/upload',
	},
	{
		name: 'an empty list of binary properties',
		parameters: temporaryUpload,
		bad: { json: { field: ' , ' }, files: data(jpeg(3000), 'a.jpg') },
		good: goodImage,
		field: 'Input Binary Field',
		problem: /^is empty$/,
		path: '/cgi-bin/media/upload',
	},
	{
		name: 'an empty file',
		parameters: temporaryUpload,
		bad: { files: data(Buffer.alloc(0), 'empty.jpg') },
		good: goodImage,
		field: 'data',
		problem: /^the file is empty$/,
		path: '/cgi-bin/media/upload',
	},
	{
		name: 'bytes of no format WeChat knows',
		parameters: temporaryUpload,
		bad: { files: data(Buffer.from('just some text, not a picture'), 'photo.jpg') },
		good: goodImage,
		field: 'data',
		problem: /not a format WeChat accepts \(they start with 6a 75 73 74\)/,
		path: '/cgi-bin/media/upload',
	},
	{
		name: 'a png as thumb',
		parameters: temporaryUpload,
		bad: { json: { type: 'thumb' }, files: data(png(3000), 'thumb.png') },
		good: goodImage,
		field: 'data',
		problem: /the file is a png image; a thumb must be jpg/,
		path: '/cgi-bin/media/upload',
	},
	{
		name: 'a thumb over 64 KB',
		parameters: temporaryUpload,
		bad: { json: { type: 'thumb' }, files: data(jpeg(64 * KIB + 1), 'thumb.jpg') },
		good: goodImage,
		field: 'data',
		problem: /WeChat allows at most 64 KB \(65,536 bytes\) for a thumb/,
		path: '/cgi-bin/media/upload',
	},
	{
		name: 'a temporary image over 10 MB',
		parameters: temporaryUpload,
		bad: { files: data(jpeg(10 * MIB + 1), 'huge.jpg') },
		good: goodImage,
		field: 'data',
		problem: /WeChat allows at most 10 MB \(10,485,760 bytes\) for a temporary image/,
		path: '/cgi-bin/media/upload',
	},
	{
		name: 'a bmp as temporary image (only the permanent library takes bmp)',
		parameters: temporaryUpload,
		bad: { files: data(bmp(3000), 'scan.bmp') },
		good: goodImage,
		field: 'data',
		problem: /a temporary image must be jpg, png or gif/,
		path: '/cgi-bin/media/upload',
	},
	{
		name: 'a wav as temporary voice',
		parameters: temporaryUpload,
		bad: { json: { type: 'voice' }, files: data(wav(3), 'memo.wav') },
		good: goodImage,
		field: 'data',
		problem: /a temporary voice file must be amr or mp3/,
		path: '/cgi-bin/media/upload',
	},
	{
		name: 'an mp3 voice of 74 s',
		parameters: temporaryUpload,
		bad: { json: { type: 'voice' }, files: data(mp3(74), 'long.mp3') },
		good: goodImage,
		field: 'data',
		problem: /^voice is 74(\.\d)? s long; WeChat allows at most 60 s for voice$/,
		path: '/cgi-bin/media/upload',
	},
	{
		name: 'an amr voice of 61 s',
		parameters: temporaryUpload,
		bad: { json: { type: 'voice' }, files: data(amr(61), 'long.amr') },
		good: goodImage,
		field: 'data',
		problem: /^voice is 61(\.\d)? s long; WeChat allows at most 60 s for voice$/,
		path: '/cgi-bin/media/upload',
	},
	{
		name: 'a good file named with an empty second one (nothing of the item is sent)',
		parameters: temporaryUpload,
		bad: {
			json: { field: 'data, extra' },
			files: [
				{ bytes: jpeg(3000), fileName: 'ok.jpg' },
				{ property: 'extra', bytes: Buffer.alloc(0), fileName: 'none.jpg' },
			],
		},
		good: goodImage,
		field: 'extra',
		problem: /^the file is empty$/,
		path: '/cgi-bin/media/upload',
	},
	// ---- Permanent Material → Add
	{
		name: 'a permanent video without a title',
		parameters: permanentAdd,
		bad: { json: { type: 'video', title: '  ' }, files: data(mp4(5000), 'clip.mp4') },
		good: goodImage,
		field: 'Title',
		problem: /^is empty$/,
		path: '/cgi-bin/material/add_material',
	},
	{
		name: 'a permanent wma voice of 75 s',
		parameters: permanentAdd,
		bad: { json: { type: 'voice' }, files: data(wma(75), 'long.wma') },
		good: goodImage,
		field: 'data',
		problem: /^voice is 75(\.\d)? s long; WeChat allows at most 60 s for voice$/,
		path: '/cgi-bin/material/add_material',
	},
	{
		name: 'an mp4 given as permanent image',
		parameters: permanentAdd,
		bad: { files: data(mp4(5000), 'not-an-image.jpg') },
		good: goodImage,
		field: 'data',
		problem: /the file is an mp4 video; a permanent image must be jpg, png, gif or bmp/,
		path: '/cgi-bin/material/add_material',
	},
	// ---- Article Image → Upload
	{
		name: 'an article image of exactly 1 MB',
		parameters: { resource: 'articleImage', operation: 'upload', binaryPropertyName: 'data' },
		bad: { files: data(jpeg(MIB), 'big.jpg') },
		good: goodImage,
		field: 'data',
		problem: /WeChat allows less than 1 MB \(1,048,576 bytes\) for an article image/,
		path: '/cgi-bin/media/uploadimg',
	},
	{
		name: 'a gif as article image',
		parameters: { resource: 'articleImage', operation: 'upload', binaryPropertyName: 'data' },
		bad: { files: data(gif(2000), 'anim.gif') },
		good: goodImage,
		field: 'data',
		problem: /an article image must be jpg or png/,
		path: '/cgi-bin/media/uploadimg',
	},
	// ---- media ids and output fields
	{
		name: 'an empty media_id (Temporary Media → Get)',
		parameters: byMediaId('temporaryMedia', 'get'),
		bad: { json: { mediaId: '' } },
		good: (data) => ({ json: { mediaId: data.temporaryImage } }),
		field: 'Media ID',
		problem: /^is empty$/,
		path: '/cgi-bin/media/get',
	},
	{
		name: 'a media_id of spaces and a tab (Temporary Media → Get)',
		parameters: byMediaId('temporaryMedia', 'get'),
		bad: { json: { mediaId: '  \t ' } },
		good: (data) => ({ json: { mediaId: data.temporaryImage } }),
		field: 'Media ID',
		problem: /^is empty$/,
		path: '/cgi-bin/media/get',
	},
	{
		name: 'a blank output binary field (Temporary Media → Get)',
		parameters: byMediaId('temporaryMedia', 'get'),
		bad: { json: { mediaId: 'some-id', out: ' ' } },
		good: (data) => ({ json: { mediaId: data.temporaryImage } }),
		field: 'Put Output File in Field',
		problem: /^is empty$/,
		path: '/cgi-bin/media/get',
	},
	{
		name: 'a media_id that is a line break (Get HD Voice)',
		parameters: byMediaId('temporaryMedia', 'getHdVoice'),
		bad: { json: { mediaId: '\n' } },
		good: (data) => ({ json: { mediaId: data.hdVoice } }),
		field: 'Media ID',
		problem: /^is empty$/,
		path: '/cgi-bin/media/get/jssdk',
	},
	{
		name: 'a media_id missing from the input (Permanent Material → Get)',
		parameters: byMediaId('permanentMaterial', 'get'),
		bad: { json: { other: 'x' } },
		good: (data) => ({ json: { mediaId: data.permanentImage } }),
		field: 'Media ID',
		problem: /^is empty$/,
		path: '/cgi-bin/material/get_material',
	},
	{
		name: 'a blank media_id (Permanent Material → Delete)',
		parameters: byMediaId('permanentMaterial', 'deleteMaterial'),
		bad: { json: { mediaId: ' ' } },
		// a material can be deleted only once
		good: (data, n) => ({ json: { mediaId: [data.permanentImage, data.spareImage][n] } }),
		field: 'Media ID',
		problem: /^is empty$/,
		path: '/cgi-bin/material/del_material',
	},
	{
		name: 'a blank media_id (Draft → Get)',
		parameters: { resource: 'draft', operation: 'get', mediaId: '={{ $json.mediaId }}' },
		bad: { json: { mediaId: '' } },
		good: (data) => ({ json: { mediaId: data.draft } }),
		field: 'Media ID',
		problem: /^is empty$/,
		path: '/cgi-bin/draft/get',
	},
	{
		name: 'a blank media_id (Publish → Submit)',
		parameters: { resource: 'publish', operation: 'submit', mediaId: '={{ $json.mediaId }}' },
		bad: { json: { mediaId: '   ' } },
		good: (data) => ({ json: { mediaId: data.draft } }),
		field: 'Media ID',
		problem: /^is empty$/,
		path: '/cgi-bin/freepublish/submit',
	},
	// ---- Permanent Material → Get Many
	...[0, -5, 2.5].map(
		(limit): BadInput => ({
			name: `limit ${limit}`,
			parameters: getMany,
			bad: { json: { limit } },
			good: () => ({ json: { limit: 1 } }),
			field: 'Limit',
			problem: new RegExp(`^must be a whole number of at least 1, not ${limit}$`),
			path: '/cgi-bin/material/batchget_material',
		}),
	),
	// ---- Publish → Get Status
	{
		name: 'a publish_id that is not digits',
		parameters: {
			resource: 'publish',
			operation: 'getStatus',
			publishId: '={{ $json.publishId }}',
		},
		bad: { json: { publishId: 'pub-2024-1' } },
		good: (data) => ({ json: { publishId: data.publishId } }),
		field: 'Publish ID',
		problem: /^"pub-2024-1" is not a publish_id \(those are digits\)$/,
		path: '/cgi-bin/freepublish/get',
	},
	{
		name: 'a blank publish_id',
		parameters: {
			resource: 'publish',
			operation: 'getStatus',
			publishId: '={{ $json.publishId }}',
		},
		bad: { json: { publishId: '' } },
		good: (data) => ({ json: { publishId: data.publishId } }),
		field: 'Publish ID',
		problem: /^is empty$/,
		path: '/cgi-bin/freepublish/get',
	},
	// ---- News → Create (articles as JSON)
	...(
		[
			['articles JSON cut off', '[{"title": ', /^is not valid JSON/],
			['articles JSON that is a number', '42', /^must be an array of article objects$/],
			['an empty article list', [], /^holds no article; add at least one$/],
			[
				'nine articles',
				Array.from({ length: 9 }, () => article()),
				/^holds 9 articles; WeChat allows at most 8/,
			],
			['an article without title', [article({ title: undefined })], /^article 1: title is empty$/],
			[
				'a second article whose title is spaces',
				[article(), article({ title: '   ' })],
				/^article 2: title is empty$/,
			],
			[
				'an article without cover',
				[article({ thumb_media_id: undefined })],
				/^article 1: has no cover/,
			],
			[
				'an article with two covers',
				[article({ cover_binary: 'cover' })],
				/^article 1: has both thumb_media_id and cover_binary/,
			],
			['an article without content', [article({ content: ' ' })], /^article 1: content is empty$/],
			[
				'content of 20,000 characters',
				[article({ content: `<p>${'字'.repeat(20_000)}</p>` })],
				/^article 1: content has 20,000 characters of text; WeChat allows fewer than 20,000$/,
			],
			[
				'content over 1 MB of markup',
				[article({ content: `<p>x</p>${'<br/>'.repeat(210_000)}` })],
				/^article 1: content is 1,050,008 bytes; WeChat allows less than 1 MB/,
			],
			[
				'need_open_comment 2',
				[article({ need_open_comment: 2 })],
				/^article 1: need_open_comment must be 0 or 1, not 2$/,
			],
			[
				'show_cover_pic "yes"',
				[article({ show_cover_pic: 'yes' })],
				/^article 1: show_cover_pic must be 0 or 1, not "yes"$/,
			],
			[
				'a misspelled title',
				[article({ title: undefined, titel: 'x' })],
				/^article 1: title is empty \(passed on to WeChat as given: `titel`\)$/,
			],
			[
				'a picture post (newspic) in News',
				[article({ article_type: 'newspic' })],
				/^article 1: picture posts \(newspic\) can only be created with Draft → Create$/,
			],
		] as Array<[string, unknown, RegExp]>
	).map(
		([name, articles, problem]): BadInput => ({
			name: `News: ${name}`,
			parameters: articlesFrom('news'),
			bad: articleItem(articles),
			good: goodArticles,
			field: ARTICLES_JSON,
			problem,
			path: '/cgi-bin/material/add_news',
		}),
	),
	// ---- Draft → Create: article types, covers and images to re-host
	...(
		[
			[
				'a picture post without images',
				articleItem([{ title: 'P', article_type: 'newspic', content: 'x' }]),
				ARTICLES_JSON,
				/^article 1: image_info: a picture post needs at least one permanent image$/,
			],
			[
				'an unknown article type',
				articleItem([article({ article_type: 'video' })]),
				ARTICLES_JSON,
				/^article 1: article_type must be news or newspic$/,
			],
			[
				'an ftp:// image URL to re-host',
				rehosting('<img src="ftp://files.example.com/a.jpg">'),
				ARTICLES_JSON,
				/^article 1: image ftp:\/\/files\.example\.com\/a\.jpg: ftp: URLs are not fetched/,
			],
			[
				'a javascript: image URL',
				rehosting('<img src="javascript:alert(1)">'),
				ARTICLES_JSON,
				/^article 1: image javascript:alert\(1\): javascript: URLs are not fetched/,
			],
			[
				'a relative image URL',
				rehosting('<p><img src="images/a.png"></p>'),
				ARTICLES_JSON,
				/^article 1: image images\/a\.png: not an absolute URL/,
			],
			[
				'a data: URI that is not base64',
				rehosting('<img src="data:image/png;base64,@@@">'),
				ARTICLES_JSON,
				/^article 1: image data:image\/png;base64,…: the data: URI is not valid base64$/,
			],
			[
				'a data: URI holding a gif',
				rehosting(`<img src="data:image/gif;base64,${gif(500).toString('base64')}">`),
				ARTICLES_JSON,
				/^article 1: image data:image\/gif;base64,…: the file is a gif image; an article image must be jpg or png$/,
			],
			[
				'an image from a binary property the item lacks',
				rehosting('<img src="binary:photo">'),
				'photo',
				/^the item has no binary data$/,
			],
			[
				'a cover from a binary property the item lacks',
				articleItem([article({ thumb_media_id: undefined, cover_binary: 'cover' })]),
				'cover',
				/^the item has no binary data$/,
			],
			[
				'a cover binary that is an mp3',
				articleItem([article({ thumb_media_id: undefined, cover_binary: 'cover' })], {
					files: [{ property: 'cover', bytes: mp3(3), fileName: 'cover.jpg' }],
				}),
				'cover',
				/^the file is an mp3 audio file; a permanent image must be jpg, png, gif or bmp$/,
			],
		] as Array<[string, InputItem, string, RegExp]>
	).map(
		([name, bad, field, problem]): BadInput => ({
			name: `Draft: ${name}`,
			parameters: articlesFrom('draft'),
			bad,
			good: goodArticles,
			field,
			problem,
			path: '/cgi-bin/draft/add',
		}),
	),
	{
		name: 'Draft: an article without title, entered in the UI fields',
		parameters: {
			resource: 'draft',
			operation: 'create',
			articlesInput: 'fields',
			articles: {
				article: [
					{
						title: '={{ $json.title }}',
						content: '<p>x</p>',
						coverSource: 'mediaId',
						thumbMediaId: '={{ $json.cover }}',
					},
				],
			},
			rehostImages: false,
		},
		bad: { json: { title: '', cover: 'c' } },
		good: (data) => ({ json: { title: 'T', cover: data.permanentImage } }),
		field: 'Articles',
		problem: /^article 1: Title is empty$/,
		path: '/cgi-bin/draft/add',
	},
	// ---- the credential
	...(
		[
			[
				'an API Base URL with another scheme',
				{ baseUrl: 'ftp://api.weixin.qq.com' },
				'API Base URL',
				/^"ftp:\/\/api\.weixin\.qq\.com" is not an http\(s\) URL/,
			],
			[
				'an API Base URL without scheme',
				{ baseUrl: 'api.weixin.qq.com' },
				'API Base URL',
				/^"api\.weixin\.qq\.com" is not an http\(s\) URL/,
			],
			['an empty AppSecret', { appSecret: '  ' }, 'AppSecret', /^is empty$/],
			['an empty AppID', { appId: '' }, 'AppID', /^is empty$/],
		] as Array<[string, ICredentialDataDecryptedObject, string, RegExp]>
	).map(
		([name, credentials, field, problem]): BadInput => ({
			name: `credential: ${name}`,
			parameters: { resource: 'permanentMaterial', operation: 'getCount' },
			bad: {},
			credentials,
			field,
			problem,
		}),
	),
];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** "item 1, field `Media ID`: is empty" → the problem after the item and the field. */
function problemIn(message: string, itemIndex: number, field: string): string {
	const prefix = new RegExp(
		`^item ${itemIndex}, (?:field|property|credential field) \`${escapeRegExp(field)}\`: `,
	);
	expect(message).toMatch(prefix);
	return message.replace(prefix, '');
}

const distinctNames = new Set(BAD_INPUTS.map((input) => input.name));

describe('bad input is refused before any request, naming the item and the field', () => {
	afterAll(() => {
		console.log(`reliability/bad-input: ${distinctNames.size} distinct bad inputs tried`);
	});

	it('tries at least 30 distinct bad inputs', () => {
		expect(distinctNames.size).toBe(BAD_INPUTS.length);
		expect(distinctNames.size).toBeGreaterThanOrEqual(30);
	});

	it.each(BAD_INPUTS.map((input) => [input.name, input] as const))('%s', async (_name, input) => {
		const credentials = env.credentials(input.credentials);

		// alone, the run fails on it and nothing reaches the sandbox, not even a token request
		const alone = await runNode({ parameters: input.parameters, items: [input.bad], credentials });
		expect(alone.items).toHaveLength(0);
		expect(problemIn(alone.error?.message ?? '', 0, input.field)).toMatch(input.problem);
		expect(env.sandbox.log()).toEqual([]);

		// between good items under continueOnFail: one error item, the good items succeed
		const items = input.good
			? [input.good(seeded, 0), input.bad, input.good(seeded, 1)]
			: [input.bad, input.bad];
		const badIndexes = input.good ? [1] : [0, 1];
		const mixed = await runNode({
			parameters: input.parameters,
			items,
			credentials,
			continueOnFail: true,
		});
		expect(mixed.error).toBeUndefined();
		expect(mixed.items.map((item) => item.pairedItem)).toEqual(
			items.map((_item, item) => ({ item })),
		);
		mixed.items.forEach((item, index) => {
			if (badIndexes.includes(index)) {
				expect(problemIn(String(item.json.error), index, input.field)).toMatch(input.problem);
				expect(item.binary).toBeUndefined();
			} else {
				expect(item.json.error).toBeUndefined();
			}
		});
		if (input.path) expect(callsTo(env.sandbox, input.path)).toBe(2);
		else expect(env.sandbox.log()).toEqual([]);
	});
});
