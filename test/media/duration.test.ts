import { voiceDurationSeconds } from '../../nodes/WeixinMedia/media';
import { amr, mp3, mp3FrameCount, speex, wav, wma } from '../fixtures/media';

describe('voiceDurationSeconds: amr', () => {
	it.each([1, 60, 60.5, 74])('reads %s s of AMR-NB 12.2 kbit/s', (seconds) => {
		expect(voiceDurationSeconds('amr', amr(seconds))).toBe(seconds);
	});

	it('sizes each frame by its frame type (mixed modes, SID and no-data frames)', () => {
		const frame = (type: number, payload: number) => withHeader(type, Buffer.alloc(payload));
		const file = Buffer.concat([
			Buffer.from('#!AMR\n', 'latin1'),
			frame(0, 12), // 4.75 kbit/s
			frame(7, 31), // 12.2 kbit/s
			frame(8, 5), // SID
			frame(15, 0), // no data
		]);
		expect(voiceDurationSeconds('amr', file)).toBe(0.08);
	});

	it('reads AMR-WB', () => {
		const frames = Array.from({ length: 100 }, () => withHeader(8, Buffer.alloc(60))); // 23.85 kbit/s
		const file = Buffer.concat([Buffer.from('#!AMR-WB\n', 'latin1'), ...frames]);
		expect(voiceDurationSeconds('amr', file)).toBe(2);
	});

	it('does not count a frame cut short by the end of the file', () => {
		expect(voiceDurationSeconds('amr', amr(1).subarray(0, -10))).toBe(0.98);
	});

	it('gives up on a reserved frame type or a missing magic line', () => {
		const reserved = Buffer.concat([amr(1), withHeader(12, Buffer.alloc(20))]);
		expect(voiceDurationSeconds('amr', reserved)).toBeUndefined();
		expect(voiceDurationSeconds('amr', amr(1).subarray(6))).toBeUndefined();
	});
});

function withHeader(frameType: number, payload: Buffer): Buffer {
	return Buffer.concat([Buffer.from([(frameType << 3) | 0x04]), payload]);
}

describe('voiceDurationSeconds: mp3', () => {
	it.each([1, 60, 60.5, 74])('walks the frames of %s s (MPEG-2, 24 kHz)', (seconds) => {
		const expected = (mp3FrameCount(seconds) * 576) / 24000;
		expect(voiceDurationSeconds('mp3', mp3(seconds))).toBe(expected);
	});

	it('is exact at 60 s and just over at 60.5 s', () => {
		expect(voiceDurationSeconds('mp3', mp3(60))).toBe(60);
		expect(voiceDurationSeconds('mp3', mp3(60.5))).toBeCloseTo(60.504, 6);
	});

	it.each([
		[48000, 64, 1152],
		[44100, 128, 1152],
		[32000, 32, 1152],
		[22050, 32, 576],
		[16000, 24, 576],
		[8000, 8, 576],
	])('reads %d Hz at %d kbit/s', (sampleRate, bitrateKbps, samples) => {
		const file = mp3(3, { sampleRate, bitrateKbps });
		const expected = (mp3FrameCount(3, sampleRate) * samples) / sampleRate;
		expect(voiceDurationSeconds('mp3', file)).toBeCloseTo(expected, 9);
	});

	it('skips an ID3v2 tag in front', () => {
		expect(voiceDurationSeconds('mp3', mp3(4.8, { id3Bytes: 4000 }))).toBe(4.8);
	});

	it('takes the frame count from an Info (Xing) header rather than walking', () => {
		const file = mp3(4.8, { header: 'xing', id3Bytes: 300 });
		expect(voiceDurationSeconds('mp3', file)).toBe(4.8);
		// Proof the header is read: a different stated count changes the answer.
		file.writeUInt32BE(2500, 300 + 4 + 9 + 8);
		expect(voiceDurationSeconds('mp3', file)).toBe(60);
	});

	it('takes the frame count from a VBRI header', () => {
		const file = mp3(4.8, { header: 'vbri' });
		expect(voiceDurationSeconds('mp3', file)).toBe(4.8);
		file.writeUInt32BE(3000, 36 + 14);
		expect(voiceDurationSeconds('mp3', file)).toBe(72);
	});

	it('walks past an Info header without a frame count, not counting it as audio', () => {
		const file = mp3(4.8, { header: 'xing' });
		file.writeUInt32BE(0, 4 + 9 + 4); // clear the flags
		expect(voiceDurationSeconds('mp3', file)).toBe(4.8);
	});

	it('finds the Info header two bytes later in CRC-protected frames', () => {
		const file = mp3(4.8, { header: 'xing' });
		const frameLength = 96; // 32 kbit/s at 24 kHz
		for (let at = 0; at < file.length; at += frameLength) file[at + 1] &= 0xfe; // protection bit 0: CRC follows
		const info = Buffer.from(file.subarray(13, 29));
		file.fill(0, 13, 15);
		info.copy(file, 15);
		file.writeUInt32BE(2500, 15 + 8);
		expect(voiceDurationSeconds('mp3', file)).toBe(60);
	});

	it('subtracts the encoder delay and padding a LAME extension states', () => {
		const file = mp3(4.8, { header: 'xing' });
		// Flags: frames and bytes only, so LAME's extension starts 16 bytes after "Info".
		const lameAt = 13 + 16;
		file.write('LAME3.100', lameAt, 'latin1');
		file.writeUIntBE((576 << 12) | 1200, lameAt + 21, 3);
		expect(voiceDurationSeconds('mp3', file)).toBeCloseTo(4.8 - (576 + 1200) / 24000, 9);
		file.write('XXXX', lameAt, 'latin1');
		expect(voiceDurationSeconds('mp3', file)).toBe(4.8);
	});

	it('ignores an ID3v1 tag at the end', () => {
		const tag = Buffer.concat([Buffer.from('TAG', 'latin1'), Buffer.alloc(125, 0x20)]);
		expect(voiceDurationSeconds('mp3', Buffer.concat([mp3(2.4), tag]))).toBe(2.4);
	});

	it('gives up on garbage between frames or a missing first frame', () => {
		const file = mp3(2);
		const broken = Buffer.concat([
			file.subarray(0, 960),
			Buffer.from('garbage!'),
			file.subarray(960),
		]);
		expect(voiceDurationSeconds('mp3', broken)).toBeUndefined();
		expect(voiceDurationSeconds('mp3', Buffer.from('<html>not audio</html>'))).toBeUndefined();
	});
});

