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
			tokenEndpoint: 'stable',
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
