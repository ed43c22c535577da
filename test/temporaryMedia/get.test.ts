import { jpeg, mp4 } from '../fixtures/media';
import { runNode } from '../harness';
import { useSandbox } from '../support';

const env = useSandbox();

async function uploadTemporary(type: string, bytes: Buffer, fileName: string): Promise<string> {
	const result = await runNode({
		parameters: { resource: 'temporaryMedia', operation: 'upload', mediaType: type, binaryPropertyName: 'data' },
		items: [{ files: [{ bytes, fileName }] }],
		credentials: env.credentials(),
	});
	if (result.error) throw result.error;
	return result.items[0].json.media_id as string;
}

const get = (mediaId: string, extra: Record<string, unknown> = {}) => ({
	resource: 'temporaryMedia',
	operation: 'get',
	mediaId,
	binaryPropertyName: 'file',
	...extra,
});

describe('Temporary Media → Get', () => {
	it('downloads an image into the chosen binary field, with the name WeChat gives and the bytes uploaded', async () => {
		const bytes = jpeg(120_000);
		const mediaId = await uploadTemporary('image', bytes, 'photo.jpg');
		const result = await runNode({ parameters: get(mediaId), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		const item = result.items[0];
		expect(item.binary?.file).toMatchObject({ mimeType: 'image/jpeg', fileName: `${mediaId}.jpg` });
		expect(item.json).toMatchObject({ media_id: mediaId, bytes: bytes.length });
		expect(Buffer.compare(await result.readBinary(0, 'file'), bytes)).toBe(0);
	});

	it('returns a video as its video_url, and downloads it over plain http when asked', async () => {
		const bytes = mp4(300_000);
		const mediaId = await uploadTemporary('video', bytes, 'clip.mp4');
		const urlOnly = await runNode({ parameters: get(mediaId), credentials: env.credentials() });
		expect(urlOnly.items[0].json.video_url).toMatch(/^http:\/\//);
		expect(urlOnly.items[0].binary).toBeUndefined();

		const downloaded = await runNode({
			parameters: get(mediaId, { downloadVideo: true }),
			credentials: env.credentials(),
		});
		expect(downloaded.error).toBeUndefined();
		expect(downloaded.items[0].json.video_url).toBe(urlOnly.items[0].json.video_url);
		expect(downloaded.items[0].binary?.file.mimeType).toBe('video/mp4');
		expect(Buffer.compare(await downloaded.readBinary(0, 'file'), bytes)).toBe(0);
	});

	it('turns a JSON error where a file was expected into an error, never a file (40007)', async () => {
		const result = await runNode({ parameters: get('no-such-media-id'), credentials: env.credentials() });
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toContain('errcode 40007');
		expect(result.error?.description).toContain('expired temporary id');
	});

	it('reports an expired temporary id (older than 3 days) as 40007', async () => {
		const mediaId = await uploadTemporary('image', jpeg(5000), 'a.jpg');
		env.sandbox.advanceClock(3 * 24 * 3600 + 60);
		const result = await runNode({
			parameters: get(mediaId),
			credentials: env.credentials(),
			continueOnFail: true,
		});
		expect(result.items[0].json.errcode).toBe(40007);
		expect(result.items[0].binary).toBeUndefined();
	});

	it('refuses a blank media id before any request', async () => {
		const result = await runNode({ parameters: get('   '), credentials: env.credentials() });
		expect(result.error?.message).toBe('item 0, field `Media ID`: is empty');
		expect(env.sandbox.log()).toHaveLength(0);
	});

	it('fails a download cut short instead of storing a broken file', async () => {
		const mediaId = await uploadTemporary('image', jpeg(200_000), 'big.jpg');
		env.sandbox.injectFault({ path: '/cgi-bin/media/get', kind: 'truncate', times: 5 });
		const result = await runNode({ parameters: get(mediaId), credentials: env.credentials() });
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toMatch(/cut short: \d+ of 200000 bytes arrived/);
	});

	it('gives up a download that goes quiet mid-file after the Timeout, closes it, and reads it again', async () => {
		const bytes = jpeg(200_000);
		const mediaId = await uploadTemporary('image', bytes, 'big.jpg');
		env.sandbox.clearLog();
		env.sandbox.injectFault({ path: '/cgi-bin/media/get', kind: 'stall', times: 1 });
		const result = await runNode({
			parameters: get(mediaId, { options: { timeout: 400 } }),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(Buffer.compare(await result.readBinary(0, 'file'), bytes)).toBe(0);
		const gets = env.sandbox.log().filter((entry) => entry.path === '/cgi-bin/media/get');
		expect(gets.map((entry) => entry.fault)).toEqual(['stall', undefined]);
		expect(gets[0].closedByClientAt).toEqual(expect.any(Number));
	});

	it('fails a download that stalls on every attempt, naming the stall, with no file', async () => {
		const mediaId = await uploadTemporary('image', jpeg(200_000), 'big.jpg');
		env.sandbox.clearLog();
		env.sandbox.injectFault({ path: '/cgi-bin/media/get', kind: 'stall', times: 5 });
		const result = await runNode({
			parameters: get(mediaId, { options: { timeout: 300 } }),
			credentials: env.credentials(),
		});
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toMatch(/the download stalled: no data for 300 ms, 3 attempts made/);
		const gets = env.sandbox.log().filter((entry) => entry.path === '/cgi-bin/media/get');
		expect(gets).toHaveLength(3);
		expect(gets.every((entry) => entry.fault === 'stall' && entry.closedByClientAt !== undefined)).toBe(true);
	});

	it('retries a download cut short once and delivers the whole file', async () => {
		const bytes = jpeg(200_000);
		const mediaId = await uploadTemporary('image', bytes, 'big.jpg');
		env.sandbox.injectFault({ path: '/cgi-bin/media/get', kind: 'truncate', times: 1 });
		const result = await runNode({ parameters: get(mediaId), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(Buffer.compare(await result.readBinary(0, 'file'), bytes)).toBe(0);
	});
});
