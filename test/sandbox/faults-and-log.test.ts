import { get as httpGet } from 'http';

import { jpeg } from '../fixtures/media';
import { getJson, postJson, sandboxPerTest, stableToken, upload, withToken } from './helpers';
import { SANDBOX_APP, startSandbox, type Sandbox } from './index';

let sandbox: Sandbox;
let token: string;

sandboxPerTest((started, freshToken) => {
	sandbox = started;
	token = freshToken;
});

const COUNT_PATH = '/cgi-bin/material/get_materialcount';
const countErrcode = async () => (await getJson(sandbox, COUNT_PATH, token)).errcode ?? 0;

async function uploadImage(): Promise<string> {
	const answer = await upload(sandbox, '/cgi-bin/media/upload?type=image', token, jpeg(4000), {
		filename: 'a.jpg',
	});
	return answer.media_id as string;
}

/** Reads a download with the raw http module, which reports what arrived before the line died. */
function rawDownload(
	url: string,
): Promise<{ contentLength: number; received: number; complete: boolean }> {
	return new Promise((resolve, reject) => {
		httpGet(url, (response) => {
			let received = 0;
			response.on('data', (chunk: Buffer) => (received += chunk.length));
			response.on('error', () => undefined);
			response.on('close', () =>
				resolve({
					contentLength: Number(response.headers['content-length']),
					received,
					complete: response.complete,
				}),
			);
		}).on('error', reject);
	});
}

