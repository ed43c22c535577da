import { jpeg } from '../fixtures/media';
import { getJson, postJson, sandboxPerTest, upload, type WeixinJson } from './helpers';
import type { Sandbox } from './index';

let sandbox: Sandbox;
let token: string;
let thumbId: string;

sandboxPerTest(async (started, freshToken) => {
	sandbox = started;
	token = freshToken;
	const thumb = await upload(sandbox, '/cgi-bin/material/add_material?type=image', token, jpeg(), {
		filename: 'cover.jpg',
	});
	thumbId = thumb.media_id as string;
});

type Article = Record<string, unknown>;
interface ListItem {
	media_id?: string;
	article_id?: string;
	content: { news_item: Article[]; create_time: number; update_time: number };
	update_time: number;
}

const post = (path: string, body: unknown) => postJson(sandbox, path, body, token);
const article = (title: string, overrides: Article = {}) => ({
	title,
	thumb_media_id: thumbId,
	content: `<p>${title} text</p>`,
	...overrides,
});

async function createDraft(...titles: string[]): Promise<string> {
	const answer = await post('/cgi-bin/draft/add', {
		articles: titles.map((t) => article(t)),
	});
	expect(answer.errcode).toBeUndefined();
	return answer.media_id as string;
}

/** Submits a draft and polls until the sandbox reports it published; returns the article_id. */
async function publish(draftId: string): Promise<string> {
	const { publish_id: publishId } = await post('/cgi-bin/freepublish/submit', {
		media_id: draftId,
	});
	for (;;) {
		const status = await post('/cgi-bin/freepublish/get', {
			publish_id: publishId,
		});
		if (status.publish_status === 0) return status.article_id as string;
		expect(status.publish_status).toBe(1);
	}
}

const titles = (answer: WeixinJson) =>
	(answer.item as ListItem[]).map((item) => item.content.news_item.map((a) => a.title));

describe('draft/update', () => {
	it('replaces the article at a 0-based index, keeping the others and the article URL', async () => {
		const draftId = await createDraft('One', 'Two');
		const before = (await post('/cgi-bin/draft/get', { media_id: draftId })).news_item as Article[];
		sandbox.advanceClock(60);
		const updatedFrom = sandbox.now();
		const answer = await post('/cgi-bin/draft/update', {
			media_id: draftId,
			index: 1,
			articles: article('Two, fixed', { author: 'Li Lei' }),
		});
		expect(answer).toEqual({ errcode: 0, errmsg: 'ok' });
		const after = (await post('/cgi-bin/draft/get', { media_id: draftId })).news_item as Article[];
		expect(after[0]).toEqual(before[0]);
		expect(after[1]).toMatchObject({
			title: 'Two, fixed',
			author: 'Li Lei',
			url: before[1].url,
		});
		// In a two-article draft no digest is taken from the text.
		expect(after[1].digest).toBe('');
		const listed = await post('/cgi-bin/draft/batchget', {
			offset: 0,
			count: 1,
		});
		const updateTime = (listed.item as ListItem[])[0].update_time;
		expect(updateTime).toBeGreaterThanOrEqual(updatedFrom);
		expect(updateTime).toBeLessThanOrEqual(sandbox.now());
	});

	it('refuses an index outside the draft, a bad article, and an unknown draft', async () => {
		const draftId = await createDraft('Only');
		const update = (body: Article) => post('/cgi-bin/draft/update', { media_id: draftId, ...body });
		const answers = await Promise.all([
			update({ index: 1, articles: article('X') }),
			update({ index: -1, articles: article('X') }),
			update({ index: '0', articles: article('X') }),
			update({ articles: article('X') }),
			update({ index: 0, articles: [article('X')] }),
			update({ index: 0, articles: article('') }),
			update({ index: 0, articles: article('X', { thumb_media_id: 'nope' }) }),
			post('/cgi-bin/draft/update', {
				media_id: 'nope',
				index: 0,
				articles: article('X'),
			}),
		]);
		expect(answers.map((answer) => answer.errcode)).toEqual([
			40097, 40097, 40097, 40097, 40097, 44003, 40007, 40007,
		]);
		const stored = (await post('/cgi-bin/draft/get', { media_id: draftId })).news_item as Article[];
		expect(stored.map((a) => a.title)).toEqual(['Only']);
	});
});

