/**
 * The stable token's 2-hour rollover, the account a stored token belongs to, and what the token
 * endpoint's own failures cost. Every count comes from the sandbox's request log.
 */
import { jpeg } from '../fixtures/media';
import { createCredentialStore, editCredential, runNode, type RunResult } from '../harness';
import { SANDBOX_APP, SANDBOX_SECOND_APP, startSandbox } from '../sandbox';
import { stableToken } from '../sandbox/helpers';
import { useSandbox } from '../support';
import { forgetAllTokens } from '../../nodes/WeixinMedia/transport/token';

const env = useSandbox();

const uploadImages = (count: number, concurrency = 5) => ({
	parameters: {
		resource: 'temporaryMedia',
		operation: 'upload',
		mediaType: 'image',
		binaryPropertyName: 'data',
		options: { concurrency },
	},
	items: Array.from({ length: count }, (_, index) => ({
		files: [{ bytes: jpeg(1200 + index), fileName: `img${index}.jpg` }],
	})),
});

const apiEntries = (path = '/cgi-bin/media/upload') =>
	env.sandbox.log().filter((entry) => entry.path === path);
const tokenEntries = () => env.sandbox.log().filter((entry) => entry.tokenCall);
const forcedRefreshes = () =>
	tokenEntries().filter((entry) => (entry.body as { force_refresh?: boolean }).force_refresh);

function expectAllUploaded(result: RunResult, count: number): void {
	expect(result.error).toBeUndefined();
	expect(result.items).toHaveLength(count);
	for (const item of result.items) expect(item.json.media_id).toEqual(expect.any(String));
}

/** Moves the sandbox clock so that the stable token in force has `left` seconds to live. */
async function stableTokenWithSecondsLeft(left: number): Promise<string> {
	const first = await stableToken(env.sandbox);
	env.sandbox.advanceClock((first.expires_in as number) - left);
	env.sandbox.clearLog();
	return first.access_token as string;
}

describe('stable token rollover', () => {
	it.each([
		// a late renewal hands the old token out at the boundary and below it
		[280, 30],
		[300, 30],
		[90, 250],
		// the documented renewal: 1 s before the 300 s mark the old token is still handed out
		[301, 0],
	])(
		'uses a token handed out with %i s left to its real expiry, then refreshes without a failed item (renewal lag %i s)',
		async (left, lagSeconds) => {
			env.sandbox.configure({ stableRenewalLagSeconds: lagSeconds });
			const oldToken = await stableTokenWithSecondsLeft(left);
			const store = createCredentialStore(env.credentials());

			const first = await runNode({ ...uploadImages(20), credentials: store });
			expectAllUploaded(first, 20);
			const [grant] = tokenEntries();
			expect(tokenEntries()).toHaveLength(1);
			expect(grant.errcode).toBeUndefined();
			// the node was handed the old token and used it: never refused right after issue
			expect(store.data.accessToken).toBe(oldToken);
			expect(apiEntries().every((entry) => entry.errcode === undefined)).toBe(true);

			// WeChat's clock passes the old token's expiry while the node still counts it as live
			env.sandbox.advanceClock(left + 1);
			env.sandbox.clearLog();
			const second = await runNode({ ...uploadImages(20), credentials: store });
			expectAllUploaded(second, 20);
			// the in-flight items saw 42001 once each: a reason to refresh and retry, one token call
			expect(tokenEntries()).toHaveLength(1);
			expect(forcedRefreshes()).toHaveLength(0);
			expect(store.data.accessToken).not.toBe(oldToken);
			const expired = apiEntries().filter((entry) => entry.errcode === 42001);
			expect(expired.length).toBeGreaterThanOrEqual(1);
			expect(expired.length).toBeLessThanOrEqual(5);
			console.log(
				`rollover ${left} s left: 1 token call to start, then ${expired.length} × 42001 and ${tokenEntries().length} token call, 0 forced, 0 failed items`,
			);
		},
	);

	it('refreshes a stored token inside the 2-minute margin before use, and WeChat hands out the successor', async () => {
		const store = createCredentialStore(env.credentials());
		await runNode({ ...uploadImages(1), credentials: store });
		const oldToken = store.data.accessToken;
		// 100 s left by both clocks: inside the node's margin, inside WeChat's renewal window
		env.sandbox.advanceClock(7200 - 100);
		editCredential(store, { accessTokenExpiresAt: Date.now() + 100_000 });
		// a worker that reads the store now (this process remembers the expiry it saw itself)
		forgetAllTokens();
		env.sandbox.clearLog();

		const result = await runNode({ ...uploadImages(10), credentials: store });
		expectAllUploaded(result, 10);
		expect(tokenEntries()).toHaveLength(1);
		expect(store.data.accessToken).not.toBe(oldToken);
		// no request carried the old token: nothing failed and nothing was retried
		expect(apiEntries()).toHaveLength(10);
		expect(apiEntries().every((entry) => entry.errcode === undefined)).toBe(true);
	});

	it('does not use a stored token without an expiry', async () => {
		const store = createCredentialStore(env.credentials());
		await runNode({ ...uploadImages(1), credentials: store });
		editCredential(store, { accessTokenExpiresAt: 0 });
		forgetAllTokens();
		env.sandbox.clearLog();
		const result = await runNode({ ...uploadImages(1), credentials: store });
		expectAllUploaded(result, 1);
		expect(tokenEntries()).toHaveLength(1);
		expect(Number(store.data.accessTokenExpiresAt)).toBeGreaterThan(Date.now());
	});
});

