import { crc32 } from 'zlib';

import {
	FORMATS,
	SNIFF_BYTES,
	formatFromMimeType,
	sniffFormat,
	type MediaFormat,
} from '../../nodes/WeixinMedia/media';
import { amr, bmp, gif, jpeg, mp3, mp4, png, speex, wav, withBytes, wma } from '../fixtures/media';

const head = (b: Buffer) => b.subarray(0, SNIFF_BYTES);

describe('sniffFormat', () => {
	const samples: Array<[MediaFormat, Buffer]> = [
		['jpg', jpeg()],
		['png', png()],
		['gif', gif()],
		['bmp', bmp()],
		['mp3', mp3(1)],
		['mp3', mp3(1, { id3Bytes: 200 })],
		['mp3', mp3(1, { sampleRate: 44100, bitrateKbps: 128 })],
		['mp3', mp3(1, { sampleRate: 8000, bitrateKbps: 8 })],
		['amr', amr(1)],
		['amr', Buffer.concat([Buffer.from('#!AMR-WB\n', 'latin1'), Buffer.alloc(61)])],
		['wav', wav(1)],
		['wma', wma()],
		['mp4', mp4()],
		['speex', speex()],
	];

	it.each(samples)('recognises %s from the first SNIFF_BYTES bytes', (format, file) => {
		expect(sniffFormat(head(file))).toBe(format);
		expect(sniffFormat(file)).toBe(format);
	});

	it('recognises an MPEG layer II frame as mp3 but not layer I', () => {
		const layer2 = Buffer.from([0xff, 0xfd, 0x90, 0xc0]);
		const layer1 = Buffer.from([0xff, 0xff, 0x90, 0xc0]);
		expect(sniffFormat(layer2)).toBe('mp3');
		expect(sniffFormat(layer1)).toBeUndefined();
	});

	const lookAlikes: Array<[string, Buffer]> = [
		['an HTML page', Buffer.from('<!DOCTYPE html><html><head><title>404</title></head></html>')],
		['a text file', Buffer.from('hello, this is only text\n')],
		['a WeChat JSON error', Buffer.from('{"errcode":40007,"errmsg":"invalid media_id"}')],
		['an empty buffer', Buffer.alloc(0)],
		['a truncated JPEG (SOI only)', Buffer.from([0xff, 0xd8])],
		['a JPEG SOI followed by a fill byte', Buffer.from([0xff, 0xd8, 0xff, 0xff])],
		['a truncated PNG signature', png().subarray(0, 4)],
		['a PNG signature without IHDR', withBytes(png().subarray(0, 8), 32)],
		['a truncated GIF', Buffer.from('GIF8', 'latin1')],
		['GIF88a', withBytes(Buffer.from('GIF88a', 'latin1'), 32)],
		['text starting with BM', Buffer.from('BMW owners club newsletter, issue 12')],
		['a truncated BMP', bmp().subarray(0, 10)],
		['an AVI (RIFF but not WAVE)', withBytes(Buffer.from('RIFF\0\0\0\0AVI LIST', 'latin1'), 32)],
		['"#!AMR" without its newline', Buffer.from('#!AMR ', 'latin1')],
		[
			'a HEIC image (ftyp heic)',
			withBytes(Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'), 32),
		],
		['a truncated ftyp box', Buffer.from('\0\0\0\x18ftyp', 'latin1')],
		[
			'an Ogg Vorbis stream',
			Buffer.concat([
				Buffer.from('OggS\0\x02', 'latin1'),
				Buffer.alloc(20),
				Buffer.from([1, 30]),
				withBytes(Buffer.from('\x01vorbis', 'latin1'), 30),
			]),
		],
		['a truncated Ogg page', speex().subarray(0, 20)],
		[
			'an ID3 tag with a non-syncsafe size',
			withBytes(Buffer.from('ID3\x04\0\0\0\0\x80\0', 'latin1'), 32),
		],
		['an MPEG header with the reserved version', Buffer.from([0xff, 0xeb, 0x90, 0xc0])],
		['an MPEG header with a free bitrate', Buffer.from([0xff, 0xfb, 0x00, 0xc0])],
		['an MPEG header with a reserved sample rate', Buffer.from([0xff, 0xfb, 0x9c, 0xc0])],
		['half an ASF GUID', wma().subarray(0, 8)],
	];

	it.each(lookAlikes)('refuses %s', (_, bytes) => {
		expect(sniffFormat(bytes)).toBeUndefined();
	});

	const box = (type: string, size: number, body = Buffer.alloc(0)) =>
		Buffer.concat([Buffer.from([size >>> 24, (size >> 16) & 0xff, (size >> 8) & 0xff, size & 0xff]), Buffer.from(type, 'latin1'), body]);

	it.each([
		['moov first (a fast-start QuickTime file without ftyp)', box('moov', 5000, Buffer.alloc(24))],
		['mdat first', box('mdat', 0, Buffer.alloc(24))],
		['wide then mdat', Buffer.concat([box('wide', 8), box('mdat', 9000, Buffer.alloc(24))])],
		['free then ftyp qt', Buffer.concat([box('free', 16, Buffer.alloc(8)), box('ftyp', 20, Buffer.from('qt  \0\0\0\0qt  ', 'latin1'))])],
	])('takes an ISO/QuickTime file that opens with %s as mp4', (_, bytes) => {
		expect(sniffFormat(bytes)).toBe('mp4');
	});

	it.each([
		['free then text', Buffer.concat([box('free', 12, Buffer.alloc(4)), Buffer.from('hello world, text', 'latin1')])],
		['free then a HEIC ftyp', Buffer.concat([box('free', 8), box('ftyp', 24, Buffer.from('heic\0\0\0\0mif1heic', 'latin1'))])],
		['a free box too small to be one', Buffer.concat([box('free', 4), box('mdat', 0, Buffer.alloc(24))])],
	])('refuses %s', (_, bytes) => {
		expect(sniffFormat(bytes)).toBeUndefined();
	});
});

describe('FORMATS', () => {
	it('gives each format its extension and MIME type', () => {
		expect(FORMATS.jpg).toMatchObject({ extension: 'jpg', mimeType: 'image/jpeg' });
		expect(FORMATS.amr.mimeType).toBe('audio/amr');
		expect(FORMATS.wma.mimeType).toBe('audio/x-ms-wma');
		expect(FORMATS.wav.mimeType).toBe('audio/wav');
		expect(FORMATS.mp4.mimeType).toBe('video/mp4');
		expect(FORMATS.speex).toMatchObject({ extension: 'speex', mimeType: 'audio/speex' });
	});

	it('maps every MIME type back to its format', () => {
		for (const format of Object.keys(FORMATS) as MediaFormat[]) {
			expect(formatFromMimeType(FORMATS[format].mimeType)).toBe(format);
		}
	});
});

describe('formatFromMimeType', () => {
	it.each([
		['IMAGE/JPEG', 'jpg'],
		['image/jpg', 'jpg'],
		['image/png; charset=binary', 'png'],
		['voice/speex', 'speex'],
		['audio/ogg; codecs="speex"', 'speex'],
		['audio/x-wav', 'wav'],
		['audio/mp3', 'mp3'],
		['image/x-ms-bmp', 'bmp'],
	])('reads %s as %s', (mime, format) => {
		expect(formatFromMimeType(mime)).toBe(format);
	});

	it.each([
		'audio/ogg',
		'application/json',
		'text/plain; charset=utf-8',
		'application/octet-stream',
		'',
	])('has no format for %j', (mime) => {
		expect(formatFromMimeType(mime)).toBeUndefined();
	});
});

describe('fixtures', () => {
	it.each([
		['jpeg', jpeg, [300, 2048, 65537 + 400, 200_000]],
		['png', png, [200, 2048, 100_000]],
		['gif', gif, [70, 72, 300, 1024, 70_000]],
		['bmp', bmp, [58, 2048]],
		['mp4', mp4, [60, 4096]],
		['speex', speex, [164, 170, 191, 192, 2048, 70_000]],
	] as Array<[string, (bytes: number) => Buffer, number[]]>)(
		'%s has exactly the size asked',
		(_, make, sizes) => {
			for (const size of sizes) expect(make(size)).toHaveLength(size);
		},
	);

	it('is deterministic', () => {
		expect(jpeg(5000).equals(jpeg(5000))).toBe(true);
		expect(speex(3000).equals(speex(3000))).toBe(true);
		expect(
			mp3(2, { header: 'xing', id3Bytes: 100 }).equals(mp3(2, { header: 'xing', id3Bytes: 100 })),
		).toBe(true);
	});

	it('builds a JPEG whose segments chain from SOI to EOI', () => {
		const file = jpeg(150_000);
		let at = 2;
		const markers: number[] = [];
		while (file[at + 1] !== 0xda) {
			expect(file[at]).toBe(0xff);
			markers.push(file[at + 1]);
			at += 2 + file.readUInt16BE(at + 2);
		}
		expect(markers.filter((m) => m === 0xfe).length).toBeGreaterThan(2);
		expect(file.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
	});

	it('builds a PNG whose chunks have correct CRCs and end with IEND', () => {
		const file = png(5000);
		const types: string[] = [];
		for (let at = 8; at < file.length; ) {
			const length = file.readUInt32BE(at);
			const typed = file.subarray(at + 4, at + 8 + length);
			expect(file.readUInt32BE(at + 8 + length)).toBe(crc32(typed));
			types.push(typed.toString('latin1', 0, 4));
			at += 12 + length;
		}
		expect(types).toEqual(['IHDR', 'tEXt', 'IDAT', 'IEND']);
	});

	it('builds Ogg pages whose lengths add up to the file', () => {
		const file = speex(70_000);
		let at = 0;
		let pages = 0;
		while (at < file.length) {
			expect(file.toString('latin1', at, at + 4)).toBe('OggS');
			const segments = file[at + 26];
			const body = [...file.subarray(at + 27, at + 27 + segments)].reduce((sum, n) => sum + n, 0);
			at += 27 + segments + body;
			pages++;
		}
		expect(at).toBe(file.length);
		expect(pages).toBeGreaterThan(3);
	});

	it('gives a BMP a file size field equal to its length', () => {
		expect(bmp(4000).readUInt32LE(2)).toBe(4000);
	});

	it('refuses sizes too small for a valid structure', () => {
		expect(() => jpeg(10)).toThrow(RangeError);
		expect(() => png(10)).toThrow(RangeError);
		expect(() => mp4(10)).toThrow(RangeError);
	});
});
