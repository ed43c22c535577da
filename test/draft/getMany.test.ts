import { runNode } from '../harness';
import type { RequestLogEntry } from '../sandbox';
import { useSandbox } from '../support';
import { createDraft, publishDraft } from '../publish/support';

const env = useSandbox();

const getMany = (paging: Record<string, unknown>) => ({
	resource: 'draft',
	operation: 'getMany',
	...paging,
});

const pageRequests = () =>
	env.sandbox
		.log()
		.filter((entry: RequestLogEntry) => entry.path === '/cgi-bin/draft/batchget')
		.map((entry) => entry.body);

async function createDrafts(count: number): Promise<string[]> {
	const ids: string[] = [];
	for (let n = 0; n < count; n++) ids.push(await createDraft(env.sandbox, env.credentials(), 1));
	return ids;
}

describe('Draft → Get Many', () => {
	it('pages through 23 drafts in steps of 20 with Return All, newest first, one item per draft', async () => {
		const ids = await createDrafts(23);
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: getMany({ returnAll: true }),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.media_id)).toEqual([...ids].reverse());
		const updateTime = result.items[0].json.update_time as number;
		expect(updateTime).toBeLessThanOrEqual(env.sandbox.now());
		expect(result.items[0].json).toEqual({
			media_id: ids[22],
			title: 'Article 1',
			author: '',
			digest: 'Text 1',
			url: expect.stringMatching(/^http:\/\/mp\.weixin\.qq\.com\/s\?/),
			update_time: expect.any(Number),
			update_time_iso: new Date(updateTime * 1000).toISOString(),
			article_count: 1,
			news_item: [expect.objectContaining({ title: 'Article 1', content: '<p>Text 1</p>' })],
		});
		expect(result.items.every((item) => (item.pairedItem as { item: number }).item === 0)).toBe(
			true,
		);
		expect(pageRequests()).toEqual([
			{ no_content: 0, offset: 0, count: 20 },
			{ no_content: 0, offset: 20, count: 20 },
		]);
	});

	it('stops at the Limit and can leave out the content', async () => {
		const ids = await createDrafts(3);
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: getMany({ returnAll: false, limit: 2, noContent: true }),
			credentials: env.credentials(),
		});
		expect(result.items.map((item) => item.json.media_id)).toEqual([ids[2], ids[1]]);
		const [article] = result.items[0].json.news_item as Array<Record<string, unknown>>;
		expect(article.title).toBe('Article 1');
		expect(article).not.toHaveProperty('content');
		expect(pageRequests()).toEqual([{ no_content: 1, offset: 0, count: 2 }]);
	});

	it('lists a draft edited later first, with its new update time', async () => {
		const [older, newer] = await createDrafts(2);
		env.sandbox.advanceClock(3600);
		const updatedFrom = env.sandbox.now();
		const cover = env.sandbox.stored('draft', older) as {
			articles: Array<{ thumb_media_id: string }>;
		};
		const updated = await runNode({
			parameters: {
				resource: 'draft',
				operation: 'update',
				mediaId: older,
				articleIndex: 0,
				articlesInput: 'json',
				articlesJson: JSON.stringify([
					{ title: 'Edited', content: 'x', thumb_media_id: cover.articles[0].thumb_media_id },
				]),
			},
			credentials: env.credentials(),
		});
		expect(updated.error).toBeUndefined();
		const result = await runNode({
			parameters: getMany({ returnAll: true }),
			credentials: env.credentials(),
		});
		expect(result.items.map((item) => [item.json.media_id, item.json.title])).toEqual([
			[older, 'Edited'],
			[newer, 'Article 1'],
		]);
		const updateTime = result.items[0].json.update_time as number;
		expect(updateTime).toBeGreaterThanOrEqual(updatedFrom);
		expect(result.items[0].json.update_time_iso).toBe(new Date(updateTime * 1000).toISOString());
	});

	it('no longer lists a draft once it is published', async () => {
		const [published, kept] = await createDrafts(2);
		await publishDraft(env.credentials(), published);
		const result = await runNode({
			parameters: getMany({ returnAll: true }),
			credentials: env.credentials(),
		});
		expect(result.items.map((item) => item.json.media_id)).toEqual([kept]);
	});

	it('outputs nothing for an empty draft box, and refuses a Limit of 0 before any call', async () => {
		const empty = await runNode({
			parameters: getMany({ returnAll: true }),
			credentials: env.credentials(),
		});
		expect(empty.error).toBeUndefined();
		expect(empty.items).toHaveLength(0);
		env.sandbox.clearLog();
		const zero = await runNode({
			parameters: getMany({ returnAll: false, limit: 0 }),
			credentials: env.credentials(),
		});
		expect(zero.error?.message).toBe(
			'item 0, field `Limit`: must be a whole number of at least 1, not 0',
		);
		expect(env.sandbox.log()).toHaveLength(0);
	});
});
