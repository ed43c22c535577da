/**
 * What the real service does to an unattended run, injected through the sandbox: token knock-outs,
 * busy bursts, quota exhaustion, 5xx, dropped and silent connections, cut-short downloads. Each case
 * either recovers, or ends with an error that says what happened; writes are never sent twice.
 */
import type { IDataObject } from 'n8n-workflow';

import { decodeSpeex, encodeWav } from '../../nodes/WeixinMedia/media/speex';
import { jpeg } from '../fixtures/media';
import { createCredentialStore, runNode, type RunResult } from '../harness';
import type { FaultSpec } from '../sandbox';
import { useSandbox } from '../support';
import {
	OPERATIONS,
	byPolicy,
	callsTo,
	operation,
	seed,
	withOptions,
	type OperationCase,
	type Seeded,
} from './support';

const env = useSandbox();
let seeded: Seeded;

/** The Timeout option's minimum: the suite waits for real (backoff and timeouts are real). */
const SHORT_TIMEOUT_MS = 1000;

const tally = { faultsInjected: 0, recovered: 0, reportedClearly: 0, duplicateWrites: 0 };

beforeEach(async () => {
	seeded = await seed(env.sandbox);
});

afterEach(() => {
	tally.faultsInjected += env.sandbox.log().filter((entry) => entry.fault !== undefined).length;
});

afterAll(() => {
	console.log(
		`reliability/faults: ${tally.faultsInjected} faults injected; ${tally.recovered} runs recovered, ${tally.reportedClearly} ended with a clear error, ${tally.duplicateWrites} duplicate writes`,
	);
});

async function run(
	operationCase: OperationCase,
	options: IDataObject = {},
	continueOnFail = false,
): Promise<RunResult> {
	return await runNode({
		parameters: withOptions(operationCase.parameters(seeded), options),
		items: operationCase.items,
		credentials: env.credentials(),
		continueOnFail,
	});
}

function expectRecovered(result: RunResult): void {
	expect(result.error).toBeUndefined();
	expect(result.items.length).toBeGreaterThan(0);
	for (const item of result.items) expect(item.json.error).toBeUndefined();
	tally.recovered++;
}

function expectReported(result: RunResult, message: RegExp, description?: RegExp): void {
	expect(result.items).toHaveLength(0);
	expect(result.error?.message).toMatch(message);
	if (description) expect(result.error?.description).toMatch(description);
	tally.reportedClearly++;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const inject = (path: string, fault: DistributiveOmit<FaultSpec, 'path'>) =>
	env.sandbox.injectFault({ ...fault, path } as FaultSpec);

const READS = byPolicy('read');
const WRITES = byPolicy('write');
const REPEATABLE_WRITES = byPolicy('repeatableWrite');

const FILE_READS = ['temporaryMedia.get', 'temporaryMedia.getHdVoice', 'permanentMaterial.get'];

const names = (cases: OperationCase[]) => cases.map((operationCase) => operationCase.name);

describe('reads (get, list, count, status, downloads) are retried within a bound', () => {
	it.each(
		READS.flatMap((read) => [
			[read.name, 'HTTP 500', { kind: 'http', status: 500 }],
			[read.name, 'a dropped connection', { kind: 'drop' }],
			// downloads answer with files: their cut-short bodies are the 'truncate' cases
			...(FILE_READS.includes(read.name)
				? []
				: [[read.name, 'a JSON answer cut after its headers', { kind: 'cutJson' }]]),
		]) as Array<[string, string, DistributiveOmit<FaultSpec, 'path'>]>,
	)('%s survives %s by asking again', async (name, _fault, fault) => {
		const read = operation(name);
		inject(read.path, fault);
		const result = await run(read);
		expectRecovered(result);
		expect(callsTo(env.sandbox, read.path)).toBe(2);
	});

	// JSON reads by GET and POST, and downloads by GET and POST: the four ways a read is sent
	const HANG_READS = [
		'permanentMaterial.getCount',
		'publish.getStatus',
		'temporaryMedia.get',
		'permanentMaterial.get',
	];

	it.each(HANG_READS)(
		'%s asks again when the server stops answering, within the Timeout option',
		async (name) => {
			const read = operation(name);
			inject(read.path, { kind: 'hang' });
			const result = await run(read, { timeout: SHORT_TIMEOUT_MS });
			expectRecovered(result);
			expect(callsTo(env.sandbox, read.path)).toBe(2);
		},
	);

	it('gives up after 3 attempts on a read that keeps failing, naming the failure', async () => {
		const count = operation('permanentMaterial.getCount');
		inject(count.path, { kind: 'http', status: 502, times: 10 });
		const result = await run(count);
		expectReported(
			result,
			/^WeChat material\/get_materialcount: HTTP 502 from the server, 3 attempts made\.$/,
			/did not answer properly/,
		);
		expect(callsTo(env.sandbox, count.path)).toBe(3);
	});

	it('ends a download whose server never answers with a clear timeout error', async () => {
		const get = operation('temporaryMedia.get');
		inject(get.path, { kind: 'hang', times: 10 });
		const result = await run(get, { timeout: SHORT_TIMEOUT_MS });
		expectReported(
			result,
			/^WeChat media\/get: no answer within the request timeout, 3 attempts made\.$/,
			/raise the Timeout option/,
		);
		expect(callsTo(env.sandbox, get.path)).toBe(3);
	});

	it('bounds a token endpoint that stops answering by the Timeout option too', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/stable_token', kind: 'hang' });
		const result = await run(operation('permanentMaterial.getCount'), {
			timeout: SHORT_TIMEOUT_MS,
		});
		expectRecovered(result);
		expect(env.sandbox.tokenCalls()).toBe(2);
	});

	it('polls the publication status through a 5xx while waiting for completion', async () => {
		const submit = operation('publish.submit');
		env.sandbox.configure({ publishPollsBeforeDone: 1 });
		inject('/cgi-bin/freepublish/get', { kind: 'http', status: 503 });
		const result = await run({
			...submit,
			parameters: (data) => ({
				...submit.parameters(data),
				waitForCompletion: true,
				pollInterval: 100,
				maxWait: 10,
			}),
		});
		expectRecovered(result);
		expect(result.items[0].json.status).toBe('published');
		expect(callsTo(env.sandbox, submit.path)).toBe(1);
	});
});

