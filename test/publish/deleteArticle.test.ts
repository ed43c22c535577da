import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import { createDraft, publishDraft } from './support';

const env = useSandbox();

const deleteArticle = (articleId: string, scope: Record<string, unknown> = {}) => ({
	resource: 'publish',
	operation: 'deleteArticle',
	articleId,
	...scope,
});

async function deletedFlags(articleId: string): Promise<unknown[]> {
	const result = await runNode({
		parameters: { resource: 'publish', operation: 'getArticle', articleId },
		credentials: env.credentials(),
	});
	return (result.items[0].json.news_item as Array<{ is_deleted: unknown }>).map(
		(a) => a.is_deleted,
	);
}

describe('Publish → Delete', () => {
	it('deletes one article by its 1-based number and names it in the output', async () => {
		const articleId = await publishDraft(
			env.credentials(),
			await createDraft(env.sandbox, env.credentials(), 3),
		);
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: deleteArticle(articleId, { deleteScope: 'one', articleNumber: 2 }),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toEqual([
			expect.objectContaining({
				json: { article_id: articleId, index: 2, deleted: 'article 2' },
				pairedItem: { item: 0 },
			}),
		]);
		const call = env.sandbox.log().find((entry) => entry.path === '/cgi-bin/freepublish/delete');
		expect(call?.body).toEqual({ article_id: articleId, index: 2 });
		expect(await deletedFlags(articleId)).toEqual([false, true, false]);
	});

	it('deletes every article of the post by default (index 0)', async () => {
		const articleId = await publishDraft(
			env.credentials(),
			await createDraft(env.sandbox, env.credentials(), 2),
		);
		const result = await runNode({
			parameters: deleteArticle(articleId),
			credentials: env.credentials(),
		});
		expect(result.items[0].json).toEqual({
			article_id: articleId,
			index: 0,
			deleted: 'all articles',
		});
		expect(await deletedFlags(articleId)).toEqual([true, true]);
	});

	it('reports an unknown article_id as 53600', async () => {
		const result = await runNode({
			parameters: deleteArticle('unknown'),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toContain('errcode 53600');
	});

	it('never resends a delete whose answer was lost, and says how to check', async () => {
		const articleId = await publishDraft(
			env.credentials(),
			await createDraft(env.sandbox, env.credentials(), 1),
		);
		env.sandbox.clearLog();
		env.sandbox.injectFault({ path: '/cgi-bin/freepublish/delete', kind: 'http', status: 502 });
		const result = await runNode({
			parameters: deleteArticle(articleId),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toContain('may or may not have been carried out');
		expect(result.error?.description).toContain('Check with Publish → Get Article');
		expect(apiCalls(env.sandbox)).toEqual(['POST /cgi-bin/freepublish/delete']);
	});

	it('refuses an Article Number below 1 before calling WeChat', async () => {
		const result = await runNode({
			parameters: deleteArticle('some-id', { deleteScope: 'one', articleNumber: 0 }),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe(
			'item 0, field `Article Number`: must be a whole number of at least 1, not 0',
		);
		expect(apiCalls(env.sandbox)).toEqual([]);
	});
});
