import { gif, jpeg, png } from '../fixtures/media';
import { sandboxPerTest, getJson, postJson, upload, withToken, type WeixinJson } from './helpers';
import type { Sandbox } from './index';

let sandbox: Sandbox;
let token: string;
let thumbId: string;

sandboxPerTest(async (started, freshToken) => {
	sandbox = started;
	token = freshToken;
	const thumb = await upload(sandbox, '/cgi-bin/material/add_material?type=thumb', token, jpeg(), {
		filename: 'cover.jpg',
	});
	thumbId = thumb.media_id as string;
});

const uploadImage = (bytes: Buffer, filename: string) =>
	upload(sandbox, '/cgi-bin/media/uploadimg', token, bytes, { filename });
const post = (path: string, body: unknown) => postJson(sandbox, path, body, token);
const article = (overrides: Record<string, unknown> = {}) => ({
	title: '标题',
	thumb_media_id: thumbId,
	author: 'Ann',
	content: '<p>正文</p>',
	content_source_url: 'https://example.com/source',
	...overrides,
});
type Article = Record<string, unknown>;

describe('media/uploadimg', () => {
	it('returns an mmbiz URL per format for jpg and png', async () => {
		expect(await uploadImage(jpeg(), 'a.jpg')).toEqual({
			url: expect.stringMatching(/^http:\/\/mmbiz\.qpic\.cn\/mmbiz_jpg\/[A-Za-z0-9_-]+\/0$/),
		});
		expect((await uploadImage(png(), 'a.png')).url).toMatch(
			/^http:\/\/mmbiz\.qpic\.cn\/mmbiz_png\//,
		);
	});

	it('refuses other formats (40005) and files over 1 MB (40006)', async () => {
		const answers = await Promise.all([
			uploadImage(gif(), 'a.gif'),
			uploadImage(jpeg(1024 * 1024 + 1), 'a.jpg'),
			uploadImage(jpeg(), 'a.png'),
		]);
		expect(answers.map((answer) => answer.errcode)).toEqual([40005, 40006, 40113]);
	});
});

describe('material/add_news', () => {
	it('stores news that shows in get_material, batchget_material and the count', async () => {
		const { media_id: mediaId } = await post('/cgi-bin/material/add_news', {
			articles: [article(), article({ title: 'Second', show_cover_pic: 1, need_open_comment: 1 })],
		});
		expect(mediaId).toMatch(/^[A-Za-z0-9_-]{43}$/);

		const response = await fetch(withToken(sandbox, '/cgi-bin/material/get_material', token), {
			method: 'POST',
			body: JSON.stringify({ media_id: mediaId }),
		});
		const news = (await response.json()) as { news_item: Article[] };
		expect(news.news_item).toHaveLength(2);
		expect(news.news_item[0]).toMatchObject({
			title: '标题',
			thumb_media_id: thumbId,
			author: 'Ann',
			content: '<p>正文</p>',
			content_source_url: 'https://example.com/source',
			show_cover_pic: 0,
			url: expect.stringMatching(/^http:\/\/mp\.weixin\.qq\.com\/s\?/),
		});
		expect(news.news_item[1]).toMatchObject({
			title: 'Second',
			show_cover_pic: 1,
			need_open_comment: 1,
		});

		const listed = await post('/cgi-bin/material/batchget_material', {
			type: 'news',
			offset: 0,
			count: 1,
		});
		expect(listed).toEqual({
			total_count: 1,
			item_count: 1,
			item: [
				{
					media_id: mediaId,
					content: {
						news_item: news.news_item,
						create_time: expect.any(Number),
						update_time: expect.any(Number),
					},
					update_time: expect.any(Number),
				},
			],
		});
		expect((await getJson(sandbox, '/cgi-bin/material/get_materialcount', token)).news_count).toBe(
			1,
		);
	});

	it('fills a single article digest from its text', async () => {
		const content = `<p>${'字'.repeat(70)}</p>`;
		const { media_id: mediaId } = await post('/cgi-bin/material/add_news', {
			articles: [article({ content })],
		});
		const stored = sandbox.stored('permanent', mediaId as string) as { articles: Article[] };
		expect(stored.articles[0].digest).toBe('字'.repeat(64));
	});

	it('answers 45106 when configured as retired, like the live service', async () => {
		sandbox.configure({ addNewsRetired: true });
		expect(await post('/cgi-bin/material/add_news', { articles: [article()] })).toEqual({
			errcode: 45106,
			errmsg: 'This API has been unsupported',
		});
	});
});

