import { decodeSpeex } from '../../nodes/WeixinMedia/media/speex';
import { amr, bmp, gif, jpeg, mp3, mp4, png, speex, wav, withBytes } from '../fixtures/media';
import { classicToken, sandboxPerTest, upload, withToken, type WeixinJson } from './helpers';
import type { Sandbox } from './index';

let sandbox: Sandbox;
let token: string;

sandboxPerTest((started, freshToken) => {
	sandbox = started;
	token = freshToken;
});

const uploadTemporary = (type: string, bytes: Buffer, filename: string) =>
	upload(sandbox, `/cgi-bin/media/upload?type=${type}`, token, bytes, { filename });

async function getMedia(mediaId: string, path = '/cgi-bin/media/get') {
	const response = await fetch(withToken(sandbox, `${path}?media_id=${mediaId}`, token));
	return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

const errcodeOf = (answer: WeixinJson) => answer.errcode;

describe('media/upload', () => {
	it('stores an image and serves the same bytes back with download headers', async () => {
		const image = jpeg(5000);
		const answer = await uploadTemporary('image', image, 'photo.jpg');
		expect(answer).toEqual({
			type: 'image',
			media_id: expect.stringMatching(/^[A-Za-z0-9_-]{64}$/),
			created_at: expect.any(Number),
		});
		expect(Math.abs((answer.created_at as number) - sandbox.now())).toBeLessThanOrEqual(2);

		const { response, bytes } = await getMedia(answer.media_id as string);
		expect(bytes.equals(image)).toBe(true);
		expect(response.headers.get('content-type')).toBe('image/jpeg');
		expect(response.headers.get('content-length')).toBe('5000');
		expect(response.headers.get('content-disposition')).toBe(
			`attachment; filename="${answer.media_id as string}.jpg"`,
		);
	});

	it('accepts png and gif images, amr and mp3 voices up to 60 s', async () => {
		const accepted = await Promise.all([
			uploadTemporary('image', png(), 'a.png'),
			uploadTemporary('image', gif(), 'a.GIF'),
			uploadTemporary('voice', amr(60), 'a.amr'),
			uploadTemporary('voice', mp3(60), 'a.mp3'),
			uploadTemporary('voice', mp3(59, { header: 'xing', id3Bytes: 300 }), 'a.mp3'),
		]);
		expect(accepted.map(errcodeOf)).toEqual([
			undefined,
			undefined,
			undefined,
			undefined,
			undefined,
		]);
		const voice = await getMedia(accepted[2].media_id as string);
		expect(voice.response.headers.get('content-type')).toBe('audio/amr');
		expect(voice.response.headers.get('content-disposition')).toMatch(/\.amr"$/);
	});

	it('answers a thumb with thumb_media_id instead of media_id', async () => {
		const answer = await uploadTemporary('thumb', jpeg(2000), 'cover.jpg');
		expect(answer).toEqual({
			type: 'thumb',
			thumb_media_id: expect.any(String),
			created_at: expect.any(Number),
		});
		const { bytes } = await getMedia(answer.thumb_media_id as string);
		expect(bytes.equals(jpeg(2000))).toBe(true);
	});

	it('answers a video download with a plain-http video_url the sandbox serves', async () => {
		const video = mp4(20000);
		const answer = await uploadTemporary('video', video, 'clip.mp4');
		const { response, bytes } = await getMedia(answer.media_id as string);
		const { video_url: videoUrl } = JSON.parse(bytes.toString('utf8')) as { video_url: string };
		expect(response.headers.get('content-type')).toMatch(/^application\/json/);
		expect(videoUrl.startsWith(`${sandbox.url}/`)).toBe(true);
		expect(videoUrl).not.toContain('access_token');

		const download = await fetch(videoUrl);
		expect(download.headers.get('content-type')).toBe('video/mp4');
		expect(Buffer.from(await download.arrayBuffer()).equals(video)).toBe(true);
	});

	it('refuses voices over 60 s with 45007, whatever the format says about its length', async () => {
		const tooLong = await Promise.all([
			uploadTemporary('voice', amr(61), 'a.amr'),
			uploadTemporary('voice', mp3(61), 'a.mp3'),
			uploadTemporary('voice', mp3(61, { header: 'xing' }), 'a.mp3'),
			uploadTemporary('voice', mp3(61, { header: 'vbri', sampleRate: 48000 }), 'a.mp3'),
		]);
		expect(tooLong.map(errcodeOf)).toEqual([45007, 45007, 45007, 45007]);
	});

	it('answers each documented upload error', async () => {
		const mb = 1024 * 1024;
		const cases: Array<[string, Buffer, string, number]> = [
			['sticker', jpeg(), 'a.jpg', 40004],
			['image', jpeg(), 'a.png', 40113],
			['image', jpeg(), 'a', 40113],
			['image', png(), 'a.txt', 40113],
			['image', Buffer.from('plain text, not a picture'), 'a.jpg', 40004],
			['image', bmp(), 'a.bmp', 40005],
			['thumb', png(), 'a.png', 40005],
			['voice', wav(2), 'a.wav', 40005],
			['video', jpeg(), 'a.jpg', 40005],
			['image', jpeg(10 * mb + 1), 'a.jpg', 40006],
			['thumb', jpeg(64 * 1024 + 1), 'a.jpg', 40006],
			['voice', mp3(55, { bitrateKbps: 320, sampleRate: 48000 }), 'a.mp3', 40006],
			['video', mp4(10 * mb + 1), 'a.mp4', 40006],
			['image', Buffer.alloc(0), 'a.jpg', 44001],
		];
		const answers = await Promise.all(
			cases.map(([type, bytes, filename]) => uploadTemporary(type, bytes, filename)),
		);
		expect(answers.map(errcodeOf)).toEqual(cases.map((testCase) => testCase[3]));
		expect(answers[1].errmsg).toBe('unsupported file type');
	});

	it('accepts uploads at exactly the size limits', async () => {
		const answers = await Promise.all([
			uploadTemporary('thumb', jpeg(64 * 1024), 'a.jpg'),
			uploadTemporary('image', png(10 * 1024 * 1024), 'a.png'),
		]);
		expect(answers.map(errcodeOf)).toEqual([undefined, undefined]);
	});

	it('answers 40004 for a missing type and 41005 when the media part is missing', async () => {
		const noType = await upload(sandbox, '/cgi-bin/media/upload', token, jpeg(), {
			filename: 'a.jpg',
		});
		expect(noType.errcode).toBe(40004);
		const wrongField = await upload(sandbox, '/cgi-bin/media/upload?type=image', token, jpeg(), {
			filename: 'a.jpg',
			field: 'file',
		});
		expect(wrongField).toEqual({ errcode: 41005, errmsg: 'media data missing' });
	});

	it('honours the boundary from Content-Type and answers 41005 without one', async () => {
		const boundary = 'odd boundary:"; with=chars';
		const image = gif();
		const body = Buffer.concat([
			Buffer.from(`preamble\r\n--${boundary}\r\n`),
			Buffer.from('Content-Disposition: form-data; name="media"; filename="x.gif"\r\n'),
			Buffer.from('Content-Type: image/gif\r\n\r\n'),
			image,
			Buffer.from(`\r\n--${boundary}--\r\n`),
		]);
		const post = (contentType: string) =>
			fetch(withToken(sandbox, '/cgi-bin/media/upload?type=image', token), {
				method: 'POST',
				headers: { 'Content-Type': contentType },
				body,
			}).then((response) => response.json() as Promise<WeixinJson>);
		const quoted = await post(`multipart/form-data; boundary="${boundary.replace(/"/g, '\\"')}"`);
		expect(quoted.type).toBe('image');
		const stored = sandbox.stored('temporary', quoted.media_id as string) as { bytes: Buffer };
		expect(stored.bytes.equals(image)).toBe(true);

		expect((await post('multipart/form-data')).errcode).toBe(41005);
		expect((await post('multipart/form-data; boundary=something-else')).errcode).toBe(41005);
		expect((await post('application/octet-stream')).errcode).toBe(41005);
	});

	it('needs POST', async () => {
		const response = await fetch(withToken(sandbox, '/cgi-bin/media/upload?type=image', token));
		expect(await response.json()).toEqual({ errcode: 43002, errmsg: 'require POST method' });
	});
});

describe('media/get', () => {
	it('answers 40007 as JSON in a text/plain body for unknown ids', async () => {
		const { response, bytes } = await getMedia('no-such-media');
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('text/plain');
		expect(JSON.parse(bytes.toString('utf8'))).toEqual({
			errcode: 40007,
			errmsg: 'invalid media_id',
		});
		expect((await getMedia('')).bytes.toString('utf8')).toContain('40007');
	});

	it('forgets temporary media after three days by the sandbox clock', async () => {
		const { media_id: mediaId } = await uploadTemporary('image', jpeg(), 'a.jpg');
		const videoAnswer = await uploadTemporary('video', mp4(), 'a.mp4');
		const { video_url: videoUrl } = JSON.parse(
			(await getMedia(videoAnswer.media_id as string)).bytes.toString('utf8'),
		) as { video_url: string };

		sandbox.advanceClock(3 * 86400 - 60);
		token = await classicToken(sandbox);
		expect((await getMedia(mediaId as string)).response.headers.get('content-type')).toBe(
			'image/jpeg',
		);
		sandbox.advanceClock(60);
		token = await classicToken(sandbox);
		expect((await getMedia(mediaId as string)).bytes.toString('utf8')).toContain('"errcode":40007');
		expect((await fetch(videoUrl)).status).toBe(404);
	});
});

describe('media/get/jssdk (HD voice)', () => {
	it('serves a seeded HD voice as voice/speex and its 8 kHz AMR through media/get', async () => {
		const voice = speex(3000);
		const mediaId = sandbox.seedHdVoice(voice);
		const hd = await getMedia(mediaId, '/cgi-bin/media/get/jssdk');
		expect(hd.bytes.equals(voice)).toBe(true);
		expect(hd.response.headers.get('content-type')).toBe('voice/speex');
		expect(hd.response.headers.get('content-disposition')).toBe(
			`attachment; filename="${mediaId}.speex"`,
		);
		const plain = await getMedia(mediaId);
		expect(plain.response.headers.get('content-type')).toBe('audio/amr');
		expect(plain.bytes.subarray(0, 6).toString('latin1')).toBe('#!AMR\n');
	});

	it('has built-in recordings of real speech: raw 60-byte frames by default, Ogg Speex on request', async () => {
		const raw = await getMedia(sandbox.seedHdVoice(), '/cgi-bin/media/get/jssdk');
		expect(raw.response.headers.get('content-type')).toBe('voice/speex');
		expect(raw.bytes.length % 60).toBe(0);
		const rawVoice = decodeSpeex(raw.bytes);
		expect(rawVoice).toMatchObject({ layout: 'raw', frames: raw.bytes.length / 60 });
		expect(rawVoice.rawFrames?.every((frame) => frame.length === 60)).toBe(true);

		const ogg = await getMedia(sandbox.seedHdVoice('ogg'), '/cgi-bin/media/get/jssdk');
		expect(ogg.bytes.subarray(0, 4).toString('latin1')).toBe('OggS');
		const oggVoice = decodeSpeex(ogg.bytes);
		expect(oggVoice).toMatchObject({ layout: 'ogg', frames: rawVoice.frames });
		// the same recording: the Ogg decode is the raw one without the codec's start-up delay
		const delay = rawVoice.samples.length - oggVoice.samples.length;
		expect(delay).toBeGreaterThan(0);
		expect(Array.from(oggVoice.samples.subarray(0, 2000))).toEqual(
			Array.from(rawVoice.samples.subarray(223, 2223)),
		);
	});

	it('answers 40007 for unknown ids and for voices not recorded by the JS-SDK', async () => {
		const { media_id: voiceId } = await uploadTemporary('voice', amr(2), 'a.amr');
		for (const mediaId of ['unknown', voiceId as string]) {
			const { bytes } = await getMedia(mediaId, '/cgi-bin/media/get/jssdk');
			expect(JSON.parse(bytes.toString('utf8')).errcode).toBe(40007);
		}
	});

	it('expires HD voices with the other temporary media', async () => {
		const mediaId = sandbox.seedHdVoice(withBytes(speex(), 500));
		sandbox.advanceClock(3 * 86400);
		token = await classicToken(sandbox);
		const { bytes } = await getMedia(mediaId, '/cgi-bin/media/get/jssdk');
		expect(JSON.parse(bytes.toString('utf8')).errcode).toBe(40007);
	});
});
