import { readFileSync } from 'fs';
import { join } from 'path';

import { decodeSpeex } from '../../nodes/WeixinMedia/media/speex';
import { amr, speex } from '../fixtures/media';
import { runNode } from '../harness';
import { classicToken, upload } from '../sandbox/helpers';
import { apiCalls, useSandbox } from '../support';

const env = useSandbox();

const getHdVoice = (
	mediaId: string,
	binaryPropertyName = 'data',
	outputFormat?: 'wav' | 'oggSpeex' | 'original',
) => ({
	resource: 'temporaryMedia',
	operation: 'getHdVoice',
	mediaId,
	binaryPropertyName,
	...(outputFormat ? { outputFormat } : {}),
});

/** Real speech from test/fixtures/speex (make.sh): raw 60-byte frames, Ogg, and speexdec's PCM. */
const fixture = (file: string) => readFileSync(join(__dirname, '../fixtures/speex', file));
const RAW = fixture('english-q7.raw');
const OGG = fixture('english-q7.spx');
const REFERENCE = (() => {
	const bytes = fixture('english-q7.pcm');
	return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
})();

function wavSamples(wav: Buffer): Int16Array {
	expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
	expect(wav.subarray(8, 12).toString('latin1')).toBe('WAVE');
	expect([
		wav.readUInt16LE(20),
		wav.readUInt16LE(22),
		wav.readUInt32LE(24),
		wav.readUInt16LE(34),
	]).toEqual([1, 1, 16000, 16]);
	const data = wav.subarray(44, 44 + wav.readUInt32LE(40));
	return new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
}

function snr(decoded: Int16Array, reference: Int16Array): number {
	let signal = 0;
	let noise = 0;
	for (let i = 0; i < reference.length; i++) {
		signal += reference[i] ** 2;
		noise += (decoded[i] - reference[i]) ** 2;
	}
	return 10 * Math.log10(signal / Math.max(noise, 1));
}

