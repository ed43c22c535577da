/** Plain-fetch helpers for the sandbox's own tests. */
import { startSandbox } from './server';
import { SANDBOX_APP, type Sandbox } from './types';

/**
 * One sandbox per test file, reset before each test; `prepare` receives it (and a fresh classic token)
 * before every test.
 */
export function sandboxPerTest(
	prepare: (sandbox: Sandbox, token: string) => void | Promise<void>,
): void {
	let sandbox: Sandbox | undefined;
	beforeAll(async () => {
		sandbox = await startSandbox();
	});
	afterAll(async () => {
		await sandbox?.close();
	});
	beforeEach(async () => {
		if (!sandbox) throw new Error('the sandbox did not start');
		sandbox.reset();
		sandbox.setLatency(0);
		await prepare(sandbox, await classicToken(sandbox));
	});
}

export interface WeixinJson {
	[field: string]: unknown;
	errcode?: number;
	errmsg?: string;
}

export async function classicToken(sandbox: Sandbox): Promise<string> {
	const query = `grant_type=client_credential&appid=${SANDBOX_APP.appId}&secret=${SANDBOX_APP.appSecret}`;
	const answer = (await (
		await fetch(`${sandbox.url}/cgi-bin/token?${query}`)
	).json()) as WeixinJson;
	if (typeof answer.access_token !== 'string') {
		throw new Error(`no token: ${JSON.stringify(answer)}`);
	}
	return answer.access_token;
}

export async function stableToken(
	sandbox: Sandbox,
	overrides: Record<string, unknown> = {},
): Promise<WeixinJson> {
	const body = {
		grant_type: 'client_credential',
		appid: SANDBOX_APP.appId,
		secret: SANDBOX_APP.appSecret,
		force_refresh: false,
		...overrides,
	};
	return postJson(sandbox, '/cgi-bin/stable_token', body);
}

export async function postJson(
	sandbox: Sandbox,
	pathAndQuery: string,
	body: unknown,
	token?: string,
): Promise<WeixinJson> {
	const response = await fetch(withToken(sandbox, pathAndQuery, token), {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify(body),
	});
	return (await response.json()) as WeixinJson;
}

export async function getJson(sandbox: Sandbox, pathAndQuery: string, token?: string) {
	return (await (await fetch(withToken(sandbox, pathAndQuery, token))).json()) as WeixinJson;
}

export function withToken(sandbox: Sandbox, pathAndQuery: string, token?: string): string {
	if (token === undefined) return sandbox.url + pathAndQuery;
	const separator = pathAndQuery.includes('?') ? '&' : '?';
	return `${sandbox.url}${pathAndQuery}${separator}access_token=${encodeURIComponent(token)}`;
}

export interface UploadOptions {
	filename?: string;
	fields?: Record<string, string>;
	/** The multipart field holding the file (default media). */
	field?: string;
}

/** Posts `bytes` as multipart/form-data the way curl -F does. */
export async function upload(
	sandbox: Sandbox,
	pathAndQuery: string,
	token: string,
	bytes: Buffer,
	{ filename = 'file.bin', fields = {}, field = 'media' }: UploadOptions = {},
): Promise<WeixinJson> {
	const form = new FormData();
	form.append(field, new Blob([bytes]), filename);
	for (const [name, value] of Object.entries(fields)) form.append(name, value);
	const response = await fetch(withToken(sandbox, pathAndQuery, token), {
		method: 'POST',
		body: form,
	});
	return (await response.json()) as WeixinJson;
}
