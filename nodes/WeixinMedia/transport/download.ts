import { sleep } from 'n8n-workflow';
import type {
	IBinaryData,
	IDataObject,
	IExecuteFunctions,
	IN8nHttpFullResponse,
} from 'n8n-workflow';
import { Readable } from 'stream';

import { FORMATS, SNIFF_BYTES, formatFromMimeType, sniffFormat } from '../media';
import { WeixinError } from './errors';
import { settle } from './outcome';
import { ExecutionCancelled, InterruptedTransfer } from './retry';

export interface DownloadTarget {
	/** Output binary property. */
	binaryPropertyName: string;
	/** File name (without extension) when the answer names none, usually the media_id. */
	fallbackFileName: string;
}

/**
 * The largest JSON answer accepted. Most are tiny (errors, video URLs), but get_material for news
 * carries up to 8 articles whose content may each be just under 1 MB, which JSON escaping can double
 * (`\"`, `\uXXXX`), plus titles, digests and URLs: 8 × 2 MB and room for the rest.
 */
const MAX_JSON_ANSWER_BYTES = 20 * 1024 * 1024;

type Headers = Record<string, string | string[] | undefined>;

export type ClassifiedAnswer =
	| { kind: 'json'; json: IDataObject }
	| { kind: 'file'; head: Buffer; body: Readable; headers: Headers; progress: { bytes: number } };

