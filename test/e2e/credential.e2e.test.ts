/**
 * The credential test a user runs in n8n's editor ("Test" on the credential), through n8n's REST API
 * against a running n8n 2.41.1: it must pass for good keys and say what to fix for bad ones.
 */
import { DEMO_OWNER, setUpOwner } from '../../examples/demo';
import { SANDBOX_APP, startSandbox, type Sandbox } from '../sandbox';
import { CREDENTIAL_TYPE, createN8nInstance, type N8nInstance } from './n8n';

let sandbox: Sandbox;
let n8n: N8nInstance;
let cookie: string;
let credentialId: string;

const headers = () => ({ 'Content-Type': 'application/json', cookie, 'browser-id': 'credential-e2e' });
const goodData = () => ({
	appId: SANDBOX_APP.appId,
	appSecret: SANDBOX_APP.appSecret,
	grantEndpoint: 'stable',
	baseUrl: sandbox.url,
});

beforeAll(async () => {
	sandbox = await startSandbox();
	n8n = await createN8nInstance({ sandboxUrl: sandbox.url });
	await n8n.start();
	await setUpOwner(n8n);
	const login = await fetch(`${n8n.url}/rest/login`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'browser-id': 'credential-e2e' },
		body: JSON.stringify({ emailOrLdapLoginId: DEMO_OWNER.email, password: DEMO_OWNER.password }),
	});
	expect(login.status).toBe(200);
	cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
	// The editor tests a saved credential, with the data currently in the form.
	const created = await fetch(`${n8n.url}/rest/credentials`, {
		method: 'POST',
		headers: headers(),
		body: JSON.stringify({ name: 'WeChat under test', type: CREDENTIAL_TYPE, data: goodData() }),
	});
	expect(created.status).toBe(200);
	credentialId = ((await created.json()) as { data: { id: string } }).data.id;
});

afterAll(async () => {
	await n8n?.cleanup();
	await sandbox?.close();
});

beforeEach(() => sandbox.reset());

async function testCredential(overrides: Record<string, unknown>) {
	const response = await fetch(`${n8n.url}/rest/credentials/test`, {
		method: 'POST',
		headers: headers(),
		body: JSON.stringify({
			credentials: {
				id: credentialId,
				name: 'WeChat under test',
				type: CREDENTIAL_TYPE,
				data: { ...goodData(), ...overrides },
			},
		}),
	});
	if (response.status !== 200) throw new Error(`${response.status}: ${await response.text()}`);
	const body = (await response.json()) as { data: { status: string; message: string } };
	return body.data;
}

describe('credential test in a real n8n', () => {
	// First: n8n asks WeChat afresh when a credential is tested, but a token this process fetched
	// seconds ago is reused, which would hide the whitelist check.
	it('fails for a caller IP outside the whitelist, pointing at the whitelist and the proxy option', async () => {
		sandbox.configure({ ipWhitelisted: false });
		const result = await testCredential({});
		expect(result.status).toBe('Error');
		expect(result.message).toContain('40164');
		expect(result.message).toContain('IP whitelist');
		expect(result.message).toContain('reverse proxy');
	});

	it('passes for a good AppID and AppSecret, after a real token exchange and API call', async () => {
		const result = await testCredential({});
		expect(result.status).toBe('OK');
		expect(sandbox.tokenCalls()).toBe(1);
		expect(sandbox.log().map((entry) => entry.path)).toContain('/cgi-bin/material/get_materialcount');
	});

	it.each([
		['a wrong AppSecret (stable)', { appSecret: 'f'.repeat(32) }, '40125', 'AppSecret is wrong'],
		['a wrong AppSecret (classic)', { appSecret: 'f'.repeat(32), grantEndpoint: 'classic' }, '40001', 'AppSecret is wrong'],
		['a wrong AppID', { appId: 'wx0000000000000000' }, '40013', 'AppID is wrong'],
	])('fails for %s, saying what to fix', async (_case, overrides, errcode, advice) => {
		const result = await testCredential(overrides);
		expect(result.status).toBe('Error');
		expect(result.message).toContain(errcode);
		expect(result.message).toContain(advice);
		expect(result.message).not.toContain(SANDBOX_APP.appSecret);
	});

});
