/**
 * Article images, news, drafts and publishing through a real n8n. Images come from disk (Read Files
 * from Disk), from base64 in an item (Convert to File) and from a web server on loopback (re-hosted
 * by the node); WeChat's side is the sandbox, whose request log and stored drafts are checked too.
 */
import { serveBytes, startImageServer, type ImageServer } from '../articles/support';
import { gif, jpeg, png } from '../fixtures/media';
import { apiCalls, useN8n } from './session';

const SUNRISE = jpeg(30 * 1024);
const LOGO = gif(2048);
const CHART = png(20 * 1024);
const BADGE = png(3000);
const COVER = jpeg(48 * 1024);
const SPRING = jpeg(25 * 1024);
const WECHAT_IMAGE_URL = /^http:\/\/mmbiz\.qpic\.cn\//;
/** What the live material/add_news has answered since 2022. */
const API_RETIRED = 45106;

let imageHost: ImageServer | undefined;

const e2e = useN8n({
	workflows: ['article-images-batch', 'draft-publish', 'news-create', 'article-image-internal'],
	files: {
		'article-images/a-sunrise.jpg': SUNRISE,
		'article-images/b-logo.gif': LOGO,
		'article-images/c-chart.png': CHART,
		'cover.jpg': COVER,
	},
	async prepare({ n8n }) {
		imageHost = await startImageServer({ '/pics/spring.jpg': serveBytes(SPRING) });
		n8n.vars.IMAGE_HOST = imageHost.url;
		n8n.vars.BADGE_BASE64 = BADGE.toString('base64');
	},
});

afterAll(async () => {
	await imageHost?.close();
});

/** Every workflow of the file shares one credential, hence one token, whichever ran first. */
function expectOneTokenInTotal() {
	expect(e2e.sandbox.tokenCalls()).toBe(1);
}

