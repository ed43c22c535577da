import type { IExecuteFunctions, IN8nHttpFullResponse } from 'n8n-workflow';
import type { Readable } from 'stream';

import {
	HostNotFound,
	InternalAddressRefused,
	InternalHostAllowance,
	addressesToConnect,
	parseAddress,
} from './addresses';
import { timeoutFor } from './client';
import { settle } from './outcome';
import { redact } from './redact';
import { describeTransportFailure, innermostHttpFailure } from './retry';

export interface ExternalFetchLimits {
	/** A body longer than this is abandoned as soon as it is known to be. */
	maxBytes: number;
	/** The whole fetch, body included; the run's Timeout option when omitted. */
	timeoutMs?: number;
	/** Internal hosts the user allows to be fetched; none when omitted. */
	allowedInternalHosts?: InternalHostAllowance;
}

export interface ExternalFile {
	bytes: Buffer;
}

/** Why a file outside WeChat could not be fetched, in words fit for the user (the URL is not repeated). */
export class ExternalFetchError extends Error {
	constructor(
		reason: string,
		/** The body was longer than the limit (and was not read past it). */
		readonly tooLarge = false,
	) {
		super(reason);
		this.name = 'ExternalFetchError';
	}
}

/** One retry after a dropped connection or a 5xx: the fetch is a read, and image hosts do hiccup. */
const FETCH_ATTEMPTS = 2;

function isHttpUrl(url: string): boolean {
	try {
		const { protocol } = new URL(url);
		return protocol === 'http:' || protocol === 'https:';
	} catch {
		return false;
	}
}

/** Reads at most `maxBytes` of the body; stops (and closes the connection) when there is more. */
async function readCapped(body: Readable, maxBytes: number): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let length = 0;
	try {
		for await (const chunk of body) {
			length += (chunk as Buffer).length;
			if (length > maxBytes) {
				throw new ExternalFetchError(`the file is larger than ${maxBytes} bytes`, true);
			}
			chunks.push(chunk as Buffer);
		}
	} finally {
		body.destroy();
	}
	return Buffer.concat(chunks);
}

/** Statuses whose Location is followed (by hand, so every hop's address is checked). */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** Connection failures after which the host's next address is tried; nothing was sent. */
const TRY_NEXT_ADDRESS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** A 5xx answer: worth the one more try a read gets. */
class ServerFailure extends Error {
	constructor(readonly status: number) {
		super(`the server answered HTTP ${status}`);
	}
}

/** Waits for `promise`, or rejects as soon as `signal` aborts (DNS lookups take no signal). */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
	signal.throwIfAborted();
	return await new Promise<T>((resolve, reject) => {
		const onAbort = () => reject(signal.reason);
		signal.addEventListener('abort', onAbort, { once: true });
		promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
	});
}

/**
 * One GET of `target`, sent to one of `addresses` (already checked) rather than to the host name:
 * the connection goes exactly where the check looked, so a DNS answer that changes between check
 * and connect (rebinding) has nowhere to go. The Host header and TLS name stay the URL's.
 */
async function requestChecked(
	ctx: IExecuteFunctions,
	target: URL,
	addresses: string[],
	signal: AbortSignal,
	timeoutMs: number,
): Promise<IN8nHttpFullResponse> {
	for (const [index, address] of addresses.entries()) {
		const direct = new URL(target.href);
		direct.hostname = address.includes(':') ? `[${address}]` : address;
		const byName = parseAddress(target.hostname) === undefined;
		const sent = await settle(
			async () =>
				(await ctx.helpers.httpRequest({
					method: 'GET',
					url: direct.href,
					headers: { host: target.host },
					encoding: 'stream',
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
					disableFollowRedirect: true,
					timeout: timeoutMs,
					abortSignal: signal,
					...(target.protocol === 'https:' && byName
						? { agentOptions: { servername: target.hostname } }
						: {}),
				})) as IN8nHttpFullResponse,
		);
		if (sent.ok) return sent.value;
		const code = innermostHttpFailure(sent.error).code;
		const more = index < addresses.length - 1;
		if (!more || !code || !TRY_NEXT_ADDRESS.has(code) || signal.aborted) throw sent.error;
	}
	throw new ExternalFetchError('the host has no address to connect to');
}

