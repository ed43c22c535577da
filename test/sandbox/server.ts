/**
 * A local, stateful stand-in for https://api.weixin.qq.com (see /work/shared/weixin-api/).
 *
 * Control routes (for SandboxClient and other processes; never logged, never delayed or faulted),
 * all answering JSON:
 *   POST   /__sandbox/reset                  forget state, tokens, faults, log, config, clock (not latency)
 *   POST   /__sandbox/faults                 body FaultSpec: queue a fault
 *   DELETE /__sandbox/faults                 drop all queued faults
 *   PUT    /__sandbox/latency                body {ms}: delay added to every API answer
 *   POST   /__sandbox/tokens/invalidate      every issued access token answers 40001 from now on
 *   GET    /__sandbox/tokens                 {tokens: string[]}: every token ever issued
 *   GET    /__sandbox/token-calls            {count}: token requests in the log
 *   GET    /__sandbox/clock                  {now}: sandbox clock, unix seconds
 *   POST   /__sandbox/clock/advance          body {seconds} → {now}
 *   GET    /__sandbox/log                    RequestLogEntry[] (oldest first)
 *   DELETE /__sandbox/log                    empty the log
 *   GET    /__sandbox/config                 the SandboxConfig in force
 *   PATCH  /__sandbox/config                 body Partial<SandboxConfig> → the SandboxConfig in force
 *   POST   /__sandbox/hd-voice[?layout=ogg]  body: speex bytes (empty = a built-in recording: raw
 *                                            frames as WeChat sends them, or Ogg with ?layout=ogg) → {media_id}
 *   GET    /__sandbox/stored/KIND/MEDIA_ID   the stored record (Buffers as base64 strings) or 404
 *   PUT    /__sandbox/answer-modes           body AnswerModes: how answers are relabelled/compressed
 */
import {
	createServer,
	STATUS_CODES,
	type IncomingMessage,
	type Server,
	type ServerResponse,
} from 'http';
import { readFileSync } from 'fs';
import type { AddressInfo, Socket } from 'net';
import { join } from 'path';

import { applyAnswerModes, validAnswerModes, type AnswerModes } from './answer-modes';
import { errorMessage, WeixinError } from './errors';
import { multipartBoundary, parseMultipart } from './multipart';
import { findRoute, type Answer, type Route, type RouteContext } from './routes';
import { newTemporaryId, SandboxState } from './state';
import { TokenStore } from './tokens';
import {
	DEFAULT_CONFIG,
	type FaultKind,
	type FaultSpec,
	type HdVoiceLayout,
	type RequestLogEntry,
	type Sandbox,
	type SandboxConfig,
	type SandboxOptions,
	type StoredKind,
} from './types';

const CONTROL_PREFIX = '/__sandbox/';
const JSON_CONTENT_TYPE = 'application/json; encoding=utf-8';
const SECRET_KEYS = new Set(['access_token', 'secret', 'appsecret', 'app_secret']);
const REDACTED = '***';
const FAULT_KINDS: readonly FaultKind[] = ['errcode', 'http', 'drop', 'hang', 'truncate', 'stall', 'cutJson'];
/** Faults that cut a file answer short; they wait for a request that answers with a file. */
const FILE_CUTS: readonly FaultKind[] = ['truncate', 'stall'];

interface QueuedFault {
	spec: FaultSpec;
	remaining: number;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
	const sandbox = new WeixinSandbox(options.host ?? '127.0.0.1');
	await sandbox.listen(options.port ?? 0);
	return sandbox;
}

class WeixinSandbox implements Sandbox {
	url = '';
	private readonly server: Server;
	private readonly sockets = new Set<Socket>();
	private readonly timers = new Set<NodeJS.Timeout>();
	private state = new SandboxState();
	private tokens = new TokenStore(() => this.now());
	private config: SandboxConfig = { ...DEFAULT_CONFIG };
	private faults: QueuedFault[] = [];
	private requestLog: RequestLogEntry[] = [];
	private latencyMs = 0;
	private answerModes: AnswerModes = {};
	private clockOffsetSeconds = 0;
	private closed = false;

