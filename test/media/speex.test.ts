import { readFileSync } from 'fs';
import { join } from 'path';

import {
	SpeexDecodeError,
	decodeSpeex,
	encodeWav,
	toOggSpeex,
} from '../../nodes/WeixinMedia/media/speex';
import { oggCrc, readOggPackets } from '../../nodes/WeixinMedia/media/speex/ogg';
import * as tables from '../../nodes/WeixinMedia/media/speex/tables';

/** Fixtures and reference PCM made by test/fixtures/speex/make.sh (espeak-ng → sox → speexenc → speexdec --no-enh). */
const dir = join(__dirname, '../fixtures/speex');
const read = (file: string) => readFileSync(join(dir, file));
const pcm = (file: string) => {
	const bytes = read(file);
	return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
};

/** Signal-to-noise ratio of `decoded` against `reference`, in dB. */
function snr(decoded: Int16Array, reference: Int16Array): number {
	let signal = 0;
	let noise = 0;
	for (let i = 0; i < reference.length; i++) {
		signal += reference[i] * reference[i];
		const error = decoded[i] - reference[i];
		noise += error * error;
	}
	return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}

/**
 * Where speexdec's output starts inside the raw frames' full decode: it drops the encoder's delay
 * (143 samples) plus its own look-ahead (80) when the first Ogg page tells it that delay; a stream
 * on a single page (english-q1, english-q3: small packets) is not cut at the start.
 * Modes covered: narrowband 1-8, high band 1-4 (q1: 8/1, q3: 3/1, q7: 6/2, q10: 7/4, VBR: 1-6 with 1-3).
 */
const FIXTURES: Array<[name: string, rawOffset: number]> = [
	['english-q7', 223],
	['chinese-q7', 223],
	['english-q1', 0],
	['english-q3', 0],
	['chinese-q10', 223],
	['english-vbr', 223],
];

describe('Speex wideband decoder against the reference decoder (speexdec --no-enh)', () => {
	it.each(FIXTURES)('%s.spx (Ogg) decodes to the reference PCM within 30 dB SNR', (name) => {
		const reference = pcm(`${name}.pcm`);
		const decoded = decodeSpeex(read(`${name}.spx`));
		expect(decoded.layout).toBe('ogg');
		expect(decoded.sampleRate).toBe(16000);
		expect(decoded.samples.length).toBe(reference.length);
		expect(snr(decoded.samples, reference)).toBeGreaterThanOrEqual(30);
	});

	it.each(FIXTURES)(
		'%s.raw (frames without container) decodes to the same audio',
		(name, rawOffset) => {
			const reference = pcm(`${name}.pcm`);
			const decoded = decodeSpeex(read(`${name}.raw`));
			expect(decoded.layout).toBe('raw');
			expect(decoded.samples.length).toBe(decoded.frames * 320);
			expect(decoded.samples.length - rawOffset).toBeGreaterThanOrEqual(reference.length);
			const aligned = decoded.samples.subarray(rawOffset, rawOffset + reference.length);
			expect(snr(aligned, reference)).toBeGreaterThanOrEqual(30);
		},
	);

	it('is not fooled by a silent or shifted output: the SNR of a wrong alignment is low', () => {
		const reference = pcm('english-q7.pcm');
		const decoded = decodeSpeex(read('english-q7.raw'));
		expect(snr(decoded.samples.subarray(0, reference.length), reference)).toBeLessThan(10);
		expect(snr(new Int16Array(reference.length), reference)).toBeLessThan(1);
	});

	it('sizes raw frames from their mode bits: 60-byte frames at quality 7, mixed sizes in VBR', () => {
		expect(decodeSpeex(read('english-q7.raw')).rawFrames?.every((f) => f.length === 60)).toBe(true);
		const vbr = decodeSpeex(read('english-vbr.raw')).rawFrames ?? [];
		expect(new Set(vbr.map((f) => f.length)).size).toBeGreaterThan(1);
		expect(vbr.reduce((sum, f) => sum + f.length, 0)).toBe(read('english-vbr.raw').length);
	});

	it('accepts a frame that sends nothing (mode 0: one byte in the raw layout) and keeps going', () => {
		const raw = read('english-q7.raw');
		const withGap = Buffer.concat([
			raw.subarray(0, 60 * 40),
			Buffer.from([0x00]),
			raw.subarray(60 * 40),
		]);
		const decoded = decodeSpeex(withGap);
		expect(decoded.frames).toBe(raw.length / 60 + 1);
		expect(decoded.samples.length).toBe(decoded.frames * 320);
		// everything before the gap is what the stream without it gives
		const plain = decodeSpeex(raw).samples.subarray(0, 40 * 320);
		expect(Array.from(decoded.samples.subarray(0, 40 * 320))).toEqual(Array.from(plain));
	});

	it('names the frame where a cut-off or corrupted stream stops decoding', () => {
		const raw = read('english-q7.raw');
		const cut = raw.subarray(0, 60 * 10 + 20);
		expect(() => decodeSpeex(cut)).toThrow(SpeexDecodeError);
		expect(() => decodeSpeex(cut)).toThrow(
			/frame 10: the data ends inside the frame \(20 of \d+ bytes present\)/,
		);
		const corrupted = Buffer.from(raw);
		corrupted[60 * 3] = 0x78; // narrowband mode 15 (terminator) where frame 3 should start
		expect(() => decodeSpeex(corrupted)).toThrow(/frame 3: narrowband mode 15/);
		expect(() => decodeSpeex(Buffer.from('{"errcode":40007}'))).toThrow(/frame 0/);
		expect(() => decodeSpeex(Buffer.alloc(0))).toThrow(/empty/);
	});

	it('refuses Ogg streams that are not wideband mono Speex', () => {
		const ogg = Buffer.from(read('english-q7.spx'));
		const firstPage = 27 + 1 + 80; // the header packet alone on the first page
		ogg.writeInt32LE(0, 28 + 40); // mode 0: narrowband
		ogg.writeUInt32LE(0, 22);
		ogg.writeUInt32LE(oggCrc(ogg.subarray(0, firstPage)), 22);
		expect(() => decodeSpeex(ogg)).toThrow(/mode 0; only wideband/);
	});
});

