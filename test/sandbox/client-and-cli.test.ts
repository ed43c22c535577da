import { spawn } from 'child_process';
import { once } from 'events';
import { join } from 'path';

import { decodeSpeex } from '../../nodes/WeixinMedia/media/speex';
import { jpeg, speex } from '../fixtures/media';
import { classicToken, getJson, stableToken, upload, withToken } from './helpers';
import { SANDBOX_APP, SandboxClient, startSandbox, type Sandbox } from './index';

describe('SandboxClient', () => {
	let sandbox: Sandbox;
	let client: SandboxClient;

	beforeAll(async () => {
		sandbox = await startSandbox();
		client = new SandboxClient(`${sandbox.url}/`);
	});
	afterAll(() => sandbox.close());
	beforeEach(() => client.reset());

	it('drives tokens, clock, faults and config over HTTP without being logged', async () => {
		const token = await classicToken(sandbox);
		expect(await client.issuedTokens()).toEqual([token]);
		expect(await client.tokenCalls()).toBe(1);

		const before = await client.now();
		await client.advanceClock(7200);
		expect(await client.now()).toBeGreaterThanOrEqual(before + 7200);
		expect((await getJson(sandbox, '/cgi-bin/material/get_materialcount', token)).errcode).toBe(
			42001,
		);

		const fresh = await classicToken(sandbox);
		await client.invalidateTokens();
		expect((await getJson(sandbox, '/cgi-bin/material/get_materialcount', fresh)).errcode).toBe(
			40001,
		);

		await client.injectFault({ kind: 'errcode', errcode: 45009, times: 3 });
		expect((await stableToken(sandbox)).errcode).toBe(45009);
		await client.clearFaults();
		expect((await stableToken(sandbox)).access_token).toEqual(expect.any(String));

		expect(await client.configure({ ipWhitelisted: false })).toMatchObject({
			ipWhitelisted: false,
		});
		expect((await stableToken(sandbox, { force_refresh: true })).errcode).toBe(40164);

		const log = await client.log();
		expect(log.every((entry) => !entry.path.startsWith('/__sandbox'))).toBe(true);
		expect(log.map((entry) => entry.path)).toContain('/cgi-bin/stable_token');
		await client.clearLog();
		expect(await client.log()).toEqual([]);
	});

	it('seeds HD voices and reads stored records back', async () => {
		const token = await classicToken(sandbox);
		const voice = speex(1500);
		const mediaId = await client.seedHdVoice(voice);
		const response = await fetch(
			withToken(sandbox, `/cgi-bin/media/get/jssdk?media_id=${mediaId}`, token),
		);
		expect(Buffer.from(await response.arrayBuffer()).equals(voice)).toBe(true);
		const builtIn = await client.seedHdVoice();
		const builtInResponse = await fetch(
			withToken(sandbox, `/cgi-bin/media/get/jssdk?media_id=${builtIn}`, token),
		);
		expect(builtInResponse.headers.get('content-type')).toBe('voice/speex');
		expect(decodeSpeex(Buffer.from(await builtInResponse.arrayBuffer())).layout).toBe('raw');
		const builtInOgg = await client.seedHdVoice('ogg');
		const oggResponse = await fetch(
			withToken(sandbox, `/cgi-bin/media/get/jssdk?media_id=${builtInOgg}`, token),
		);
		expect(decodeSpeex(Buffer.from(await oggResponse.arrayBuffer())).layout).toBe('ogg');

		const image = jpeg(1000);
		const { media_id: imageId } = await upload(
			sandbox,
			'/cgi-bin/media/upload?type=image',
			token,
			image,
			{
				filename: 'a.jpg',
			},
		);
		const stored = (await client.stored('temporary', imageId as string)) as {
			bytes: string;
			filename: string;
		};
		expect(Buffer.from(stored.bytes, 'base64').equals(image)).toBe(true);
		expect(stored.filename).toBe('a.jpg');
		expect(await client.stored('permanent', imageId as string)).toBeUndefined();
	});

	it('rejects bad control input with a clear error', async () => {
		await expect(client.configure({ noSuchSetting: true } as never)).rejects.toThrow(
			/noSuchSetting/,
		);
		await expect(client.injectFault({ kind: 'explode' } as never)).rejects.toThrow(/explode/);
	});

	it('sets latency that survives a reset', async () => {
		await client.setLatency(400);
		await client.reset();
		const api = fetch(`${sandbox.url}/cgi-bin/media/get`).then(() => 'api');
		const control = client.tokenCalls().then(() => 'control');
		expect(await Promise.race([api, control])).toBe('control');
		await api;
		await client.setLatency(0);
	});
});

describe('cli', () => {
	it('starts, prints its address and AppSecret, serves tokens and stops on SIGTERM', async () => {
		const cli = spawn(
			process.execPath,
			['--import', 'tsx', join(__dirname, 'cli.ts'), '--port', '0'],
			{
				stdio: ['ignore', 'pipe', 'pipe'],
			},
		);
		let output = '';
		cli.stdout.setEncoding('utf8');
		const started = new Promise<string>((resolve, reject) => {
			cli.stdout.on('data', (text: string) => {
				output += text;
				if (output.includes('AppSecret')) resolve(output);
			});
			cli.once('exit', (code) => reject(new Error(`cli exited early (${code})`)));
		});
		try {
			const printed = await started;
			const match =
				/^Weixin sandbox listening on (http:\/\/127\.0\.0\.1:\d+) \(AppID (\w+)\)$/m.exec(printed);
			expect(match?.[2]).toBe(SANDBOX_APP.appId);
			expect(printed).toContain(SANDBOX_APP.appSecret);
			const base = match?.[1] as string;
			const query = `grant_type=client_credential&appid=${SANDBOX_APP.appId}&secret=${SANDBOX_APP.appSecret}`;
			const answer = (await (await fetch(`${base}/cgi-bin/token?${query}`)).json()) as {
				expires_in: number;
			};
			expect(answer.expires_in).toBe(7200);
			const exited = once(cli, 'exit');
			cli.kill('SIGTERM');
			expect((await exited)[0]).toBe(0);
		} finally {
			if (cli.exitCode === null) cli.kill('SIGKILL');
		}
	});
});
