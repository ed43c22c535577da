/**
 * Permanent Material → Get (and its down_url video download) against answers as WeChat, proxies and
 * CDNs really send them: files labelled text/plain (reported for get_material on the live service) or
 * as octet-stream, no file name, gzip with the compressed size as Content-Length; and news as long as
 * WeChat can send it.
 */
import { runNode } from '../harness';
import { realFixture } from '../fixtures/real';
import { jpeg } from '../fixtures/media';
import { classicToken, postJson } from '../sandbox/helpers';
import type { AnswerModes } from '../sandbox';
import { useSandbox } from '../support';
import { addMaterials } from './library';

const env = useSandbox();

const get = (mediaId: string, extra: Record<string, unknown> = {}) => ({
	resource: 'permanentMaterial',
	operation: 'get',
	mediaId,
	binaryPropertyName: 'file',
	...extra,
});

const MODES: Array<[string, AnswerModes]> = [
	['files labelled text/plain', { fileContentType: 'text/plain' }],
	['files labelled application/octet-stream', { fileContentType: 'application/octet-stream' }],
	['answers gzip-compressed by a proxy', { gzip: true }],
	['all at once', { fileContentType: 'text/plain', omitFilename: true, gzip: true, jsonContentType: 'text/plain' }],
];

describe.each(MODES)('Permanent Material → Get under %s', (_, modes) => {
	beforeEach(() => env.sandbox.setAnswerModes(modes));

	it('downloads a real LAME mp3 and a BMP with bfSize 0 whole, with their stored names', async () => {
		const voice = realFixture('vbr-lame-info.mp3');
		const image = realFixture('bfsize-zero.bmp');
		const [voiceId, imageId] = await addMaterials(env.sandbox, [
			{ type: 'voice', bytes: voice, filename: 'interview.mp3' },
			{ type: 'image', bytes: image, filename: 'logo.bmp' },
		]);
		const result = await runNode({
			parameters: get('={{ $json.id }}'),
			items: [{ json: { id: voiceId } }, { json: { id: imageId } }],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		const named = !modes.omitFilename;
		expect(result.items.map((item) => item.binary?.file && [item.binary.file.fileName, item.binary.file.mimeType])).toEqual([
			[named ? 'interview.mp3' : `${voiceId}.mp3`, 'audio/mpeg'],
			[named ? 'logo.bmp' : `${imageId}.bmp`, 'image/bmp'],
		]);
		expect(Buffer.compare(await result.readBinary(0, 'file'), voice)).toBe(0);
		expect(Buffer.compare(await result.readBinary(1, 'file'), image)).toBe(0);
	});

	it('downloads a video from its down_url', async () => {
		const video = realFixture('quicktime-wide-first.mov');
		const [mediaId] = await addMaterials(env.sandbox, [
			{ type: 'video', bytes: video, filename: 'clip.mp4', video: { title: 'Clip', introduction: '' } },
		]);
		const result = await runNode({ parameters: get(mediaId, { downloadVideo: true }), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ title: 'Clip', mime_type: 'video/mp4', bytes: video.length });
		expect(Buffer.compare(await result.readBinary(0, 'file'), video)).toBe(0);
	});
});

describe('Permanent Material → Get: news as long as WeChat sends it', () => {
	/** Editor-styled HTML just under 1 MB with little visible text, as 135editor/Xiumi produce. */
	function styledContent(article: number): string {
		const paragraph = (n: number) =>
			`<p style="margin: 0 0 12px; padding: 0; color: rgb(51, 51, 51); font-size: 15px; line-height: 1.75; ` +
			`letter-spacing: 0.5px; text-align: justify; font-family: &quot;PingFang SC&quot;, system-ui;" ` +
			`data-id="${article}-${n}"><span style="color: rgb(0, 122, 170);">段</span></p>`;
		const parts: string[] = [];
		let bytes = 0;
		for (let n = 0; bytes < 1000 * 1000; n++) {
			const html = paragraph(n);
			parts.push(html);
			bytes += Buffer.byteLength(html);
		}
		return parts.join('');
	}

	it('reads 8 articles of ~1 MB each (a JSON answer of several MB), labelled text/plain and gzipped', async () => {
		const [thumb] = await addMaterials(env.sandbox, [{ type: 'thumb', bytes: jpeg(), filename: 't.jpg' }]);
		const articles = Array.from({ length: 8 }, (_, index) => ({
			title: `长文 ${index + 1}`,
			thumb_media_id: thumb,
			content: styledContent(index),
			show_cover_pic: 0,
		}));
		const token = await classicToken(env.sandbox);
		const added = await postJson(env.sandbox, '/cgi-bin/material/add_news', { articles }, token);
		expect(added.errcode).toBeUndefined();
		env.sandbox.setAnswerModes({ jsonContentType: 'text/plain', gzip: true });
		const result = await runNode({ parameters: get(added.media_id as string), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		const items = result.items[0].json.news_item as Array<{ title: string; content: string }>;
		expect(items.map((item) => item.title)).toEqual(articles.map((article) => article.title));
		expect(items.map((item) => item.content)).toEqual(articles.map((article) => article.content));
		const jsonBytes = Buffer.byteLength(JSON.stringify({ news_item: items }));
		expect(jsonBytes).toBeGreaterThan(8 * 1000 * 1000);
	});
});