describe('article images in n8n', () => {
	it('uploads a folder of images with Continue On Fail: the bad one becomes an error item', async () => {
		const { result, requests } = await e2e.run('article-images-batch');

		const uploaded = result.nodes['Upload article images'].items;
		expect(uploaded).toHaveLength(3);
		expect(uploaded.map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
		expect(uploaded[0].json).toEqual({
			url: expect.stringMatching(WECHAT_IMAGE_URL),
			file_name: 'a-sunrise.jpg',
			binary_property: 'data',
		});
		expect(uploaded[2].json).toEqual({
			url: expect.stringMatching(WECHAT_IMAGE_URL),
			file_name: 'c-chart.png',
			binary_property: 'data',
		});
		// Without Keep Input Fields the error item holds the error; its message and pairedItem (above)
		// say which file failed.
		expect(uploaded[1].json).toMatchObject({
			error: expect.stringMatching(/^item 1, property `data`: .*gif/i),
		});
		expect(uploaded[1].json).not.toHaveProperty('url');

		// The badge arrived as base64 in JSON and became a file through Convert to File.
		expect(result.nodes['Upload badge'].items.map((item) => item.json)).toEqual([
			{
				url: expect.stringMatching(WECHAT_IMAGE_URL),
				file_name: 'badge.png',
				binary_property: 'badge',
			},
		]);

		// The GIF never reached WeChat: it was refused before sending.
		const uploads = requests.filter((entry) => entry.path === '/cgi-bin/media/uploadimg');
		expect(uploads).toHaveLength(3);
		expect(
			uploads
				.map((entry) => (entry.body as { files: Array<{ filename: string }> }).files[0].filename)
				.sort(),
		).toEqual(['a-sunrise.jpg', 'badge.png', 'c-chart.png']);
		expectOneTokenInTotal();
	});
});

describe('drafts and publishing in n8n', () => {
	it('creates a draft with a cover from disk and a re-hosted web image, publishes it and reads its status', async () => {
		const { result, requests } = await e2e.run('draft-publish');

		const [created] = result.nodes['Create draft'].items;
		expect(created.json).toEqual({
			media_id: expect.any(String),
			article_count: 1,
			uploaded_covers: [
				{
					binary_property: 'cover',
					media_id: expect.any(String),
					url: expect.stringMatching(WECHAT_IMAGE_URL),
				},
			],
			rehosted_images: [
				{
					source: `${imageHost!.url}/pics/spring.jpg`,
					url: expect.stringMatching(WECHAT_IMAGE_URL),
				},
			],
			skipped_images: [],
		});
		expect(imageHost!.hits('/pics/spring.jpg')).toBe(1);
		const cover = (created.json.uploaded_covers as Array<{ media_id: string }>)[0];
		const storedCover = e2e.sandbox.stored('permanent', cover.media_id) as { bytes: Buffer };
		expect(storedCover.bytes.equals(COVER)).toBe(true);

		// Read back: WeChat kept the image because its src is now WeChat's own URL.
		const [draft] = result.nodes['Get draft'].items;
		const [article] = draft.json.news_item as Array<Record<string, unknown>>;
		const rehostedUrl = (created.json.rehosted_images as Array<{ url: string }>)[0].url;
		expect(article).toMatchObject({
			title: '春天来了',
			author: '编辑部',
			thumb_media_id: cover.media_id,
			need_open_comment: 1,
		});
		expect(article.content).toContain(`<img src="${rehostedUrl}" alt="春天">`);
		expect(article.content).not.toContain('127.0.0.1');

		// Wait for Completion polled until WeChat published; Get Status then agrees.
		const [published] = result.nodes.Publish.items;
		expect(published.json).toMatchObject({
			media_id: created.json.media_id,
			publish_id: expect.stringMatching(/^\d+$/),
			status: 'published',
			article_urls: [expect.stringMatching(/^https:\/\/mp\.weixin\.qq\.com\/s\//)],
		});
		const [status] = result.nodes['Get status'].items;
		expect(status.json).toMatchObject({
			publish_id: published.json.publish_id,
			status: 'published',
			article_urls: published.json.article_urls,
		});

		// The sandbox answers "publishing" twice before the outcome: three polls, then Get Status.
		expect(apiCalls(requests)).toEqual([
			'POST /cgi-bin/material/add_material',
			'POST /cgi-bin/media/uploadimg',
			'POST /cgi-bin/draft/add',
			'POST /cgi-bin/draft/get',
			'POST /cgi-bin/freepublish/submit',
			'POST /cgi-bin/freepublish/get',
			'POST /cgi-bin/freepublish/get',
			'POST /cgi-bin/freepublish/get',
			'POST /cgi-bin/freepublish/get',
		]);
		expectOneTokenInTotal();
	});
});

describe('article images on internal hosts in n8n', () => {
	it('refuses a loopback image unless Allowed Internal Hosts lists it, before any connection or WeChat call', async () => {
		const before = imageHost!.hits('/pics/spring.jpg');
		const { result, requests } = await e2e.execute('article-image-internal');

		expect(result.status).toBe('error');
		const error = result.nodes['Create draft'].error;
		expect(error?.message).toBe(
			`item 0, field \`Articles (JSON)\`: article 1: image ${imageHost!.url}/pics/spring.jpg: could not be fetched: refused: the address is not on the public internet (a private, loopback, link-local or other internal network); list the host in "Allowed Internal Hosts" if it is meant to be fetched`,
		);
		// The same image server is reached by draft-publish, which lists 127.0.0.1; here it saw nothing.
		expect(imageHost!.hits('/pics/spring.jpg')).toBe(before);
		expect(apiCalls(requests)).toEqual([]);
	});
});

describe('news posts in n8n', () => {
	it('creates a news post with a cover from disk and reads it back as material', async () => {
		const { result, requests } = await e2e.run('news-create');

		const [created] = result.nodes['Create news'].items;
		expect(created.json).toMatchObject({ media_id: expect.any(String), article_count: 1 });
		const [post] = result.nodes['Get news post'].items;
		expect(post.binary).toBeUndefined();
		expect(post.json).toMatchObject({
			media_id: created.json.media_id,
			news_item: [
				expect.objectContaining({
					title: '秋天的落叶',
					content: '<p>树叶黄了。</p>',
					thumb_media_id: (created.json.uploaded_covers as Array<{ media_id: string }>)[0].media_id,
				}),
			],
		});
		expect(apiCalls(requests)).toEqual([
			'POST /cgi-bin/material/add_material',
			'POST /cgi-bin/material/add_news',
			'POST /cgi-bin/material/get_material',
		]);
		expectOneTokenInTotal();
	});

	it('stops at Create News with errcode 45106 and the way out when WeChat has retired the call', async () => {
		e2e.sandbox.configure({ addNewsRetired: true });
		const { result, requests } = await e2e.execute('news-create');

		expect(result.status).toBe('error');
		expect(result.lastNodeExecuted).toBe('Create news');
		const error = result.nodes['Create news'].error;
		expect(error?.message).toContain(String(API_RETIRED));
		expect(error?.message).toContain('Draft → Create');
		// The cover went up before WeChat refused: the user is told where it is, to reuse it.
		expect(error?.description).toMatch(/stay in the material library \(media_id [\w-]+\)/);
		expect(result.nodes['Get news post']).toBeUndefined();
		expect(requests.filter((entry) => entry.errcode === API_RETIRED)).toHaveLength(1);
		expectOneTokenInTotal();
	});
});