	constructor(private readonly host: string) {
		this.server = createServer((request, response) => this.dispatch(request, response));
		// Node's default of 5 s lets an idle keep-alive socket close just as a client (fetch in the
		// tests, on a loaded machine) reuses it for a large POST, which then fails with ECONNRESET.
		// WeChat's front ends, like most (nginx: 75 s), keep idle connections far longer.
		this.server.keepAliveTimeout = 60_000;
		this.server.on('connection', (socket) => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
		});
	}

	async listen(port: number): Promise<void> {
		await new Promise<void>((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(port, this.host, () => resolve());
		});
		const address = this.server.address() as AddressInfo;
		const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
		this.url = `http://${host}:${address.port}`;
	}

	async close(): Promise<void> {
		this.closed = true;
		for (const timer of this.timers) clearTimeout(timer);
		this.timers.clear();
		const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
		for (const socket of this.sockets) socket.destroy();
		await stopped;
	}

	reset(): void {
		this.state = new SandboxState();
		this.tokens = new TokenStore(() => this.now());
		this.config = { ...DEFAULT_CONFIG };
		this.faults = [];
		this.requestLog = [];
		this.answerModes = {};
		// Latency survives: it belongs to whoever started the sandbox (cli --latency), not to a test.
		this.clockOffsetSeconds = 0;
	}

	injectFault(fault: FaultSpec): void {
		if (!FAULT_KINDS.includes(fault.kind)) throw new Error(`unknown fault kind ${fault.kind}`);
		this.faults.push({ spec: { ...fault }, remaining: fault.times ?? 1 });
	}

	clearFaults(): void {
		this.faults = [];
	}

	setLatency(ms: number): void {
		this.latencyMs = Math.max(0, ms);
	}

	invalidateTokens(): void {
		this.tokens.invalidateAll();
	}

	issuedTokens(): string[] {
		return this.tokens.issued();
	}

	advanceClock(seconds: number): void {
		this.clockOffsetSeconds += seconds;
	}

	now(): number {
		return Math.floor(Date.now() / 1000) + this.clockOffsetSeconds;
	}

	log(): RequestLogEntry[] {
		return this.requestLog.map((entry) => ({ ...entry }));
	}

	tokenCalls(): number {
		return this.requestLog.filter((entry) => entry.tokenCall).length;
	}

	clearLog(): void {
		this.requestLog = [];
	}

	configure(config: Partial<SandboxConfig>): void {
		for (const key of Object.keys(config) as Array<keyof SandboxConfig>) {
			if (!(key in DEFAULT_CONFIG)) throw new Error(`unknown sandbox setting ${key}`);
		}
		this.config = { ...this.config, ...config };
	}

	setAnswerModes(modes: AnswerModes): void {
		this.answerModes = validAnswerModes(modes);
	}

	seedHdVoice(recording: Buffer | HdVoiceLayout = 'raw'): string {
		const bytes = Buffer.isBuffer(recording) ? recording : sampleHdVoice(recording);
		const mediaId = newTemporaryId();
		this.state.temporary.set(mediaId, {
			mediaId,
			type: 'voice',
			format: 'speex',
			bytes,
			filename: `${mediaId}.speex`,
			createdAt: this.now(),
			amrRendition: SAMPLE_AMR,
		});
		return mediaId;
	}

	stored(kind: StoredKind, mediaId: string): unknown {
		if (kind === 'temporary') return this.state.temporary.get(mediaId);
		if (kind === 'permanent') return this.state.permanent.get(mediaId);
		return this.state.drafts.get(mediaId);
	}

	// -------------------------------------------------------------------------------------------

	private dispatch(request: IncomingMessage, response: ServerResponse): void {
		readBody(request)
			.then((body) => {
				const url = new URL(request.url ?? '/', 'http://sandbox');
				const isControl = url.pathname.startsWith(CONTROL_PREFIX);
				if (isControl) return this.control(request, response, url, body);
				return this.api(request, response, url, body);
			})
			.catch(() => request.socket.destroy());
	}

	private async api(
		request: IncomingMessage,
		response: ServerResponse,
		url: URL,
		body: Buffer,
	): Promise<void> {
		const route = findRoute(url.pathname);
		const entry: RequestLogEntry = {
			time: this.now() * 1000 + (Date.now() % 1000),
			method: request.method ?? 'GET',
			path: url.pathname,
			query: redactedQuery(url.searchParams),
			tokenCall: route?.tokenCall === true,
			status: 0,
			requestBytes: body.length,
			body: summariseBody(request.headers['content-type'], body),
		};
		this.requestLog.push(entry);
		if (this.latencyMs > 0) await this.delay(this.latencyMs);
		if (this.closed) return;

		const fault = this.nextFault(url.pathname, route?.fileAnswers === true);
		if (fault?.spec.kind === 'cutJson') {
			this.consume(fault);
			entry.fault = 'cutJson';
			this.sendCutJson(response, this.answer(route, request, url, body, entry), entry);
			return;
		}
		if (fault && !FILE_CUTS.includes(fault.spec.kind)) {
			this.consume(fault);
			entry.fault = fault.spec.kind;
			this.applyFault(fault.spec, response, entry);
			return;
		}
		const answer = this.answer(route, request, url, body, entry);
		const modes = {
			pathname: url.pathname,
			acceptEncoding: request.headers['accept-encoding'],
			isFile: answer.kind === 'file',
			isDownloadJson:
				route?.fileAnswers === true && (answer.kind === 'json' || (answer.kind === 'text' && answer.status === 200)),
		};
		if (answer.kind === 'file' && fault) {
			this.consume(fault);
			entry.fault = fault.spec.kind;
			this.send(response, answer, entry, fault.spec.kind === 'stall' ? 'stall' : 'truncate', modes);
			return;
		}
		this.send(response, answer, entry, undefined, modes);
	}

	private answer(
		route: Route | undefined,
		request: IncomingMessage,
		url: URL,
		body: Buffer,
		entry: RequestLogEntry,
	): Answer {
		if (route?.tokenCall) entry.appId = requestedAppId(url, entry.body);
		if (!route) return { kind: 'text', status: 404, contentType: 'text/html', text: httpPage(404) };
		const context: RouteContext = {
			method: request.method ?? 'GET',
			query: url.searchParams,
			headers: request.headers,
			body,
			baseUrl: this.url,
			remoteAddress: request.socket.remoteAddress ?? '127.0.0.1',
			pathname: url.pathname,
			config: this.config,
			state: this.state,
			tokens: this.tokens,
			now: this.now(),
		};
		try {
			if (!route.tokenCall && !route.public) {
				entry.appId = this.tokens.check(url.searchParams.get('access_token') ?? undefined);
			}
			if (route.postOnly && context.method !== 'POST') throw new WeixinError(43002);
			return route.handle(context);
		} catch (error) {
			const failure = error instanceof WeixinError ? error : new WeixinError(-1, errorMessage(-1));
			if (!(error instanceof WeixinError)) console.error('weixin sandbox: handler failed', error);
			const errorBody = { errcode: failure.errcode, errmsg: failure.message };
			// Download endpoints send their JSON errors as text/plain, like the live service.
			if (route.fileAnswers) {
				return {
					kind: 'text',
					status: 200,
					contentType: 'text/plain',
					text: JSON.stringify(errorBody),
				};
			}
			return { kind: 'json', body: errorBody };
		}
	}

	/** `modes` (absent for faults) applies the answer modes in force; see answer-modes.ts. */
	private send(
		response: ServerResponse,
		answer: Answer,
		entry: RequestLogEntry,
		cut: 'truncate' | 'stall' | undefined,
		modes?: Parameters<typeof applyAnswerModes>[1],
	) {
		entry.status = answer.kind === 'text' ? answer.status : 200;
		let outgoing: { headers: Record<string, string | number>; body: Buffer };
		if (answer.kind === 'file') {
			const headers: Record<string, string | number> = {
				'Content-Type': answer.contentType,
				'Cache-Control': 'no-cache, must-revalidate',
				'Content-Length': answer.bytes.length,
			};
			if (answer.disposition) headers['Content-disposition'] = answer.disposition;
			outgoing = { headers, body: answer.bytes };
		} else {
			const text = answer.kind === 'json' ? JSON.stringify(answer.body) : answer.text;
			entry.errcode = errcodeIn(text);
			const body = Buffer.from(text, 'utf8');
			const headers = {
				'Content-Type': answer.kind === 'json' ? JSON_CONTENT_TYPE : answer.contentType,
				'Content-Length': body.length,
			};
			outgoing = { headers, body };
		}
		if (modes) outgoing = applyAnswerModes(this.answerModes, modes, outgoing);
		response.writeHead(entry.status, outgoing.headers);
		if (cut === undefined) {
			response.end(outgoing.body);
			return;
		}
		// The full Content-Length is promised and half the bytes arrive; then the line goes dead
		// (truncate) or stays open and silent until the client gives up (stall; close() ends it too).
		response.flushHeaders();
		const half = outgoing.body.subarray(0, Math.floor(outgoing.body.length / 2));
		if (cut === 'truncate') {
			response.write(half, () => response.destroy());
			return;
		}
		response.once('close', () => {
			entry.closedByClientAt = Date.now();
		});
		response.write(half);
	}

	/** Headers and half of a JSON answer, then a dead line; anything but JSON is sent whole. */
	private sendCutJson(response: ServerResponse, answer: Answer, entry: RequestLogEntry) {
		if (answer.kind !== 'json') {
			this.send(response, answer, entry, undefined);
			return;
		}
		const text = JSON.stringify(answer.body);
		entry.status = 200;
		entry.errcode = errcodeIn(text);
		response.writeHead(200, {
			'Content-Type': JSON_CONTENT_TYPE,
			'Content-Length': Buffer.byteLength(text),
		});
		response.flushHeaders();
		response.write(text.slice(0, Math.floor(text.length / 2)), () => response.destroy());
	}

	/** The first queued fault for this path; file cuts only count where a file may come back. */
	private nextFault(pathname: string, fileAnswers: boolean): QueuedFault | undefined {
		return this.faults.find(
			(fault) =>
				(fault.spec.path === undefined || fault.spec.path === pathname) &&
				(!FILE_CUTS.includes(fault.spec.kind) || fileAnswers),
		);
	}

	private consume(fault: QueuedFault): void {
		fault.remaining--;
		if (fault.remaining <= 0) this.faults = this.faults.filter((queued) => queued !== fault);
	}

	private applyFault(spec: FaultSpec, response: ServerResponse, entry: RequestLogEntry): void {
		switch (spec.kind) {
			case 'errcode': {
				const body = { errcode: spec.errcode, errmsg: spec.errmsg ?? errorMessage(spec.errcode) };
				this.send(response, { kind: 'json', body }, entry, undefined);
				return;
			}
			case 'http':
				this.send(
					response,
					{
						kind: 'text',
						status: spec.status,
						contentType: 'text/html',
						text: httpPage(spec.status),
					},
					entry,
					undefined,
				);
				return;
			case 'drop':
				response.socket?.destroy();
				return;
			case 'hang':
				// Nothing is sent; close() destroys the socket. When the client gives up first, the log says when.
				response.once('close', () => {
					entry.closedByClientAt = Date.now();
				});
				return;
			case 'truncate':
			case 'stall':
			case 'cutJson':
				return;
		}
	}

	private delay(ms: number): Promise<void> {
		return new Promise((resolve) => {
			const timer = setTimeout(() => {
				this.timers.delete(timer);
				resolve();
			}, ms);
			this.timers.add(timer);
		});
	}

	// -------------------------------------------------------------------------------------------

	private control(
		request: IncomingMessage,
		response: ServerResponse,
		url: URL,
		body: Buffer,
	): void {
		const route = `${request.method} ${url.pathname.slice(CONTROL_PREFIX.length)}`;
		const input = () => (body.length === 0 ? {} : JSON.parse(body.toString('utf8')));
		const reply = (status: number, value: unknown) => {
			const text = JSON.stringify(value ?? null);
			response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
			response.end(text);
		};
		try {
			const stored = /^GET stored\/([^/]+)\/(.+)$/.exec(route);
			if (stored) {
				const record = this.stored(stored[1] as StoredKind, decodeURIComponent(stored[2]));
				reply(record === undefined ? 404 : 200, record === undefined ? null : withBase64(record));
				return;
			}
			switch (route) {
				case 'POST reset':
					this.reset();
					return reply(200, { ok: true });
				case 'POST faults':
					this.injectFault(input());
					return reply(200, { ok: true });
				case 'DELETE faults':
					this.clearFaults();
					return reply(200, { ok: true });
				case 'PUT latency':
					this.setLatency(Number(input().ms));
					return reply(200, { ok: true });
				case 'POST tokens/invalidate':
					this.invalidateTokens();
					return reply(200, { ok: true });
				case 'GET tokens':
					return reply(200, { tokens: this.issuedTokens() });
				case 'GET token-calls':
					return reply(200, { count: this.tokenCalls() });
				case 'GET clock':
					return reply(200, { now: this.now() });
				case 'POST clock/advance':
					this.advanceClock(Number(input().seconds));
					return reply(200, { now: this.now() });
				case 'GET log':
					return reply(200, this.log());
				case 'DELETE log':
					this.clearLog();
					return reply(200, { ok: true });
				case 'GET config':
					return reply(200, this.config);
				case 'PATCH config':
					this.configure(input());
					return reply(200, this.config);
				case 'PUT answer-modes':
					this.setAnswerModes(input());
					return reply(200, { ok: true });
				case 'POST hd-voice': {
					const layout = url.searchParams.get('layout') === 'ogg' ? 'ogg' : 'raw';
					return reply(200, { media_id: this.seedHdVoice(body.length > 0 ? body : layout) });
				}
				default:
					return reply(404, { error: `no control route ${route}` });
			}
		} catch (error) {
			reply(400, { error: error instanceof Error ? error.message : String(error) });
		}
	}
}

