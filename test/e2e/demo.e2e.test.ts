/**
 * `npm start` with WEIXIN_APPID / WEIXIN_APPSECRET / WEIXIN_API_BASE_URL: the demo's credential
 * points at the user's own account instead of the sandbox. A sandbox on its own port stands in for
 * the real API (the demo starts none itself). The AppSecret must reach n8n's encrypted store and
 * nothing else: not what the demo prints, not any file in n8n's folder, not n8n's log.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {
	describeDemo,
	ownAccountFromEnvironment,
	REAL_API_BASE_URL,
	startDemo,
	type Demo,
	type OwnAccount,
} from '../../examples/demo';
import { SANDBOX_APP, startSandbox, type Sandbox } from '../sandbox';

let standIn: Sandbox;
let demo: Demo;
let account: OwnAccount;
let userFolder: string;

beforeAll(async () => {
	standIn = await startSandbox();
	account = ownAccountFromEnvironment({
		WEIXIN_APPID: SANDBOX_APP.appId,
		WEIXIN_APPSECRET: SANDBOX_APP.appSecret,
		WEIXIN_API_BASE_URL: `${standIn.url}/`,
	})!;
	userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-demo-own-'));
	demo = await startDemo({ account, userFolder, n8nPort: 0 });
});

afterAll(async () => {
	await demo?.stop();
	await standIn?.close();
	fs.rmSync(userFolder, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
	return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) return filesUnder(full);
		return entry.isFile() ? [full] : [];
	});
}

describe('npm start with the account in the environment', () => {
	it('reads the account from the environment: both variables or neither', () => {
		expect(ownAccountFromEnvironment({})).toBeUndefined();
		expect(ownAccountFromEnvironment({ WEIXIN_APPID: 'wx1', WEIXIN_APPSECRET: 's' })?.baseUrl).toBe(
			REAL_API_BASE_URL,
		);
		expect(() => ownAccountFromEnvironment({ WEIXIN_APPID: 'wx1' })).toThrow(/both WEIXIN_APPID/);
		expect(() =>
			ownAccountFromEnvironment({ WEIXIN_APPID: 'wx1', WEIXIN_APPSECRET: 's', WEIXIN_API_BASE_URL: 'ftp://x' }),
		).toThrow(/not an http/);
	});

	it('starts no sandbox and runs the first example against the given API with the stored AppSecret', async () => {
		expect(demo.sandbox).toBeUndefined();
		expect(demo.apiUrl).toBe(standIn.url);
		const run = await demo.n8n.execute(demo.workflows['1-temporary-media-from-url']);
		expect(run.error).toBeUndefined();
		// The token exchange succeeded, so the AppSecret n8n holds is the right one.
		expect(standIn.tokenCalls()).toBe(1);
		expect(standIn.log().map((entry) => entry.path)).toEqual(
			expect.arrayContaining(['/cgi-bin/media/upload', '/cgi-bin/media/get']),
		);
	});

	it('prints the account, what the examples create and that only example 3 publishes, never the secret', () => {
		const printed = describeDemo(demo, account).join('\n');
		expect(printed).toContain(SANDBOX_APP.appId);
		expect(printed).toContain('3 days');
		expect(printed).toContain('PUBLISH');
		expect(printed).not.toContain(SANDBOX_APP.appSecret);
	});

	it('leaves the AppSecret and the tokens in no file of the n8n folder (database and log included)', () => {
		const secrets = [SANDBOX_APP.appSecret, ...standIn.issuedTokens()].map((text) => Buffer.from(text));
		const files = filesUnder(userFolder);
		expect(files.some((file) => file.endsWith('database.sqlite'))).toBe(true);
		expect(files.some((file) => file.endsWith('n8n-server.log'))).toBe(true);
		const leaks = files.filter((file) => {
			const bytes = fs.readFileSync(file);
			return secrets.some((secret) => bytes.includes(secret));
		});
		expect(leaks).toEqual([]);
	});
});