describe('Temporary Media → Get HD Voice', () => {
	it('decodes the raw Speex frames WeChat sends into a 16 kHz WAV by default', async () => {
		const mediaId = env.sandbox.seedHdVoice(RAW);
		const result = await runNode({
			parameters: getHdVoice(mediaId, 'voice'),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		const wav = await result.readBinary(0, 'voice');
		expect(result.items[0].json).toEqual({
			media_id: mediaId,
			output_format: 'wav',
			duration_seconds: (RAW.length / 60) * 0.02,
			source_layout: 'raw',
			file_name: `${mediaId}.wav`,
			mime_type: 'audio/wav',
			bytes: wav.length,
		});
		expect(result.items[0].binary?.voice).toMatchObject({
			fileName: `${mediaId}.wav`,
			mimeType: 'audio/wav',
		});
		expect(result.items[0].binary?.data).toBeUndefined();
		const samples = wavSamples(wav);
		expect(samples.length).toBe((RAW.length / 60) * 320);
		// speexdec's output starts after the codec delay (223 samples) of the full decode
		expect(snr(samples.subarray(223), REFERENCE)).toBeGreaterThanOrEqual(30);
		expect(apiCalls(env.sandbox)).toEqual(['GET /cgi-bin/media/get/jssdk']);
		const call = env.sandbox.log().find((entry) => entry.path === '/cgi-bin/media/get/jssdk');
		expect(call?.query.media_id).toBe(mediaId);
	});

	it('decodes an Ogg Speex recording too, with in-memory binary data', async () => {
		const mediaId = env.sandbox.seedHdVoice(OGG);
		const result = await runNode({
			parameters: getHdVoice(mediaId),
			credentials: env.credentials(),
			binaryMode: 'default',
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({
			source_layout: 'ogg',
			duration_seconds: Math.round(REFERENCE.length / 16) / 1000, // in seconds, to the millisecond
			mime_type: 'audio/wav',
		});
		const samples = wavSamples(await result.readBinary(0));
		expect(samples.length).toBe(REFERENCE.length);
		expect(snr(samples, REFERENCE)).toBeGreaterThanOrEqual(30);
	});

	it('wraps raw frames in an Ogg Speex (.spx) stream on request', async () => {
		const mediaId = env.sandbox.seedHdVoice(RAW);
		const result = await runNode({
			parameters: getHdVoice(mediaId, 'data', 'oggSpeex'),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({
			output_format: 'oggSpeex',
			file_name: `${mediaId}.spx`,
			mime_type: 'audio/ogg',
			duration_seconds: 2.52,
		});
		const spx = await result.readBinary(0);
		expect(spx.subarray(0, 4).toString('latin1')).toBe('OggS');
		const again = decodeSpeex(spx);
		expect(again).toMatchObject({ layout: 'ogg', frames: RAW.length / 60 });
		expect(
			Buffer.from(again.samples.buffer, again.samples.byteOffset, again.samples.byteLength),
		).toEqual(Buffer.from(decodeSpeex(RAW).samples.buffer));
	});

	it('returns the bytes as WeChat sent them with Output Format Original', async () => {
		const mediaId = env.sandbox.seedHdVoice(RAW);
		const result = await runNode({
			parameters: getHdVoice(mediaId, 'data', 'original'),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toEqual({
			media_id: mediaId,
			output_format: 'original',
			duration_seconds: 2.52,
			source_layout: 'raw',
			file_name: `${mediaId}.speex`,
			mime_type: 'audio/speex',
			bytes: RAW.length,
		});
		expect(Buffer.compare(await result.readBinary(0), RAW)).toBe(0);
	});

	it('fails a recording that does not decode, naming the media_id and the frame, or returns it as sent', async () => {
		const broken = Buffer.concat([RAW.subarray(0, 60 * 5), Buffer.from([0xf0, 0, 0])]);
		const mediaId = env.sandbox.seedHdVoice(broken);
		const failed = await runNode({
			parameters: getHdVoice(mediaId),
			credentials: env.credentials(),
		});
		expect(failed.items).toHaveLength(0);
		expect(failed.error?.message).toBe(
			`item 0: the HD voice ${mediaId} is not Speex wideband this node can decode (decoding failed at frame 5: the frame starts with a high-band layer instead of the narrowband one)`,
		);
		expect(failed.error?.description).toContain('Return Original If Decoding Fails');

		const kept = await runNode({
			parameters: { ...getHdVoice(mediaId), originalOnDecodeFailure: true },
			credentials: env.credentials(),
		});
		expect(kept.error).toBeUndefined();
		expect(kept.items[0].json).toMatchObject({
			media_id: mediaId,
			output_format: 'original',
			mime_type: 'audio/speex',
			bytes: broken.length,
		});
		expect(kept.items[0].json.decode_error).toContain('frame 5');
		expect(Buffer.compare(await kept.readBinary(0), broken)).toBe(0);
	});

	it('answers each input item with its own recording, in order and paired', async () => {
		const recordings = [speex(3000), speex(4000), speex(5000)];
		const ids = recordings.map((bytes) => env.sandbox.seedHdVoice(bytes));
		const result = await runNode({
			parameters: { ...getHdVoice('={{ $json.id }}', 'data', 'original') },
			items: ids.map((id) => ({ json: { id } })),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.media_id)).toEqual(ids);
		expect(result.items.map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
		for (const [index, bytes] of recordings.entries()) {
			expect(Buffer.compare(await result.readBinary(index), bytes)).toBe(0);
		}
	});

	it('turns the JSON error for an unknown id into an error with a hint, never a file (40007)', async () => {
		const result = await runNode({
			parameters: getHdVoice('no-such-voice'),
			credentials: env.credentials(),
		});
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toContain('errcode 40007');
		expect(result.error?.description).toContain('expired temporary id');
	});

	it('refuses a voice that was not recorded with the JS-SDK (40007), keeping other items under continueOnFail', async () => {
		const token = await classicToken(env.sandbox);
		const plain = await upload(env.sandbox, '/cgi-bin/media/upload?type=voice', token, amr(2), {
			filename: 'memo.amr',
		});
		const recorded = env.sandbox.seedHdVoice(speex(2500));
		const result = await runNode({
			parameters: { ...getHdVoice('={{ $json.id }}'), options: { keepInputFields: true } },
			items: [{ json: { id: plain.media_id as string } }, { json: { id: recorded } }],
			credentials: env.credentials(),
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(2);
		expect(result.items[0].json).toMatchObject({ errcode: 40007, id: plain.media_id });
		expect(result.items[0].json.error).toContain('errcode 40007');
		expect(result.items[0].binary).toBeUndefined();
		expect(result.items[1].json.media_id).toBe(recorded);
		expect(result.items[1].binary?.data.mimeType).toBe('audio/wav');
	});

	it('reads an HD voice again after a dropped connection, as reads may be', async () => {
		const recording = speex(4000);
		const mediaId = env.sandbox.seedHdVoice(recording);
		env.sandbox.injectFault({ path: '/cgi-bin/media/get/jssdk', kind: 'drop' });
		const result = await runNode({
			parameters: getHdVoice(mediaId, 'data', 'original'),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(Buffer.compare(await result.readBinary(0), recording)).toBe(0);
		expect(apiCalls(env.sandbox)).toEqual([
			'GET /cgi-bin/media/get/jssdk',
			'GET /cgi-bin/media/get/jssdk',
		]);
	});

	it('refuses a blank media id or output field (mapped from the input) before any request', async () => {
		const blankId = await runNode({ parameters: getHdVoice(' '), credentials: env.credentials() });
		expect(blankId.error?.message).toBe('item 0, field `Media ID`: is empty');
		const blankField = await runNode({
			parameters: getHdVoice('some-id', '={{ $json.field }}'),
			items: [{ json: { field: '' } }],
			credentials: env.credentials(),
		});
		expect(blankField.error?.message).toBe('item 0, field `Put Output File in Field`: is empty');
		expect(env.sandbox.log()).toHaveLength(0);
	});
});
