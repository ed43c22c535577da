import { jpeg } from '../fixtures/media';
import { createCredentialStore, runNode } from '../harness';
import { forgetAllTokens } from '../../nodes/WeixinMedia/transport/token';
import { useSandbox } from '../support';

const env = useSandbox();

const uploadImages = (count: number, concurrency = 16) => ({
	parameters: {
		resource: 'temporaryMedia',
		operation: 'upload',
		mediaType: 'image',
		binaryPropertyName: 'data',
		options: { concurrency },
	},
	items: Array.from({ length: count }, (_, index) => ({
		files: [{ bytes: jpeg(1500 + index), fileName: `img${index}.jpg` }],
	})),
});

const uploadCalls = () =>
	env.sandbox.log().filter((entry) => entry.path === '/cgi-bin/media/upload');

describe('access token: fetched once, shared, refreshed once', () => {
	it('makes one token call for 100 uploads, none for the next execution, none for another process', async () => {
		const store = createCredentialStore(env.credentials());
		const first = await runNode({ ...uploadImages(100), credentials: store });
		expect(first.error).toBeUndefined();
		expect(first.items).toHaveLength(100);
		expect(env.sandbox.tokenCalls()).toBe(1);
		// n8n saved the token with the credential (its database, shared by queue-mode workers).
		expect(store.data.accessToken).toEqual(expect.any(String));

		await runNode({ ...uploadImages(100), credentials: store });
		expect(env.sandbox.tokenCalls()).toBe(1);

		// A new process (another worker) has no token in memory: it reads the saved one.
		forgetAllTokens();
		await runNode({ ...uploadImages(100), credentials: store });
		expect(env.sandbox.tokenCalls()).toBe(1);
		expect(uploadCalls()).toHaveLength(300);
	});

	it('has at most one token request in flight for 40 items processed 40 at a time', async () => {
		env.sandbox.setLatency(50);
		const result = await runNode({ ...uploadImages(40, 40), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(env.sandbox.tokenCalls()).toBe(1);
	});

	it('lets one of 40 items starting at once go through the credential store; the others wait for its token', async () => {
		env.sandbox.setLatency(50);
		const store = createCredentialStore(env.credentials());
		const result = await runNode({ ...uploadImages(40, 40), credentials: store });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(40);
		expect(env.sandbox.tokenCalls()).toBe(1);
		// Without the wait, every item read the credential, refreshed it and saved it again.
		expect(store.updates).toBe(1);
		expect(uploadCalls().filter((entry) => entry.status === 200 && !entry.errcode)).toHaveLength(40);
	});

	it.each([40001, 40014, 42001])(
		'refreshes once and retries once when an upload answers %i, rebuilding the multipart body',
		async (errcode) => {
			const store = createCredentialStore(env.credentials());
			await runNode({ ...uploadImages(1), credentials: store });
			const firstToken = store.data.accessToken;
			env.sandbox.clearLog();
			env.sandbox.injectFault({ path: '/cgi-bin/media/upload', kind: 'errcode', errcode, times: 1 });

			const result = await runNode({ ...uploadImages(1), credentials: store });

			expect(result.error).toBeUndefined();
			expect(result.items[0].json.media_id).toEqual(expect.any(String));
			expect(uploadCalls()).toHaveLength(2);
			// the retry carried the whole file again
			expect(uploadCalls().map((entry) => JSON.stringify(entry.body))).toEqual([
				expect.stringContaining('"size":1500'),
				expect.stringContaining('"size":1500'),
			]);
			const forced = env.sandbox
				.log()
				.filter((entry) => entry.tokenCall)
				.map((entry) => (entry.body as { force_refresh?: boolean }).force_refresh);
			if (errcode === 40014) {
				// "malformed": the token may have been mangled on the way; a normal call hands it out
				// again and the retry carries it. 40014 never forces a refresh.
				expect(forced).toEqual([false]);
				expect(store.data.accessToken).toBe(firstToken);
			} else {
				// stable_token still hands out the token the fault rejected, so the normal call is
				// followed by one forced refresh
				expect(forced).toEqual([false, true]);
				expect(store.data.accessToken).not.toBe(firstToken);
			}
			// the token went back into n8n's credential store
			expect(store.updates).toBe(2);
		},
	);

	it.each([
		[40001, 'GET', '/cgi-bin/material/get_materialcount', { operation: 'getCount' }],
		[40014, 'GET', '/cgi-bin/material/get_materialcount', { operation: 'getCount' }],
		[42001, 'POST', '/cgi-bin/material/batchget_material', { operation: 'getMany', materialType: 'image', returnAll: true }],
	])(
		'refreshes once and retries once when a JSON call answers %i (%s %s)',
		async (errcode, method, path, parameters) => {
			const store = createCredentialStore(env.credentials());
			await runNode({ ...uploadImages(1), credentials: store });
			env.sandbox.clearLog();
			env.sandbox.injectFault({ path, kind: 'errcode', errcode, times: 1 });
			const result = await runNode({
				parameters: { resource: 'permanentMaterial', ...parameters },
				credentials: store,
			});
			expect(result.error).toBeUndefined();
			const calls = env.sandbox.log().filter((entry) => entry.path === path);
			expect(calls.map((entry) => [entry.method, entry.errcode ?? 0])).toEqual([
				[method, errcode],
				[method, 0],
			]);
			expect(store.updates).toBe(2);
		},
	);

	it('never loops: a second token error ends the item with the hint', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/media/upload', kind: 'errcode', errcode: 40001, times: 10 });
		const result = await runNode({ ...uploadImages(1), credentials: env.credentials() });
		expect(result.error?.message).toContain('errcode 40001');
		expect(result.error?.description).toContain('stable token endpoint');
		expect(uploadCalls()).toHaveLength(2);
	});

	it('recovers when every token is invalidated mid-run, with one refresh for all items', async () => {
		const store = createCredentialStore(env.credentials());
		await runNode({ ...uploadImages(1), credentials: store });
		env.sandbox.invalidateTokens();
		env.sandbox.clearLog();
		const result = await runNode({ ...uploadImages(20, 5), credentials: store });
		expect(result.error).toBeUndefined();
		expect(result.items.every((item) => typeof item.json.media_id === 'string')).toBe(true);
		expect(env.sandbox.tokenCalls()).toBe(1);
	});

	it('recovers from an expired token (42001 by the service clock)', async () => {
		const store = createCredentialStore(env.credentials());
		await runNode({ ...uploadImages(1), credentials: store });
		env.sandbox.advanceClock(7300);
		env.sandbox.clearLog();
		const result = await runNode({ ...uploadImages(3), credentials: store });
		expect(result.error).toBeUndefined();
		expect(env.sandbox.log().filter((e) => e.errcode === 42001).length).toBeGreaterThanOrEqual(1);
		expect(env.sandbox.tokenCalls()).toBe(1);
	});

	it('with the classic endpoint, recovers after another system knocks its token out', async () => {
		env.sandbox.configure({ classicOverlapSeconds: 0 });
		const store = createCredentialStore(env.credentials({ grantEndpoint: 'classic' }));
		await runNode({ ...uploadImages(1), credentials: store });
		// another system using the same AppID fetches its own classic token
		const other = await fetch(
			`${env.sandbox.url}/cgi-bin/token?grant_type=client_credential&appid=${store.data.appId}&secret=${store.data.appSecret}`,
		);
		expect(((await other.json()) as { access_token?: string }).access_token).toBeDefined();
		env.sandbox.clearLog();
		const result = await runNode({ ...uploadImages(2, 1), credentials: store });
		expect(result.error).toBeUndefined();
		expect(env.sandbox.log().filter((e) => e.errcode === 40001)).toHaveLength(1);
		expect(env.sandbox.tokenCalls()).toBe(1);
	});

	it('uses a forced stable refresh only when the normal call returns the rejected token', async () => {
		const store = createCredentialStore(env.credentials());
		await runNode({ ...uploadImages(1), credentials: store });
		// WeChat rejects the token while stable_token still hands it out: only force_refresh helps
		env.sandbox.injectFault({ path: '/cgi-bin/media/upload', kind: 'errcode', errcode: 40001, times: 1 });
		env.sandbox.clearLog();
		const result = await runNode({ ...uploadImages(1), credentials: store });
		expect(result.error).toBeUndefined();
		const tokenBodies = env.sandbox
			.log()
			.filter((entry) => entry.tokenCall)
			.map((entry) => (entry.body as { force_refresh?: boolean }).force_refresh);
		expect(tokenBodies).toEqual([false, true]);
	});
});

describe('busy, quota and token-call failures', () => {
	it('retries errcode -1 with backoff and succeeds when the burst ends', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/media/upload', kind: 'errcode', errcode: -1, times: 3 });
		const result = await runNode({ ...uploadImages(1), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(uploadCalls()).toHaveLength(4);
		const times = uploadCalls().map((entry) => entry.time);
		// waits grow between attempts
		expect(times[3] - times[2]).toBeGreaterThan(times[1] - times[0]);
	});

	it('gives up on a -1 burst that outlasts the retry budget, saying WeChat is busy', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/media/upload', kind: 'errcode', errcode: -1, times: 20 });
		const result = await runNode({ ...uploadImages(1), credentials: env.credentials() });
		expect(result.error?.message).toContain('errcode -1');
		expect(result.error?.description).toContain('busy');
		expect(uploadCalls()).toHaveLength(5);
	});

	it('does not retry 45009 and says the quota resets daily', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/media/upload', kind: 'errcode', errcode: 45009, times: 5 });
		const result = await runNode({ ...uploadImages(1), credentials: env.credentials() });
		expect(result.error?.message).toContain('errcode 45009');
		expect(result.error?.description).toMatch(/resets at midnight/);
		expect(uploadCalls()).toHaveLength(1);
	});

	it.each([
		['a wrong AppSecret', { appSecret: 'ffffffffffffffffffffffffffffffff' }, 40125, 'AppSecret is wrong'],
		// the classic endpoint's 40001 for a wrong secret is a credential problem, not a rejected token
		['a wrong AppSecret (classic)', { appSecret: 'ffffffffffffffffffffffffffffffff', grantEndpoint: 'classic' }, 40001, 'AppSecret is wrong'],
		['a wrong AppID', { appId: 'wx0000000000000000' }, 40013, 'AppID is wrong'],
	])('explains %s in the error', async (_case, overrides, errcode, advice) => {
		const result = await runNode({ ...uploadImages(1), credentials: env.credentials(overrides) });
		expect(result.error?.message).toContain(`errcode ${errcode}`);
		expect(`${result.error?.message} ${result.error?.description}`).toContain(advice);
		expect(uploadCalls()).toHaveLength(0);
		// one token call: a token endpoint's answer is final for the item
		expect(env.sandbox.tokenCalls()).toBe(1);
	});

	it('explains a caller IP outside the whitelist (40164)', async () => {
		env.sandbox.configure({ ipWhitelisted: false });
		const result = await runNode({ ...uploadImages(1), credentials: env.credentials() });
		expect(result.error?.message).toContain('errcode 40164');
		expect(result.error?.message).toContain('IP whitelist');
	});
});