function header(headers: Headers, name: string): string {
	const value = headers[name] ?? headers[name.toLowerCase()];
	return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/**
 * Yields the body's chunks, failing when the connection goes quiet for `idleTimeoutMs` or breaks off
 * (a truncated file must never be stored as if whole).
 *
 * The count is not compared with Content-Length at the end: Node's HTTP client already fails a body
 * that closes before its Content-Length, and when a proxy or CDN compressed the answer, axios decodes
 * it and drops Content-Encoding while Content-Length stays the compressed size (the decoder itself
 * fails a compressed body cut short). Content-Length only explains how much of a broken file came.
 */
async function* guardedChunks(
	iterator: AsyncIterator<Buffer>,
	first: Buffer[],
	expectedBytes: number | undefined,
	idleTimeoutMs: number,
	progress: { bytes: number },
	signal?: AbortSignal,
): AsyncGenerator<Buffer> {
	for (const chunk of first) {
		progress.bytes += chunk.length;
		yield chunk;
	}
	for (;;) {
		const arrival = await settle(() => nextWithin(iterator, idleTimeoutMs, signal));
		if (!arrival.ok) throw explainBreak(arrival.error, progress.bytes, expectedBytes);
		const next = arrival.value;
		if (next.done) break;
		progress.bytes += next.value.length;
		yield next.value;
	}
}

/**
 * A connection closed mid-body is best explained by how much of the file arrived (unless more arrived
 * than Content-Length: a decoded body, whose count says nothing).
 */
function explainBreak(error: unknown, received: number, expectedBytes: number | undefined): unknown {
	const closed = error instanceof InterruptedTransfer && !/stalled/.test(error.message);
	if (!closed || expectedBytes === undefined || received >= expectedBytes) return error;
	return new InterruptedTransfer(
		`the download was cut short: ${received} of ${expectedBytes} bytes arrived`,
	);
}

async function nextWithin(
	iterator: AsyncIterator<Buffer>,
	timeoutMs: number,
	signal?: AbortSignal,
): Promise<IteratorResult<Buffer>> {
	// Ends the idle wait once the chunk is in; the execution's stop ends it too.
	const chunkArrived = new AbortController();
	const waitSignal = signal ? AbortSignal.any([chunkArrived.signal, signal]) : chunkArrived.signal;
	const silence = sleep(timeoutMs, waitSignal).then(
		() => {
			throw new InterruptedTransfer(`the download stalled: no data for ${timeoutMs} ms`);
		},
		async () => {
			if (signal?.aborted) throw new ExecutionCancelled();
			// the chunk won the race: this wait never settles
			return await new Promise<never>(() => {});
		},
	);
	const next = await settle(async () => await Promise.race([iterator.next(), silence]));
	chunkArrived.abort();
	if (next.ok) return next.value;
	const { error } = next;
	if (error instanceof ExecutionCancelled) {
		// Closes the connection rather than leaving the rest of the file to arrive.
		void iterator.return?.().catch(() => {});
		throw error;
	}
	if (error instanceof InterruptedTransfer) throw error;
	throw new InterruptedTransfer(`the download broke off (${(error as Error).message})`);
}

/** Reads on until the body ends or passes `limit` bytes; `ended` says which. */
async function readUpTo(
	iterator: AsyncIterator<Buffer>,
	first: Buffer[],
	limit: number,
	timeoutMs: number,
	signal?: AbortSignal,
): Promise<{ chunks: Buffer[]; ended: boolean }> {
	const chunks = [...first];
	let size = chunks.reduce((total, chunk) => total + chunk.length, 0);
	while (size <= limit) {
		const next = await nextWithin(iterator, timeoutMs, signal);
		if (next.done) return { chunks, ended: true };
		chunks.push(next.value);
		size += next.value.length;
	}
	return { chunks, ended: false };
}

function looksLikeJson(head: Buffer): boolean {
	return /^\s*\{/.test(head.toString('latin1'));
}

/** The body as a JSON object, or undefined when it is not one (WeChat's answers are objects). */
function parseJsonObject(bytes: Buffer): IDataObject | undefined {
	try {
		const parsed: unknown = JSON.parse(bytes.toString('utf8'));
		return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
			? (parsed as IDataObject)
			: undefined;
	} catch {
		return undefined;
	}
}

/**
 * Tells a file from a JSON answer by the bytes first: WeChat sends errors as HTTP 200 JSON from the
 * same endpoints that send files, and labels files and JSON alike as text/plain at times.
 * - known media magic: a file, whatever the Content-Type says;
 * - a body that parses as a JSON object: JSON, whatever the Content-Type says;
 * - otherwise a text or JSON Content-Type is an error (neither a file nor JSON), and anything else is a
 *   file of a format the node does not know (kept with the server's type).
 */
export async function classifyDownload(
	response: IN8nHttpFullResponse,
	idleTimeoutMs: number,
	signal?: AbortSignal,
): Promise<ClassifiedAnswer> {
	const headers = response.headers as Headers;
	const stream = response.body as Readable;
	const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
	const lengthHeader = header(headers, 'content-length');
	const expectedBytes = lengthHeader === '' ? undefined : Number(lengthHeader);
	const first: Buffer[] = [];
	let peeked = 0;
	while (peeked < SNIFF_BYTES) {
		const arrival = await settle(() => nextWithin(iterator, idleTimeoutMs, signal));
		if (!arrival.ok) throw explainBreak(arrival.error, peeked, expectedBytes);
		const next = arrival.value;
		if (next.done) break;
		first.push(next.value);
		peeked += next.value.length;
	}
	// Usually one chunk (up to 64 KB): viewed, not copied, on every download.
	const head = first.length === 1 ? first[0] : Buffer.concat(first);
	const contentType = header(headers, 'content-type').toLowerCase();
	const declaredText = /json|^text\//.test(contentType);
	let leading = first;
	if (sniffFormat(head) === undefined && (declaredText || looksLikeJson(head))) {
		const read = await readUpTo(iterator, first, MAX_JSON_ANSWER_BYTES, idleTimeoutMs, signal);
		const json = read.ended ? parseJsonObject(Buffer.concat(read.chunks)) : undefined;
		if (json) return { kind: 'json', json };
		if (declaredText) {
			const size = read.ended
				? `${read.chunks.reduce((total, chunk) => total + chunk.length, 0)} bytes`
				: `over ${MAX_JSON_ANSWER_BYTES / 1024 / 1024} MB`;
			throw new WeixinError(
				`WeChat answered with ${contentType.split(';')[0]} that is neither JSON nor a media file it sends (${size}, ${describeStart(head)}).`,
			);
		}
		// Declared binary and not JSON: a file of a format the node does not know.
		leading = read.chunks;
	}
	const progress = { bytes: 0 };
	const chunks = guardedChunks(iterator, leading, expectedBytes, idleTimeoutMs, progress, signal);
	const body = Readable.from(chunks, { objectMode: false });
	return { kind: 'file', head, body, headers, progress };
}

/** How a text answer starts, for error messages: its first characters, or its first bytes in hex. */
function describeStart(head: Buffer): string {
	const text = head.toString('utf8', 0, 40);
	if (/^[^\u0000-\u0008\u000e-\u001f\u007f\ufffd]*$/.test(text)) {
		return `starting with "${text.replace(/\s+/g, ' ')}"`;
	}
	return `starting with bytes ${[...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

/** `filename*` (RFC 5987, UTF-8) wins over `filename`; path parts are dropped. */
export function fileNameFromDisposition(disposition: string): string | undefined {
	const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(disposition);
	if (extended) {
		try {
			const charset = extended[1].trim().toLowerCase();
			const raw = extended[2].trim().replace(/^"|"$/g, '');
			const decoded =
				charset === 'iso-8859-1'
					? raw.replace(/%([0-9a-f]{2})/gi, (_match, hex: string) =>
							String.fromCharCode(parseInt(hex, 16)),
						)
					: decodeURIComponent(raw);
			return baseName(decoded);
		} catch {
			// a malformed extended value: fall back to the plain parameter
		}
	}
	const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(disposition);
	const value = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2];
	return value ? baseName(value) : undefined;
}

function baseName(name: string): string | undefined {
	const base = name.split(/[\\/]/).pop()?.trim();
	return base ? base : undefined;
}

function splitExtension(name: string): [string, string] {
	const dot = name.lastIndexOf('.');
	return dot > 0 ? [name.slice(0, dot), name.slice(dot + 1).toLowerCase()] : [name, ''];
}

/**
 * Name and MIME type of a downloaded file. The bytes decide the format when they are recognisable
 * (headers can be generic or wrong); the server's name is kept, with its extension corrected to match.
 */
export function describeDownloadedFile(
	head: Buffer,
	headers: Headers,
	fallbackFileName: string,
): { fileName: string; mimeType: string } {
	const contentType = header(headers, 'content-type').split(';')[0].trim().toLowerCase();
	const format = sniffFormat(head) ?? formatFromMimeType(contentType);
	const named = fileNameFromDisposition(header(headers, 'content-disposition'));
	const [stem, extension] = splitExtension(named ?? fallbackFileName);
	if (!format) {
		return {
			fileName: named ?? fallbackFileName,
			mimeType: contentType && contentType !== 'application/octet-stream' ? contentType : 'application/octet-stream',
		};
	}
	const { extension: formatExtension, mimeType } = FORMATS[format];
	const sameExtension = extension === formatExtension || (format === 'jpg' && extension === 'jpeg');
	return { fileName: sameExtension ? `${stem}.${extension}` : `${stem}.${formatExtension}`, mimeType };
}

/** Streams a file answer into n8n's binary store (filesystem, database or memory, as n8n is set up). */
export async function storeDownload(
	ctx: IExecuteFunctions,
	answer: Extract<ClassifiedAnswer, { kind: 'file' }>,
	target: DownloadTarget,
): Promise<{ binary: IBinaryData; bytes: number }> {
	const { fileName, mimeType } = describeDownloadedFile(
		answer.head,
		answer.headers,
		target.fallbackFileName,
	);
	const binary = await ctx.helpers.prepareBinaryData(answer.body, fileName, mimeType);
	const bytes = answer.progress.bytes;
	binary.bytes ??= bytes;
	return { binary, bytes };
}
