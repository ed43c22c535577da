/**
 * Temporary Media → Get and Get HD Voice, and the video_url download, against answers as WeChat, proxies
 * and CDNs really send them: files mislabelled (text/plain as WeChat sends for some downloads,
 * octet-stream, another format's type), no file name, gzip-compressed with the compressed size as
 * Content-Length, and JSON labelled as binary.
 */
import { runNode } from '../harness';
import { realFixture } from '../fixtures/real';
import { classicToken, upload } from '../sandbox/helpers';
import type { AnswerModes } from '../sandbox';
import { useSandbox } from '../support';

const env = useSandbox();

async function uploadTemporary(type: string, bytes: Buffer, filename: string): Promise<string> {
	const token = await classicToken(env.sandbox);
	const answer = await upload(env.sandbox, `/cgi-bin/media/upload?type=${type}`, token, bytes, { filename });
	if (typeof answer.media_id !== 'string') throw new Error(`seeding failed: ${JSON.stringify(answer)}`);
	return answer.media_id;
}

const get = (mediaId: string, extra: Record<string, unknown> = {}) => ({
	resource: 'temporaryMedia',
	operation: 'get',
	mediaId,
	binaryPropertyName: 'file',
	...extra,
});

/** Original: these tests are about how the bytes arrive, not about decoding them (see getHdVoice.test). */
const getHdVoice = (mediaId: string) => ({
	resource: 'temporaryMedia',
	operation: 'getHdVoice',
	mediaId,
	binaryPropertyName: 'file',
	outputFormat: 'original',
});

const MODES: Array<[string, AnswerModes]> = [
	['files labelled text/plain', { fileContentType: 'text/plain' }],
	['files labelled application/octet-stream', { fileContentType: 'application/octet-stream' }],
	['files labelled as another format (image/jpeg)', { fileContentType: 'image/jpeg' }],
	['answers naming no file', { omitFilename: true }],
	['answers gzip-compressed by a proxy', { gzip: true }],
	[
		'all at once, JSON labelled octet-stream too',
		{ fileContentType: 'text/plain', omitFilename: true, gzip: true, jsonContentType: 'application/octet-stream' },
	],
];

describe.each(MODES)('downloads under %s', (_, modes) => {
	beforeEach(() => env.sandbox.setAnswerModes(modes));

	it('Temporary Media → Get: a real AMR-NB voice arrives whole, named and typed by its bytes', async () => {
		const voice = realFixture('speech-nb.amr');
		const mediaId = await uploadTemporary('voice', voice, 'speech.amr');
		const result = await runNode({ parameters: get(mediaId), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toEqual({
			media_id: mediaId,
			file_name: `${mediaId}.amr`,
			mime_type: 'audio/amr',
			bytes: voice.length,
		});
		expect(result.items[0].binary?.file).toMatchObject({ fileName: `${mediaId}.amr`, mimeType: 'audio/amr' });
		expect(Buffer.compare(await result.readBinary(0, 'file'), voice)).toBe(0);
	});

	it('Temporary Media → Get: a video_url, then the video downloaded from it', async () => {
		const video = realFixture('quicktime-wide-first.mov');
		const mediaId = await uploadTemporary('video', video, 'clip.mp4');
		const result = await runNode({
			parameters: get(mediaId, { downloadVideo: true }),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.video_url).toMatch(/^http:\/\//);
		expect(result.items[0].binary?.file.mimeType).toBe('video/mp4');
		expect(result.items[0].binary?.file.fileName).toMatch(/\.mp4$/);
		expect(Buffer.compare(await result.readBinary(0, 'file'), video)).toBe(0);
	});

	it('Get HD Voice: a real Ogg Speex recording arrives whole', async () => {
		const recording = realFixture('speech-hd.spx');
		const mediaId = env.sandbox.seedHdVoice(recording);
		const result = await runNode({ parameters: getHdVoice(mediaId), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(result.items[0].binary?.file).toMatchObject({ fileName: `${mediaId}.speex`, mimeType: 'audio/speex' });
		expect(Buffer.compare(await result.readBinary(0, 'file'), recording)).toBe(0);
	});

	it('a JSON error stays an error, never a file (40007)', async () => {
		const result = await runNode({
			parameters: get('no-such-media-id'),
			credentials: env.credentials(),
			continueOnFail: true,
		});
		expect(result.items[0].json.errcode).toBe(40007);
		expect(result.items[0].binary).toBeUndefined();
	});
});

describe('answers that are neither a known file nor JSON', () => {
	/** Raw Speex frames as the JS-SDK stores them: no container, no magic number. */
	const rawFrames = Buffer.from(Array.from({ length: 1200 }, (_, i) => (i * 37 + 11) % 251));

	it('keeps a headerless recording labelled voice/speex as a file', async () => {
		const mediaId = env.sandbox.seedHdVoice(rawFrames);
		const result = await runNode({ parameters: getHdVoice(mediaId), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(result.items[0].binary?.file).toMatchObject({ fileName: `${mediaId}.speex`, mimeType: 'audio/speex' });
		expect(Buffer.compare(await result.readBinary(0, 'file'), rawFrames)).toBe(0);
	});

	it('keeps a binary answer that starts with "{" but is not JSON as a file', async () => {
		const braced = Buffer.concat([Buffer.from('{"', 'latin1'), rawFrames]);
		const mediaId = env.sandbox.seedHdVoice(braced);
		const result = await runNode({ parameters: getHdVoice(mediaId), credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(Buffer.compare(await result.readBinary(0, 'file'), braced)).toBe(0);
	});

	it('fails clearly on text/plain that is neither JSON nor a media file WeChat sends', async () => {
		env.sandbox.setAnswerModes({ fileContentType: 'text/plain' });
		const mediaId = env.sandbox.seedHdVoice(rawFrames);
		const result = await runNode({ parameters: getHdVoice(mediaId), credentials: env.credentials() });
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toBe(
			'WeChat answered with text/plain that is neither JSON nor a media file it sends (1200 bytes, starting with bytes 0b 30 55 7a).',
		);
	});

	it('fails a gzip-compressed download cut short instead of storing a broken file', async () => {
		env.sandbox.setAnswerModes({ gzip: true });
		const voice = realFixture('lame-vbr-60.00s.mp3');
		const mediaId = await uploadTemporary('voice', voice, 'long.mp3');
		env.sandbox.injectFault({ path: '/cgi-bin/media/get', kind: 'truncate', times: 5 });
		const result = await runNode({ parameters: get(mediaId), credentials: env.credentials() });
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toMatch(/media\/get: the download (was cut short|broke off)/);
	});
});