describe('voiceDurationSeconds: wav', () => {
	it.each([1, 60, 60.5, 74])('reads %s s of 8 kHz PCM', (seconds) => {
		expect(voiceDurationSeconds('wav', wav(seconds))).toBe(seconds);
	});

	it('uses the byte rate of the fmt chunk', () => {
		expect(voiceDurationSeconds('wav', wav(2.5, { sampleRate: 16000 }))).toBe(2.5);
	});

	it('steps over other chunks before the data chunk', () => {
		const file = wav(2);
		const list = Buffer.concat([
			Buffer.from('LIST', 'latin1'),
			Buffer.from([5, 0, 0, 0]),
			Buffer.from('INFOx\0'),
		]);
		const withList = Buffer.concat([file.subarray(0, 36), list, file.subarray(36)]);
		expect(voiceDurationSeconds('wav', withList)).toBe(2);
	});

	it('counts only the data present when the file is cut', () => {
		expect(voiceDurationSeconds('wav', wav(2).subarray(0, 44 + 8000))).toBe(1);
	});

	it('gives up without a fmt chunk before the data', () => {
		const file = wav(1);
		file.write('junk', 12, 'latin1');
		expect(voiceDurationSeconds('wav', file)).toBeUndefined();
	});
});

describe('voiceDurationSeconds: wma', () => {
	it.each([3, 60, 60.5, 74])(
		'reads %s s from the File Properties Object, minus preroll',
		(seconds) => {
			expect(voiceDurationSeconds('wma', wma(seconds))).toBe(seconds);
		},
	);

	it('subtracts whatever preroll the file states', () => {
		expect(voiceDurationSeconds('wma', wma(10, { prerollMs: 0 }))).toBe(10);
		expect(voiceDurationSeconds('wma', wma(10, { prerollMs: 5000 }))).toBe(10);
	});

	it('gives up on a broadcast file, whose durations are unset', () => {
		const file = wma(10);
		file.writeUInt32LE(0x1, 30 + 88);
		expect(voiceDurationSeconds('wma', file)).toBeUndefined();
	});
});

describe('voiceDurationSeconds: other formats', () => {
	it('has no reader for speex or images', () => {
		expect(voiceDurationSeconds('speex', speex())).toBeUndefined();
		expect(voiceDurationSeconds('jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBeUndefined();
	});

	it('gives up when the bytes do not match the format named', () => {
		expect(voiceDurationSeconds('wav', amr(2))).toBeUndefined();
		expect(voiceDurationSeconds('wma', wav(2))).toBeUndefined();
		expect(voiceDurationSeconds('amr', mp3(2))).toBeUndefined();
	});
});
