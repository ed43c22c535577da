/** The media formats the node knows, and how to recognise each from its first bytes. */

export type MediaFormat =
	| 'jpg'
	| 'png'
	| 'gif'
	| 'bmp'
	| 'mp3'
	| 'amr'
	| 'wma'
	| 'wav'
	| 'mp4'
	| 'speex';

export const FORMATS: Record<MediaFormat, { extension: string; mimeType: string; label: string }> =
	{
		jpg: { extension: 'jpg', mimeType: 'image/jpeg', label: 'jpg image' },
		png: { extension: 'png', mimeType: 'image/png', label: 'png image' },
		gif: { extension: 'gif', mimeType: 'image/gif', label: 'gif image' },
		bmp: { extension: 'bmp', mimeType: 'image/bmp', label: 'bmp image' },
		mp3: { extension: 'mp3', mimeType: 'audio/mpeg', label: 'mp3 audio file' },
		amr: { extension: 'amr', mimeType: 'audio/amr', label: 'amr audio file' },
		wma: { extension: 'wma', mimeType: 'audio/x-ms-wma', label: 'wma audio file' },
		wav: { extension: 'wav', mimeType: 'audio/wav', label: 'wav audio file' },
		mp4: { extension: 'mp4', mimeType: 'video/mp4', label: 'mp4 video' },
		// Speex: what WeChat's HD voice download (media/get/jssdk) returns, raw frames or in Ogg.
		speex: { extension: 'speex', mimeType: 'audio/speex', label: 'speex audio file' },
	};

/**
 * How many leading bytes `sniffFormat` looks at; passing fewer may leave a format unrecognised. Room
 * for an mp3 whose first frame comes after junk (MP3_SYNC_SEARCH_BYTES) plus the largest frame.
 */
export const SNIFF_BYTES = 8192;

/**
 * How far into an mp3 (after its ID3v2 tags) the first frame is looked for: streams cut from a
 * broadcast start mid-frame, and some writers pad before the first frame.
 */
export const MP3_SYNC_SEARCH_BYTES = 4096;

const ASF_HEADER_GUID = Buffer.from('3026b2758e66cf11a6d900aa0062ce6c', 'hex');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Sizes of the BMP info headers in use (core, v1, v2/v3 adobe, v4, v5, OS/2 v2). */
const BMP_INFO_HEADER_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

/**
 * ISO BMFF brands of still images (HEIF, AVIF) and audio-only files (m4a): they share the mp4
 * container but are not a video WeChat would take as mp4.
 */
const NON_VIDEO_BRANDS = new Set([
	'heic',
	'heix',
	'heim',
	'heis',
	'hevc',
	'hevx',
	'mif1',
	'msf1',
	'avif',
	'avis',
	'M4A ',
	'M4B ',
	'M4P ',
]);

function ascii(head: Buffer, start: number, length: number): string {
	return head.toString('latin1', start, start + length);
}

function isJpeg(head: Buffer): boolean {
	// SOI, then the first marker of a segment (APPn, DQT, SOF, COM...).
	return (
		head.length >= 4 &&
		head[0] === 0xff &&
		head[1] === 0xd8 &&
		head[2] === 0xff &&
		head[3] >= 0xc0 &&
		head[3] !== 0xff
	);
}

function isPng(head: Buffer): boolean {
	return (
		head.length >= 16 && head.subarray(0, 8).equals(PNG_SIGNATURE) && ascii(head, 12, 4) === 'IHDR'
	);
}

function isGif(head: Buffer): boolean {
	// The 13-byte header and logical screen descriptor must be there.
	return head.length >= 13 && /^GIF8[79]a$/.test(ascii(head, 0, 6));
}

function isBmp(head: Buffer): boolean {
	if (head.length < 18 || ascii(head, 0, 2) !== 'BM') return false;
	const fileSize = head.readUInt32LE(2);
	const infoHeaderSize = head.readUInt32LE(14);
	const pixelOffset = head.readUInt32LE(10);
	// bfSize is optional in practice: many writers leave it 0.
	return (
		BMP_INFO_HEADER_SIZES.has(infoHeaderSize) &&
		pixelOffset >= 14 + infoHeaderSize &&
		(fileSize === 0 || fileSize > pixelOffset)
	);
}

