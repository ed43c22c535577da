import { amr, jpeg, mp4, png } from '../fixtures/media';
import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import { addMaterials, addNews } from './library';

const env = useSandbox();

const get = (mediaId: string, extra: Record<string, unknown> = {}) => ({
	resource: 'permanentMaterial',
	operation: 'get',
	mediaId,
	binaryPropertyName: 'file',
	...extra,
});

describe('Permanent Material → Get', () => {
	it('downloads an image by POSTing its id, with its stored name and MIME type', async () => {
		const bytes = png(30_000);
		const [mediaId] = await addMaterials(env.sandbox, [
			{ type: 'image', bytes, filename: 'chart.png' },
		]);
		env.sandbox.clearLog();
		const result = await runNode({ parameters: get(mediaId), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toEqual({
			media_id: mediaId,
			file_name: 'chart.png',
			mime_type: 'image/png',
			bytes: bytes.length,
		});
		expect(result.items[0].binary?.file).toMatchObject({
			fileName: 'chart.png',
			mimeType: 'image/png',
		});
		expect(Buffer.compare(await result.readBinary(0, 'file'), bytes)).toBe(0);
		const calls = env.sandbox.log().filter((entry) => !entry.tokenCall);
		expect(calls.map((entry) => [entry.method, entry.path, entry.body])).toEqual([
			['POST', '/cgi-bin/material/get_material', { media_id: mediaId }],
		]);
	});

	it('keeps a Chinese file name (sent as filename*) and downloads voices and thumbs', async () => {
		const voice = amr(3);
		const thumb = jpeg(20_000);
		const ids = await addMaterials(env.sandbox, [
			{ type: 'voice', bytes: voice, filename: '语音 留言.amr' },
			{ type: 'thumb', bytes: thumb, filename: 'cover.jpg' },
		]);
		const result = await runNode({
			parameters: get('={{ $json.id }}'),
			items: ids.map((id) => ({ json: { id } })),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].binary?.file).toMatchObject({
			fileName: '语音 留言.amr',
			mimeType: 'audio/amr',
		});
		expect(result.items[1].binary?.file).toMatchObject({
			fileName: 'cover.jpg',
			mimeType: 'image/jpeg',
		});
		expect(Buffer.compare(await result.readBinary(0, 'file'), voice)).toBe(0);
		expect(Buffer.compare(await result.readBinary(1, 'file'), thumb)).toBe(0);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});

	it('answers a video with title, description and down_url, and downloads it when asked', async () => {
		const bytes = mp4(250_000);
		const video = { title: '产品演示', introduction: '第一集：开箱' };
		const [mediaId] = await addMaterials(env.sandbox, [
			{ type: 'video', bytes, filename: 'demo.mp4', video },
		]);
		const detailsOnly = await runNode({ parameters: get(mediaId), credentials: env.credentials() });
		expect(detailsOnly.error).toBeUndefined();
		expect(detailsOnly.items[0].json).toEqual({
			media_id: mediaId,
			title: video.title,
			description: video.introduction,
			down_url: expect.stringMatching(/^http:\/\//),
		});
		expect(detailsOnly.items[0].binary).toBeUndefined();

		env.sandbox.clearLog();
		const downloaded = await runNode({
			parameters: get(mediaId, { downloadVideo: true }),
			credentials: env.credentials(),
		});
		expect(downloaded.error).toBeUndefined();
		expect(downloaded.items[0].json).toMatchObject({
			title: video.title,
			down_url: detailsOnly.items[0].json.down_url,
			mime_type: 'video/mp4',
			bytes: bytes.length,
		});
		expect(Buffer.compare(await downloaded.readBinary(0, 'file'), bytes)).toBe(0);
		const downUrl = new URL(detailsOnly.items[0].json.down_url as string);
		expect(apiCalls(env.sandbox)).toEqual([
			'POST /cgi-bin/material/get_material',
			`GET ${downUrl.pathname}`,
		]);
		// The plain download URL is fetched without the access token.
		expect(env.sandbox.log().at(-1)?.query).toEqual({});
	});

	it('answers news with its articles', async () => {
		const [thumb] = await addMaterials(env.sandbox, [
			{ type: 'thumb', bytes: jpeg(), filename: 't.jpg' },
		]);
		const mediaId = await addNews(env.sandbox, thumb, ['第一篇', 'Second']);
		const result = await runNode({ parameters: get(mediaId), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		const json = result.items[0].json;
		expect(json.media_id).toBe(mediaId);
		expect(
			(json.news_item as Array<Record<string, unknown>>).map((article) => article.title),
		).toEqual(['第一篇', 'Second']);
		expect(json.news_item).toEqual([
			expect.objectContaining({ thumb_media_id: thumb, content: '<p>第一篇</p>' }),
			expect.objectContaining({ thumb_media_id: thumb }),
		]);
		expect(result.items[0].binary).toBeUndefined();
	});

	it('reports an unknown id, and a temporary id, as 40007 with a hint, never as a file', async () => {
		const temporary = await runNode({
			parameters: {
				resource: 'temporaryMedia',
				operation: 'upload',
				mediaType: 'image',
				binaryPropertyName: 'data',
			},
			items: [{ files: [{ bytes: jpeg(), fileName: 'a.jpg', mimeType: 'image/jpeg' }] }],
			credentials: env.credentials(),
		});
		const temporaryId = temporary.items[0].json.media_id as string;
		const result = await runNode({
			parameters: get('={{ $json.id }}'),
			items: [{ json: { id: 'no-such-material' } }, { json: { id: temporaryId } }],
			credentials: env.credentials(),
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		for (const item of result.items) {
			expect(item.json.errcode).toBe(40007);
			expect(item.json.errorDescription).toContain(
				'temporary id given to a permanent-material operation',
			);
			expect(item.binary).toBeUndefined();
		}
	});

	it('turns a JSON error where a file was expected into an error, never a file', async () => {
		const [mediaId] = await addMaterials(env.sandbox, [
			{ type: 'image', bytes: jpeg(), filename: 'a.jpg' },
		]);
		env.sandbox.injectFault({
			path: '/cgi-bin/material/get_material',
			kind: 'errcode',
			errcode: 48001,
			errmsg: 'api unauthorized',
		});
		const result = await runNode({ parameters: get(mediaId), credentials: env.credentials() });
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toBe(
			'WeChat material/get_material failed with errcode 48001: api unauthorized',
		);
	});

	it('reads again after an HTTP 502, as reads may be', async () => {
		const bytes = jpeg(8000);
		const [mediaId] = await addMaterials(env.sandbox, [
			{ type: 'image', bytes, filename: 'a.jpg' },
		]);
		env.sandbox.clearLog();
		env.sandbox.injectFault({ path: '/cgi-bin/material/get_material', kind: 'http', status: 502 });
		const result = await runNode({ parameters: get(mediaId), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(Buffer.compare(await result.readBinary(0, 'file'), bytes)).toBe(0);
		expect(apiCalls(env.sandbox)).toEqual([
			'POST /cgi-bin/material/get_material',
			'POST /cgi-bin/material/get_material',
		]);
	});
});
