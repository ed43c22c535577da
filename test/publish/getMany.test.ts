import { runNode } from '../harness';
import { useSandbox } from '../support';
import { createDraft, publishDraft } from './support';

const env = useSandbox();

const getMany = (paging: Record<string, unknown>) => ({
	resource: 'publish',
	operation: 'getMany',
	...paging,
});

const pageRequests = () =>
	env.sandbox
		.log()
		.filter((entry) => entry.path === '/cgi-bin/freepublish/batchget')
		.map((entry) => entry.body);

describe('Publish → Get Many', () => {
	it('lists published posts newest first, one item per post with its articles', async () => {
		const first = await publishDraft(
			env.credentials(),
			await createDraft(env.sandbox, env.credentials(), 1),
		);
		const second = await publishDraft(
			env.credentials(),
			await createDraft(env.sandbox, env.credentials(), 2),
		);
		// A draft that is not published stays out of the list.
		await createDraft(env.sandbox, env.credentials(), 1);
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: getMany({ returnAll: true }),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.article_id)).toEqual([second, first]);
		const updateTime = result.items[0].json.update_time as number;
		expect(updateTime).toBeLessThanOrEqual(env.sandbox.now());
		expect(result.items[0].json).toEqual({
			article_id: second,
			title: 'Article 1',
			author: '',
			digest: '',
			url: expect.stringMatching(/^https:\/\/mp\.weixin\.qq\.com\/s\//),
			update_time: expect.any(Number),
			update_time_iso: new Date(updateTime * 1000).toISOString(),
			is_deleted: false,
			article_count: 2,
			news_item: [
				expect.objectContaining({
					title: 'Article 1',
					content: '<p>Text 1</p>',
					is_deleted: false,
				}),
				expect.objectContaining({ title: 'Article 2', is_deleted: false }),
			],
		});
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
		expect(pageRequests()).toEqual([{ no_content: 0, offset: 0, count: 20 }]);
	});

	it('pages with a Limit and leaves out the content on request', async () => {
		const ids: string[] = [];
		for (let n = 0; n < 3; n++) {
			ids.push(
				await publishDraft(env.credentials(), await createDraft(env.sandbox, env.credentials(), 1)),
			);
		}
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: getMany({ returnAll: false, limit: 2, noContent: true }),
			credentials: env.credentials(),
		});
		expect(result.items.map((item) => item.json.article_id)).toEqual([ids[2], ids[1]]);
		const [article] = result.items[0].json.news_item as Array<Record<string, unknown>>;
		expect(article).not.toHaveProperty('content');
		expect(article.url).toMatch(/^https:\/\/mp\.weixin\.qq\.com\/s\//);
		expect(pageRequests()).toEqual([{ no_content: 1, offset: 0, count: 2 }]);
	});

	it('flags a post whose articles were all deleted', async () => {
		const articleId = await publishDraft(
			env.credentials(),
			await createDraft(env.sandbox, env.credentials(), 1),
		);
		await runNode({
			parameters: {
				resource: 'publish',
				operation: 'deleteArticle',
				articleId,
				deleteScope: 'all',
			},
			credentials: env.credentials(),
		});
		const result = await runNode({
			parameters: getMany({ returnAll: true }),
			credentials: env.credentials(),
		});
		expect(result.items.map((item) => [item.json.article_id, item.json.is_deleted])).toEqual([
			[articleId, true],
		]);
	});
});
