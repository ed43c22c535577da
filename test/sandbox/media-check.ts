/**
 * The sandbox's own media rules: formats told apart by magic bytes, voice duration read from the
 * file, and the limits table from the API reference. Deliberately independent of nodes/ so the
 * sandbox stays an oracle for the node's checks.
 */

export type MediaFormat = 'jpeg' | 'png' | 'gif' | 'bmp' | 'mp3' | 'amr' | 'wav' | 'wma' | 'mp4';
export type MediaType = 'image' | 'voice' | 'video' | 'thumb';
export type UploadTarget = 'temporary' | 'permanent' | 'articleImage';

export const MEDIA_TYPES: readonly MediaType[] = ['image', 'voice', 'video', 'thumb'];

interface FormatInfo {
	contentType: string;
	/** Extension used in the `filename="MEDIA_ID.ext"` of a download. */
	extension: string;
	/** File name extensions that announce this format. */
	extensions: readonly string[];
	matches(bytes: Buffer): boolean;
}

const ASF_HEADER_GUID = Buffer.from('3026b2758e66cf11a6d900aa0062ce6c', 'hex');
const ASF_FILE_PROPERTIES_GUID = Buffer.from('a1dcab8c47a9cf118ee400c00c205365', 'hex');

const startsWith = (bytes: Buffer, prefix: string | Buffer, offset = 0) => {
	const expected = typeof prefix === 'string' ? Buffer.from(prefix, 'latin1') : prefix;
	return bytes.subarray(offset, offset + expected.length).equals(expected);
};

const FORMATS: Record<MediaFormat, FormatInfo> = {
	jpeg: {
		contentType: 'image/jpeg',
		extension: 'jpg',
		extensions: ['jpg', 'jpeg'],
		matches: (b) => startsWith(b, Buffer.from([0xff, 0xd8, 0xff])),
	},
	png: {
		contentType: 'image/png',
		extension: 'png',
		extensions: ['png'],
		matches: (b) => startsWith(b, Buffer.from('89504e470d0a1a0a', 'hex')),
	},
	gif: {
		contentType: 'image/gif',
		extension: 'gif',
		extensions: ['gif'],
		matches: (b) => startsWith(b, 'GIF87a') || startsWith(b, 'GIF89a'),
	},
	bmp: {
		contentType: 'image/bmp',
		extension: 'bmp',
		extensions: ['bmp'],
		matches: (b) => startsWith(b, 'BM') && b.length >= 26,
	},
	mp3: {
		contentType: 'audio/mpeg',
		extension: 'mp3',
		extensions: ['mp3'],
		matches: (b) => startsWith(b, 'ID3') || firstMp3Frame(b, 0) !== undefined,
	},
	amr: {
		contentType: 'audio/amr',
		extension: 'amr',
		extensions: ['amr'],
		matches: (b) => startsWith(b, '#!AMR\n') || startsWith(b, '#!AMR-WB\n'),
	},
	wav: {
		contentType: 'audio/x-wav',
		extension: 'wav',
		extensions: ['wav'],
		matches: (b) => startsWith(b, 'RIFF') && startsWith(b, 'WAVE', 8),
	},
	wma: {
		contentType: 'audio/x-ms-wma',
		extension: 'wma',
		extensions: ['wma'],
		matches: (b) => startsWith(b, ASF_HEADER_GUID),
	},
	mp4: {
		contentType: 'video/mp4',
		extension: 'mp4',
		extensions: ['mp4'],
		matches: isIsoMedia,
	},
};

const MB = 1024 * 1024;

export interface MediaRule {
	formats: readonly MediaFormat[];
	maxBytes: number;
	maxSeconds?: number;
}

/** The union of the limits the reference pages give (README "Size and format limits"). */
export const MEDIA_RULES: Record<UploadTarget, Partial<Record<MediaType, MediaRule>>> = {
	temporary: {
		image: { formats: ['png', 'jpeg', 'gif'], maxBytes: 10 * MB },
		voice: { formats: ['amr', 'mp3'], maxBytes: 2 * MB, maxSeconds: 60 },
		video: { formats: ['mp4'], maxBytes: 10 * MB },
		thumb: { formats: ['jpeg'], maxBytes: 64 * 1024 },
	},
	permanent: {
		image: { formats: ['bmp', 'png', 'jpeg', 'gif'], maxBytes: 10 * MB },
		voice: { formats: ['mp3', 'wma', 'wav', 'amr'], maxBytes: 2 * MB, maxSeconds: 60 },
		video: { formats: ['mp4'], maxBytes: 10 * MB },
		thumb: { formats: ['jpeg'], maxBytes: 64 * 1024 },
	},
	articleImage: {
		image: { formats: ['jpeg', 'png'], maxBytes: MB },
	},
};

