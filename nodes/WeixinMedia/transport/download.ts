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
import { ExecutionCancelled, InterruptedTransfer } from './retry';

export interface DownloadTarget {
	/** Output binary property. */
	binaryPropertyName: string;
	/** File name (without extension) when the answer names none, usually the media_id. */
	fallbackFileName: string;
}

/** WeChat's JSON answers (errors, video URLs) are tiny; anything larger is not one of them. */
const MAX_JSON_ANSWER_BYTES = 1024 * 1024;

type Headers = Record<string, string | string[] | undefined>;

export type ClassifiedAnswer =
	| { kind: 'json'; json: IDataObject }
	| { kind: 'file'; head: Buffer; body: Readable; headers: Headers; progress: { bytes: number } };

function header(headers: Headers, name: string): string {
	const value = headers[name] ?? headers[name.toLowerCase()];
	return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/**
 * Yields the body's chunks, failing when the connection goes quiet for `idleTimeoutMs` or the body ends
 * short of its Content-Length (a truncated file must never be stored as if whole).
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
	const cutShort = () =>
		new InterruptedTransfer(
			`the download was cut short: ${progress.bytes} of ${expectedBytes} bytes arrived`,
		);
	for (;;) {
		let next: IteratorResult<Buffer>;
		try {
			next = await nextWithin(iterator, idleTimeoutMs, signal);
		} catch (error) {
			// A connection closed mid-body is best explained by how much of the file arrived.
			const closed = error instanceof InterruptedTransfer && !/stalled/.test(error.message);
			throw closed && expectedBytes !== undefined ? cutShort() : error;
		}
		if (next.done) break;
		progress.bytes += next.value.length;
		yield next.value;
	}
	if (expectedBytes !== undefined && progress.bytes !== expectedBytes) throw cutShort();
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
	try {
		return await Promise.race([iterator.next(), silence]);
	} catch (error) {
		if (error instanceof ExecutionCancelled) {
			// Closes the connection rather than leaving the rest of the file to arrive.
			void iterator.return?.().catch(() => {});
			throw error;
		}
		if (error instanceof InterruptedTransfer) throw error;
		throw new InterruptedTransfer(`the download broke off (${(error as Error).message})`);
	} finally {
		chunkArrived.abort();
	}
}

async function readAll(
	iterator: AsyncIterator<Buffer>,
	first: Buffer[],
	timeoutMs: number,
	signal?: AbortSignal,
) {
	const chunks = [...first];
	let size = chunks.reduce((total, chunk) => total + chunk.length, 0);
	for (;;) {
		const next = await nextWithin(iterator, timeoutMs, signal);
		if (next.done) break;
		chunks.push(next.value);
		size += next.value.length;
		if (size > MAX_JSON_ANSWER_BYTES) {
			throw new WeixinError('WeChat sent a JSON answer larger than 1 MB; it is not one WeChat sends.');
		}
	}
	return Buffer.concat(chunks);
}

function looksLikeJson(head: Buffer): boolean {
	return /^\s*\{/.test(head.toString('latin1'));
}

/**
 * Tells a file from a JSON answer by Content-Type and by the first bytes: WeChat sends errors as
 * HTTP 200 JSON from the same endpoints that send files, sometimes labelled text/plain.
 */
export async function classifyDownload(
	response: IN8nHttpFullResponse,
	idleTimeoutMs: number,
	signal?: AbortSignal,
): Promise<ClassifiedAnswer> {
	const headers = response.headers as Headers;
	const stream = response.body as Readable;
	const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
	const first: Buffer[] = [];
	let peeked = 0;
	while (peeked < SNIFF_BYTES) {
		const next = await nextWithin(iterator, idleTimeoutMs, signal);
		if (next.done) break;
		first.push(next.value);
		peeked += next.value.length;
	}
	const head = Buffer.concat(first);
	const contentType = header(headers, 'content-type').toLowerCase();
	const declaredText = /json|^text\//.test(contentType);
	if (declaredText || (looksLikeJson(head) && sniffFormat(head) === undefined)) {
		const text = (await readAll(iterator, first, idleTimeoutMs, signal)).toString('utf8');
		try {
			return { kind: 'json', json: JSON.parse(text) as IDataObject };
		} catch {
			throw new WeixinError(
				`WeChat answered with ${contentType || 'text'} that is not JSON (${text.length} characters) where a file or JSON was expected.`,
			);
		}
	}
	const lengthHeader = header(headers, 'content-length');
	const expectedBytes = lengthHeader === '' ? undefined : Number(lengthHeader);
	const progress = { bytes: 0 };
	const chunks = guardedChunks(iterator, first, expectedBytes, idleTimeoutMs, progress, signal);
	const body = Readable.from(chunks, { objectMode: false });
	return { kind: 'file', head, body, headers, progress };
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