async function fetchOnce(
	ctx: IExecuteFunctions,
	url: string,
	maxBytes: number,
	timeoutMs: number,
	allowance: InternalHostAllowance,
): Promise<ExternalFile> {
	// One budget for every hop and the body: a chain of slow redirects cannot outlast it.
	const signal = AbortSignal.timeout(timeoutMs);
	const fetched = await settle(() => followToFile(ctx, url, maxBytes, timeoutMs, allowance, signal));
	if (fetched.ok) return fetched.value;
	const { error } = fetched;
	if (error instanceof InternalAddressRefused || error instanceof HostNotFound) {
		throw new ExternalFetchError(error.message);
	}
	if (signal.aborted && !(error instanceof ExternalFetchError)) {
		throw new ExternalFetchError(`no complete answer within ${timeoutMs} ms`);
	}
	throw error;
}

/** Follows redirects (checking every hop's addresses) to the file's bytes, within `signal`'s budget. */
async function followToFile(
	ctx: IExecuteFunctions,
	url: string,
	maxBytes: number,
	timeoutMs: number,
	allowance: InternalHostAllowance,
	signal: AbortSignal,
): Promise<ExternalFile> {
	let current = new URL(url);
	for (let hop = 0; ; hop++) {
		const addresses = await untilAborted(addressesToConnect(current.hostname, allowance), signal);
		const response = await requestChecked(ctx, current, addresses, signal, timeoutMs);
		const body = response.body as Readable;
		const headers = response.headers as Record<string, string | undefined>;
		const status = response.statusCode;
		if (REDIRECT_STATUSES.has(status)) {
			body.destroy();
			const location = headers.location;
			if (!location) throw new ExternalFetchError(`the server answered HTTP ${status} without a Location`);
			if (hop >= MAX_REDIRECTS) {
				throw new ExternalFetchError(`the server redirected more than ${MAX_REDIRECTS} times`);
			}
			current = new URL(location, current);
			if (!isHttpUrl(current.href)) {
				throw new ExternalFetchError('the server redirected to a URL that is not http(s)');
			}
			continue;
		}
		if (status >= 400 || status < 200) {
			body.destroy();
			if (status >= 500) throw new ServerFailure(status);
			throw new ExternalFetchError(`the server answered HTTP ${status}`);
		}
		const declared = Number(headers['content-length']);
		if (Number.isFinite(declared) && declared > maxBytes) {
			body.destroy();
			throw new ExternalFetchError(`the file is ${declared} bytes, more than ${maxBytes}`, true);
		}
		// The bytes decide what the file is; a server's Content-Type is often generic or wrong.
		return { bytes: await readCapped(body, maxBytes) };
	}
}

function reasonFor(error: unknown): string {
	if (error instanceof ServerFailure) return error.message;
	const failure = describeTransportFailure(error);
	if (failure) return failure.description;
	const status = innermostHttpFailure(error).response?.status;
	if (status !== undefined) return `the server answered HTTP ${status}`;
	return `the request failed (${redact(String((error as Error).message ?? error))})`;
}

/**
 * Fetches a file from an http(s) URL outside WeChat (an image an article links to). No token is sent;
 * the body is streamed and abandoned past `maxBytes`, so an unbounded or huge answer is never held.
 * Hosts on internal networks are refused before any connection, on every redirect hop, unless
 * allowed. Throws ExternalFetchError with a plain reason.
 */
export async function fetchExternalFile(
	ctx: IExecuteFunctions,
	url: string,
	limits: ExternalFetchLimits,
): Promise<ExternalFile> {
	if (!isHttpUrl(url)) {
		throw new ExternalFetchError('only http and https URLs can be fetched');
	}
	const timeoutMs = limits.timeoutMs ?? timeoutFor(ctx);
	const allowance = limits.allowedInternalHosts ?? new InternalHostAllowance('');
	for (let attempt = 1; ; attempt++) {
		const fetched = await settle(() => fetchOnce(ctx, url, limits.maxBytes, timeoutMs, allowance));
		if (fetched.ok) return fetched.value;
		const { error } = fetched;
		if (error instanceof ExternalFetchError) throw error;
		const retryable = error instanceof ServerFailure || describeTransportFailure(error);
		if (retryable && attempt < FETCH_ATTEMPTS) continue;
		throw new ExternalFetchError(reasonFor(error));
	}
}