/** QuickTime writes `wide`/`free` (or the movie itself) before or instead of `ftyp`; decoders play it. */
const QUICKTIME_LEADING_BOXES = ['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot'];

function isIsoMedia(bytes: Buffer): boolean {
	if (bytes.length < 8) return false;
	const size = bytes.readUInt32BE(0);
	const type = bytes.toString('latin1', 4, 8);
	return QUICKTIME_LEADING_BOXES.includes(type) && (size === 0 || size === 1 || size >= 8);
}

/**
 * WeChat states voice limits in whole seconds; a voice counts as too long only when its length,
 * rounded to whole seconds, is over the limit (an encoder's delay and padding stay under that).
 */
export function tooLong(seconds: number, maxSeconds: number): boolean {
	return Math.round(seconds) > maxSeconds;
}

export function sniffFormat(bytes: Buffer): MediaFormat | undefined {
	return (Object.keys(FORMATS) as MediaFormat[]).find((format) => FORMATS[format].matches(bytes));
}

export function formatForFilename(filename: string | undefined): MediaFormat | undefined {
	const extension = /\.([^./\\]+)$/.exec(filename ?? '')?.[1].toLowerCase();
	if (!extension) return undefined;
	return (Object.keys(FORMATS) as MediaFormat[]).find((format) =>
		FORMATS[format].extensions.includes(extension),
	);
}

export function contentTypeOf(format: MediaFormat): string {
	return FORMATS[format].contentType;
}

export function extensionOf(format: MediaFormat): string {
	return FORMATS[format].extension;
}

/** Playing time in seconds, or undefined when the file does not say. */
export function voiceSeconds(format: MediaFormat, bytes: Buffer): number | undefined {
	switch (format) {
		case 'amr':
			return amrSeconds(bytes);
		case 'mp3':
			return mp3Seconds(bytes);
		case 'wav':
			return wavSeconds(bytes);
		case 'wma':
			return wmaSeconds(bytes);
		default:
			return undefined;
	}
}

// AMR: 20 ms per frame; the frame size (TOC byte included) follows from the frame type.
const AMR_NB_FRAME_BYTES = [13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1];
const AMR_WB_FRAME_BYTES = [18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1];

function amrSeconds(bytes: Buffer): number {
	const wideband = startsWith(bytes, '#!AMR-WB\n');
	const sizes = wideband ? AMR_WB_FRAME_BYTES : AMR_NB_FRAME_BYTES;
	let position = wideband ? 9 : 6;
	let frames = 0;
	while (position < bytes.length) {
		position += sizes[(bytes[position] >> 3) & 0x0f];
		frames++;
	}
	return frames * 0.02;
}

interface Mp3Frame {
	bitrateKbps: number;
	sampleRate: number;
	samplesPerFrame: number;
	/** Where a Xing/Info header would sit: right after the side information. */
	xingOffset: number;
	lengthBytes: number;
}

const MP3_BITRATES_V1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MP3_BITRATES_V2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MP3_SAMPLE_RATES: Record<number, number[]> = {
	3: [44100, 48000, 32000], // MPEG-1
	2: [22050, 24000, 16000], // MPEG-2
	0: [11025, 12000, 8000], // MPEG-2.5
};

