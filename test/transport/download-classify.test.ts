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
