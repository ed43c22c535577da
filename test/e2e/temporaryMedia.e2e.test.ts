/**
 * Temporary media (upload, get, HD voice) through a real n8n: files enter and leave through n8n's
 * own nodes (Read/Write Files from Disk, HTTP Request), binary data lives on the filesystem, and
 * every WeChat call lands on the sandbox, whose request log is the second witness next to n8n's
 * run data.
 */
import * as fs from 'fs';
import * as path from 'path';

import { decodeSpeex, encodeWav } from '../../nodes/WeixinMedia/media/speex';
import { jpeg, mp4 } from '../fixtures/media';
import { apiCalls, useN8n } from './session';

const PHOTO = jpeg(40 * 1024);
const THUMB = jpeg(20 * 1024);
const CLIP = mp4(300 * 1024);
/** Real speech as the JS-SDK stores it: raw Speex wideband frames (the sandbox's built-in recording). */
let recording: Buffer;

const e2e = useN8n({
	workflows: [
		'temporary-image-roundtrip',
		'temporary-thumb-upload',
		'temporary-video-get',
		'temporary-hd-voice',
	],
	files: { 'photo.jpg': PHOTO, 'thumb.jpg': THUMB, 'clip.mp4': CLIP },
	prepare({ sandbox, n8n }) {
		// As if a user had recorded it with the JS-SDK: its serverId goes into the workflow.
		n8n.vars.HD_VOICE_ID = sandbox.seedHdVoice();
		recording = (sandbox.stored('temporary', n8n.vars.HD_VOICE_ID) as { bytes: Buffer }).bytes;
	},
});
const { execute, run } = e2e;

/**
 * The credential (one for the whole file) keeps its token in n8n's database: whichever workflow
 * runs first fetches it, every later execution reuses it, in this process or the next.
 */
function expectOneTokenInTotal() {
	expect(e2e.sandbox.tokenCalls()).toBe(1);
}