describe('article validation (shared by add_news and draft/add)', () => {
	it.each(['/cgi-bin/material/add_news', '/cgi-bin/draft/add'])(
		'%s answers the documented errcodes',
		async (path) => {
			const { media_id: temporaryThumb } = await upload(
				sandbox,
				'/cgi-bin/media/upload?type=image',
				token,
				jpeg(),
				{
					filename: 'a.jpg',
				},
			);
			const { media_id: voiceId } = await upload(
				sandbox,
				'/cgi-bin/material/add_material?type=voice',
				token,
				Buffer.concat([Buffer.from('#!AMR\n'), Buffer.alloc(32, 0x3c)]),
				{ filename: 'a.amr' },
			);
			const cases: Array<[unknown, number]> = [
				[[], 44003],
				[Array.from({ length: 9 }, () => article()), 45008],
				[[article({ title: '' })], 44003],
				[[article({ title: undefined })], 44003],
				[[article({ content: undefined })], 44003],
				[[article({ thumb_media_id: undefined })], 40007],
				[[article({ thumb_media_id: 'unknown' })], 40007],
				[[article({ thumb_media_id: temporaryThumb })], 40007],
				[[article({ thumb_media_id: voiceId })], 40007],
				[[article({ content: 'x'.repeat(20000) })], 45002],
				[[article({ content: '字'.repeat(19999) })], 0],
				[[article({ content: `<p>${'\u{1F600}'.repeat(19999)}</p>` })], 0],
				[[article({ show_cover_pic: 2 })], 40097],
				[[article({ need_open_comment: true })], 40097],
				[[article({ only_fans_can_comment: '1' })], 40097],
				[[article({ only_fans_can_comment: 1, need_open_comment: 0 })], 0],
			];
			const answers = await Promise.all(cases.map(([articles]) => post(path, { articles })));
			expect(answers.map((answer) => answer.errcode ?? 0)).toEqual(
				cases.map(([, errcode]) => errcode),
			);
			expect(answers[0].errmsg).toBe('empty news data');
			expect(answers[9].errmsg).toBe('content size out of limit');
		},
	);

	it('counts the text without markup against 20,000 characters and the HTML against 1 MB', async () => {
		const markup = `<span style="color: #333333; font-size: 15px; line-height: 1.75">字</span>`;
		const manyTags = markup.repeat(10000);
		expect(manyTags.length).toBeGreaterThan(20000);
		const heavy = `<section data-padding="${'x'.repeat(1024 * 1024)}">短</section>`;
		const answers = await Promise.all([
			post('/cgi-bin/draft/add', { articles: [article({ content: manyTags })] }),
			post('/cgi-bin/draft/add', { articles: [article({ content: heavy })] }),
			post('/cgi-bin/draft/add', {
				articles: [article({ content: `<p>${'字'.repeat(20000)}</p>` })],
			}),
		]);
		expect(answers.map((answer) => answer.errcode ?? 0)).toEqual([0, 45002, 45002]);
	});

	it('counts a character reference as one character, and no comment, script or style text', async () => {
		const style = `<style>${'p { margin: 0 } '.repeat(2000)}</style>`;
		const script = `<script>${'var x = 1; '.repeat(2000)}</script>`;
		const comment = `<!-- ${'editor note '.repeat(2000)} -->`;
		const answers = await Promise.all([
			post('/cgi-bin/draft/add', {
				articles: [article({ content: `<p>${'&nbsp;'.repeat(19_999)}</p>` })],
			}),
			post('/cgi-bin/draft/add', {
				articles: [article({ content: `${style}${script}${comment}<p>${'字'.repeat(19_000)}</p>` })],
			}),
			post('/cgi-bin/draft/add', {
				articles: [article({ content: `<p>${'&#23383;'.repeat(20_000)}</p>` })],
			}),
		]);
		expect(answers.map((answer) => answer.errcode ?? 0)).toEqual([0, 0, 45002]);
	});

	it('strips scripts and every img whose src uploadimg did not issue', async () => {
		const { url: issued } = await uploadImage(png(), 'inline.png');
		const httpsVariant = (issued as string).replace('http://', 'https://') + '?wx_fmt=png';
		const content = [
			'<p>Hello</p>',
			'<script type="text/javascript">alert(1)</script>',
			`<img src="${issued as string}" alt="kept">`,
			`<IMG class="x" SRC='${httpsVariant}'/>`,
			'<img src="https://example.com/cat.png">',
			'<img src="http://mmbiz.qpic.cn/mmbiz_png/never-issued/0">',
			'<img alt="no source">',
			'<p>World</p><SCRIPT>steal()</SCRIPT>',
		].join('');
		const { media_id: mediaId } = await post('/cgi-bin/draft/add', {
			articles: [article({ content })],
		});
		const draft = await post('/cgi-bin/draft/get', { media_id: mediaId });
		const stored = (draft.news_item as Article[])[0].content;
		expect(stored).toBe(
			`<p>Hello</p><img src="${
				issued as string
			}" alt="kept"><IMG class="x" SRC='${httpsVariant}'/><p>World</p>`,
		);
	});
});

