/**
 * Write batches in a real n8n: Retry On Fail on 16 writes with one failing item, failed items on the
 * error output, JSON answers cut after their headers, and a stop through n8n's REST API while
 * Publish → Submit waits. Writes are counted in the sandbox's request log.
 */
import { jpeg } from '../fixtures/media';
import { createDraft } from '../publish/support';
import { SANDBOX_APP, type RequestLogEntry } from '../sandbox';
import { useN8n } from './session';

const BATCH = 16;
const ADD = '/cgi-bin/material/add_material';
const SUBMIT = '/cgi-bin/freepublish/submit';

const e2e = useN8n({
	workflows: ['batch-add-retry', 'batch-submit-retry', 'batch-error-output', 'cut-json'],
	files: Object.fromEntries(
		Array.from({ length: BATCH }, (_, row) => [
			`batch/row-${String(row).padStart(2, '0')}.jpg`,
			jpeg(3000 + row),
		]),
	),
	async prepare({ sandbox, n8n }) {
		n8n.vars.DRAFT_ID = await createDraft(sandbox, {
			appId: SANDBOX_APP.appId,
			appSecret: SANDBOX_APP.appSecret,
			grantEndpoint: 'stable',
			baseUrl: sandbox.url,
		});
	},
});

const tally = { writes: 0, duplicateWrites: 0, unreported: 0 };

afterAll(() => {
	console.log(
		`e2e/batchIntegrity: ${tally.writes} writes carried out, ${tally.duplicateWrites} duplicate writes, ${tally.unreported} writes neither output nor named in the error`,
	);
});

/** Requests to `path` that WeChat carried out (answered OK, or whose answer was lost on the way). */
const carriedOut = (requests: RequestLogEntry[], path: string) =>
	requests.filter(
		(entry) =>
			entry.path === path &&
			(entry.fault === 'cutJson' || (entry.fault === undefined && (entry.errcode ?? 0) === 0)),
	);

describe('Retry On Fail on a 16-item write batch', () => {
	it('adds each file exactly once when one add fails on the first try', async () => {
		e2e.sandbox.injectFault({ path: ADD, kind: 'errcode', errcode: 45009 });
		const { result, requests } = await e2e.run('batch-add-retry');
		const added = result.nodes.Add.items;
		expect(added).toHaveLength(BATCH);
		expect(added.map((item) => item.pairedItem)).toEqual(
			Array.from({ length: BATCH }, (_, item) => ({ item })),
		);
		const sizes = carriedOut(requests, ADD).map(
			(entry) => (entry.body as { files: Array<{ size: number }> }).files[0].size,
		);
		tally.writes += sizes.length;
		tally.duplicateWrites += sizes.length - new Set(sizes).size;
		expect(sizes.sort()).toEqual(Array.from({ length: BATCH }, (_, row) => 3000 + row));
		// 16 writes and the one refused by the quota, sent again in the second try
		expect(requests.filter((entry) => entry.path === ADD)).toHaveLength(BATCH + 1);
	});

	it('publishes the 15 good items once and names them when item 7 keeps failing', async () => {
		const { result, requests } = await e2e.execute('batch-submit-retry');
		expect(result.error?.message).toMatch(/^WeChat freepublish\/submit failed with errcode 40007/);
		const published = carriedOut(requests, SUBMIT);
		tally.writes += published.length;
		expect(published).toHaveLength(BATCH - 1);
		// n8n's 3 tries each sent the bad item; none sent a good one again
		expect(requests.filter((entry) => entry.path === SUBMIT && entry.errcode === 40007)).toHaveLength(3);
		const named = result.error?.description?.match(/item \d+ → publish_id \d+/g) ?? [];
		expect(named).toHaveLength(BATCH - 1);
		tally.unreported += published.length - named.length;
		expect(named.map((note) => Number(/item (\d+)/.exec(note)![1]))).not.toContain(7);
	});
});

describe('On Error: Continue (using error output)', () => {
	it('puts failed items on output 2 and good ones on output 1, pairedItem kept', async () => {
		const { result, requests } = await e2e.run('batch-error-output');
		const [good, failed] = result.nodes.Submit.outputs;
		const bad = [1, 3, 5];
		expect(good.map((item) => item.pairedItem)).toEqual(
			Array.from({ length: BATCH }, (_, item) => item)
				.filter((item) => !bad.includes(item))
				.map((item) => ({ item })),
		);
		expect(good.every((item) => typeof item.json.publish_id === 'string')).toBe(true);
		expect(failed.map((item) => item.pairedItem)).toEqual(bad.map((item) => ({ item })));
		expect(failed[0].json).toMatchObject({
			error: expect.stringMatching(/^WeChat freepublish\/submit failed with errcode 40007/),
			details: { errcode: 40007, errorDescription: expect.any(String) },
		});
		expect(failed[2].json.error).toBe('item 5, field `Media ID`: is empty');
		expect(result.nodes.Published.items).toHaveLength(BATCH - bad.length);
		expect(result.nodes.Failed.items).toHaveLength(bad.length);
		expect(carriedOut(requests, SUBMIT)).toHaveLength(BATCH - bad.length);
	});
});

