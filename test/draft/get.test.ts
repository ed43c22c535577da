import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import { addPermanentImage, articleJson } from '../articles/support';

const env = useSandbox();

const getDraft = (mediaId: string) => ({ resource: 'draft', operation: 'get', mediaId });

describe('Draft → Get', () => {
	it('reads back the articles of a draft', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const created = await runNode({
			parameters: articleJson('draft', [
				{ title: 'First', author: 'Han Meimei', content: '<p>one</p>', thumb_media_id: cover },
				{ title: 'Second', content: '<p>two</p>', thumb_media_id: cover },
			]),
			credentials: env.credentials(),
		});
		const mediaId = created.items[0].json.media_id as string;

		const result = await runNode({ parameters: getDraft(mediaId), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.media_id).toBe(mediaId);
		const articles = result.items[0].json.news_item as Array<Record<string, unknown>>;
		expect(
			articles.map((article) => [article.title, article.content, article.thumb_media_id]),
		).toEqual([
			['First', '<p>one</p>', cover],
			['Second', '<p>two</p>', cover],
		]);
		expect(articles[0].author).toBe('Han Meimei');
		const call = env.sandbox.log().find((entry) => entry.path === '/cgi-bin/draft/get');
		expect(call?.body).toEqual({ media_id: mediaId });
	});

	it('explains an unknown media_id with the hint for 40007', async () => {
		const result = await runNode({
			parameters: getDraft('no-such-draft'),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toContain('errcode 40007');
		expect(result.error?.description).toContain('The media_id is not valid here');
	});

	it('retries a read after a 5xx', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const created = await runNode({
			parameters: articleJson('draft', [{ title: 'A', content: 'a', thumb_media_id: cover }]),
			credentials: env.credentials(),
		});
		env.sandbox.clearLog();
		env.sandbox.injectFault({ path: '/cgi-bin/draft/get', kind: 'http', status: 502 });
		const result = await runNode({
			parameters: getDraft(created.items[0].json.media_id as string),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(apiCalls(env.sandbox)).toEqual(['POST /cgi-bin/draft/get', 'POST /cgi-bin/draft/get']);
	});

	it('refuses an empty Media ID before calling WeChat', async () => {
		const result = await runNode({
			parameters: getDraft('={{ $json.id }}'),
			items: [{ json: { id: ' ' } }],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe('item 0, field `Media ID`: is empty');
		expect(apiCalls(env.sandbox)).toEqual([]);
	});
});