describe('temporary media in n8n', () => {
	it('uploads an image read from disk and gets the same bytes back', async () => {
		const { result, requests } = await run('temporary-image-roundtrip');

		const uploaded = result.nodes['Upload image'].items;
		expect(uploaded).toHaveLength(1);
		expect(uploaded[0].json).toMatchObject({
			type: 'image',
			media_id: expect.any(String),
			created_at: expect.any(Number),
		});
		const mediaId = uploaded[0].json.media_id as string;
		expect(e2e.sandbox.stored('temporary', mediaId)).toBeTruthy();

		const fetched = result.nodes['Get image'].items[0].binary?.data;
		expect(fetched).toMatchObject({ mimeType: 'image/jpeg', fileSize: expect.any(String) });
		expect(fetched?.id).toMatch(/^filesystem/);
		expect(e2e.n8n.readBinary(fetched!).equals(PHOTO)).toBe(true);
		const written = fs.readFileSync(path.join(e2e.n8n.filesDir, 'photo-roundtrip.jpg'));
		expect(written.equals(PHOTO)).toBe(true);

		expect(apiCalls(requests)).toEqual(['POST /cgi-bin/media/upload', 'GET /cgi-bin/media/get']);
		const upload = requests.find((entry) => entry.path === '/cgi-bin/media/upload');
		expect(upload?.query.type).toBe('image');
		expect(upload?.body).toMatchObject({
			files: [
				{ field: 'media', filename: 'photo.jpg', contentType: 'image/jpeg', size: PHOTO.length },
			],
		});
		expectOneTokenInTotal();
	});

	it('runs the same workflow again in a new n8n process without fetching a token', async () => {
		await run('temporary-image-roundtrip');
		const { requests } = await run('temporary-image-roundtrip');

		expect(requests.filter((entry) => entry.tokenCall)).toEqual([]);
		expect(apiCalls(requests)).toEqual(['POST /cgi-bin/media/upload', 'GET /cgi-bin/media/get']);
		expectOneTokenInTotal();
	});

	it('uploads a thumb and reports its id as media_id, like every other type', async () => {
		const { result, requests } = await run('temporary-thumb-upload');

		const [item] = result.nodes['Upload thumb'].items;
		expect(item.json).toMatchObject({
			type: 'thumb',
			media_id: expect.any(String),
			created_at: expect.any(Number),
		});
		expect(item.json).not.toHaveProperty('thumb_media_id');
		expect(e2e.sandbox.stored('temporary', item.json.media_id as string)).toBeTruthy();
		expect(apiCalls(requests)).toEqual(['POST /cgi-bin/media/upload']);
		expect(requests[requests.length - 1].query.type).toBe('thumb');
		expectOneTokenInTotal();
	});

	it('gets a video both as a download and as a URL that HTTP Request can fetch', async () => {
		const { result, requests } = await run('temporary-video-get');

		const downloaded = result.nodes['Get video file'].items[0];
		expect(downloaded.binary?.data).toMatchObject({ mimeType: 'video/mp4' });
		const written = fs.readFileSync(path.join(e2e.n8n.filesDir, 'clip-downloaded.mp4'));
		expect(written.equals(CLIP)).toBe(true);

		const linked = result.nodes['Get video URL'].items[0];
		expect(linked.binary).toBeUndefined();
		expect(linked.json.video_url).toEqual(expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//));
		const viaHttp = result.nodes['Fetch video URL'].items[0].binary?.data;
		expect(e2e.n8n.readBinary(viaHttp!).equals(CLIP)).toBe(true);

		const videoPath = new URL(linked.json.video_url as string).pathname;
		expect(apiCalls(requests)).toEqual([
			'POST /cgi-bin/media/upload',
			'GET /cgi-bin/media/get',
			`GET ${videoPath}`,
			'GET /cgi-bin/media/get',
			`GET ${videoPath}`,
		]);
		expectOneTokenInTotal();
	});

	it('decodes an HD voice to WAV that the next node reads, and saves it under its media_id', async () => {
		const { result, requests } = await run('temporary-hd-voice');

		const mediaId = e2e.n8n.vars.HD_VOICE_ID;
		const frames = recording.length / 60; // quality 7: 60-byte frames of 20 ms
		const dataBytes = frames * 320 * 2;
		const [item] = result.nodes['Get HD voice'].items;
		expect(item.json).toEqual({
			media_id: mediaId,
			output_format: 'wav',
			duration_seconds: frames * 0.02,
			source_layout: 'raw',
			file_name: `${mediaId}.wav`,
			mime_type: 'audio/wav',
			bytes: 44 + dataBytes,
		});
		expect(item.binary?.recording).toMatchObject({
			fileName: `${mediaId}.wav`,
			mimeType: 'audio/wav',
		});
		expect(item.binary?.data).toBeUndefined();

		// A Code node downstream reads the header from n8n's binary store.
		const [header] = result.nodes['Read WAV header'].items;
		expect(header.json).toEqual({
			riff: 'RIFF',
			wave: 'WAVE',
			audio_format: 1,
			channels: 1,
			sample_rate: 16000,
			bits_per_sample: 16,
			data_bytes: dataBytes,
			seconds: frames * 0.02,
			total_bytes: 44 + dataBytes,
		});

		const written = fs.readFileSync(path.join(e2e.n8n.filesDir, `${mediaId}.wav`));
		const decoded = decodeSpeex(recording);
		expect(written.equals(encodeWav(decoded.samples, decoded.sampleRate))).toBe(true);

		expect(apiCalls(requests)).toEqual(['GET /cgi-bin/media/get/jssdk']);
		expect(requests.find((entry) => !entry.tokenCall)?.query.media_id).toBe(mediaId);
		expectOneTokenInTotal();
	});

	it('stops the run at the node that met a WeChat error and says which error', async () => {
		e2e.sandbox.injectFault({ path: '/cgi-bin/media/get', kind: 'errcode', errcode: 40007 });
		const { result, requests } = await execute('temporary-image-roundtrip');

		expect(result.status).toBe('error');
		expect(result.lastNodeExecuted).toBe('Get image');
		expect(result.nodes['Upload image'].items).toHaveLength(1);
		expect(result.nodes['Get image'].error?.message).toEqual(expect.stringContaining('40007'));
		expect(result.nodes['Write copy']).toBeUndefined();
		expect(requests.filter((entry) => entry.errcode === 40007)).toHaveLength(1);
		expectOneTokenInTotal();
	});
});
