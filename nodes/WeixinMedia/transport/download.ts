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

/** Why a body's idle watch ends; made once, so closing a body costs no new error and stack. */
const BODY_CLOSED = new Error('the body was closed');

/**
 * A response body read chunk by chunk, failing when no chunk arrives for `idleTimeoutMs` while one is
 * awaited, when it breaks off, or when the execution is stopped. One idle watch per body sleeps until a
 * wait could have gone on too long: a timer, signal and promise per chunk cost more CPU than the
 * download itself at 200 files.
 */
class WatchedBody {
	private readonly iterator: AsyncIterator<Buffer>;
	/** When the pending read began; undefined while the consumer has the last chunk. */
	private waitingSince: number | undefined;
	/** When the last chunk (or the headers) came. */
	private lastArrivalAt = Date.now();
	private failure: Error | undefined;
	private readonly closed = new AbortController();
	private readonly onStop = () => this.fail(new ExecutionCancelled());

	constructor(
		private readonly stream: Readable,
		private readonly idleTimeoutMs: number,
		private readonly signal?: AbortSignal,
	) {
		this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
		signal?.addEventListener('abort', this.onStop, { once: true });
		void this.watchIdle();
	}

	private async watchIdle(): Promise<void> {
		let delay = this.idleTimeoutMs;
		for (;;) {
			const slept = await settle(async () => await sleep(delay, this.closed.signal));
			if (!slept.ok) return;
			const waited = this.waitingSince === undefined ? 0 : Date.now() - this.waitingSince;
			if (waited >= this.idleTimeoutMs) {
				this.fail(this.stalled());
				return;
			}
			delay = this.idleTimeoutMs - waited;
		}
	}

	private stalled(): InterruptedTransfer {
		return new InterruptedTransfer(`the download stalled: no data for ${this.idleTimeoutMs} ms`);
	}

	/** Destroying the stream ends a pending read with `error` and closes the connection. */
	private fail(error: Error): void {
		this.failure ??= error;
		this.stream.destroy(error);
	}

	async next(): Promise<IteratorResult<Buffer>> {
		if (this.signal?.aborted) this.fail(new ExecutionCancelled());
		this.waitingSince = Date.now();
		const arrival = await settle(async () => await this.iterator.next());
		this.waitingSince = undefined;
		if (arrival.ok && !arrival.value.done) {
			this.lastArrivalAt = Date.now();
			return arrival.value;
		}
		this.close();
		if (arrival.ok) return arrival.value;
		const error = this.failure ?? arrival.error;
		if (error instanceof ExecutionCancelled || error instanceof InterruptedTransfer) throw error;
		// n8n's request timeout runs on the socket too and may end a quiet body just before the idle
		// watch does ("aborted"): after (nearly) the whole timeout without data, that is the stall.
		if (Date.now() - this.lastArrivalAt >= this.idleTimeoutMs * 0.9) throw this.stalled();
		throw new InterruptedTransfer(`the download broke off (${(error as Error).message})`);
	}

	/** Stops watching (the body ended, failed, or is no longer wanted). */
	close(): void {
		if (!this.closed.signal.aborted) this.closed.abort(BODY_CLOSED);
		this.signal?.removeEventListener('abort', this.onStop);
	}

	/** Gives the body up: closes the connection rather than leaving the rest to arrive. */
	abandon(): void {
		this.close();
		this.stream.destroy();
	}
}

/**
 * The file part of an answer as a stream for n8n's binary store, failing when the connection goes
 * quiet or breaks off (a truncated file must never be stored as if whole). A consumer that gives up
 * (the store failed) closes the connection at once.
 *
 * The count is not compared with Content-Length at the end: Node's HTTP client already fails a body
 * that closes before its Content-Length, and when a proxy or CDN compressed the answer, axios decodes
 * it and drops Content-Encoding while Content-Length stays the compressed size (the decoder itself
 * fails a compressed body cut short). Content-Length only explains how much of a broken file came.
 */
class FileBody extends Readable {
	constructor(
		private readonly body: WatchedBody,
		private readonly leading: Buffer[],
		private readonly expectedBytes: number | undefined,
		readonly progress: { bytes: number },
	) {
		super();
	}

	override _read(): void {
		const chunk = this.leading.shift();
		if (chunk !== undefined) {
			this.deliver(chunk);
			return;
		}
		this.body.next().then(
			(next) => (next.done ? this.push(null) : this.deliver(next.value)),
			(error: unknown) =>
				this.destroy(explainBreak(error, this.progress.bytes, this.expectedBytes) as Error),
		);
	}

	private deliver(chunk: Buffer): void {
		this.progress.bytes += chunk.length;
		this.push(chunk);
	}

	override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
		this.body.abandon();
		callback(error);
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

/** Reads on until the body ends or passes `limit` bytes; `ended` says which. */
async function readUpTo(
	body: WatchedBody,
	first: Buffer[],
	limit: number,
): Promise<{ chunks: Buffer[]; ended: boolean }> {
	const chunks = [...first];
	let size = chunks.reduce((total, chunk) => total + chunk.length, 0);
	while (size <= limit) {
		const next = await body.next();
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
	const body = new WatchedBody(response.body as Readable, idleTimeoutMs, signal);
	const classified = await settle(async () => await classifyBody(body, headers));
	// a JSON answer was read to its end; a failure leaves nothing worth reading
	if (!classified.ok || classified.value.kind === 'json') body.abandon();
	if (!classified.ok) throw classified.error;
	return classified.value;
}

async function classifyBody(body: WatchedBody, headers: Headers): Promise<ClassifiedAnswer> {
	const lengthHeader = header(headers, 'content-length');
	const expectedBytes = lengthHeader === '' ? undefined : Number(lengthHeader);
	const first: Buffer[] = [];
	let peeked = 0;
	while (peeked < SNIFF_BYTES) {
		const arrival = await settle(async () => await body.next());
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
		const read = await readUpTo(body, first, MAX_JSON_ANSWER_BYTES);
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
	const file = new FileBody(body, leading, expectedBytes, { bytes: 0 });
	return { kind: 'file', head, body: file, headers, progress: file.progress };
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
