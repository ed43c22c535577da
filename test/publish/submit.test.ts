import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import { createDraft } from './support';

const env = useSandbox();

const submit = (mediaId: string, wait: Record<string, unknown> = {}) => ({
	resource: 'publish',
	operation: 'submit',
	mediaId,
	...wait,
});

/** Small intervals keep the test quick; the sandbox answers "publishing" twice, then the outcome. */
const waitQuickly = { waitForCompletion: true, pollInterval: 100, maxWait: 10 };

describe('Publish → Submit', () => {
	it('submits a draft and returns the publish_id', async () => {
		const draftId = await createDraft(env.sandbox, env.credentials());
		env.sandbox.clearLog();
		const result = await runNode({ parameters: submit(draftId), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toEqual({
			media_id: draftId,
			publish_id: expect.stringMatching(/^\d+$/),
		});
		expect(apiCalls(env.sandbox)).toEqual(['POST /cgi-bin/freepublish/submit']);
	});

	it('when waiting fails after the submit, says the draft was submitted and not to submit again', async () => {
		const draftId = await createDraft(env.sandbox, env.credentials());
		env.sandbox.clearLog();
		env.sandbox.injectFault({ path: '/cgi-bin/freepublish/get', kind: 'http', status: 500, times: 10 });
		const result = await runNode({
			parameters: submit(draftId, waitQuickly),
			credentials: env.credentials(),
		});
		const publishId = env.sandbox.log().find((entry) => entry.path === '/cgi-bin/freepublish/submit');
		expect(publishId?.status).toBe(200);
		expect(result.error?.message).toContain('freepublish/get');
		expect(result.error?.description).toMatch(/^The draft WAS submitted \(publish_id \d+\)/);
		expect(result.error?.description).toContain('Get Status instead of submitting again');
		expect(apiCalls(env.sandbox).filter((call) => call.endsWith('/submit'))).toHaveLength(1);
	});

	it('waits for the publication and outputs the article URLs', async () => {
		const draftId = await createDraft(env.sandbox, env.credentials(), 2);
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: submit(draftId, waitQuickly),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		const json = result.items[0].json;
		expect(json).toMatchObject({
			media_id: draftId,
			publish_id: expect.stringMatching(/^\d+$/),
			publish_status: 0,
			status: 'published',
			status_description: 'published',
			article_id: expect.any(String),
			fail_idx: [],
		});
		// Get Status's `final` is the loop's business, not the output's
		expect(json).not.toHaveProperty('final');
		const urls = json.article_urls as string[];
		expect(urls).toHaveLength(2);
		for (const url of urls) expect(url).toMatch(/^https:\/\/mp\.weixin\.qq\.com\/s\//);
		expect(json.article_detail).toEqual({
			count: 2,
			item: urls.map((url, index) => ({ idx: index + 1, article_url: url })),
		});
		expect(apiCalls(env.sandbox)).toEqual([
			'POST /cgi-bin/freepublish/submit',
			'POST /cgi-bin/freepublish/get',
			'POST /cgi-bin/freepublish/get',
			'POST /cgi-bin/freepublish/get',
		]);
	});

	it.each([
		['failed', 3, 'failed', 'publishing failed'],
		['rejected', 4, 'rejected', 'rejected by review'],
	] as const)(
		'reports a %s publication with the failing articles',
		async (outcome, code, word, words) => {
			env.sandbox.configure({ publishOutcome: outcome, publishPollsBeforeDone: 1 });
			const draftId = await createDraft(env.sandbox, env.credentials());
			const result = await runNode({
				parameters: submit(draftId, waitQuickly),
				credentials: env.credentials(),
			});
			expect(result.error).toBeUndefined();
			expect(result.items[0].json).toMatchObject({
				publish_status: code,
				status: word,
				status_description: words,
				fail_idx: [1],
				article_urls: [],
			});
		},
	);

	it('stops waiting after Max Wait and says the post is still publishing', async () => {
		env.sandbox.configure({ publishPollsBeforeDone: 1000 });
		const draftId = await createDraft(env.sandbox, env.credentials());
		const result = await runNode({
			parameters: submit(draftId, { waitForCompletion: true, pollInterval: 200, maxWait: 1 }),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({
			publish_status: 1,
			status: 'publishing',
			wait_timed_out: true,
		});
		const polls = apiCalls(env.sandbox).filter((call) => call === 'POST /cgi-bin/freepublish/get');
		// Each poll waits its interval first: one second at 200 ms leaves room for five or six, never a tight loop.
		expect(polls.length).toBeGreaterThanOrEqual(1);
		expect(polls.length).toBeLessThanOrEqual(6);
	});

	it('never submits twice when the answer is lost', async () => {
		const draftId = await createDraft(env.sandbox, env.credentials());
		env.sandbox.clearLog();
		env.sandbox.injectFault({ path: '/cgi-bin/freepublish/submit', kind: 'drop' });
		const result = await runNode({ parameters: submit(draftId), credentials: env.credentials() });
		expect(result.error?.message).toContain('may or may not have been carried out');
		expect(apiCalls(env.sandbox)).toEqual(['POST /cgi-bin/freepublish/submit']);
	});

	it('explains an unknown draft', async () => {
		const result = await runNode({
			parameters: submit('not-a-draft'),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toContain('errcode 40007');
	});
});