function readBody(request: IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => resolve(Buffer.concat(chunks)));
		request.on('error', reject);
	});
}

function redactedQuery(params: URLSearchParams): Record<string, string> {
	const query: Record<string, string> = {};
	for (const [key, value] of params)
		query[key] = SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : value;
	return query;
}

/** The appid a token call names, in its query (classic) or its JSON body (stable). */
function requestedAppId(url: URL, loggedBody: unknown): string | undefined {
	const fromBody = (loggedBody as { appid?: unknown } | undefined)?.appid;
	const appId = url.searchParams.get('appid') ?? fromBody;
	return typeof appId === 'string' && appId !== '' ? appId : undefined;
}

function redactSecrets(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(redactSecrets);
	if (typeof value !== 'object' || value === null) return value;
	return Object.fromEntries(
		Object.entries(value).map(([key, inner]) => [
			key,
			SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : redactSecrets(inner),
		]),
	);
}

/** What the log keeps of a body: JSON parsed and redacted, multipart as fields and file sizes. */
function summariseBody(contentType: string | undefined, body: Buffer): unknown {
	if (body.length === 0) return undefined;
	const boundary = multipartBoundary(contentType);
	const parts = boundary === undefined ? undefined : parseMultipart(body, boundary);
	if (parts) {
		const fields: Record<string, string> = {};
		const files = [];
		for (const part of parts) {
			if (part.filename === undefined) {
				fields[part.name] = SECRET_KEYS.has(part.name.toLowerCase())
					? REDACTED
					: part.data.toString('utf8');
			} else {
				files.push({
					field: part.name,
					filename: part.filename,
					contentType: part.contentType,
					size: part.data.length,
				});
			}
		}
		return { fields, files };
	}
	try {
		return redactSecrets(JSON.parse(body.toString('utf8')));
	} catch {
		return undefined;
	}
}

