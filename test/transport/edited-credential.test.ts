/**
 * n8n keeps the token preAuthentication stored when the user edits the credential's fields. A token
 * issued for the old AppSecret must not vouch for the new one.
 */
import { forgetAllTokens } from '../../nodes/WeixinMedia/transport/token';
import { createCredentialStore, runNode } from '../harness';
import { useSandbox } from '../support';

const env = useSandbox();

const getCount = { resource: 'permanentMaterial', operation: 'getCount' };
const countCalls = () =>
	env.sandbox.log().filter((entry) => entry.path === '/cgi-bin/material/get_materialcount');

describe('a stored token after the credential was edited', () => {
	it('is not used once the AppSecret changed: the wrong AppSecret fails at once with its hint', async () => {
		const store = createCredentialStore(env.credentials());
		expect((await runNode({ parameters: getCount, credentials: store })).error).toBeUndefined();
		expect(store.data.accessToken).toEqual(expect.any(String));

		// What n8n saves when the user types another AppSecret: the token fields stay as they were.
		const edited = createCredentialStore({ ...store.data, appSecret: 'f'.repeat(32) });
		env.sandbox.clearLog();
		const result = await runNode({ parameters: getCount, credentials: edited });

		expect(result.error?.message).toContain('errcode 40125');
		expect(result.error?.message).toContain('The AppSecret is wrong');
		expect(countCalls()).toEqual([]);
	});

	it('is still used when only the credential name or other n8n fields changed', async () => {
		const store = createCredentialStore(env.credentials());
		await runNode({ parameters: getCount, credentials: store });
		const renamed = createCredentialStore({ ...store.data, allowedHttpRequestDomains: 'all' });
		const calls = env.sandbox.tokenCalls();
		expect((await runNode({ parameters: getCount, credentials: renamed })).error).toBeUndefined();
		expect(env.sandbox.tokenCalls()).toBe(calls);
	});

	it('is replaced once when it was saved without the fingerprint of what it was issued for (an older version)', async () => {
		const store = createCredentialStore(env.credentials());
		await runNode({ parameters: getCount, credentials: store });
		const { accessTokenFingerprint: _fingerprint, ...olderData } = store.data;
		const older = createCredentialStore(olderData);
		// The upgraded n8n process starts with nothing in memory.
		forgetAllTokens();
		const calls = env.sandbox.tokenCalls();

		expect((await runNode({ parameters: getCount, credentials: older })).error).toBeUndefined();
		expect(env.sandbox.tokenCalls()).toBe(calls + 1);
		expect(older.data.accessTokenFingerprint).toEqual(expect.any(String));
		expect((await runNode({ parameters: getCount, credentials: older })).error).toBeUndefined();
		expect(env.sandbox.tokenCalls()).toBe(calls + 1);
	});
});
