import { gif, jpeg, png } from '../fixtures/media';
import { runNode } from '../harness';
import type { MultipartLogBody } from '../sandbox/types';
import { apiCalls, useSandbox } from '../support';

const env = useSandbox();

const MIB = 1024 * 1024;

const upload = (binaryPropertyName = 'data') => ({
	resource: 'articleImage',
	operation: 'upload',
	binaryPropertyName,
});

const uploadCalls = () =>
	env.sandbox.log().filter((entry) => entry.path === '/cgi-bin/media/uploadimg');

describe('Article Image → Upload', () => {
	it('uploads a jpg and a png and answers each with its URL', async () => {
		const result = await runNode({
			parameters: upload(),
			items: [
				{ files: [{ bytes: jpeg(200_000), fileName: 'photo.jpg', mimeType: 'image/jpeg' }] },
				{ files: [{ bytes: png(5000), fileName: 'chart.png', mimeType: 'image/png' }] },
			],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([
			{
				url: expect.stringMatching(/^http:\/\/mmbiz\.qpic\.cn\/mmbiz_jpg\//),
				file_name: 'photo.jpg',
				binary_property: 'data',
			},
			{
				url: expect.stringMatching(/^http:\/\/mmbiz\.qpic\.cn\/mmbiz_png\//),
				file_name: 'chart.png',
				binary_property: 'data',
			},
		]);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		const files = uploadCalls().map((entry) => (entry.body as MultipartLogBody).files);
		expect(files).toEqual(
			expect.arrayContaining([
				[{ field: 'media', filename: 'photo.jpg', contentType: 'image/jpeg', size: 200_000 }],
				[{ field: 'media', filename: 'chart.png', contentType: 'image/png', size: 5000 }],
			]),
		);
	});

	it('uploads every named binary field of an item, one output item each', async () => {
		const result = await runNode({
			parameters: upload('hero, inline_1'),
			items: [
				{
					files: [
						{ property: 'hero', bytes: jpeg(3000), fileName: 'hero.jpg', mimeType: 'image/jpeg' },
						{ property: 'inline_1', bytes: png(3000), fileName: 'i.png', mimeType: 'image/png' },
					],
				},
			],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.binary_property)).toEqual(['hero', 'inline_1']);
		expect(new Set(result.items.map((item) => item.json.url)).size).toBe(2);
		expect(uploadCalls()).toHaveLength(2);
	});

	it('accepts an image just under 1 MB and refuses one of exactly 1 MB before sending it', async () => {
		const under = await runNode({
			parameters: upload(),
			items: [{ files: [{ bytes: jpeg(MIB - 1), fileName: 'a.jpg', mimeType: 'image/jpeg' }] }],
			credentials: env.credentials(),
		});
		expect(under.error).toBeUndefined();
		expect(under.items[0].json.url).toEqual(expect.any(String));

		env.sandbox.clearLog();
		const exact = await runNode({
			parameters: upload(),
			items: [{ files: [{ bytes: jpeg(MIB), fileName: 'b.jpg', mimeType: 'image/jpeg' }] }],
			credentials: env.credentials(),
		});
		expect(exact.error?.message).toBe(
			'item 0, property `data`: the file is 1.0 MB (1,048,576 bytes); WeChat allows less than 1 MB (1,048,576 bytes) for an article image',
		);
		expect(env.sandbox.log()).toHaveLength(0);
	});

	it.each([
		['a gif', () => gif(2000), 'the file is a gif image; an article image must be jpg or png'],
		[
			'an unknown format',
			() => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
			'the bytes are not a format WeChat accepts (they start with 3c 73 76 67); expected jpg or png for an article image',
		],
	])('refuses %s before any request', async (_case, bytes, problem) => {
		const result = await runNode({
			parameters: upload(),
			items: [{ files: [{ bytes: bytes(), fileName: 'x', mimeType: 'image/gif' }] }],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe(`item 0, property \`data\`: ${problem}`);
		expect(env.sandbox.log()).toHaveLength(0);
	});

	it('under continueOnFail reports a WeChat refusal on its item and uploads the others', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/media/uploadimg', kind: 'errcode', errcode: 40005 });
		const result = await runNode({
			parameters: { ...upload(), options: { concurrency: 1 } },
			items: [
				{ files: [{ bytes: jpeg(), mimeType: 'image/jpeg' }] },
				{ files: [{ bytes: jpeg(), mimeType: 'image/jpeg' }] },
			],
			credentials: env.credentials(),
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ errcode: 40005 });
		expect(result.items[0].json.errorDescription).toContain('does not accept this file format');
		expect(result.items[1].json.url).toEqual(expect.any(String));
	});

	it('sends the upload again after a dropped connection: a spare article image costs nothing', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/media/uploadimg', kind: 'drop' });
		const result = await runNode({
			parameters: upload(),
			items: [{ files: [{ bytes: png(), mimeType: 'image/png' }] }],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.url).toEqual(expect.any(String));
		expect(apiCalls(env.sandbox)).toEqual([
			'POST /cgi-bin/media/uploadimg',
			'POST /cgi-bin/media/uploadimg',
		]);
	});
});