/** Whether `head` starts with a valid MPEG audio layer II or III frame header. */
export function isMpegAudioFrameHeader(head: Buffer, at = 0): boolean {
	if (head.length < at + 4 || head[at] !== 0xff || (head[at + 1] & 0xe0) !== 0xe0) return false;
	const version = (head[at + 1] >> 3) & 0x03;
	const layer = (head[at + 1] >> 1) & 0x03;
	const bitrateIndex = head[at + 2] >> 4;
	const sampleRateIndex = (head[at + 2] >> 2) & 0x03;
	const emphasis = head[at + 3] & 0x03;
	// 01 is a reserved version; layers 01 = III, 10 = II (layer I is not mp3); the bitrate index
	// excludes free format (0) and the invalid 15; emphasis 10 is reserved.
	return (
		version !== 0b01 &&
		(layer === 0b01 || layer === 0b10) &&
		bitrateIndex !== 0 &&
		bitrateIndex !== 15 &&
		sampleRateIndex !== 3 &&
		emphasis !== 0b10
	);
}

export interface MpegFrame {
	/** Bytes of the whole frame, header included. */
	length: number;
	samples: number;
	sampleRate: number;
	mono: boolean;
	mpeg1: boolean;
	/** A 16-bit CRC follows the header (protection bit 0). */
	crc: boolean;
}

const MPEG_SAMPLE_RATES: Record<number, number[]> = {
	0b11: [44100, 48000, 32000],
	0b10: [22050, 24000, 16000],
	0b00: [11025, 12000, 8000],
};
const KBPS_MPEG1_LAYER3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const KBPS_MPEG1_LAYER2 = [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384];
const KBPS_MPEG2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

/** The MPEG audio frame (layer II or III) whose header is at `at`, if there is one. */
export function readMpegFrame(bytes: Buffer, at: number): MpegFrame | undefined {
	if (!isMpegAudioFrameHeader(bytes, at)) return undefined;
	const versionBits = (bytes[at + 1] >> 3) & 0x03;
	const layer3 = ((bytes[at + 1] >> 1) & 0x03) === 0b01;
	const mpeg1 = versionBits === 0b11;
	const kbpsTable = !mpeg1 ? KBPS_MPEG2 : layer3 ? KBPS_MPEG1_LAYER3 : KBPS_MPEG1_LAYER2;
	const bitrate = kbpsTable[bytes[at + 2] >> 4] * 1000;
	const sampleRate = MPEG_SAMPLE_RATES[versionBits][(bytes[at + 2] >> 2) & 0x03];
	const padding = (bytes[at + 2] >> 1) & 0x01;
	// Layer III outside MPEG-1 halves the samples per frame (and so the bytes per frame).
	const samples = layer3 && !mpeg1 ? 576 : 1152;
	const length = Math.floor(((samples / 8) * bitrate) / sampleRate) + padding;
	return {
		length,
		samples,
		sampleRate,
		mono: bytes[at + 3] >> 6 === 0b11,
		mpeg1,
		crc: (bytes[at + 1] & 0x01) === 0,
	};
}

/**
 * Where the first MPEG audio frame at or after `from` starts. A header right at `from` is taken as
 * it is; further in, a sync pattern counts only when a frame of the same version, layer and sample
 * rate follows right after it (junk often holds a lone 0xFFE... pattern). Searches
 * MP3_SYNC_SEARCH_BYTES bytes.
 */
export function firstMpegFrame(bytes: Buffer, from: number): number | undefined {
	if (readMpegFrame(bytes, from)) return from;
	const end = Math.min(bytes.length, from + MP3_SYNC_SEARCH_BYTES);
	for (let at = from + 1; at < end; at++) {
		const frame = bytes[at] === 0xff ? readMpegFrame(bytes, at) : undefined;
		if (!frame) continue;
		const next = at + frame.length;
		// Same version, layer and sample rate: header bits 11..21 (byte 1 minus the CRC bit, byte 2's top 6).
		if (
			readMpegFrame(bytes, next) &&
			(bytes[next + 1] & 0xfe) === (bytes[at + 1] & 0xfe) &&
			(bytes[next + 2] & 0x0c) === (bytes[at + 2] & 0x0c)
		) {
			return at;
		}
	}
	return undefined;
}

function isMp3(head: Buffer): boolean {
	if (head.length >= 10 && ascii(head, 0, 3) === 'ID3') {
		// Major version 2..4, and a size made of four 7-bit bytes.
		return (
			head[3] >= 2 &&
			head[3] <= 4 &&
			head[4] !== 0xff &&
			head.subarray(6, 10).every((b) => b < 0x80)
		);
	}
	return firstMpegFrame(head, 0) !== undefined;
}