describe('a JSON answer cut after its headers', () => {
	it('is asked again on a read; on a write it is not resent and the error says how to check', async () => {
		e2e.sandbox.injectFault({ path: '/cgi-bin/material/get_materialcount', kind: 'cutJson' });
		e2e.sandbox.injectFault({ path: SUBMIT, kind: 'cutJson' });
		const { result, requests } = await e2e.execute('cut-json');
		expect(result.nodes.Count.items[0].json.image_count).toEqual(expect.any(Number));
		expect(requests.filter((entry) => entry.path === '/cgi-bin/material/get_materialcount')).toHaveLength(2);
		expect(result.error?.message).toMatch(
			/^WeChat freepublish\/submit: the connection was dropped .*The request may or may not have been carried out, so it was not sent again\.$/,
		);
		expect(result.error?.description).toMatch(/publishing records/);
		const submits = requests.filter((entry) => entry.path === SUBMIT);
		expect(submits).toHaveLength(1);
		tally.writes += 1;
	});
});

/** Polls `probe` until it returns something, or fails after `timeoutMs`. */
async function until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const found = probe();
		if (found !== undefined) return found;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

describe("stopping an execution with n8n's REST API (n8n start)", () => {
	it('ends the status request Publish → Submit waits on within 2 s, and nothing is sent after', async () => {
		const { n8n, sandbox } = e2e;
		const workflowId = await n8n.importWorkflow('submit-wait-stop.json');
		const published = await n8n.cli(['publish:workflow', `--id=${workflowId}`]);
		expect(published.code).toBe(0);
		// The first status poll gets no answer: the node sits in that request until its 60 s timeout.
		sandbox.injectFault({ path: '/cgi-bin/freepublish/get', kind: 'hang' });
		await n8n.start();
		try {
			const headers = { 'browser-id': 'e2e-stop-test', 'content-type': 'application/json' };
			const setup = await fetch(`${n8n.url}/rest/owner/setup`, {
				method: 'POST',
				headers,
				body: JSON.stringify({
					email: 'owner@example.com',
					firstName: 'E2E',
					lastName: 'Owner',
					password: 'Stop-test-0wner',
				}),
			});
			expect(setup.status).toBe(200);
			const cookie = setup.headers
				.getSetCookie()
				.map((value) => value.split(';')[0])
				.join('; ');
			const logged = sandbox.log().length;
			const hook = await fetch(`${n8n.url}/webhook/e2e-submit-wait`, { method: 'POST' });
			expect(hook.status).toBe(200);
			const hung = await until(
				() =>
					sandbox
						.log()
						.slice(logged)
						.find((entry) => entry.path === '/cgi-bin/freepublish/get' && entry.fault === 'hang'),
				60_000,
				'the status poll',
			);
			const filter = encodeURIComponent(JSON.stringify({ status: ['running'], workflowId }));
			const listed = await fetch(`${n8n.url}/rest/executions?filter=${filter}`, {
				headers: { ...headers, cookie },
			});
			const running = ((await listed.json()) as { data: { results: Array<{ id: string }> } }).data
				.results;
			expect(running).toHaveLength(1);

			const stoppedAt = Date.now();
			const stop = await fetch(`${n8n.url}/rest/executions/${running[0].id}/stop`, {
				method: 'POST',
				headers: { ...headers, cookie },
			});
			expect(stop.status).toBe(200);
			const closedAt = await until(
				// log() hands out copies: read the entry afresh
				() =>
					sandbox.log().find((entry) => entry.time === hung.time && entry.path === hung.path)
						?.closedByClientAt,
				10_000,
				'the request to end',
			).catch((error: Error) => {
				throw new Error(`${error.message}; n8n's log ends with:\n${n8n.serverLog().split('\n').slice(-40).join('\n')}`);
			});
			console.log(`e2e/batchIntegrity: stopped request closed ${closedAt - stoppedAt} ms after the stop`);
			expect(closedAt - stoppedAt).toBeLessThan(2000);
			await new Promise((resolve) => setTimeout(resolve, 1500));
			const polls = sandbox
				.log()
				.slice(logged)
				.filter((entry) => entry.path === '/cgi-bin/freepublish/get');
			expect(polls).toHaveLength(1);
			expect(carriedOut(sandbox.log().slice(logged), SUBMIT)).toHaveLength(1);
		} finally {
			await n8n.stop();
		}
	});
});
