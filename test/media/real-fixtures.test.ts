/**
 * The media checks against files real encoders made (test/fixtures/real/make.sh): what users upload,
 * not what our own generators model.
 */
import {
	MediaRuleViolation,
	SNIFF_BYTES,
	checkMedia,
	sniffFormat,
	voiceDurationSeconds,
	type MediaStore,
	type MediaType,
} from '../../nodes/WeixinMedia/media';
import { firstMpegFrame } from '../../nodes/WeixinMedia/media/formats';
import { SOURCES, realFixture, seconds, type RealFixture } from '../fixtures/real';

const check = (store: MediaStore, type: MediaType, file: Buffer) =>
	checkMedia({ store, type, size: file.length, head: file.subarray(0, SNIFF_BYTES), whole: file });

function refusal(store: MediaStore, type: MediaType, file: Buffer): MediaRuleViolation {
	try {
		check(store, type, file);
	} catch (error) {
		if (error instanceof MediaRuleViolation) return error;
		throw error;
	}
	throw new Error('checkMedia accepted the file');
}

const speech16 = seconds(SOURCES.speech16);
const speech8 = seconds(SOURCES.speech8);
/** What a layer III encoder adds at most without saying so: its delay plus one frame of padding and one of flush. */
const untaggedSlack = (3 * 576) / 16000;

describe('real encoders: formats recognised from the first bytes', () => {
	it.each([
		['vbr-lame-info.mp3', 'mp3'],
		['crc-protected.mp3', 'mp3'],
		['id3v24-footer.mp3', 'mp3'],
		['cut-stream.mp3', 'mp3'],
		['speech-nb.amr', 'amr'],
		['speech-wb.amr', 'amr'],
		['speech.wav', 'wav'],
		['speech-hd.spx', 'speex'],
		['quicktime-wide-first.mov', 'mp4'],
		['bfsize-zero.bmp', 'bmp'],
	] as Array<[RealFixture, string]>)('%s is %s', (name, format) => {
		expect(sniffFormat(realFixture(name).subarray(0, SNIFF_BYTES))).toBe(format);
	});

	it('finds the first frame of an mp3 that starts mid-frame (a cut stream), not at a lone sync word', () => {
		const cut = realFixture('cut-stream.mp3');
		const at = firstMpegFrame(cut, 0) as number;
		expect(at).toBeGreaterThan(0);
		// The junk in front holds no valid header followed by another: the one found chains on.
		expect(firstMpegFrame(cut, at)).toBe(at);
		// Zero padding in front is junk too.
		const padded = Buffer.concat([Buffer.alloc(1500), cut]);
		expect(sniffFormat(padded.subarray(0, SNIFF_BYTES))).toBe('mp3');
		expect(voiceDurationSeconds('mp3', padded)).toBe(voiceDurationSeconds('mp3', cut));
	});

	it('still refuses junk longer than the search window', () => {
		const buried = Buffer.concat([Buffer.alloc(5000, 0x20), realFixture('cut-stream.mp3')]);
		expect(sniffFormat(buried.subarray(0, SNIFF_BYTES))).toBeUndefined();
	});
});