describe('a stored token belongs to the account, endpoint and base URL that fetched it', () => {
	it('after an edit from AppID A to B, requests carry B\'s token, never A\'s', async () => {
		const store = createCredentialStore(env.credentials());
		await runNode({ ...uploadImages(1), credentials: store });
		const tokenOfA = store.data.accessToken;
		// the save's automatic credential test failed or was skipped: A's token is still stored
		editCredential(store, {
			appId: SANDBOX_SECOND_APP.appId,
			appSecret: SANDBOX_SECOND_APP.appSecret,
		});
		expect(store.data.accessToken).toBe(tokenOfA);
		env.sandbox.clearLog();

		const result = await runNode({ ...uploadImages(3), credentials: store });
		expectAllUploaded(result, 3);
		expect(tokenEntries().map((entry) => entry.appId)).toEqual([SANDBOX_SECOND_APP.appId]);
		expect(apiEntries().map((entry) => entry.appId)).toEqual(
			Array(3).fill(SANDBOX_SECOND_APP.appId),
		);
		expect(store.data.accessToken).not.toBe(tokenOfA);

		// and back: A's requests never carry B's token either
		editCredential(store, { appId: SANDBOX_APP.appId, appSecret: SANDBOX_APP.appSecret });
		env.sandbox.clearLog();
		await runNode({ ...uploadImages(1), credentials: store });
		expect(apiEntries().map((entry) => entry.appId)).toEqual([SANDBOX_APP.appId]);
	});

	it('fetches a new token after an edit of the token endpoint', async () => {
		const store = createCredentialStore(env.credentials());
		await runNode({ ...uploadImages(1), credentials: store });
		const before = store.data.accessToken;
		editCredential(store, { grantEndpoint: 'classic' });
		env.sandbox.clearLog();
		const result = await runNode({ ...uploadImages(1), credentials: store });
		expectAllUploaded(result, 1);
		expect(tokenEntries().map((entry) => entry.path)).toEqual(['/cgi-bin/token']);
		expect(store.data.accessToken).not.toBe(before);
	});

	it('fetches a new token after an edit of the base URL (another WeChat, or another proxy)', async () => {
		const store = createCredentialStore(env.credentials());
		await runNode({ ...uploadImages(1), credentials: store });
		const other = await startSandbox();
		try {
			editCredential(store, { baseUrl: other.url });
			const result = await runNode({ ...uploadImages(2), credentials: store });
			expectAllUploaded(result, 2);
			// no request carried the token of the old base URL: nothing was rejected
			expect(other.tokenCalls()).toBe(1);
			expect(other.log().filter((entry) => entry.errcode !== undefined)).toEqual([]);
		} finally {
			await other.close();
		}
	});
});

describe('token endpoint failures', () => {
	it('makes a small, bounded number of token calls when the endpoint answers -1', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/stable_token', kind: 'errcode', errcode: -1, times: 50 });
		const started = Date.now();
		const result = await runNode({ ...uploadImages(1), credentials: env.credentials() });
		const elapsed = Date.now() - started;
		expect(result.error?.message).toContain('errcode -1');
		expect(result.error?.description).toContain('busy');
		expect(tokenEntries()).toHaveLength(3);
		expect(apiEntries()).toHaveLength(0);
		expect(elapsed).toBeLessThan(5_000);
		console.log(`token endpoint -1: ${tokenEntries().length} token calls in ${elapsed} ms`);
	});

	it('recovers when the token endpoint is busy briefly', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/stable_token', kind: 'errcode', errcode: -1, times: 2 });
		const result = await runNode({ ...uploadImages(3), credentials: env.credentials() });
		expectAllUploaded(result, 3);
		expect(tokenEntries()).toHaveLength(3);
	});

	it("gives up on a hung token call after the run's own Timeout and tries again", async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/stable_token', kind: 'hang', times: 1 });
		const started = Date.now();
		const result = await runNode({
			...uploadImages(1),
			parameters: { ...uploadImages(1).parameters, options: { timeout: 1000 } },
			credentials: env.credentials(),
		});
		expectAllUploaded(result, 1);
		expect(tokenEntries()).toHaveLength(2);
		expect(Date.now() - started).toBeLessThan(8_000);
	});
});
