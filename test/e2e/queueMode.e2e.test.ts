/**
 * The node in n8n's queue mode: PostgreSQL, Redis, `n8n start` (main) and two `n8n worker
 * --concurrency=5`, binary data in the database, the sandbox as WeChat. Executions start from a
 * Webhook (the only way production executions reach workers): each posts a file, the workflow uploads
 * it as temporary media and gets it back, and the webhook answers with the fetched bytes. One
 * cluster serves every scenario; the sandbox's request log counts token calls per scenario.
 */
import * as fs from 'fs';
import * as path from 'path';

import { jpeg } from '../fixtures/media';
import { SANDBOX_APP, startSandbox, type RequestLogEntry, type Sandbox } from '../sandbox';
import { CREDENTIAL_TYPE, WORKFLOWS_DIR } from './n8n';
import { QueueCluster, startQueueCluster } from './queue';

const WORKFLOW = 'queue-webhook-roundtrip';
const CLASSIC_CREDENTIAL = {
	id: 'wxSandboxClassic1',
	name: 'WeChat sandbox (classic token)',
};
const STABLE_WEBHOOK = 'weixin-queue-roundtrip';
const CLASSIC_WEBHOOK = 'weixin-queue-roundtrip-classic';
const CLASSIC_WORKFLOW = 'queue-webhook-roundtrip-classic';
const BURST = 40;
const WORKERS = 2;
/** A webhook call waits for its execution on a worker; a burst on 2 shared cores takes a while. */
const REQUEST_TIMEOUT_MS = 120_000;

let sandbox: Sandbox;
const cluster = new QueueCluster();
const suiteStarted = Date.now();
/** What each scenario measured, printed once at the end (the README quotes it). */
const measured: Record<string, Record<string, number>> = {};

/** The Stable-token workflow, and a copy of it on a Classic-token credential (own webhook path). */
function classicVariant(): Record<string, unknown> {
	const workflow = JSON.parse(
		fs.readFileSync(path.join(WORKFLOWS_DIR, `${WORKFLOW}.json`), 'utf8'),
	);
	workflow.name = CLASSIC_WORKFLOW;
	for (const node of workflow.nodes) {
		if (node.credentials) node.credentials.weixinOfficialAccountApi = CLASSIC_CREDENTIAL;
		if (node.webhookId) {
			node.webhookId = '3b0f6a52-9c1e-4d7a-8e2f-5a1c0d9e7b11';
			node.parameters.path = CLASSIC_WEBHOOK;
		}
	}
	return workflow;
}

beforeAll(async () => {
	sandbox = await startSandbox();
	await startQueueCluster(
		{
			sandboxUrl: sandbox.url,
			workers: WORKERS,
			workflows: [WORKFLOW, classicVariant()],
			credentials: [
				{
					...CLASSIC_CREDENTIAL,
					type: CREDENTIAL_TYPE,
					data: {
						appId: SANDBOX_APP.appId,
						appSecret: SANDBOX_APP.appSecret,
						grantEndpoint: 'classic',
						baseUrl: sandbox.url,
					},
				},
			],
		},
		cluster,
	);
	process.stderr.write(
		`[e2e] queue cluster up in ${((Date.now() - suiteStarted) / 1000).toFixed(1)} s\n`,
	);
}, 600_000);

afterAll(async () => {
	await cluster.stop();
	await sandbox?.close();
	process.stderr.write(
		`[e2e] queue mode: ${JSON.stringify(measured)}; suite ${(
			(Date.now() - suiteStarted) /
			1000
		).toFixed(1)} s\n`,
	);
}, 120_000);

interface Outcome {
	index: number;
	status: number;
	bytes: Buffer;
	sent: Buffer;
}

/** A distinct, valid JPEG per execution: sizes differ, so no two executions' bytes are equal. */
const photo = (index: number) => jpeg(12 * 1024 + index * 37);

