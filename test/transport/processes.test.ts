/**
 * Two n8n processes (queue-mode workers) sharing one credential store, and nothing else: the second
 * is a separate copy of the node, its token code and n8n-core, loaded in its own module registry.
 */
import { jpeg } from '../fixtures/media';
import * as firstProcess from '../harness';
import { createCredentialStore, type CredentialStore, type RunResult } from '../harness';
import { useSandbox } from '../support';
import { forgetAllTokens } from '../../nodes/WeixinMedia/transport/token';

type Harness = typeof import('../harness');
type TokenModule = typeof import('../../nodes/WeixinMedia/transport/token');

const env = useSandbox();

let secondProcess: Harness;
let secondProcessTokens: TokenModule;
jest.isolateModules(() => {
	/* eslint-disable @typescript-eslint/no-require-imports */
	secondProcess = require('../harness') as Harness;
	secondProcessTokens = require('../../nodes/WeixinMedia/transport/token') as TokenModule;
	/* eslint-enable @typescript-eslint/no-require-imports */
});
beforeEach(() => secondProcessTokens.forgetAllTokens());

const workers = () => [firstProcess, secondProcess];

const uploadImages = (count: number, concurrency = 5, firstSize = 1300) => ({
	parameters: {
		resource: 'temporaryMedia',
		operation: 'upload',
		mediaType: 'image',
		binaryPropertyName: 'data',
		options: { concurrency },
	},
	items: Array.from({ length: count }, (_, index) => ({
		files: [{ bytes: jpeg(firstSize + index), fileName: `img${index}.jpg` }],
	})),
});

const tokenEntries = () => env.sandbox.log().filter((entry) => entry.tokenCall);
const forceAttempts = () =>
	tokenEntries().filter((entry) => (entry.body as { force_refresh?: boolean }).force_refresh);
/** Forced refreshes WeChat carried out (a refused one, 45011, invalidates nothing). */
const forcedRefreshes = () => forceAttempts().filter((entry) => entry.errcode === undefined);
const failedItems = (results: RunResult[]) =>
	results.flatMap((result) => (result.error ? [result.error] : [])).length;

/** Both workers run once, so each holds the stored token in memory. */
async function warmUp(store: CredentialStore): Promise<void> {
	for (const worker of workers()) {
		const result = await worker.runNode({ ...uploadImages(1), credentials: store });
		expect(result.error).toBeUndefined();
	}
	expect(env.sandbox.tokenCalls()).toBe(1);
	env.sandbox.clearLog();
}

describe('two workers, one credential store', () => {
	it('share the stored token: one token call for both', async () => {
		const store = createCredentialStore(env.credentials());
		const results = await Promise.all(
			workers().map((worker) => worker.runNode({ ...uploadImages(10), credentials: store })),
		);
		expect(failedItems(results)).toBe(0);
		// both may find the store empty at the same moment; then each makes one plain call
		expect(env.sandbox.tokenCalls()).toBeLessThanOrEqual(2);
		expect(forceAttempts()).toHaveLength(0);
	});

	it('the second worker to see a 40001 takes the token the first one saved: one forced refresh', async () => {
		const store = createCredentialStore(env.credentials());
		await warmUp(store);
		const rejected = store.data.accessToken;
		// WeChat rejects the token while stable_token still hands it out (only a forced refresh helps);
		// the forced refresh then really invalidates it under the second worker
		env.sandbox.injectFault({ path: '/cgi-bin/media/upload', kind: 'errcode', errcode: 40001, times: 1 });

		const first = await firstProcess.runNode({ ...uploadImages(1), credentials: store });
		const second = await secondProcess.runNode({ ...uploadImages(1), credentials: store });
		expect(failedItems([first, second])).toBe(0);
		expect(forceAttempts()).toHaveLength(1);
		expect(forcedRefreshes()).toHaveLength(1);
		// the second worker made no token call: it read the first one's token from the store
		expect(tokenEntries()).toHaveLength(2);
		expect(store.data.accessToken).not.toBe(rejected);
		const uploads = env.sandbox.log().filter((entry) => entry.path === '/cgi-bin/media/upload');
		expect(uploads.map((entry) => entry.errcode ?? 0)).toEqual([40001, 0, 40001, 0]);
	});

	it('two workers seeing the same 40001 at the same moment make at most one forced refresh', async () => {
		const counts: string[] = [];
		for (let round = 0; round < 5; round++) {
			env.sandbox.reset();
			// both processes start without a token in memory
			forgetAllTokens();
			secondProcessTokens.forgetAllTokens();
			const store = createCredentialStore(env.credentials());
			await warmUp(store);
			env.sandbox.injectFault({
				path: '/cgi-bin/media/upload',
				kind: 'errcode',
				errcode: 40001,
				times: 2,
			});
			// one upload each, told apart by size in the log: 1300 bytes from the first, 2300 from the second
			const results = await Promise.all(
				workers().map((worker, index) =>
					worker.runNode({ ...uploadImages(1, 1, 1300 + 1000 * index), credentials: store }),
				),
			);
			expect(failedItems(results)).toBe(0);
			const rejectedSizes = env.sandbox
				.log()
				.filter((entry) => entry.errcode === 40001)
				.map((entry) => JSON.stringify(entry.body).match(/"size":(\d+)/)?.[1]);
			// both workers saw the rejection
			expect(rejectedSizes.sort()).toEqual(['1300', '2300']);
			expect(forcedRefreshes().length).toBeLessThanOrEqual(1);
			expect(forceAttempts().length).toBeLessThanOrEqual(2);
			counts.push(
				`${tokenEntries().length} token calls, ${forceAttempts().length} force attempts, ${forcedRefreshes().length} forced`,
			);
		}
		console.log(`two workers, same 40001 at once: ${counts.join('; ')}`);
	});

	it('tokens invalidated under both workers: every item succeeds, no forced refresh', async () => {
		const store = createCredentialStore(env.credentials());
		await warmUp(store);
		env.sandbox.invalidateTokens();
		const results = await Promise.all(
			workers().map((worker) => worker.runNode({ ...uploadImages(10), credentials: store })),
		);
		expect(failedItems(results)).toBe(0);
		expect(env.sandbox.tokenCalls()).toBeLessThanOrEqual(2);
		expect(forceAttempts()).toHaveLength(0);
		console.log(`two workers, tokens invalidated: ${env.sandbox.tokenCalls()} token calls, 0 forced`);
	});

	it('40014 (malformed on the way) never forces, in either worker', async () => {
		const store = createCredentialStore(env.credentials());
		await warmUp(store);
		env.sandbox.injectFault({ path: '/cgi-bin/media/upload', kind: 'errcode', errcode: 40014, times: 2 });
		const results = await Promise.all(
			workers().map((worker) => worker.runNode({ ...uploadImages(3), credentials: store })),
		);
		expect(failedItems(results)).toBe(0);
		expect(forceAttempts()).toHaveLength(0);
	});
});
