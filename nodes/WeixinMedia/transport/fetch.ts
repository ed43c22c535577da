import type { IExecuteFunctions, IN8nHttpFullResponse } from 'n8n-workflow';
import type { Readable } from 'stream';

import { timeoutFor } from './client';
import { redact } from './redact';
import { describeTransportFailure, innermostHttpFailure } from './retry';

export interface ExternalFetchLimits {
	/** A body longer than this is abandoned as soon as it is known to be. */
	maxBytes: number;
	/** The whole fetch, body included; the run's Timeout option when omitted. */
	timeoutMs?: number;
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

async function fetchOnce(
	ctx: IExecuteFunctions,
	url: string,
	maxBytes: number,
	timeoutMs: number,
): Promise<ExternalFile> {
	const abort = new AbortController();
	const timer = setTimeout(() => abort.abort(), timeoutMs);
	try {
		const response = (await ctx.helpers.httpRequest({
			method: 'GET',
			url,
			encoding: 'stream',
			returnFullResponse: true,
			timeout: timeoutMs,
			abortSignal: abort.signal,
		})) as IN8nHttpFullResponse;
		const body = response.body as Readable;
		const headers = response.headers as Record<string, string | undefined>;
		const declared = Number(headers['content-length']);
		if (Number.isFinite(declared) && declared > maxBytes) {
			body.destroy();
			throw new ExternalFetchError(`the file is ${declared} bytes, more than ${maxBytes}`, true);
		}
		// The bytes decide what the file is; a server's Content-Type is often generic or wrong.
		return { bytes: await readCapped(body, maxBytes) };
	} catch (error) {
		if (abort.signal.aborted) {
			throw new ExternalFetchError(`no complete answer within ${timeoutMs} ms`);
		}
		throw error;
	} finally {
		clearTimeout(timer);
	}
}

function reasonFor(error: unknown): string {
	const failure = describeTransportFailure(error);
	if (failure) return failure.description;
	const status = innermostHttpFailure(error).response?.status;
	if (status !== undefined) return `the server answered HTTP ${status}`;
	return `the request failed (${redact(String((error as Error).message ?? error))})`;
}

/**
 * Fetches a file from an http(s) URL outside WeChat (an image an article links to). No token is sent;
 * the body is streamed and abandoned past `maxBytes`, so an unbounded or huge answer is never held.
 * Throws ExternalFetchError with a plain reason.
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
	for (let attempt = 1; ; attempt++) {
		try {
			return await fetchOnce(ctx, url, limits.maxBytes, timeoutMs);
		} catch (error) {
			if (error instanceof ExternalFetchError) throw error;
			const failure = describeTransportFailure(error);
			if (failure && attempt < FETCH_ATTEMPTS) continue;
			throw new ExternalFetchError(reasonFor(error));
		}
	}
}
