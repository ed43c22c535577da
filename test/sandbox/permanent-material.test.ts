import { amr, bmp, gif, jpeg, mp3, mp4, png, wav, wma } from '../fixtures/media';
import { sandboxPerTest, getJson, postJson, upload, withToken, type WeixinJson } from './helpers';
import type { Sandbox } from './index';

let sandbox: Sandbox;
let token: string;

sandboxPerTest((started, freshToken) => {
	sandbox = started;
	token = freshToken;
});

const addMaterial = (
	type: string,
	bytes: Buffer,
	filename: string,
	fields?: Record<string, string>,
) =>
	upload(sandbox, `/cgi-bin/material/add_material?type=${type}`, token, bytes, {
		filename,
		fields,
	});

const getMaterial = (mediaId: string) =>
	fetch(withToken(sandbox, '/cgi-bin/material/get_material', token), {
		method: 'POST',
		body: JSON.stringify({ media_id: mediaId }),
	});

const video = (title: string, introduction: string) => ({
	description: JSON.stringify({ title, introduction }),
});

describe('material/add_material', () => {
	it('stores an image with an mmbiz URL and serves it back under its original filename', async () => {
		const image = png(3000);
		const answer = await addMaterial('image', image, 'chart.png');
		expect(answer).toEqual({
			media_id: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
			url: expect.stringMatching(/^http:\/\/mmbiz\.qpic\.cn\/mmbiz_png\/[A-Za-z0-9_-]+\/0/),
		});
		const response = await getMaterial(answer.media_id as string);
		expect(response.headers.get('content-type')).toBe('image/png');
		expect(response.headers.get('content-disposition')).toBe('attachment; filename="chart.png"');
		expect(Buffer.from(await response.arrayBuffer()).equals(image)).toBe(true);
	});

	it('adds an RFC 5987 filename* when the original name is not ASCII', async () => {
		const answer = await addMaterial('voice', amr(3), '语音 1.amr');
		const response = await getMaterial(answer.media_id as string);
		expect(answer.url).toBe('');
		expect(response.headers.get('content-type')).toBe('audio/amr');
		expect(response.headers.get('content-disposition')).toBe(
			`attachment; filename="__ 1.amr"; filename*=UTF-8''%E8%AF%AD%E9%9F%B3%201.amr`,
		);
	});

	it('accepts the permanent-only formats: bmp images, wma and wav voices', async () => {
		const answers = await Promise.all([
			addMaterial('image', bmp(), 'a.bmp'),
			addMaterial('image', gif(), 'a.gif'),
			addMaterial('voice', wma(60), 'a.wma'),
			addMaterial('voice', wav(60), 'a.wav'),
			addMaterial('voice', mp3(30), 'a.mp3'),
			addMaterial('thumb', jpeg(), 'a.jpg'),
		]);
		expect(answers.map((answer) => answer.errcode)).toEqual(Array(6).fill(undefined));
		expect(answers[5].url).toBe('');
	});

	it('applies the same upload checks with the permanent table', async () => {
		const answers = await Promise.all([
			addMaterial('voice', wma(61), 'a.wma'),
			addMaterial('voice', wav(60.5), 'a.wav'),
			addMaterial('thumb', png(), 'a.png'),
			addMaterial('image', jpeg(), 'a.gif'),
			addMaterial('image', jpeg(10 * 1024 * 1024 + 1), 'a.jpg'),
			addMaterial('document', jpeg(), 'a.jpg'),
			addMaterial('image', Buffer.alloc(0), 'a.jpg'),
		]);
		expect(answers.map((answer) => answer.errcode)).toEqual([
			45007, 45007, 40005, 40113, 40006, 40004, 44001,
		]);
	});

	it('keeps a video description, Chinese included, byte-exact and serves the video over http', async () => {
		const clip = mp4(9000);
		const title = '产品发布会 🎬';
		const introduction = '第一部分：介绍「微信」新功能。';
		const answer = await addMaterial('video', clip, 'launch.mp4', video(title, introduction));
		expect(answer).toEqual({ media_id: expect.any(String), url: '' });

		const details = (await (await getMaterial(answer.media_id as string)).json()) as WeixinJson;
		expect(details).toEqual({ title, description: introduction, down_url: expect.any(String) });
		expect((details.down_url as string).startsWith(`${sandbox.url}/`)).toBe(true);
		const download = await fetch(details.down_url as string);
		expect(download.headers.get('content-type')).toBe('video/mp4');
		expect(Buffer.from(await download.arrayBuffer()).equals(clip)).toBe(true);
	});

	it('needs a video description: 40097 when missing or not JSON, 45004 when too long', async () => {
		const answers = await Promise.all([
			addMaterial('video', mp4(), 'a.mp4'),
			addMaterial('video', mp4(), 'a.mp4', { description: '{"title": "unterminated' }),
			addMaterial('video', mp4(), 'a.mp4', { description: '"just a string"' }),
			addMaterial('video', mp4(), 'a.mp4', video('标'.repeat(65), 'ok')),
			addMaterial('video', mp4(), 'a.mp4', video('ok', '介'.repeat(121))),
			addMaterial('video', mp4(), 'a.mp4', video('标'.repeat(64), '介'.repeat(120))),
		]);
		expect(answers.map((answer) => answer.errcode)).toEqual([
			40097,
			40097,
			40097,
			45004,
			45004,
			undefined,
		]);
	});
});