describe('WAV and Ogg Speex output', () => {
	it('writes a 16 kHz 16-bit mono WAV holding the decoded samples', () => {
		const decoded = decodeSpeex(read('english-q7.raw'));
		const wav = encodeWav(decoded.samples, decoded.sampleRate);
		expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
		expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
		expect(wav.subarray(8, 16).toString('latin1')).toBe('WAVEfmt ');
		expect([wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24)]).toEqual([
			1, 1, 16000,
		]);
		expect([wav.readUInt32LE(28), wav.readUInt16LE(32), wav.readUInt16LE(34)]).toEqual([
			32000, 2, 16,
		]);
		expect(wav.subarray(36, 40).toString('latin1')).toBe('data');
		expect(wav.readUInt32LE(40)).toBe(decoded.samples.length * 2);
		expect(wav.readInt16LE(44 + 2 * 1000)).toBe(decoded.samples[1000]);
	});

	it('wraps raw frames in a valid Ogg Speex stream that decodes to the same audio', () => {
		const raw = read('chinese-q7.raw');
		const decoded = decodeSpeex(raw);
		const ogg = toOggSpeex(raw, decoded);
		// every page's CRC checks out
		let at = 0;
		let pages = 0;
		while (at < ogg.length) {
			const segments = ogg[at + 26];
			let length = 27 + segments;
			for (let s = 0; s < segments; s++) length += ogg[at + 27 + s];
			const page = Buffer.from(ogg.subarray(at, at + length));
			const crc = page.readUInt32LE(22);
			page.writeUInt32LE(0, 22);
			expect(oggCrc(page)).toBe(crc);
			expect(page.readUInt32LE(18)).toBe(pages);
			at += length;
			pages++;
		}
		const packets = readOggPackets(ogg);
		expect(Buffer.from(packets[0].data.subarray(0, 8)).toString('latin1')).toBe('Speex   ');
		expect(packets).toHaveLength(2 + decoded.frames);
		expect(packets[packets.length - 1].lastPage).toBe(true);
		expect(packets[packets.length - 1].pageGranule).toBe(decoded.frames * 320);
		const again = decodeSpeex(ogg);
		expect(again.layout).toBe('ogg');
		expect(
			Buffer.from(again.samples.buffer, again.samples.byteOffset, again.samples.byteLength),
		).toEqual(Buffer.from(decoded.samples.buffer));
	});

	it('returns an Ogg input unchanged', () => {
		const ogg = read('english-vbr.spx');
		expect(toOggSpeex(ogg, decodeSpeex(ogg)).equals(ogg)).toBe(true);
	});
});

describe('codebook tables', () => {
	it('have the sizes their modes index into', () => {
		expect([tables.LSP_NB.length, tables.LSP_NB_LOW1.length, tables.LSP_NB_HIGH2.length]).toEqual([
			640, 320, 320,
		]);
		expect([tables.LSP_HIGH1.length, tables.LSP_HIGH2.length]).toEqual([512, 512]);
		expect([tables.PITCH_GAIN_128.length, tables.PITCH_GAIN_32.length]).toEqual([512, 128]);
		expect([tables.EXC_5_64.length, tables.EXC_5_256.length, tables.EXC_8_128.length]).toEqual([
			320, 1280, 1024,
		]);
		expect([tables.EXC_10_16.length, tables.EXC_10_32.length, tables.EXC_20_32.length]).toEqual([
			160, 320, 640,
		]);
		expect([tables.HIGH_EXC_8_128.length, tables.HIGH_EXC_10_32.length]).toEqual([1024, 320]);
		expect([tables.QMF_H0.length, tables.HIGH_GAIN.length]).toEqual([64, 16]);
	});
});