async function postFile(webhookPath: string, index: number): Promise<Outcome> {
	const sent = photo(index);
	const response = await fetch(cluster.webhookUrl(webhookPath), {
		method: 'POST',
		headers: {
			'Content-Type': 'image/jpeg',
			'Content-Disposition': `attachment; filename="photo-${index}.jpg"`,
		},
		body: sent,
		signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
	});
	return {
		index,
		status: response.status,
		bytes: Buffer.from(await response.arrayBuffer()),
		sent,
	};
}

const uploadsSoFar = (from: number) =>
	sandbox
		.log()
		.slice(from)
		.filter((entry) => entry.path === '/cgi-bin/media/upload' && entry.errcode === undefined)
		.length;

/**
 * Fires `count` webhook calls at once. `midway` actions run once the sandbox has accepted that many
 * uploads of this burst (so they hit executions in flight, not before or after the burst).
 */
async function burst(
	webhookPath: string,
	count: number,
	midway: Array<{
		afterUploads: number;
		action: () => Promise<void> | void;
	}> = [],
): Promise<{
	outcomes: Outcome[];
	requests: RequestLogEntry[];
	workers: number[];
}> {
	const logStart = sandbox.log().length;
	const startedBefore = cluster.workers.map((worker) => worker.startedExecutions().length);
	let stopWatching = false;
	const watcher = (async () => {
		for (const step of midway) {
			while (!stopWatching && uploadsSoFar(logStart) < step.afterUploads) {
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
			if (stopWatching) throw new Error(`the burst ended before ${step.afterUploads} uploads`);
			await step.action();
		}
	})();
	const outcomes = await Promise.all(
		Array.from({ length: count }, (_, index) => postFile(webhookPath, index)),
	);
	stopWatching = true;
	await watcher;
	return {
		outcomes,
		requests: sandbox.log().slice(logStart),
		workers: cluster.workers.map(
			(worker, index) => worker.startedExecutions().length - startedBefore[index],
		),
	};
}

const tokenCalls = (requests: RequestLogEntry[]) => requests.filter((entry) => entry.tokenCall);
const forcedRefreshes = (requests: RequestLogEntry[]) =>
	tokenCalls(requests).filter(
		(entry) => (entry.body as { force_refresh?: unknown } | undefined)?.force_refresh === true,
	);

/** Every execution answered 200 with exactly the bytes it posted: uploaded and fetched back. */
function expectAllRoundTripped(outcomes: Outcome[]) {
	const failed = outcomes.filter(
		(outcome) => outcome.status !== 200 || !outcome.bytes.equals(outcome.sent),
	);
	expect(
		failed.map(
			(outcome) =>
				`#${outcome.index}: HTTP ${outcome.status} ${outcome.bytes.toString('utf8', 0, 200)}`,
		),
	).toEqual([]);
}

/** Waits until main has registered the published webhook (404 until then). */
async function webhookReady(webhookPath: string) {
	const deadline = Date.now() + 60_000;
	for (;;) {
		const response = await fetch(cluster.webhookUrl(webhookPath), {
			method: 'HEAD',
		});
		if (response.status !== 404 || Date.now() > deadline) return;
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

/** A WeChat call made by another system sharing the AppID (not n8n): straight to the sandbox. */
async function otherSystem(
	call: 'stable_token' | 'token',
): Promise<{ access_token: string; expires_in: number }> {
	const credentials = `appid=${SANDBOX_APP.appId}&secret=${SANDBOX_APP.appSecret}`;
	const response =
		call === 'token'
			? await fetch(`${sandbox.url}/cgi-bin/token?grant_type=client_credential&${credentials}`)
			: await fetch(`${sandbox.url}/cgi-bin/stable_token`, {
					method: 'POST',
					headers: { 'Content-Type': 'application/json' },
					body: JSON.stringify({
						grant_type: 'client_credential',
						appid: SANDBOX_APP.appId,
						secret: SANDBOX_APP.appSecret,
						force_refresh: false,
					}),
			  });
	const body = (await response.json()) as { access_token: string; expires_in: number };
	expect(body.access_token).toEqual(expect.any(String));
	return body;
}

function record(
	scenario: string,
	outcomes: Outcome[],
	requests: RequestLogEntry[],
	workers: number[],
	otherSystemCalls = 0,
) {
	measured[scenario] = {
		tokenCalls: tokenCalls(requests).length - otherSystemCalls,
		forcedRefreshes: forcedRefreshes(requests).length,
		failedExecutions: outcomes.filter((outcome) => outcome.status !== 200).length,
		...Object.fromEntries(workers.map((count, index) => [`worker${index + 1}`, count])),
	};
	return measured[scenario];
}

describe('queue mode: main + 2 workers, PostgreSQL, Redis, binary data in the database', () => {
	it('(a) runs a burst of 40 webhook executions over both workers with one token call', async () => {
		await webhookReady(STABLE_WEBHOOK);
		const before = cluster.lastExecutionId();
		const logStart = sandbox.log().length;
		// The credential's first execution fetches the token and n8n stores it in PostgreSQL; the
		// burst reads it from there on both workers.
		expectAllRoundTripped([await postFile(STABLE_WEBHOOK, BURST)]);
		const { outcomes, requests, workers } = await burst(STABLE_WEBHOOK, BURST);

		expectAllRoundTripped(outcomes);
		expect(workers.reduce((sum, count) => sum + count, 0)).toBe(BURST);
		for (const count of workers) expect(count).toBeGreaterThan(0);
		expect(cluster.executionStatuses(WORKFLOW, before)).toEqual({ success: BURST + 1 });
		expect(requests.filter((entry) => entry.path === '/cgi-bin/media/upload')).toHaveLength(BURST);
		const scenario = sandbox.log().slice(logStart);
		const counts = record('a', outcomes, scenario, workers);
		expect(counts.tokenCalls).toBeLessThanOrEqual(1);
		expect(counts.forcedRefreshes).toBe(0);
	});

	it('(b) survives the tokens being invalidated mid-burst: ≤ 2 token calls, ≤ 1 forced refresh', async () => {
		const before = cluster.lastExecutionId();
		const { outcomes, requests, workers } = await burst(STABLE_WEBHOOK, BURST, [
			{ afterUploads: 12, action: () => sandbox.invalidateTokens() },
		]);

		// The invalidation really hit executions in flight.
		expect(requests.filter((entry) => entry.errcode === 40001).length).toBeGreaterThan(0);
		const counts = record('b', outcomes, requests, workers);
		expectAllRoundTripped(outcomes);
		expect(cluster.executionStatuses(WORKFLOW, before)).toEqual({ success: BURST });
		expect(counts.tokenCalls).toBeLessThanOrEqual(2);
		expect(counts.forcedRefreshes).toBeLessThanOrEqual(1);
	});

	it("(c) carries a burst through the stable token's 2-hour rollover without a failed execution", async () => {
		const before = cluster.lastExecutionId();
		// The token the workers hold now, and how long WeChat still honours it.
		const { access_token: held, expires_in: left } = await otherSystem('stable_token');
		expect(left).toBeGreaterThan(600);
		const issuedBefore = sandbox.issuedTokens().length;
		let renewed = '';
		const { outcomes, requests, workers } = await burst(STABLE_WEBHOOK, BURST, [
			// 310 s left: just before the renewal point.
			{ afterUploads: 8, action: () => sandbox.advanceClock(left - 310) },
			// 290 s left: renewed. Another system sharing the AppID gets the successor; the workers
			// keep sending the old token, which stays valid to its own expiry.
			{
				afterUploads: 16,
				action: async () => {
					sandbox.advanceClock(20);
					renewed = (await otherSystem('stable_token')).access_token;
				},
			},
			// 10 s past the old token's expiry: requests still carrying it answer 42001.
			{ afterUploads: 24, action: () => sandbox.advanceClock(300) },
		]);

		// One stable_token call of the other system falls inside the burst (the first one is before it).
		const counts = record('c', outcomes, requests, workers, 1);
		expect(renewed).not.toBe(held);
		// The expiry really reached executions in flight, and the workers moved to the successor the
		// other system already had: no token beyond it was issued.
		expect(requests.filter((entry) => entry.errcode === 42001).length).toBeGreaterThan(0);
		expect(sandbox.issuedTokens().slice(issuedBefore)).toEqual([renewed]);
		expectAllRoundTripped(outcomes);
		expect(cluster.executionStatuses(WORKFLOW, before)).toEqual({ success: BURST });
		expect(counts.tokenCalls).toBeGreaterThanOrEqual(1);
		expect(counts.forcedRefreshes).toBe(0);
	});

	it('(d) Classic Token: workers and another holder knock each other out; failures are 40001 only', async () => {
		await webhookReady(CLASSIC_WEBHOOK);
		const before = cluster.lastExecutionId();
		let outsider = '';
		const { outcomes, requests, workers } = await burst(CLASSIC_WEBHOOK, BURST, [
			// Another system using the same AppID with the classic endpoint, twice: n8n's token is now
			// two generations old, and WeChat drops it at once (40001).
			{
				afterUploads: 15,
				action: async () => {
					await otherSystem('token');
					outsider = (await otherSystem('token')).access_token;
				},
			},
		]);

		const counts = record('d', outcomes, requests, workers, 2);
		expect(counts.forcedRefreshes).toBe(0);
		expect(requests.filter((entry) => entry.errcode === 40001).length).toBeGreaterThan(0);
		// What Classic Token costs in queue mode: each refresh, by a worker or the other system, kills
		// the token before last, so a worker can be handed (from n8n's store) a token another worker's
		// refresh has just killed, after its one refresh. Such executions fail, with WeChat's 40001
		// and nothing else; every other execution round-trips its file.
		const failed = outcomes.filter((outcome) => outcome.status !== 200);
		expectAllRoundTripped(outcomes.filter((outcome) => outcome.status === 200));
		const statuses = cluster.executionStatuses(CLASSIC_WORKFLOW, before);
		expect(statuses).toEqual(
			failed.length === 0
				? { success: BURST }
				: { success: BURST - failed.length, error: failed.length },
		);
		const errors = cluster.failedExecutionErrors(CLASSIC_WORKFLOW, before);
		expect(errors).toHaveLength(failed.length);
		expect(errors.filter((message) => !message.includes('errcode 40001'))).toEqual([]);
		// Each classic token call pushes the previous token into a 5-minute overlap and kills the one
		// before it. n8n fetched again after the knock-out, and so knocks the other system out in
		// turn once two of its tokens are newer than the other system's.
		const issued = sandbox.issuedTokens();
		const newerThanOutsider = issued.length - 1 - issued.indexOf(outsider);
		expect(newerThanOutsider).toBeGreaterThanOrEqual(1);
		const check = await fetch(
			`${sandbox.url}/cgi-bin/material/get_materialcount?access_token=${outsider}`,
		);
		const outsiderErrcode = ((await check.json()) as { errcode?: number }).errcode ?? 0;
		expect(outsiderErrcode).toBe(newerThanOutsider >= 2 ? 40001 : 0);
		measured.d.tokensAfterOutsider = newerThanOutsider;
		measured.d.outsiderErrcode = outsiderErrcode;
	});

	it('keeps the AppSecret and every token out of the logs of main and workers', () => {
		const logs = [cluster.main!.serverLog(), ...cluster.workers.map((worker) => worker.log())];
		for (const secret of [SANDBOX_APP.appSecret, ...sandbox.issuedTokens()]) {
			for (const log of logs) expect(log.includes(secret)).toBe(false);
		}
	});
});
