import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import { createDraft, publishDraft } from './support';

const env = useSandbox();

const getArticle = (articleId: string) => ({
	resource: 'publish',
	operation: 'getArticle',
	articleId,
});

describe('Publish → Get Article', () => {
	it('reads a published post by article_id', async () => {
		const articleId = await publishDraft(
			env.credentials(),
			await createDraft(env.sandbox, env.credentials(), 2),
		);
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: getArticle(articleId),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toEqual({
			article_id: articleId,
			title: 'Article 1',
			author: '',
			digest: '',
			url: expect.stringMatching(/^https:\/\/mp\.weixin\.qq\.com\/s\//),
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
		const call = env.sandbox
			.log()
			.find((entry) => entry.path === '/cgi-bin/freepublish/getarticle');
		expect(call?.body).toEqual({ article_id: articleId });
	});

	it('explains an unknown article_id (53600)', async () => {
		const result = await runNode({
			parameters: getArticle('no-such-article'),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toContain('errcode 53600');
		expect(result.error?.description).toBe('The article_id is not valid.');
	});

	it('retries the read after a 502', async () => {
		const articleId = await publishDraft(
			env.credentials(),
			await createDraft(env.sandbox, env.credentials(), 1),
		);
		env.sandbox.clearLog();
		env.sandbox.injectFault({ path: '/cgi-bin/freepublish/getarticle', kind: 'http', status: 502 });
		const result = await runNode({
			parameters: getArticle(articleId),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(apiCalls(env.sandbox)).toEqual([
			'POST /cgi-bin/freepublish/getarticle',
			'POST /cgi-bin/freepublish/getarticle',
		]);
	});

	it('refuses an empty Article ID before calling WeChat', async () => {
		const result = await runNode({
			parameters: getArticle('={{ $json.id }}'),
			items: [{ json: { id: ' ' } }],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe('item 0, field `Article ID`: is empty');
		expect(apiCalls(env.sandbox)).toEqual([]);
	});
});