function isAmr(head: Buffer): boolean {
	return ascii(head, 0, 6) === '#!AMR\n' || ascii(head, 0, 9) === '#!AMR-WB\n';
}

function isWav(head: Buffer): boolean {
	return head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'WAVE';
}

function isWma(head: Buffer): boolean {
	return head.length >= 16 && head.subarray(0, 16).equals(ASF_HEADER_GUID);
}

function isVideoFtyp(head: Buffer, at: number): boolean {
	if (head.length < at + 12) return false;
	const boxSize = head.readUInt32BE(at);
	const majorBrand = ascii(head, at + 8, 4);
	// A ftyp box holds at least the major brand and minor version; brands are printable.
	return boxSize >= 16 && /^[\x20-\x7e]{4}$/.test(majorBrand) && !NON_VIDEO_BRANDS.has(majorBrand);
}

/** Boxes QuickTime and some muxers put before the movie or media data (or a late ftyp). */
const LEADING_FILLER_BOXES = new Set(['free', 'skip', 'wide', 'pnot']);

/**
 * MP4 normally opens with `ftyp`, but QuickTime files and some muxers start with `wide`, `free`,
 * `mdat` or `moov`. Such a start is taken as mp4 (WeChat decides whether it plays); the boxes
 * must chain properly within the head.
 */
function isMp4(head: Buffer): boolean {
	let at = 0;
	for (let boxes = 0; boxes < 4 && at + 8 <= head.length; boxes++) {
		const size = head.readUInt32BE(at);
		const type = ascii(head, at + 4, 4);
		if (type === 'ftyp') return isVideoFtyp(head, at);
		// Size 0 runs to the end of the file, 1 means a 64-bit size follows.
		if (type === 'moov' || type === 'mdat') return size === 0 || size === 1 || size >= 8;
		if (!LEADING_FILLER_BOXES.has(type) || size < 8) return false;
		at += size;
	}
	return false;
}

function isSpeex(head: Buffer): boolean {
	if (head.length < 27 || ascii(head, 0, 4) !== 'OggS' || head[4] !== 0) return false;
	// The first packet follows the 27-byte page header and its segment table.
	const packetStart = 27 + head[26];
	return ascii(head, packetStart, 8) === 'Speex   ';
}

/** Checked in this order; the magic numbers do not overlap, so the order only saves time. */
const SNIFFERS: Array<[MediaFormat, (head: Buffer) => boolean]> = [
	['jpg', isJpeg],
	['png', isPng],
	['gif', isGif],
	['bmp', isBmp],
	['amr', isAmr],
	['wav', isWav],
	['wma', isWma],
	['mp4', isMp4],
	['speex', isSpeex],
	['mp3', isMp3],
];

/** The format of a file from its first bytes (at least `SNIFF_BYTES` of them when available). */
export function sniffFormat(head: Buffer): MediaFormat | undefined {
	return SNIFFERS.find(([, matches]) => matches(head))?.[0];
}

/** Other names seen in Content-Type headers, including WeChat's own "voice/speex". */
const MIME_ALIASES: Record<string, MediaFormat> = {
	'image/jpg': 'jpg',
	'image/pjpeg': 'jpg',
	'image/x-bmp': 'bmp',
	'image/x-ms-bmp': 'bmp',
	'audio/mp3': 'mp3',
	'audio/mpeg3': 'mp3',
	'audio/x-mpeg': 'mp3',
	'audio/x-mp3': 'mp3',
	'audio/amr-wb': 'amr',
	'audio/x-wav': 'wav',
	'audio/wave': 'wav',
	'audio/vnd.wave': 'wav',
	'voice/speex': 'speex',
	'audio/x-speex': 'speex',
};

/** The format a Content-Type names, ignoring case and parameters such as charset. */
export function formatFromMimeType(mime: string): MediaFormat | undefined {
	const [essence, ...parameters] = mime
		.toLowerCase()
		.split(';')
		.map((part) => part.trim());
	const known = (Object.keys(FORMATS) as MediaFormat[]).find(
		(f) => FORMATS[f].mimeType === essence,
	);
	if (known) return known;
	if (essence === 'audio/ogg' && parameters.some((p) => p.replace(/"/g, '') === 'codecs=speex')) {
		return 'speex';
	}
	return MIME_ALIASES[essence];
}
