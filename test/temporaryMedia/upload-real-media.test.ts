/**
 * Uploads of files real encoders made (test/fixtures/real/): the node takes what WeChat takes (the
 * sandbox, like WeChat, then stores it) and refuses only what is clearly over a limit.
 */
import { realFixture, type RealFixture } from '../fixtures/real';
import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';

const env = useSandbox();

const upload = (resource: 'temporaryMedia' | 'permanentMaterial', mediaType: string, extra = {}) => ({
	resource,
	operation: resource === 'temporaryMedia' ? 'upload' : 'add',
	mediaType,
	binaryPropertyName: 'data',
	...extra,
});

async function send(
	resource: 'temporaryMedia' | 'permanentMaterial',
	mediaType: string,
	name: RealFixture,
	fileName: string,
	extra = {},
) {
	return await runNode({
		parameters: upload(resource, mediaType, extra),
		// As users have it: the MIME type n8n guessed from a download, often generic.
		items: [{ files: [{ bytes: realFixture(name), fileName, mimeType: 'application/octet-stream' }] }],
		credentials: env.credentials(),
	});
}

describe('uploads of real encoder output', () => {
	it.each([
		['vbr-lame-info.mp3', 'speech.mp3'],
		['crc-protected.mp3', 'speech.mp3'],
		['id3v24-footer.mp3', 'speech.mp3'],
		['cut-stream.mp3', 'capture.mp3'],
		['speech-nb.amr', 'memo.amr'],
		['speech-wb.amr', 'memo.amr'],
		['lame-vbr-60.00s.mp3', 'minute.mp3'],
		['lame-cbr-untagged-60.00s.mp3', 'minute.mp3'],
		['amr-nb-60.00s.amr', 'minute.amr'],
	] as Array<[RealFixture, string]>)('Temporary Media → Upload takes %s as a voice', async (name, fileName) => {
		const result = await send('temporaryMedia', 'voice', name, fileName);
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.media_id).toEqual(expect.any(String));
		const stored = env.sandbox.stored('temporary', result.items[0].json.media_id as string) as { bytes: Buffer };
		expect(Buffer.compare(stored.bytes, realFixture(name))).toBe(0);
	});

	it('Temporary Media → Upload refuses a 61.00 s LAME mp3 before any request', async () => {
		const result = await send('temporaryMedia', 'voice', 'lame-vbr-61.00s.mp3', 'long.mp3');
		expect(result.error?.message).toBe(
			'item 0, property `data`: voice is 61 s long; WeChat allows at most 60 s for voice',
		);
		expect(apiCalls(env.sandbox)).toEqual([]);
	});

	it('Permanent Material → Add takes a sox WAV voice, a BMP with bfSize 0 and a QuickTime video without ftyp first', async () => {
		const wav = await send('permanentMaterial', 'voice', 'speech.wav', 'speech.wav');
		expect(wav.error).toBeUndefined();
		const bmp = await send('permanentMaterial', 'image', 'bfsize-zero.bmp', 'logo.bmp');
		expect(bmp.error).toBeUndefined();
		const video = await send('permanentMaterial', 'video', 'quicktime-wide-first.mov', 'clip.mov', {
			title: 'Clip',
		});
		expect(video.error).toBeUndefined();
		// WeChat wants a name whose extension matches the bytes: the .mov goes as .mp4.
		const sent = env.sandbox.log().find((entry) => entry.query.type === 'video')?.body as {
			files: Array<{ filename: string }>;
		};
		expect(sent.files[0].filename).toBe('clip.mp4');
	});
});