describe('faults', () => {
	it('answers an injected errcode once on its path, then behaves normally', async () => {
		sandbox.injectFault({ path: COUNT_PATH, kind: 'errcode', errcode: -1 });
		expect(await getJson(sandbox, COUNT_PATH, token)).toEqual({
			errcode: -1,
			errmsg: 'system error',
		});
		expect(await countErrcode()).toBe(0);
	});

	it('fires a fault `times` times, in order of injection, and only on its own path', async () => {
		sandbox.injectFault({ path: COUNT_PATH, kind: 'errcode', errcode: 45009, times: 2 });
		sandbox.injectFault({
			path: COUNT_PATH,
			kind: 'errcode',
			errcode: 48001,
			errmsg: 'api unauthorized',
		});
		const draft = await postJson(sandbox, '/cgi-bin/draft/get', { media_id: 'x' }, token);
		expect(draft.errcode).toBe(40007);
		expect([
			await countErrcode(),
			await countErrcode(),
			await countErrcode(),
			await countErrcode(),
		]).toEqual([45009, 45009, 48001, 0]);
	});

	it('hits token calls when no path is given', async () => {
		sandbox.injectFault({ kind: 'errcode', errcode: -1 });
		expect((await stableToken(sandbox)).errcode).toBe(-1);
		expect(sandbox.log().at(-1)).toMatchObject({ tokenCall: true, fault: 'errcode', errcode: -1 });
		expect((await stableToken(sandbox)).access_token).toEqual(expect.any(String));
	});

	it('answers an http fault with that status and a short HTML page', async () => {
		sandbox.injectFault({ kind: 'http', status: 502 });
		const response = await fetch(withToken(sandbox, COUNT_PATH, token));
		expect(response.status).toBe(502);
		expect(response.headers.get('content-type')).toBe('text/html');
		expect(await response.text()).toContain('502 Bad Gateway');
		expect(await countErrcode()).toBe(0);
	});

	it('drops the connection without an answer', async () => {
		sandbox.injectFault({ path: COUNT_PATH, kind: 'drop' });
		await expect(fetch(withToken(sandbox, COUNT_PATH, token))).rejects.toThrow();
		expect(sandbox.log().at(-1)).toMatchObject({ path: COUNT_PATH, status: 0, fault: 'drop' });
		expect(await countErrcode()).toBe(0);
	});

	it('truncates only file answers: full Content-Length, half the bytes, then the socket closes', async () => {
		const mediaId = await uploadImage();
		sandbox.injectFault({ kind: 'truncate' });
		// JSON answers pass through and leave the fault queued.
		expect(await countErrcode()).toBe(0);
		const download = await rawDownload(
			withToken(sandbox, `/cgi-bin/media/get?media_id=${mediaId}`, token),
		);
		expect(download).toEqual({ contentLength: 4000, received: 2000, complete: false });
		expect(sandbox.log().at(-1)).toMatchObject({
			path: '/cgi-bin/media/get',
			fault: 'truncate',
			status: 200,
		});
		const again = await rawDownload(
			withToken(sandbox, `/cgi-bin/media/get?media_id=${mediaId}`, token),
		);
		expect(again).toEqual({ contentLength: 4000, received: 4000, complete: true });
	});

	it('stalls only file answers: full Content-Length, half the bytes, then silence until the client closes', async () => {
		const mediaId = await uploadImage();
		sandbox.injectFault({ kind: 'stall' });
		// JSON answers pass through and leave the fault queued.
		expect(await countErrcode()).toBe(0);
		const url = withToken(sandbox, `/cgi-bin/media/get?media_id=${mediaId}`, token);
		const seen = await new Promise<{ contentLength: number; received: number; closed: boolean }>(
			(resolve) => {
				const request = httpGet(url, (response) => {
					let received = 0;
					let closed = false;
					response.on('data', (chunk: Buffer) => (received += chunk.length));
					response.on('error', () => undefined);
					response.on('close', () => (closed = true));
					setTimeout(() => {
						resolve({ contentLength: Number(response.headers['content-length']), received, closed });
						request.destroy();
					}, 500);
				}).on('error', () => undefined);
			},
		);
		expect(seen).toEqual({ contentLength: 4000, received: 2000, closed: false });
		const deadline = Date.now() + 2000;
		while (sandbox.log().at(-1)?.closedByClientAt === undefined && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		expect(sandbox.log().at(-1)).toMatchObject({ path: '/cgi-bin/media/get', fault: 'stall', status: 200 });
		expect(sandbox.log().at(-1)?.closedByClientAt).toEqual(expect.any(Number));
		expect(await rawDownload(url)).toEqual({ contentLength: 4000, received: 4000, complete: true });
	});

	it('hangs a request until close(), which destroys the socket', async () => {
		const own = await startSandbox();
		own.injectFault({ kind: 'hang' });
		const pending = fetch(`${own.url}/cgi-bin/token?grant_type=client_credential`);
		const settled = pending.then(
			() => 'answered',
			() => 'failed',
		);
		// The request is logged on arrival; wait until the sandbox holds it.
		while (own.log().length === 0) await new Promise((resolve) => setImmediate(resolve));
		expect(own.log()[0]).toMatchObject({ fault: 'hang', status: 0, tokenCall: true });
		await own.close();
		expect(await settled).toBe('failed');
	});

	it('clearFaults drops queued faults', async () => {
		sandbox.injectFault({ kind: 'errcode', errcode: -1, times: 5 });
		sandbox.clearFaults();
		expect(await countErrcode()).toBe(0);
	});
});

describe('latency', () => {
	it('delays API answers but not control calls', async () => {
		const { SandboxClient } = await import('./index');
		const client = new SandboxClient(sandbox.url);
		sandbox.setLatency(400);
		const api = fetch(withToken(sandbox, COUNT_PATH, token)).then(() => 'api');
		const control = client.log().then(() => 'control');
		expect(await Promise.race([api, control])).toBe('control');
		expect(await api).toBe('api');
		expect((await client.log()).at(-1)).toMatchObject({ path: COUNT_PATH, status: 200 });
	});
});

describe('request log', () => {
	it('records every API request, oldest first, with secrets and tokens redacted', async () => {
		await stableToken(sandbox);
		const mediaId = await uploadImage();
		await postJson(sandbox, '/cgi-bin/material/get_material', { media_id: mediaId }, token);
		await upload(sandbox, '/cgi-bin/material/add_material?type=video', token, Buffer.from('x'), {
			filename: 'v.mp4',
			fields: { description: '{"title":"t"}' },
		});
		await fetch(`${sandbox.url}/cgi-bin/no/such/api`);
		const log = sandbox.log();

		expect(log.map((entry) => entry.path)).toEqual([
			'/cgi-bin/token',
			'/cgi-bin/stable_token',
			'/cgi-bin/media/upload',
			'/cgi-bin/material/get_material',
			'/cgi-bin/material/add_material',
			'/cgi-bin/no/such/api',
		]);
		expect(log[0]).toMatchObject({
			method: 'GET',
			query: { grant_type: 'client_credential', appid: SANDBOX_APP.appId, secret: '***' },
			tokenCall: true,
			status: 200,
			requestBytes: 0,
		});
		expect(log[1].body).toEqual({
			grant_type: 'client_credential',
			appid: SANDBOX_APP.appId,
			secret: '***',
			force_refresh: false,
		});
		expect(log[2]).toMatchObject({
			method: 'POST',
			query: { type: 'image', access_token: '***' },
			tokenCall: false,
			body: {
				fields: {},
				files: [{ field: 'media', filename: 'a.jpg', contentType: expect.any(String), size: 4000 }],
			},
		});
		expect(log[2].requestBytes).toBeGreaterThan(4000);
		expect(log[3]).toMatchObject({ status: 200, errcode: 40007, body: { media_id: mediaId } });
		expect(log[4]).toMatchObject({
			errcode: 40004,
			body: { fields: { description: '{"title":"t"}' } },
		});
		expect(log[5]).toMatchObject({ status: 404 });
		expect(log.every((entry) => entry.time > 0)).toBe(true);

		const everything = JSON.stringify(log);
		expect(everything).not.toContain(SANDBOX_APP.appSecret);
		for (const issued of sandbox.issuedTokens()) expect(everything).not.toContain(issued);
	});

	it('answers unknown paths with HTTP 404', async () => {
		const response = await fetch(withToken(sandbox, '/cgi-bin/material/update_news', token));
		expect(response.status).toBe(404);
	});
});