describe('material/get_material and del_material', () => {
	it('requires POST (43002) and answers 40007 for unknown and temporary ids', async () => {
		const { media_id: mediaId } = await addMaterial('image', jpeg(), 'a.jpg');
		const viaGet = await getJson(
			sandbox,
			`/cgi-bin/material/get_material?media_id=${mediaId}`,
			token,
		);
		expect(viaGet).toEqual({ errcode: 43002, errmsg: 'require POST method' });

		const temporary = await upload(sandbox, '/cgi-bin/media/upload?type=image', token, jpeg(), {
			filename: 'a.jpg',
		});
		for (const id of ['unknown-id', temporary.media_id as string]) {
			const response = await getMaterial(id);
			expect(response.headers.get('content-type')).toBe('text/plain');
			expect(await response.json()).toEqual({ errcode: 40007, errmsg: 'invalid media_id' });
		}
	});

	it('deletes a material once; afterwards every call answers 40007', async () => {
		const { media_id: mediaId } = await addMaterial('voice', amr(1), 'a.amr');
		const deleteIt = () =>
			postJson(sandbox, '/cgi-bin/material/del_material', { media_id: mediaId }, token);
		expect(await deleteIt()).toEqual({ errcode: 0, errmsg: 'ok' });
		expect((await deleteIt()).errcode).toBe(40007);
		expect(((await (await getMaterial(mediaId as string)).json()) as WeixinJson).errcode).toBe(
			40007,
		);
		expect(sandbox.stored('permanent', mediaId as string)).toBeUndefined();
	});
});

describe('material/get_materialcount and batchget_material', () => {
	async function addLibrary(): Promise<string[]> {
		const ids: string[] = [];
		// One after the other, so "newest first" has a defined meaning.
		for (const [type, bytes, filename] of [
			['image', jpeg(), 'first.jpg'],
			['thumb', jpeg(), 'thumb.jpg'],
			['voice', amr(1), 'voice.amr'],
			['image', png(), 'third.png'],
		] as const) {
			ids.push((await addMaterial(type, bytes, filename)).media_id as string);
		}
		ids.push((await addMaterial('video', mp4(), 'v.mp4', video('t', 'i'))).media_id as string);
		return ids;
	}

	it('counts each library, thumbs as images', async () => {
		await addLibrary();
		expect(await getJson(sandbox, '/cgi-bin/material/get_materialcount', token)).toEqual({
			voice_count: 1,
			video_count: 1,
			image_count: 3,
			news_count: 0,
		});
	});

	it('lists newest first with offset and count', async () => {
		const [first, thumb, , third] = await addLibrary();
		const list = (body: Record<string, unknown>) =>
			postJson(sandbox, '/cgi-bin/material/batchget_material', body, token);

		const all = await list({ type: 'image', offset: 0, count: 20 });
		expect(all.total_count).toBe(3);
		expect(all.item_count).toBe(3);
		const items = all.item as Array<Record<string, unknown>>;
		expect(items.map((item) => item.media_id)).toEqual([third, thumb, first]);
		expect(items[0]).toEqual({
			media_id: third,
			name: 'third.png',
			update_time: expect.any(Number),
			url: expect.stringMatching(/^http:\/\/mmbiz\.qpic\.cn\//),
		});

		const page = await list({ type: 'image', offset: 1, count: 1 });
		expect(page).toEqual({
			total_count: 3,
			item_count: 1,
			item: [expect.objectContaining({ media_id: thumb })],
		});
		expect(await list({ type: 'voice', offset: 5, count: 5 })).toEqual({
			total_count: 1,
			item_count: 0,
			item: [],
		});
	});

	it('answers 40004 for a bad type and 40007 for a count outside 1..20', async () => {
		const list = (body: Record<string, unknown>) =>
			postJson(sandbox, '/cgi-bin/material/batchget_material', body, token);
		const answers = await Promise.all([
			list({ type: 'thumb', offset: 0, count: 10 }),
			list({ type: 'image', offset: 0, count: 0 }),
			list({ type: 'image', offset: 0, count: 21 }),
			list({ type: 'image', offset: -1, count: 5 }),
			list({ type: 'image', offset: 0 }),
		]);
		expect(answers.map((answer) => answer.errcode)).toEqual([40004, 40007, 40007, 40007, 40007]);
	});
});