describe('drafts and publishing', () => {
	async function createDraft(articles: Article[]): Promise<string> {
		const answer = await post('/cgi-bin/draft/add', { articles });
		expect(answer.errcode).toBeUndefined();
		return answer.media_id as string;
	}

	it('stores a draft and returns it from draft/get', async () => {
		const mediaId = await createDraft([article({ digest: 'Short' }), article({ title: 'Two' })]);
		const answer = await post('/cgi-bin/draft/get', { media_id: mediaId });
		const items = answer.news_item as Article[];
		expect(items.map((item) => item.title)).toEqual(['标题', 'Two']);
		expect(items[0]).toMatchObject({
			digest: 'Short',
			thumb_media_id: thumbId,
			article_type: 'news',
		});
		expect(items[1].digest).toBe('');
		expect(items[0].thumb_url).toMatch(/^http:\/\/mmbiz\.qpic\.cn\//);
		expect((await post('/cgi-bin/draft/get', { media_id: 'nope' })).errcode).toBe(40007);
		expect((await getJson(sandbox, `/cgi-bin/draft/get?media_id=${mediaId}`, token)).errcode).toBe(
			43002,
		);
	});

	it('accepts a newspic draft with image_info instead of a thumb', async () => {
		const { media_id: imageId } = await upload(
			sandbox,
			'/cgi-bin/material/add_material?type=image',
			token,
			png(),
			{
				filename: 'p.png',
			},
		);
		const newspic = {
			article_type: 'newspic',
			title: 'Pictures',
			content: 'Only text here',
			image_info: { image_list: [{ image_media_id: imageId }] },
		};
		const mediaId = await createDraft([newspic]);
		const items = (await post('/cgi-bin/draft/get', { media_id: mediaId })).news_item as Article[];
		expect(items[0]).toMatchObject({ article_type: 'newspic', image_info: newspic.image_info });
		const broken = await post('/cgi-bin/draft/add', {
			articles: [{ ...newspic, image_info: { image_list: [{ image_media_id: 'unknown' }] } }],
		});
		expect(broken.errcode).toBe(40007);
		expect(
			(await post('/cgi-bin/draft/add', { articles: [{ ...newspic, article_type: 'video' }] }))
				.errcode,
		).toBe(40097);
	});

	it('publishes after the configured number of polls with one URL per article', async () => {
		const draftId = await createDraft([article(), article({ title: 'Two' })]);
		const submitted = await post('/cgi-bin/freepublish/submit', { media_id: draftId });
		expect(submitted).toEqual({
			errcode: 0,
			errmsg: 'ok',
			publish_id: expect.stringMatching(/^\d+$/),
		});

		const poll = () => post('/cgi-bin/freepublish/get', { publish_id: submitted.publish_id });
		expect(await poll()).toEqual({
			publish_id: submitted.publish_id,
			publish_status: 1,
			fail_idx: [],
		});
		expect((await poll()).publish_status).toBe(1);
		const done = await poll();
		expect(done).toEqual({
			publish_id: submitted.publish_id,
			publish_status: 0,
			article_id: expect.any(String),
			article_detail: {
				count: 2,
				item: [
					{
						idx: 1,
						article_url: expect.stringMatching(
							/^https:\/\/mp\.weixin\.qq\.com\/s\/[A-Za-z0-9_-]+$/,
						),
					},
					{ idx: 2, article_url: expect.stringMatching(/^https:\/\/mp\.weixin\.qq\.com\/s\//) },
				],
			},
			fail_idx: [],
		});
		expect(await poll()).toEqual(done);
		// A numeric publish_id names the same publication.
		expect(
			(await post('/cgi-bin/freepublish/get', { publish_id: Number(submitted.publish_id) }))
				.publish_status,
		).toBe(0);
	});

	it.each([
		['failed', 3],
		['rejected', 4],
	] as const)('ends a %s publication with status %d and fail_idx', async (outcome, status) => {
		sandbox.configure({ publishOutcome: outcome, publishPollsBeforeDone: 0 });
		const draftId = await createDraft([article()]);
		const { publish_id: publishId } = await post('/cgi-bin/freepublish/submit', {
			media_id: draftId,
		});
		expect(await post('/cgi-bin/freepublish/get', { publish_id: publishId })).toEqual({
			publish_id: publishId,
			publish_status: status,
			fail_idx: [1],
		});
	});

	it('answers 40007 for an unknown draft or publish_id', async () => {
		const answers: WeixinJson[] = await Promise.all([
			post('/cgi-bin/freepublish/submit', { media_id: 'unknown' }),
			post('/cgi-bin/freepublish/submit', { media_id: thumbId }),
			post('/cgi-bin/freepublish/get', { publish_id: '123' }),
			post('/cgi-bin/freepublish/get', {}),
		]);
		expect(answers.map((answer) => answer.errcode)).toEqual([40007, 40007, 40007, 40007]);
	});
});
