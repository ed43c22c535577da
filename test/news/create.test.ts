import { jpeg } from '../fixtures/media';
import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import { addPermanentImage, articleFields, articleJson } from '../articles/support';

const env = useSandbox();

interface StoredNews {
	type: string;
	articles: Array<Record<string, unknown>>;
}

const storedNews = (mediaId: unknown) =>
	env.sandbox.stored('permanent', mediaId as string) as StoredNews | undefined;

/** Runs News → Create without re-hosting (these tests are about the articles themselves). */
const noRehost = { rehostImages: false };

describe('News → Create', () => {
	it('creates a two-article news post from the UI fields', async () => {
		const cover = await addPermanentImage(env.sandbox);
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: articleFields(
				'news',
				[
					{
						title: '春季新品',
						author: 'Li Lei',
						digest: 'What is new this spring',
						content: '<p>First <b>article</b></p>',
						contentSourceUrl: 'https://example.com/spring',
						coverSource: 'mediaId',
						thumbMediaId: cover,
						showCoverPic: true,
						needOpenComment: true,
						onlyFansCanComment: true,
					},
					{ title: 'Second', content: '<p>Second article</p>', thumbMediaId: cover },
				],
				noRehost,
			),
			credentials: env.credentials(),
		});

		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		const json = result.items[0].json;
		expect(json).toEqual({ media_id: expect.any(String), article_count: 2 });
		const stored = storedNews(json.media_id);
		expect(stored?.type).toBe('news');
		expect(stored?.articles).toHaveLength(2);
		expect(stored?.articles[0]).toMatchObject({
			title: '春季新品',
			author: 'Li Lei',
			digest: 'What is new this spring',
			content: '<p>First <b>article</b></p>',
			content_source_url: 'https://example.com/spring',
			thumb_media_id: cover,
			show_cover_pic: 1,
			need_open_comment: 1,
			only_fans_can_comment: 1,
		});
		expect(stored?.articles[1]).toMatchObject({
			title: 'Second',
			thumb_media_id: cover,
			show_cover_pic: 0,
			need_open_comment: 0,
			only_fans_can_comment: 0,
		});
		expect(apiCalls(env.sandbox)).toEqual(['POST /cgi-bin/material/add_news']);
	});

	it('creates a two-article news post from JSON passed by an earlier node', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const articles = [
			{ title: 'One', thumb_media_id: cover, content: '<p>1</p>', show_cover_pic: 1 },
			{ title: 'Two', thumb_media_id: cover, content: '<p>2</p>', need_open_comment: true },
		];
		// WeChat's own body shape ({articles: [...]}) is accepted as well as a bare array.
		for (const json of [articles, { articles }]) {
			const result = await runNode({
				parameters: articleJson('news', json, noRehost),
				credentials: env.credentials(),
			});
			expect(result.error).toBeUndefined();
			const stored = storedNews(result.items[0].json.media_id);
			expect(stored?.articles.map((article) => article.title)).toEqual(['One', 'Two']);
			expect(stored?.articles[0].show_cover_pic).toBe(1);
			expect(stored?.articles[1].need_open_comment).toBe(1);
		}
	});

	it('says to use Draft → Create and Publish → Submit when WeChat answers 45106 (retired)', async () => {
		env.sandbox.configure({ addNewsRetired: true });
		const cover = await addPermanentImage(env.sandbox);
		const parameters = articleJson(
			'news',
			[{ title: 'T', thumb_media_id: cover, content: 'x' }],
			noRehost,
		);

		const failed = await runNode({ parameters, credentials: env.credentials() });
		expect(failed.error?.message).toContain('Draft → Create');
		expect(failed.error?.message).toContain('Publish → Submit');
		expect(failed.error?.message).toContain('45106');
		expect(failed.error?.message).toMatch(/^item 0: /);

		const continued = await runNode({
			parameters,
			credentials: env.credentials(),
			continueOnFail: true,
		});
		expect(continued.items[0].json.errcode).toBe(45106);
		expect(continued.items[0].json.error).toContain(
			'Draft → Create, then publish them with Publish → Submit',
		);
	});

	it('names the cover it uploaded when the post itself then fails, so it is not uploaded twice', async () => {
		env.sandbox.configure({ addNewsRetired: true });
		const result = await runNode({
			parameters: articleFields(
				'news',
				[{ title: 'T', content: 'x', coverSource: 'binary', coverBinaryField: 'cover' }],
				noRehost,
			),
			items: [{ files: [{ property: 'cover', bytes: jpeg(4000), fileName: 'cover.jpg' }] }],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toContain('Draft → Create');
		const coverId = /media_id (\S+?)\)/.exec(result.error?.description ?? '')?.[1];
		expect(coverId).toBeDefined();
		expect(env.sandbox.stored('permanent', coverId as string)).toMatchObject({ type: 'image' });
	});
});

