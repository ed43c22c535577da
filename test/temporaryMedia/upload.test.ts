import { amr, gif, jpeg, mp3, mp4, png } from '../fixtures/media';
import { createCredentialStore, runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';

const env = useSandbox();

const upload = (mediaType: string, binaryPropertyName = 'data') => ({
	resource: 'temporaryMedia',
	operation: 'upload',
	mediaType,
	binaryPropertyName,
});

describe('Temporary Media → Upload', () => {
	it('uploads an image from filesystem binary data and the sandbox stores the same bytes', async () => {
		const bytes = jpeg(50_000);
		const result = await runNode({
			parameters: upload('image'),
			items: [{ files: [{ bytes, fileName: 'photo.jpg', mimeType: 'image/jpeg' }] }],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		const json = result.items[0].json;
		expect(json).toMatchObject({ type: 'image', file_name: 'photo.jpg', binary_property: 'data' });
		expect(typeof json.media_id).toBe('string');
		expect(typeof json.created_at).toBe('number');
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
		const stored = env.sandbox.stored('temporary', json.media_id as string) as { bytes: Buffer };
		expect(Buffer.compare(stored.bytes, bytes)).toBe(0);
	});

	it('normalises the thumb quirk: media_id is present although WeChat answers thumb_media_id', async () => {
		const result = await runNode({
			parameters: upload('thumb'),
			items: [{ files: [{ bytes: jpeg(10_000), fileName: 'cover.jpg' }] }],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.type).toBe('thumb');
		expect(result.items[0].json.media_id).toEqual(expect.any(String));
	});

	it('names the part after the bytes, not after a misleading file name', async () => {
		const result = await runNode({
			parameters: upload('image'),
			items: [{ files: [{ bytes: png(4000), fileName: 'scan.jpg', mimeType: 'image/jpeg' }] }],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.file_name).toBe('scan.png');
		const entry = env.sandbox.log().find((e) => e.path === '/cgi-bin/media/upload');
		expect(JSON.stringify(entry?.body)).toContain('"filename":"scan.png"');
	});

	it('uploads voice and video, and works with in-memory binary data too', async () => {
		for (const binaryMode of ['filesystem', 'default'] as const) {
			const result = await runNode({
				parameters: upload('voice'),
				items: [{ files: [{ bytes: amr(5) }] }, { files: [{ bytes: mp3(20) }] }],
				credentials: env.credentials(),
				binaryMode,
			});
			expect(result.error).toBeUndefined();
			expect(result.items.map((item) => item.json.type)).toEqual(['voice', 'voice']);
		}
		const video = await runNode({
			parameters: upload('video'),
			items: [{ files: [{ bytes: mp4(200_000), fileName: 'clip.mp4' }] }],
			credentials: env.credentials(),
		});
		expect(video.items[0].json.media_id).toEqual(expect.any(String));
	});

	it('uploads every file of an item when several binary properties are named, one output item each', async () => {
		const result = await runNode({
			parameters: upload('image', 'first, second'),
			items: [
				{
					json: { row: 7 },
					files: [
						{ property: 'first', bytes: jpeg(3000), fileName: 'a.jpg' },
						{ property: 'second', bytes: gif(2000), fileName: 'b.gif' },
					],
				},
			],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.binary_property)).toEqual(['first', 'second']);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 0 }]);
		expect(apiCalls(env.sandbox)).toEqual(['POST /cgi-bin/media/upload', 'POST /cgi-bin/media/upload']);
	});

	it('keeps the input fields when asked, so results match back to their rows', async () => {
		const result = await runNode({
			parameters: { ...upload('image'), options: { keepInputFields: true } },
			items: [{ json: { row: 1, title: 'first' }, files: [{ bytes: jpeg(3000) }] }],
			credentials: env.credentials(),
		});
		expect(result.items[0].json).toMatchObject({ row: 1, title: 'first', type: 'image' });
	});

	it('keeps input order and pairing for 30 items sent concurrently, with one token call', async () => {
		const items = Array.from({ length: 30 }, (_, index) => ({
			json: { index },
			files: [{ bytes: jpeg(2000 + index) }],
		}));
		env.sandbox.setLatency(20);
		const result = await runNode({
			parameters: { ...upload('image'), options: { keepInputFields: true, concurrency: 8 } },
			items,
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.index)).toEqual(items.map((item) => item.json.index));
		expect(result.items.map((item) => item.pairedItem)).toEqual(
			items.map((_, index) => ({ item: index })),
		);
		expect(env.sandbox.tokenCalls()).toBe(1);
	});

	it('refuses a file that breaks the media rules before sending anything, naming item and property', async () => {
		const result = await runNode({
			parameters: upload('thumb'),
			items: [{ files: [{ bytes: jpeg(3000) }] }, { files: [{ bytes: png(3000), fileName: 'x.png' }] }],
			credentials: createCredentialStore(env.credentials()),
		});
		expect(result.error?.message).toBe(
			'item 1, property `data`: the file is a png image; a thumb must be jpg',
		);
		// every item of a write batch is checked first: the good item 0 is not sent either
		expect(env.sandbox.log().filter((e) => e.path === '/cgi-bin/media/upload')).toHaveLength(0);
	});

	it('names the missing binary property and lists the ones the item has', async () => {
		const result = await runNode({
			parameters: upload('image', 'photo'),
			items: [{ files: [{ property: 'data', bytes: jpeg(3000) }] }],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe(
			'item 0, property `photo`: the item has no binary property with this name (it has: data)',
		);
		expect(env.sandbox.log()).toHaveLength(0);
	});

	it('under continueOnFail yields an error item for the bad input and uploads the good ones', async () => {
		const result = await runNode({
			parameters: { ...upload('voice'), options: { keepInputFields: true } },
			items: [
				{ json: { n: 0 }, files: [{ bytes: amr(5) }] },
				{ json: { n: 1 }, files: [{ bytes: amr(74) }] },
				{ json: { n: 2 }, files: [{ bytes: mp3(3) }] },
			],
			credentials: env.credentials(),
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(3);
		expect(result.items[0].json.media_id).toEqual(expect.any(String));
		expect(result.items[1].json).toMatchObject({
			n: 1,
			error: 'item 1, property `data`: voice is 74 s long; WeChat allows at most 60 s for voice',
		});
		expect(result.items[1].pairedItem).toEqual({ item: 1 });
		expect(result.items[2].json.media_id).toEqual(expect.any(String));
	});
});