describe('writes that create or delete are never sent twice after an ambiguous failure', () => {
	/** How each write tells the user to find out what happened. */
	const HOW_TO_CHECK: Record<string, RegExp> = {
		'permanentMaterial.add': /Permanent Material → Get Many/,
		'permanentMaterial.deleteMaterial': /Permanent Material → Get: errcode 40007/,
		'news.create': /Permanent Material → Get Many \(type News/,
		'draft.create': /draft box/,
		'publish.submit': /publishing records.*publish the post twice/,
	};

	it('covers every write operation', () => {
		expect(Object.keys(HOW_TO_CHECK).sort()).toEqual(names(WRITES).sort());
	});

	it.each(
		WRITES.flatMap((write) => [
			[write.name, 'HTTP 500', { kind: 'http', status: 500 }, /HTTP 500 from the server/],
			[write.name, 'HTTP 502', { kind: 'http', status: 502 }, /HTTP 502 from the server/],
			[write.name, 'a dropped connection', { kind: 'drop' }, /the connection was dropped/],
			[write.name, 'silence', { kind: 'hang' }, /no answer within the request timeout/],
			[write.name, 'a JSON answer cut after its headers', { kind: 'cutJson' }, /the connection was dropped/],
			[write.name, 'errcode -1', { kind: 'errcode', errcode: -1 }, /WeChat answered errcode -1 \(system error\)/],
		]) as Array<[string, string, DistributiveOmit<FaultSpec, 'path'>, RegExp]>,
	)(
		'%s after %s: sent once, the outcome is unknown and the error says how to check',
		async (name, _fault, fault, what) => {
			const write = operation(name);
			inject(write.path, fault);
			const result = await run(write, { timeout: SHORT_TIMEOUT_MS });
			expectReported(result, what, HOW_TO_CHECK[name]);
			expect(result.error?.message).toMatch(
				/The request may or may not have been carried out, so it was not sent again\.$/,
			);
			const sent = callsTo(env.sandbox, write.path);
			expect(sent).toBe(1);
			tally.duplicateWrites += sent - 1;
		},
	);

	it('does not upload a draft cover twice, nor create the draft, when the cover upload is lost', async () => {
		inject('/cgi-bin/material/add_material', { kind: 'drop' });
		const result = await runNode({
			parameters: {
				resource: 'draft',
				operation: 'create',
				articlesInput: 'json',
				articlesJson: JSON.stringify([{ title: 'T', content: '<p>x</p>', cover_binary: 'cover' }]),
				rehostImages: false,
			},
			items: [{ files: [{ property: 'cover', bytes: jpeg(4000), fileName: 'cover.jpg' }] }],
			credentials: env.credentials(),
		});
		expectReported(result, /material\/add_material: the connection was dropped.*not sent again/);
		expect(callsTo(env.sandbox, '/cgi-bin/material/add_material')).toBe(1);
		expect(callsTo(env.sandbox, '/cgi-bin/draft/add')).toBe(0);
	});
});

describe('temporary uploads may be repeated', () => {
	it.each(
		REPEATABLE_WRITES.flatMap((write) => [
			[write.name, 'HTTP 500', { kind: 'http', status: 500 }],
			[write.name, 'a dropped connection', { kind: 'drop' }],
			[write.name, 'silence', { kind: 'hang' }],
			[write.name, 'a JSON answer cut after its headers', { kind: 'cutJson' }],
		]) as Array<[string, string, DistributiveOmit<FaultSpec, 'path'>]>,
	)('%s survives %s by sending the file again', async (name, _fault, fault) => {
		const write = operation(name);
		inject(write.path, fault);
		const result = await run(write, { timeout: SHORT_TIMEOUT_MS });
		expectRecovered(result);
		expect(callsTo(env.sandbox, write.path)).toBe(2);
		// the second attempt carried the whole file again
		const sizes = env.sandbox
			.log()
			.filter((entry) => entry.path === write.path)
			.map((entry) => (entry.body as { files: Array<{ size: number }> }).files[0].size);
		expect(sizes).toEqual([sizes[0], sizes[0]]);
		expect(sizes[0]).toBe(write.items?.[0].files?.[0].bytes.length);
	});
});

// Giving up on a -1 burst that outlasts the budget is tested in test/transport/token.test.ts.
describe('errcode -1 (system busy) and 45009 (daily quota)', () => {
	// Writes are not repeated after -1: see "writes that create or delete are never sent twice".
	it.each(names([...READS, ...REPEATABLE_WRITES]))('%s waits out -1 and succeeds, doing its work once', async (name) => {
		const any = operation(name);
		inject(any.path, { kind: 'errcode', errcode: -1 });
		const result = await run(any);
		expectRecovered(result);
		const calls = env.sandbox.log().filter((entry) => entry.path === any.path);
		expect(calls.map((entry) => entry.errcode ?? 0)).toEqual([-1, 0]);
	});

	it.each(names(OPERATIONS))(
		'%s stops at 45009 without retrying and says the quota resets daily',
		async (name) => {
			const any = operation(name);
			inject(any.path, { kind: 'errcode', errcode: 45009, times: 5 });
			const result = await run(any);
			expectReported(
				result,
				/failed with errcode 45009/,
				/quota for this API is used up.*resets at midnight.*clear it once in the WeChat admin/,
			);
			expect(callsTo(env.sandbox, any.path)).toBe(1);
		},
	);
});

/** Runs `action` once `path` has received `count` requests (they may still be waiting for answers). */
function afterRequests(path: string, count: number, action: () => Promise<void> | void) {
	let done = false;
	const timer = setInterval(() => {
		if (done || callsTo(env.sandbox, path) < count) return;
		done = true;
		clearInterval(timer);
		void action();
	}, 2);
	return {
		fired: () => done,
		stop: () => clearInterval(timer),
	};
}

describe('a token kicked out while a batch is in flight', () => {
	const uploads = (count: number) =>
		Array.from({ length: count }, (_, index) => ({
			json: { row: index },
			files: [{ bytes: jpeg(2000 + index), fileName: `night-${index}.jpg` }],
		}));

	it('recovers with one refresh when every token is invalidated mid-run; no item fails', async () => {
		const store = createCredentialStore(env.credentials());
		const upload = operation('temporaryMedia.upload');
		env.sandbox.setLatency(40);
		const trigger = afterRequests(upload.path, 6, () => env.sandbox.invalidateTokens());
		try {
			const result = await runNode({
				parameters: withOptions(upload.parameters(seeded), { concurrency: 6 }),
				items: uploads(24),
				credentials: store,
				continueOnFail: true,
			});
			expect(trigger.fired()).toBe(true);
			expectRecovered(result);
			expect(result.items).toHaveLength(24);
			expect(new Set(result.items.map((item) => item.json.media_id)).size).toBe(24);
		} finally {
			trigger.stop();
			env.sandbox.setLatency(0);
		}
		// the requests in flight were refused, and all of them waited for the same single refresh
		expect(env.sandbox.log().filter((entry) => entry.errcode === 40001).length).toBeGreaterThan(1);
		expect(env.sandbox.tokenCalls()).toBe(2);
		tally.faultsInjected++;
	});

	it('recovers when another system takes a classic token mid-run, and adds each material once', async () => {
		env.sandbox.configure({ classicOverlapSeconds: 0 });
		const store = createCredentialStore(env.credentials({ grantEndpoint: 'classic' }));
		const add = operation('permanentMaterial.add');
		env.sandbox.setLatency(40);
		const otherSystem = async () => {
			const { appId, appSecret } = store.data;
			const query = `grant_type=client_credential&appid=${String(appId)}&secret=${String(
				appSecret,
			)}`;
			await fetch(`${env.sandbox.url}/cgi-bin/token?${query}`);
		};
		const trigger = afterRequests(add.path, 4, otherSystem);
		try {
			const result = await runNode({
				parameters: withOptions(add.parameters(seeded), { concurrency: 4 }),
				items: uploads(12),
				credentials: store,
				continueOnFail: true,
			});
			expect(trigger.fired()).toBe(true);
			expectRecovered(result);
			expect(result.items.map((item) => item.pairedItem)).toEqual(
				Array.from({ length: 12 }, (_, item) => ({ item })),
			);
		} finally {
			trigger.stop();
			env.sandbox.setLatency(0);
		}
		const adds = env.sandbox.log().filter((entry) => entry.path === add.path);
		expect(adds.filter((entry) => entry.errcode === 40001).length).toBeGreaterThan(0);
		// each file was stored exactly once: a 40001 is a refusal, not an ambiguous answer
		const storedSizes = adds
			.filter((entry) => entry.errcode === undefined)
			.map((entry) => (entry.body as { files: Array<{ size: number }> }).files[0].size);
		expect(storedSizes.sort()).toEqual(Array.from({ length: 12 }, (_, index) => 2000 + index));
		// our first token, one refresh, and the other system's token
		expect(env.sandbox.tokenCalls()).toBe(3);
		tally.faultsInjected++;
	});
});

describe('a download cut short is an error, never a broken file', () => {
	const downloads: Array<[string, (seeded: Seeded) => Buffer | undefined]> = [
		['permanentMaterial.get', () => jpeg(30_000)],
		// Get HD Voice outputs the stored Speex decoded to WAV
		['temporaryMedia.getHdVoice', (data) => hdVoiceWav(storedBytes('temporary', data.hdVoice))],
	];

	function hdVoiceWav(speex: Buffer): Buffer {
		const decoded = decodeSpeex(speex);
		return encodeWav(decoded.samples, decoded.sampleRate);
	}

	function storedBytes(kind: 'temporary' | 'permanent', mediaId: string): Buffer {
		return (env.sandbox.stored(kind, mediaId) as { bytes: Buffer }).bytes;
	}

	it.each(downloads)('%s fails after 3 cut-short answers, with no file', async (name) => {
		const download = operation(name);
		inject(download.path, { kind: 'truncate', times: 5 });
		const result = await run(download, {}, true);
		expect(result.items).toHaveLength(1);
		expect(result.items[0].binary).toBeUndefined();
		expect(result.items[0].json.error).toMatch(
			/the download was cut short: \d+ of \d+ bytes arrived, 3 attempts made/,
		);
		expect(callsTo(env.sandbox, download.path)).toBe(3);
		tally.reportedClearly++;
	});

	it.each(downloads)(
		'%s reads again after one cut-short answer and stores the whole file',
		async (name, expected) => {
			const download = operation(name);
			inject(download.path, { kind: 'truncate' });
			const result = await run(download);
			expectRecovered(result);
			const bytes = await result.readBinary(0);
			expect(Buffer.compare(bytes, expected(seeded) as Buffer)).toBe(0);
			expect(result.items[0].json.bytes).toBe(bytes.length);
		},
	);

	it('fails a video download (from the plain URL WeChat hands out) that is cut short', async () => {
		const parameters = {
			resource: 'temporaryMedia',
			operation: 'get',
			mediaId: seeded.temporaryVideo,
			binaryPropertyName: 'data',
		};
		const urlOnly = await runNode({ parameters, credentials: env.credentials() });
		const videoPath = new URL(String(urlOnly.items[0].json.video_url)).pathname;

		inject(videoPath, { kind: 'truncate' });
		const once = await runNode({
			parameters: { ...parameters, downloadVideo: true },
			credentials: env.credentials(),
		});
		expectRecovered(once);
		expect(once.items[0].json.bytes).toBe(120_000);
		expect((await once.readBinary(0)).length).toBe(120_000);

		inject(videoPath, { kind: 'truncate', times: 5 });
		const always = await runNode({
			parameters: { ...parameters, downloadVideo: true },
			credentials: env.credentials(),
		});
		expectReported(
			always,
			/file download: the download was cut short: \d+ of 120000 bytes arrived/,
		);
	});
});