describe('News → Create: input checks before anything is sent', () => {
	const cover = 'PERMANENT_COVER_ID';
	const article = (fields: Record<string, unknown> = {}) => ({
		title: 'Title',
		thumb_media_id: cover,
		content: '<p>text</p>',
		...fields,
	});

	async function refusal(articles: unknown, itemCount = 1): Promise<string | undefined> {
		const result = await runNode({
			parameters: articleJson('news', articles, noRehost),
			items: Array.from({ length: itemCount }, () => ({})),
			credentials: env.credentials(),
		});
		expect(apiCalls(env.sandbox)).toEqual([]);
		return result.error?.message;
	}

	it.each([
		['invalid JSON', '[{"title": ', 'item 0, field `Articles (JSON)`: is not valid JSON'],
		['no article', [], 'item 0, field `Articles (JSON)`: holds no article; add at least one'],
		[
			'nine articles',
			Array.from({ length: 9 }, () => article()),
			'item 0, field `Articles (JSON)`: holds 9 articles; WeChat allows at most 8 in one post',
		],
		[
			'an empty title',
			[article({ title: '  ' })],
			'item 0, field `Articles (JSON)`: article 1: title is empty',
		],
		[
			'a title that is not text',
			[article({ title: 42 })],
			'item 0, field `Articles (JSON)`: article 1: title must be text, not 42',
		],
		[
			'a missing title',
			[article(), { thumb_media_id: cover, content: 'x' }],
			'article 2: title is empty',
		],
		[
			'no cover',
			[article({ thumb_media_id: undefined })],
			'article 1: has no cover: set thumb_media_id',
		],
		[
			'two covers',
			[article({ cover_binary: 'cover' })],
			'article 1: has both thumb_media_id and cover_binary; give one cover',
		],
		['an empty content', [article({ content: '' })], 'article 1: content is empty'],
		[
			'a flag of 2',
			[article({ need_open_comment: 2 })],
			'article 1: need_open_comment must be 0 or 1, not 2',
		],
		[
			'a flag in words',
			[article({ show_cover_pic: 'yes' })],
			'article 1: show_cover_pic must be 0 or 1, not "yes"',
		],
		['a number as author', [article({ author: 7 })], 'article 1: author must be text'],
		[
			'20,000 characters of text',
			[article({ content: `<p>${'字'.repeat(20_000)}</p>` })],
			'article 1: content has 20,000 characters of text; WeChat allows fewer than 20,000',
		],
		[
			'1 MB of HTML',
			[article({ content: `<p>${'<br>'.repeat(262_144)}</p>` })],
			'article 1: content is 1,048,583 bytes; WeChat allows less than 1 MB',
		],
		[
			'a typo in a field name',
			[article({ thumb_media_id: undefined, thumb_mediaid: 'x' })],
			'article 1: has no cover: set thumb_media_id (a permanent image\'s media_id) or cover_binary (a binary property of the item) (passed on to WeChat as given: `thumb_mediaid`)',
		],
		[
			'a picture post',
			[article({ article_type: 'newspic' })],
			'article 1: picture posts (newspic) can only be created with Draft → Create',
		],
		['a number', 42, 'item 0, field `Articles (JSON)`: must be an array of article objects'],
		['a string in the list', ['title'], 'article 1: is not an object with article fields'],
	])('refuses %s', async (_case, articles, expected) => {
		expect(await refusal(articles)).toContain(expected);
	});

	it('accepts content just under both limits', async () => {
		const created = await runNode({
			parameters: articleJson(
				'news',
				[
					article({
						content: `<p>${'字'.repeat(19_999)}</p>`,
						thumb_media_id: await addPermanentImage(env.sandbox),
					}),
				],
				noRehost,
			),
			credentials: env.credentials(),
		});
		expect(created.error).toBeUndefined();
	});

	it('names the item: the third item of a run has the bad article', async () => {
		const result = await runNode({
			parameters: {
				...articleJson('news', '', noRehost),
				articlesJson: '={{ $json.articles }}',
			},
			items: [
				{ json: { articles: [] } },
				{ json: { articles: [] } },
				{ json: { articles: [article({ title: '' })] } },
			],
			credentials: env.credentials(),
			continueOnFail: true,
		});
		expect(result.items[2].json.error).toBe(
			'item 2, field `Articles (JSON)`: article 1: title is empty',
		);
		expect(apiCalls(env.sandbox)).toEqual([]);
	});

	it('names the UI field of the article at fault', async () => {
		// Mapped from an earlier node: n8n's own "required" check only sees literal values.
		const result = await runNode({
			parameters: articleFields(
				'news',
				[
					{ title: 'Fine', content: 'x', thumbMediaId: cover },
					{ title: '={{ $json.headline }}', content: 'x', thumbMediaId: cover },
				],
				noRehost,
			),
			items: [{ json: { headline: '' } }],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe('item 0, field `Articles`: article 2: Title is empty');

		const noCover = await runNode({
			parameters: articleFields('news', [{ title: 'T', content: 'x' }], noRehost),
			credentials: env.credentials(),
		});
		expect(noCover.error?.message).toBe(
			"item 0, field `Articles`: article 1: has no cover: set Cover Media ID (a permanent image's media_id) or Cover Binary Field (a binary property of the item)",
		);
		expect(apiCalls(env.sandbox)).toEqual([]);
	});
});