/** An MPEG audio layer III frame header at `offset`, if there is one. */
function mp3FrameAt(bytes: Buffer, offset: number): Mp3Frame | undefined {
	if (offset + 4 > bytes.length || bytes[offset] !== 0xff) return undefined;
	const b1 = bytes[offset + 1];
	const b2 = bytes[offset + 2];
	const version = (b1 >> 3) & 0x03;
	const layer = (b1 >> 1) & 0x03;
	const bitrateIndex = b2 >> 4;
	const sampleRateIndex = (b2 >> 2) & 0x03;
	if ((b1 & 0xe0) !== 0xe0 || version === 1 || layer !== 1) return undefined;
	if (bitrateIndex === 0 || bitrateIndex === 15 || sampleRateIndex === 3) return undefined;
	const mpeg1 = version === 3;
	const mono = bytes[offset + 3] >> 6 === 3;
	const sideInfoBytes = mpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17;
	const crcBytes = (b1 & 1) === 0 ? 2 : 0;
	const bitrateKbps = (mpeg1 ? MP3_BITRATES_V1 : MP3_BITRATES_V2)[bitrateIndex];
	const sampleRate = MP3_SAMPLE_RATES[version][sampleRateIndex];
	const samplesPerFrame = mpeg1 ? 1152 : 576;
	const padding = (b2 >> 1) & 1;
	return {
		bitrateKbps,
		sampleRate,
		samplesPerFrame,
		xingOffset: 4 + crcBytes + sideInfoBytes,
		lengthBytes: Math.floor((samplesPerFrame / 8) * bitrateKbps * 1000 / sampleRate) + padding,
	};
}

/**
 * The first layer III frame at or after `from`, as a decoder finds it in a stream that starts with
 * junk: a sync word whose frame is followed by another frame header (within 64 KB).
 */
function firstMp3Frame(bytes: Buffer, from: number): number | undefined {
	if (mp3FrameAt(bytes, from)) return from;
	const searchEnd = Math.min(bytes.length, from + 64 * 1024);
	for (let at = from + 1; at < searchEnd; at++) {
		const frame = mp3FrameAt(bytes, at);
		if (frame && mp3FrameAt(bytes, at + frame.lengthBytes)) return at;
	}
	return undefined;
}

function mp3Seconds(bytes: Buffer): number | undefined {
	let start = 0;
	if (startsWith(bytes, 'ID3') && bytes.length >= 10) {
		const tagSize = (bytes[6] << 21) | (bytes[7] << 14) | (bytes[8] << 7) | bytes[9];
		const hasFooter = (bytes[5] & 0x10) !== 0;
		start = 10 + tagSize + (hasFooter ? 10 : 0);
	}
	// Tolerate padding or junk before the first frame, as decoders do.
	start = firstMp3Frame(bytes, start) ?? start;
	const frame = mp3FrameAt(bytes, start);
	if (!frame) return undefined;

	// A VBR file says how many frames it has in a Xing/Info or VBRI header in its first frame.
	const frameCount = (count: number) => (count * frame.samplesPerFrame) / frame.sampleRate;
	const xing = start + frame.xingOffset;
	if (
		(startsWith(bytes, 'Xing', xing) || startsWith(bytes, 'Info', xing)) &&
		xing + 12 <= bytes.length &&
		(bytes.readUInt32BE(xing + 4) & 1) === 1
	) {
		return frameCount(bytes.readUInt32BE(xing + 8));
	}
	const vbri = start + 36;
	if (startsWith(bytes, 'VBRI', vbri) && vbri + 18 <= bytes.length) {
		return frameCount(bytes.readUInt32BE(vbri + 14));
	}
	const hasId3v1 = bytes.length - start >= 128 && startsWith(bytes, 'TAG', bytes.length - 128);
	const audioBytes = bytes.length - start - (hasId3v1 ? 128 : 0);
	return (audioBytes * 8) / (frame.bitrateKbps * 1000);
}

function wavSeconds(bytes: Buffer): number | undefined {
	let position = 12;
	let byteRate: number | undefined;
	while (position + 8 <= bytes.length) {
		const chunkId = bytes.toString('latin1', position, position + 4);
		const chunkSize = bytes.readUInt32LE(position + 4);
		const dataStart = position + 8;
		if (chunkId === 'fmt ' && dataStart + 12 <= bytes.length) {
			byteRate = bytes.readUInt32LE(dataStart + 8);
		}
		if (chunkId === 'data') {
			if (!byteRate) return undefined;
			return Math.min(chunkSize, bytes.length - dataStart) / byteRate;
		}
		position = dataStart + chunkSize + (chunkSize % 2);
	}
	return undefined;
}

function wmaSeconds(bytes: Buffer): number | undefined {
	const at = bytes.indexOf(ASF_FILE_PROPERTIES_GUID);
	if (at < 0 || at + 88 > bytes.length) return undefined;
	const playDuration100ns = Number(bytes.readBigUInt64LE(at + 64));
	const prerollMs = Number(bytes.readBigUInt64LE(at + 80));
	return Math.max(0, playDuration100ns / 1e7 - prerollMs / 1000);
}
