/** classifyDownload on answers built in memory: the bound on JSON answers and bodies axios decoded. */
import type { IN8nHttpFullResponse } from 'n8n-workflow';
import { Readable } from 'stream';

import { classifyDownload } from '../../nodes/WeixinMedia/transport/download';

const MB = 1024 * 1024;

function answer(body: Buffer, headers: Record<string, string>): IN8nHttpFullResponse {
	const chunks = Array.from({ length: Math.ceil(body.length / 65536) }, (_, i) =>
		body.subarray(i * 65536, (i + 1) * 65536),
	);
	return { body: Readable.from(chunks), headers, statusCode: 200, statusMessage: 'OK' };
}

async function drain(body: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of body) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

/** A JSON object of about `bytes` bytes, one long string field. */
const bigJson = (bytes: number) => Buffer.from(JSON.stringify({ news_item: [{ content: 'x'.repeat(bytes) }] }));

describe('classifyDownload', () => {
	it('reads a JSON answer of 15 MB labelled text/plain (8 long articles fit)', async () => {
		const result = await classifyDownload(answer(bigJson(15 * MB), { 'content-type': 'text/plain' }), 5000);
		expect(result.kind).toBe('json');
	});

	it('refuses text over the 20 MB bound instead of holding it all', async () => {
		const text = bigJson(21 * MB);
		await expect(classifyDownload(answer(text, { 'content-type': 'text/plain' }), 5000)).rejects.toThrow(
			'WeChat answered with text/plain that is neither JSON nor a media file it sends (over 20 MB, starting with "{"news_item":[{"content":"xxxxxxxxxxxxxx").',
		);
	});

	it('streams a binary answer over the bound that starts with "{" as a file, every byte kept', async () => {
		const bytes = Buffer.concat([Buffer.from('{'), Buffer.alloc(21 * MB, 7)]);
		const result = await classifyDownload(answer(bytes, { 'content-type': 'application/octet-stream' }), 5000);
		expect(result.kind).toBe('file');
		if (result.kind !== 'file') return;
		expect((await drain(result.body)).equals(bytes)).toBe(true);
	});

	it('takes a body whose decoded size differs from Content-Length (gzip decoded by axios) as whole', async () => {
		const bytes = Buffer.concat([Buffer.from('#!AMR\n', 'latin1'), Buffer.alloc(9000, 0x3c)]);
		const result = await classifyDownload(
			answer(bytes, { 'content-type': 'audio/amr', 'content-length': '1234' }),
			5000,
		);
		expect(result.kind).toBe('file');
		if (result.kind !== 'file') return;
		expect((await drain(result.body)).length).toBe(9006);
	});
});

/** A body that sends `chunks` with `gapMs` between them, then stays open and silent unless `end`. */
function slowBody(chunks: Buffer[], gapMs: number, end: boolean): Readable {
	const stream = new Readable({ read() {} });
	chunks.forEach((chunk, index) => setTimeout(() => stream.push(chunk), gapMs * index));
	if (end) setTimeout(() => stream.push(null), gapMs * chunks.length);
	return stream;
}

/** A JPEG in `count` chunks of 10,000 bytes: the first is more than the 8 KB the format is told by. */
const jpegChunks = (count: number) =>
	Array.from({ length: count }, (_, index) =>
		index === 0
			? Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(9996, 1)])
			: Buffer.alloc(10_000, index),
	);

describe('classifyDownload: quiet connections and stops', () => {
	const response = (body: Readable): IN8nHttpFullResponse => ({
		body,
		headers: { 'content-type': 'image/jpeg' },
		statusCode: 200,
		statusMessage: 'OK',
	});

	it('waits the idle timeout per chunk, not per body: 6 chunks 100 ms apart pass a 300 ms timeout', async () => {
		const started = Date.now();
		const result = await classifyDownload(response(slowBody(jpegChunks(6), 100, true)), 300);
		if (result.kind !== 'file') throw new Error('expected a file');
		expect((await drain(result.body)).length).toBe(60_000);
		expect(Date.now() - started).toBeGreaterThanOrEqual(500);
	});

	it('fails a body that goes quiet mid-file after the idle timeout and closes it', async () => {
		const body = slowBody(jpegChunks(2), 10, false);
		const result = await classifyDownload(response(body), 200);
		if (result.kind !== 'file') throw new Error('expected a file');
		const started = Date.now();
		await expect(drain(result.body)).rejects.toThrow('the download stalled: no data for 200 ms');
		expect(Date.now() - started).toBeGreaterThanOrEqual(150);
		expect(body.destroyed).toBe(true);
	});

	it('fails a body that is silent before its first byte', async () => {
		const body = slowBody([], 10, false);
		await expect(classifyDownload(response(body), 150)).rejects.toThrow('the download stalled');
		expect(body.destroyed).toBe(true);
	});

	it('ends a body mid-file when the execution is stopped, and closes it', async () => {
		const body = slowBody(jpegChunks(2), 10, false);
		const stop = new AbortController();
		const result = await classifyDownload(response(body), 60_000, stop.signal);
		if (result.kind !== 'file') throw new Error('expected a file');
		setTimeout(() => stop.abort(), 50);
		const started = Date.now();
		await expect(drain(result.body)).rejects.toThrow('The execution was stopped');
		expect(Date.now() - started).toBeLessThan(1000);
		expect(body.destroyed).toBe(true);
	});

	it('stops watching a body the consumer gave up on: the connection is closed', async () => {
		const body = slowBody(jpegChunks(3), 10, false);
		const result = await classifyDownload(response(body), 60_000);
		if (result.kind !== 'file') throw new Error('expected a file');
		for await (const chunk of result.body) {
			expect((chunk as Buffer).length).toBe(10_000);
			break;
		}
		await new Promise((resolve) => setImmediate(resolve));
		expect(body.destroyed).toBe(true);
	});
});
