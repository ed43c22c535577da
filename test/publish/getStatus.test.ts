import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import { createDraft } from './support';

const env = useSandbox();

const getStatus = (publishId: string) => ({
	resource: 'publish',
	operation: 'getStatus',
	publishId,
});

describe('Publish → Get Status', () => {
	it('reports "publishing" and then "published" with the article URLs', async () => {
		env.sandbox.configure({ publishPollsBeforeDone: 1 });
		const draftId = await createDraft(env.sandbox, env.credentials(), 1);
		const submitted = await runNode({
			parameters: { resource: 'publish', operation: 'submit', mediaId: draftId },
			credentials: env.credentials(),
		});
		const publishId = submitted.items[0].json.publish_id as string;

		const first = await runNode({
			parameters: getStatus(publishId),
			credentials: env.credentials(),
		});
		expect(first.items[0].json).toEqual({
			publish_id: publishId,
			publish_status: 1,
			status: 'publishing',
			status_description: 'still publishing',
			final: false,
			fail_idx: [],
			article_urls: [],
		});
		const second = await runNode({
			parameters: getStatus(publishId),
			credentials: env.credentials(),
		});
		expect(second.items[0].json).toMatchObject({
			publish_status: 0,
			status: 'published',
			final: true,
		});
		expect(second.items[0].json.article_urls).toEqual([
			expect.stringMatching(/^https:\/\/mp\.weixin\.qq\.com\//),
		]);
		const call = env.sandbox.log().find((entry) => entry.path === '/cgi-bin/freepublish/get');
		expect(call?.body).toEqual({ publish_id: publishId });
	});

	it.each(['abc', '12a4', '-5', '1.5'])(
		'refuses the publish_id %p before calling WeChat',
		async (publishId) => {
			const result = await runNode({
				parameters: getStatus(publishId),
				credentials: env.credentials(),
			});
			expect(result.error?.message).toBe(
				`item 0, field \`Publish ID\`: "${publishId}" is not a publish_id (those are digits)`,
			);
			expect(apiCalls(env.sandbox)).toEqual([]);
		},
	);

	it('accepts a publish_id mapped as a number', async () => {
		const result = await runNode({
			parameters: getStatus('={{ $json.publish_id }}'),
			items: [{ json: { publish_id: 2247483647 } }],
			credentials: env.credentials(),
		});
		// Unknown to the sandbox, but sent: the check let the digits through.
		expect(result.error?.message).toContain('errcode 40007');
		expect(
			env.sandbox.log().find((entry) => entry.path === '/cgi-bin/freepublish/get')?.body,
		).toEqual({
			publish_id: '2247483647',
		});
	});
});