function errcodeIn(text: string): number | undefined {
	try {
		const parsed = JSON.parse(text) as { errcode?: unknown };
		return typeof parsed.errcode === 'number' ? parsed.errcode : undefined;
	} catch {
		return undefined;
	}
}

function httpPage(status: number): string {
	const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
	return `<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`;
}

/** A stored record as JSON can carry it: every Buffer becomes a base64 string. */
function withBase64(record: unknown): unknown {
	return JSON.parse(
		JSON.stringify(record, (_key, value: unknown) => {
			const buffer = value as { type?: unknown; data?: unknown };
			return buffer?.type === 'Buffer' && Array.isArray(buffer.data)
				? Buffer.from(buffer.data as number[]).toString('base64')
				: value;
		}),
	);
}

/**
 * Built-in JS-SDK recordings: real Speex wideband speech (quality 7, 60-byte frames) from
 * test/fixtures/speex, as raw frames (what media/get/jssdk answers) or in Ogg (how some tools keep them).
 */
function sampleHdVoice(layout: HdVoiceLayout): Buffer {
	const file = layout === 'ogg' ? 'english-q7.spx' : 'english-q7.raw';
	return readFileSync(join(__dirname, '../fixtures/speex', file));
}

/** One second of AMR-NB 12.2 kbit/s frames: what media/get serves for an HD voice. */
const SAMPLE_AMR = Buffer.concat([
	Buffer.from('#!AMR\n', 'latin1'),
	...Array.from({ length: 50 }, () => Buffer.concat([Buffer.from([0x3c]), Buffer.alloc(31)])),
]);