describe('draft/batchget, draft/count, draft/delete', () => {
	it('lists drafts newest first in pages of at most 20, with or without content', async () => {
		const ids: string[] = [];
		const createdFrom = sandbox.now();
		for (let n = 0; n < 23; n++) ids.push(await createDraft(`Draft ${n}`));
		const first = await post('/cgi-bin/draft/batchget', {
			offset: 0,
			count: 20,
			no_content: 0,
		});
		expect(first.total_count).toBe(23);
		expect(first.item_count).toBe(20);
		const second = await post('/cgi-bin/draft/batchget', {
			offset: 20,
			count: 20,
		});
		expect(second.item_count).toBe(3);
		const listedIds = [...(first.item as ListItem[]), ...(second.item as ListItem[])].map(
			(item) => item.media_id,
		);
		expect(listedIds).toEqual([...ids].reverse());
		const [newest] = first.item as ListItem[];
		expect(newest.content.news_item[0]).toMatchObject({
			title: 'Draft 22',
			content: '<p>Draft 22 text</p>',
			thumb_media_id: thumbId,
		});
		expect(newest.update_time).toBeGreaterThanOrEqual(createdFrom);
		expect(newest.update_time).toBeLessThanOrEqual(sandbox.now());

		const bare = await post('/cgi-bin/draft/batchget', {
			offset: 0,
			count: 2,
			no_content: 1,
		});
		const [article] = (bare.item as ListItem[])[0].content.news_item;
		expect(article).not.toHaveProperty('content');
		expect(article.title).toBe('Draft 22');

		expect(await getJson(sandbox, '/cgi-bin/draft/count', token)).toEqual({
			total_count: 23,
		});
	});

	it('puts a draft updated later on top', async () => {
		const older = await createDraft('Older');
		await createDraft('Newer');
		sandbox.advanceClock(5);
		await post('/cgi-bin/draft/update', {
			media_id: older,
			index: 0,
			articles: article('Edited'),
		});
		const listed = await post('/cgi-bin/draft/batchget', {
			offset: 0,
			count: 20,
		});
		expect(titles(listed)).toEqual([['Edited'], ['Newer']]);
	});

	it('refuses a page size outside 1..20 and a negative offset', async () => {
		const answers = await Promise.all([
			post('/cgi-bin/draft/batchget', { offset: 0, count: 21 }),
			post('/cgi-bin/draft/batchget', { offset: 0, count: 0 }),
			post('/cgi-bin/draft/batchget', { offset: -1, count: 5 }),
			post('/cgi-bin/draft/batchget', { offset: 0, count: 5, no_content: 2 }),
		]);
		expect(answers.map((answer) => answer.errcode)).toEqual([40097, 40097, 40097, 40097]);
	});

	it('deletes a draft for good; a second delete answers 40007', async () => {
		const gone = await createDraft('Gone');
		const kept = await createDraft('Kept');
		expect(await post('/cgi-bin/draft/delete', { media_id: gone })).toEqual({
			errcode: 0,
			errmsg: 'ok',
		});
		expect((await post('/cgi-bin/draft/get', { media_id: gone })).errcode).toBe(40007);
		expect((await post('/cgi-bin/draft/delete', { media_id: gone })).errcode).toBe(40007);
		expect((await post('/cgi-bin/draft/get', { media_id: kept })).news_item).toBeDefined();
		expect(await getJson(sandbox, '/cgi-bin/draft/count', token)).toEqual({
			total_count: 1,
		});
		expect((await getJson(sandbox, `/cgi-bin/draft/delete?media_id=${kept}`, token)).errcode).toBe(
			43002,
		);
	});
});

