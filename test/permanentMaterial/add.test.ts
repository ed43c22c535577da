import { bmp, jpeg, mp3, mp4, png, wav } from '../fixtures/media';
import { runNode } from '../harness';
import type { MultipartLogBody } from '../sandbox/types';
import { apiCalls, useSandbox } from '../support';

const env = useSandbox();

const add = (mediaType: string, extra: Record<string, unknown> = {}) => ({
	resource: 'permanentMaterial',
	operation: 'add',
	mediaType,
	binaryPropertyName: 'data',
	...extra,
});

interface StoredFile {
	type: string;
	bytes: Buffer;
	filename: string;
	title?: string;
	introduction?: string;
}

const stored = (mediaId: unknown) =>
	env.sandbox.stored('permanent', mediaId as string) as StoredFile;

const addCalls = () =>
	env.sandbox.log().filter((entry) => entry.path === '/cgi-bin/material/add_material');

describe('Permanent Material → Add', () => {
	it('adds an image: media_id and its mmbiz URL, the same bytes stored', async () => {
		const bytes = jpeg(40_000);
		const result = await runNode({
			parameters: add('image'),
			items: [{ files: [{ bytes, fileName: 'poster.jpg', mimeType: 'image/jpeg' }] }],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json).toEqual({
			type: 'image',
			media_id: expect.stringMatching(/^[\w-]{43}$/),
			url: expect.stringMatching(/^http:\/\/mmbiz\.qpic\.cn\//),
			file_name: 'poster.jpg',
			binary_property: 'data',
		});
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
		const material = stored(result.items[0].json.media_id);
		expect(material).toMatchObject({ type: 'image', filename: 'poster.jpg' });
		expect(Buffer.compare(material.bytes, bytes)).toBe(0);
		expect(addCalls().map((entry) => entry.query.type)).toEqual(['image']);
	});

	it('takes the formats only the permanent library accepts: bmp images, wav voices', async () => {
		const result = await runNode({
			parameters: add('={{ $json.type }}'),
			items: [
				{
					json: { type: 'image' },
					files: [{ bytes: bmp(3000), fileName: 'scan.bmp', mimeType: 'image/bmp' }],
				},
				{
					json: { type: 'voice' },
					files: [{ bytes: wav(4), fileName: 'memo.wav', mimeType: 'audio/wav' }],
				},
			],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(stored(result.items[0].json.media_id)).toMatchObject({
			type: 'image',
			filename: 'scan.bmp',
		});
		expect(stored(result.items[1].json.media_id)).toMatchObject({
			type: 'voice',
			filename: 'memo.wav',
		});
		// Only images get a URL.
		expect(result.items[1].json.url).toBeUndefined();
	});

	it('sends a video’s Chinese title and introduction as UTF-8 JSON that survives byte for byte', async () => {
		const title = '春节特辑：年夜饭 🎉';
		const introduction = '介绍「团圆」与 "quotes" \\ 反斜杠';
		const bytes = mp4(120_000);
		const result = await runNode({
			parameters: add('video', { title, introduction }),
			items: [{ files: [{ bytes, fileName: '年夜饭.mp4', mimeType: 'video/mp4' }] }],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ type: 'video', file_name: '年夜饭.mp4' });
		expect(result.items[0].json.url).toBeUndefined();
		const material = stored(result.items[0].json.media_id);
		expect(material).toMatchObject({ type: 'video', title, introduction });
		expect(Buffer.compare(material.bytes, bytes)).toBe(0);
		const body = addCalls()[0].body as MultipartLogBody;
		expect(body.fields.description).toBe(JSON.stringify({ title, introduction }));
		expect(body.files).toEqual([
			{ field: 'media', filename: '年夜饭.mp4', contentType: 'video/mp4', size: bytes.length },
		]);
	});

	it('refuses a video without a title before sending anything', async () => {
		const result = await runNode({
			parameters: add('video', { title: '={{ $json.title }}', introduction: 'x' }),
			items: [{ json: { title: '  ' }, files: [{ bytes: mp4(), mimeType: 'video/mp4' }] }],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe('item 0, field `Title`: is empty');
		expect(env.sandbox.log()).toHaveLength(0);
	});

	it('adds every file of the item named in the field list: one output item each, both paired to the input', async () => {
		const result = await runNode({
			parameters: add('image', { binaryPropertyName: 'front, back' }),
			items: [
				{
					files: [
						{ property: 'front', bytes: png(2000), fileName: 'front.png', mimeType: 'image/png' },
						{ property: 'back', bytes: jpeg(3000), fileName: 'back.jpg', mimeType: 'image/jpeg' },
					],
				},
			],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.binary_property)).toEqual(['front', 'back']);
		expect(result.items.map((item) => item.json.file_name)).toEqual(['front.png', 'back.jpg']);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 0 }]);
		expect(stored(result.items[1].json.media_id).filename).toBe('back.jpg');
	});

	it.each([
		[
			'a wrong-type',
			'thumb',
			() => png(3000),
			'item 0, property `data`: the file is a png image; a thumb must be jpg',
		],
		[
			'an over-size',
			'thumb',
			() => jpeg(64 * 1024 + 1),
			'item 0, property `data`: the file is 64.0 KB (65,537 bytes); WeChat allows at most 64 KB (65,536 bytes) for a thumb',
		],
		[
			'a too-long voice',
			'voice',
			() => mp3(61),
			'item 0, property `data`: voice is 61 s long; WeChat allows at most 60 s for voice',
		],
		[
			'an unknown-format',
			'image',
			() => Buffer.from('just some text, not a picture at all'),
			'item 0, property `data`: the bytes are not a format WeChat accepts (they start with 6a 75 73 74); expected jpg, png, gif or bmp for a permanent image',
		],
	])('refuses %s file before any request', async (_case, mediaType, bytes, message) => {
		const result = await runNode({
			parameters: add(mediaType),
			items: [
				{ files: [{ bytes: bytes(), fileName: 'file', mimeType: 'application/octet-stream' }] },
			],
			credentials: env.credentials(),
		});
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toBe(message);
		expect(env.sandbox.log()).toHaveLength(0);
	});

	it('sends none of the item’s files when one of them breaks the rules', async () => {
		const result = await runNode({
			parameters: add('image', { binaryPropertyName: 'good, bad' }),
			items: [
				{
					files: [
						{ property: 'good', bytes: jpeg(), mimeType: 'image/jpeg' },
						{ property: 'bad', bytes: mp4(), mimeType: 'video/mp4' },
					],
				},
			],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe(
			'item 0, property `bad`: the file is an mp4 video; a permanent image must be jpg, png, gif or bmp',
		);
		expect(addCalls()).toHaveLength(0);
	});

	it('never sends an add twice when the answer is lost: the error says the outcome is unknown', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/material/add_material', kind: 'drop' });
		const result = await runNode({
			parameters: add('image'),
			items: [{ files: [{ bytes: jpeg(), mimeType: 'image/jpeg' }] }],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe(
			'WeChat material/add_material: the connection was dropped (ECONNRESET). The request may or may not have been carried out, so it was not sent again.',
		);
		expect(result.error?.description).toContain('Look for it with Permanent Material → Get Many');
		expect(apiCalls(env.sandbox)).toEqual(['POST /cgi-bin/material/add_material']);
	});

	it('names the files already added when a later file of the item fails', async () => {
		// 50 s of frames then zero padding: the node reads 50 s from the frames, while the sandbox
		// estimates the length from the size (65 s) and refuses it with 45007, after the first file.
		const padded = Buffer.concat([mp3(50), Buffer.alloc(60_000)]);
		const result = await runNode({
			parameters: add('voice', { binaryPropertyName: 'intro, long' }),
			items: [
				{
					files: [
						{ property: 'intro', bytes: mp3(5), fileName: 'intro.mp3', mimeType: 'audio/mpeg' },
						{ property: 'long', bytes: padded, mimeType: 'audio/mpeg' },
					],
				},
			],
			credentials: env.credentials(),
		});
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toContain('errcode 45007');
		expect(addCalls().map((entry) => entry.errcode)).toEqual([undefined, 45007]);
		const note = /Files of this item sent before the failure: `intro` → ([\w-]{43})\.$/.exec(
			result.error?.description ?? '',
		);
		expect(result.error?.description).toMatch(/^The voice file is longer than the 60 seconds/);
		expect(stored(note?.[1])).toMatchObject({ type: 'voice', filename: 'intro.mp3' });
	});

	it('under continueOnFail answers a WeChat refusal with an error item and adds the other items', async () => {
		env.sandbox.injectFault({
			path: '/cgi-bin/material/add_material',
			kind: 'errcode',
			errcode: 48001,
		});
		const result = await runNode({
			parameters: add('image', { options: { concurrency: 1, keepInputFields: true } }),
			items: [
				{ json: { row: 1 }, files: [{ bytes: jpeg(), mimeType: 'image/jpeg' }] },
				{ json: { row: 2 }, files: [{ bytes: png(), mimeType: 'image/png' }] },
			],
			credentials: env.credentials(),
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ row: 1, errcode: 48001 });
		expect(result.items[0].json.errorDescription).toContain('not authorised');
		expect(result.items[1].json).toMatchObject({
			row: 2,
			type: 'image',
			media_id: expect.any(String),
		});
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});
});