describe('real encoders: voice durations', () => {
	it('reads a LAME VBR file exactly: Xing frame count minus the encoder delay and padding', () => {
		expect(voiceDurationSeconds('mp3', realFixture('vbr-lame-info.mp3'))).toBeCloseTo(speech16, 9);
	});

	it('walks CRC-protected frames (LAME writes no tag with CRCs)', () => {
		const duration = voiceDurationSeconds('mp3', realFixture('crc-protected.mp3')) as number;
		expect(duration).toBeGreaterThanOrEqual(speech16);
		expect(duration).toBeLessThanOrEqual(speech16 + untaggedSlack);
	});

	it('skips an ID3v2.4 tag with a footer and reads ffmpeg\'s LAME tag', () => {
		const file = realFixture('id3v24-footer.mp3');
		expect(file[5] & 0x10).toBe(0x10);
		expect(voiceDurationSeconds('mp3', file)).toBeCloseTo(speech16, 2);
	});

	it('times a stream cut mid-frame from its first whole frame', () => {
		const duration = voiceDurationSeconds('mp3', realFixture('cut-stream.mp3')) as number;
		expect(duration).toBeGreaterThan(speech16 - 0.15);
		expect(duration).toBeLessThanOrEqual(speech16 + untaggedSlack);
	});

	it.each([
		['speech-nb.amr', speech8],
		['speech-wb.amr', speech16],
	] as Array<[RealFixture, number]>)('reads %s to the 20 ms frame', (name, source) => {
		const duration = voiceDurationSeconds('amr', realFixture(name)) as number;
		expect(duration).toBeGreaterThanOrEqual(source);
		expect(duration).toBeLessThan(source + 0.04);
	});

	it('reads a sox WAV exactly', () => {
		expect(voiceDurationSeconds('wav', realFixture('speech.wav'))).toBe(speech8);
	});
});

describe('real encoders: the 60 s edge', () => {
	it('passes a 60.00 s LAME VBR mp3 as 60.000 s (its frames alone last 60.192 s)', () => {
		expect(seconds(SOURCES.edge60)).toBe(60);
		for (const store of ['temporary', 'permanent'] as const) {
			expect(check(store, 'voice', realFixture('lame-vbr-60.00s.mp3')).durationSeconds).toBeCloseTo(60, 9);
		}
	});

	it('passes a 60.00 s CBR mp3 whose frames are too small for a LAME tag (60.192 s of frames)', () => {
		expect(check('temporary', 'voice', realFixture('lame-cbr-untagged-60.00s.mp3')).durationSeconds).toBeCloseTo(
			60.192,
			9,
		);
	});

	it('passes 60.00 s of real AMR-NB', () => {
		expect(check('temporary', 'voice', realFixture('amr-nb-60.00s.amr')).durationSeconds).toBe(60);
	});

	it('refuses a 61.00 s LAME mp3 and 61 s of real AMR-NB', () => {
		expect(refusal('temporary', 'voice', realFixture('lame-vbr-61.00s.mp3')).message).toBe(
			'voice is 61 s long; WeChat allows at most 60 s for voice',
		);
		// One more second of the same encoder's frames (50 of 13 bytes at 4.75 kbit/s).
		const amr60 = realFixture('amr-nb-60.00s.amr');
		const amr61 = Buffer.concat([amr60, amr60.subarray(6, 6 + 50 * 13)]);
		expect(refusal('permanent', 'voice', amr61).message).toBe(
			'voice is 61 s long; WeChat allows at most 60 s for voice',
		);
	});
});

describe('real files WeChat takes, taken', () => {
	it('takes a BMP whose bfSize is 0 as a permanent image', () => {
		const file = realFixture('bfsize-zero.bmp');
		expect(file.readUInt32LE(2)).toBe(0);
		expect(check('permanent', 'image', file)).toMatchObject({ format: 'bmp', extension: 'bmp' });
	});

	it('takes a QuickTime file that opens with wide/free instead of ftyp as a video (sent as .mp4)', () => {
		const file = realFixture('quicktime-wide-first.mov');
		expect(file.toString('latin1', 4, 8)).toBe('wide');
		expect(check('permanent', 'video', file)).toMatchObject({ format: 'mp4', extension: 'mp4' });
	});

	it.each([
		['vbr-lame-info.mp3', 'temporary'],
		['crc-protected.mp3', 'temporary'],
		['id3v24-footer.mp3', 'temporary'],
		['cut-stream.mp3', 'temporary'],
		['speech-nb.amr', 'temporary'],
		['speech-wb.amr', 'temporary'],
		['speech.wav', 'permanent'],
	] as Array<[RealFixture, MediaStore]>)('takes %s as a %s voice', (name, store) => {
		expect(check(store, 'voice', realFixture(name)).durationSeconds).toBeLessThan(2);
	});
});