describe('freepublish: batchget, getarticle, delete', () => {
	it('moves a published draft out of the draft box into the published list, newest first', async () => {
		const firstDraft = await createDraft('First post');
		const secondDraft = await createDraft('Second post', 'Its second article');
		const staying = await createDraft('Not published');
		const first = await publish(firstDraft);
		const second = await publish(secondDraft);

		expect((await post('/cgi-bin/draft/get', { media_id: firstDraft })).errcode).toBe(40007);
		const drafts = await post('/cgi-bin/draft/batchget', {
			offset: 0,
			count: 20,
		});
		expect((drafts.item as ListItem[]).map((item) => item.media_id)).toEqual([staying]);
		expect(await getJson(sandbox, '/cgi-bin/draft/count', token)).toEqual({
			total_count: 1,
		});

		const published = await post('/cgi-bin/freepublish/batchget', {
			offset: 0,
			count: 20,
		});
		expect(published.total_count).toBe(2);
		expect((published.item as ListItem[]).map((item) => item.article_id)).toEqual([second, first]);
		const [newest] = published.item as ListItem[];
		expect(newest.content.news_item).toHaveLength(2);
		expect(newest.content.news_item[0]).toMatchObject({
			title: 'Second post',
			content: '<p>Second post text</p>',
			url: expect.stringMatching(/^https:\/\/mp\.weixin\.qq\.com\/s\//),
			is_deleted: false,
		});
		const bare = await post('/cgi-bin/freepublish/batchget', {
			offset: 1,
			count: 1,
			no_content: 1,
		});
		expect(bare.item_count).toBe(1);
		expect((bare.item as ListItem[])[0].article_id).toBe(first);
		expect((bare.item as ListItem[])[0].content.news_item[0]).not.toHaveProperty('content');
	});

	it('lists a post only once its publication has finished', async () => {
		sandbox.configure({ publishPollsBeforeDone: 1 });
		const draftId = await createDraft('Slow');
		const { publish_id: publishId } = await post('/cgi-bin/freepublish/submit', {
			media_id: draftId,
		});
		expect(
			(await post('/cgi-bin/freepublish/batchget', { offset: 0, count: 20 })).total_count,
		).toBe(0);
		expect((await post('/cgi-bin/freepublish/get', { publish_id: publishId })).publish_status).toBe(
			1,
		);
		expect(
			(await post('/cgi-bin/freepublish/batchget', { offset: 0, count: 20 })).total_count,
		).toBe(1);
	});

	it('reads a post by article_id; an unknown article_id is 53600', async () => {
		const articleId = await publish(await createDraft('Readable', 'Also'));
		const answer = await post('/cgi-bin/freepublish/getarticle', {
			article_id: articleId,
		});
		const items = answer.news_item as Article[];
		expect(items.map((a) => [a.title, a.is_deleted])).toEqual([
			['Readable', false],
			['Also', false],
		]);
		expect(items[0]).toMatchObject({
			thumb_media_id: thumbId,
			content: '<p>Readable text</p>',
		});
		expect(await post('/cgi-bin/freepublish/getarticle', { article_id: 'unknown' })).toEqual({
			errcode: 53600,
			errmsg: 'invalid article_id',
		});
	});

	it('deletes one article by its 1-based index, or all with index 0, flagging them is_deleted', async () => {
		const articleId = await publish(await createDraft('A', 'B', 'C'));
		const deleted = () =>
			post('/cgi-bin/freepublish/getarticle', { article_id: articleId }).then((answer) =>
				(answer.news_item as Article[]).map((a) => a.is_deleted),
			);
		expect(
			await post('/cgi-bin/freepublish/delete', {
				article_id: articleId,
				index: 2,
			}),
		).toEqual({
			errcode: 0,
			errmsg: 'ok',
		});
		expect(await deleted()).toEqual([false, true, false]);
		const listed = await post('/cgi-bin/freepublish/batchget', {
			offset: 0,
			count: 20,
		});
		expect((listed.item as ListItem[])[0].content.news_item.map((a) => a.is_deleted)).toEqual([
			false,
			true,
			false,
		]);

		expect(
			(
				await post('/cgi-bin/freepublish/delete', {
					article_id: articleId,
					index: 4,
				})
			).errcode,
		).toBe(40097);
		expect(await deleted()).toEqual([false, true, false]);
		await post('/cgi-bin/freepublish/delete', {
			article_id: articleId,
			index: 0,
		});
		expect(await deleted()).toEqual([true, true, true]);
	});

	it('takes the whole post down without an index; freepublish/get then reports status 5', async () => {
		const draftId = await createDraft('Down');
		const { publish_id: publishId } = await post('/cgi-bin/freepublish/submit', {
			media_id: draftId,
		});
		let status: WeixinJson;
		do
			status = await post('/cgi-bin/freepublish/get', {
				publish_id: publishId,
			});
		while (status.publish_status === 1);
		expect(status.publish_status).toBe(0);
		await post('/cgi-bin/freepublish/delete', {
			article_id: status.article_id,
		});
		const after = await post('/cgi-bin/freepublish/get', {
			publish_id: publishId,
		});
		expect(after.publish_status).toBe(5);
		expect(
			(
				await post('/cgi-bin/freepublish/delete', {
					article_id: 'unknown',
					index: 1,
				})
			).errcode,
		).toBe(53600);
	});
});