describe('redaction', () => {
	it('keeps the AppSecret and every issued token out of outputs, errors and logs', async () => {
		const secret = env.credentials().appSecret as string;
		const texts: string[] = [];
		const store = createCredentialStore(env.credentials());
		const ok = await runNode({ ...uploadImages(2), credentials: store });
		texts.push(JSON.stringify(ok.items), ...ok.logs);
		env.sandbox.injectFault({ path: '/cgi-bin/media/upload', kind: 'http', status: 500, times: 1 });
		env.sandbox.injectFault({ path: '/cgi-bin/media/upload', kind: 'errcode', errcode: 40001, times: 2 });
		const failing = await runNode({ ...uploadImages(3), credentials: store, continueOnFail: true });
		texts.push(JSON.stringify(failing.items), ...failing.logs);
		const wrongBase = await runNode({
			...uploadImages(1),
			credentials: env.credentials({ baseUrl: `${env.sandbox.url}/nowhere`, grantEndpoint: 'classic' }),
		});
		texts.push(JSON.stringify(wrongBase.error), wrongBase.error?.message ?? '', ...wrongBase.logs);
		expect(wrongBase.error).toBeDefined();

		const tokens = env.sandbox.issuedTokens();
		expect(tokens.length).toBeGreaterThan(0);
		const everything = texts.join('\n');
		expect(everything).not.toContain(secret);
		for (const token of tokens) expect(everything).not.toContain(token);
		expect(everything).not.toMatch(/access_token=[^*&"\s]/);
	});
});
