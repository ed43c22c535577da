/**
 * Voice durations read from the file's own structure. Each reader returns undefined when the
 * structure does not give a trustworthy answer: a wrong duration would let a long file through or
 * refuse a short one, while undefined only leaves the check to WeChat.
 */
import { firstMpegFrame, readMpegFrame, type MediaFormat, type MpegFrame } from './formats';

export function voiceDurationSeconds(format: MediaFormat, bytes: Buffer): number | undefined {
	switch (format) {
		case 'amr':
			return amrDuration(bytes);
		case 'mp3':
			return mp3Duration(bytes);
		case 'wav':
			return wavDuration(bytes);
		case 'wma':
			return wmaDuration(bytes);
		default:
			return undefined;
	}
}

// ---------------------------------------------------------------------------------------------
// AMR (RFC 4867 storage format): a magic line, then frames of 20 ms each, every frame starting
// with a byte whose frame type gives its size.

/** Payload bytes after the one-byte frame header, by frame type; undefined for reserved types. */
const AMR_NB_PAYLOAD = [
	12,
	13,
	15,
	17,
	19,
	20,
	26,
	31,
	5,
	6,
	5,
	5,
	undefined,
	undefined,
	undefined,
	0,
];
const AMR_WB_PAYLOAD = [
	17,
	23,
	32,
	36,
	40,
	46,
	50,
	58,
	60,
	5,
	undefined,
	undefined,
	undefined,
	undefined,
	0,
	0,
];
const AMR_FRAME_MS = 20;

function amrDuration(bytes: Buffer): number | undefined {
	const wideband = bytes.toString('latin1', 0, 9) === '#!AMR-WB\n';
	if (!wideband && bytes.toString('latin1', 0, 6) !== '#!AMR\n') return undefined;
	const payloads = wideband ? AMR_WB_PAYLOAD : AMR_NB_PAYLOAD;
	let offset = wideband ? 9 : 6;
	let frames = 0;
	while (offset < bytes.length) {
		const payload = payloads[(bytes[offset] >> 3) & 0x0f];
		if (payload === undefined) return undefined;
		offset += 1 + payload;
		// A frame cut short by the end of the file does not play.
		if (offset <= bytes.length) frames++;
	}
	return (frames * AMR_FRAME_MS) / 1000;
}

// ---------------------------------------------------------------------------------------------
// MP3: MPEG-1, 2 and 2.5 audio, layer III (and layer II, which the sniffer also accepts).

/** Bytes taken by the ID3v2 tags at the start (there may be several, each with a footer or not). */
function id3v2Length(bytes: Buffer): number {
	let offset = 0;
	while (bytes.length >= offset + 10 && bytes.toString('latin1', offset, offset + 3) === 'ID3') {
		const size = bytes
			.subarray(offset + 6, offset + 10)
			.reduce((sum, b) => (sum << 7) | (b & 0x7f), 0);
		const hasFooter = (bytes[offset + 5] & 0x10) !== 0;
		offset += 10 + size + (hasFooter ? 10 : 0);
	}
	return offset;
}

interface MpegTag {
	isTag: boolean;
	/** Audio frames, the tag frame not included. */
	frames?: number;
	/** Samples the encoder put before the audio and after it to fill the last frame (LAME tag). */
	trimmedSamples?: number;
}

/**
 * A Xing/Info (with LAME's extension, when present) or VBRI header in the first frame: the frame
 * count, and from LAME the encoder delay and padding that decoders drop, so a 60.00 s source reads
 * as 60.00 s rather than the 60.03..60.2 s its whole frames last.
 */
function readMpegTag(bytes: Buffer, at: number, frame: MpegFrame): MpegTag {
	const sideInfo = frame.mpeg1 ? (frame.mono ? 17 : 32) : frame.mono ? 9 : 17;
	const xingAt = at + 4 + (frame.crc ? 2 : 0) + sideInfo;
	const xingId = bytes.toString('latin1', xingAt, xingAt + 4);
	if ((xingId === 'Xing' || xingId === 'Info') && bytes.length >= xingAt + 8) {
		const flags = bytes.readUInt32BE(xingAt + 4);
		const framesPresent = (flags & 0x1) !== 0;
		const frames =
			framesPresent && bytes.length >= xingAt + 12 ? bytes.readUInt32BE(xingAt + 8) : undefined;
		// The optional fields: frames, bytes, 100-byte seek table, quality; then LAME's extension.
		const lameAt =
			xingAt + 8 + (flags & 0x1 ? 4 : 0) + (flags & 0x2 ? 4 : 0) + (flags & 0x4 ? 100 : 0) + (flags & 0x8 ? 4 : 0);
		return { frames, isTag: true, trimmedSamples: lameTrim(bytes, lameAt) };
	}
	const vbriAt = at + 36;
	if (bytes.toString('latin1', vbriAt, vbriAt + 4) === 'VBRI' && bytes.length >= vbriAt + 18) {
		return { frames: bytes.readUInt32BE(vbriAt + 14), isTag: true };
	}
	return { isTag: false };
}

/** Encoder delay + padding from a LAME extension (LAME, and ffmpeg's "Lavc"/"Lavf"), within the frame. */
function lameTrim(bytes: Buffer, lameAt: number): number | undefined {
	if (bytes.length < lameAt + 24) return undefined;
	// A 9-byte encoder string, then 12 bytes of flags and gains, then delay and padding, 12 bits each.
	if (!/^(LAME|Lav[cf]|L3\.9)/.test(bytes.toString('latin1', lameAt, lameAt + 4))) return undefined;
	const packed = bytes.readUIntBE(lameAt + 21, 3);
	return (packed >> 12) + (packed & 0xfff);
}

/** Data that may follow the last frame without making the walk untrustworthy. */
function isKnownTrailer(rest: Buffer): boolean {
	const start = rest.toString('latin1', 0, 11);
	return (
		start.startsWith('TAG') ||
		start.startsWith('APETAGEX') ||
		start === 'LYRICSBEGIN' ||
		rest.every((b) => b === 0)
	);
}

function mp3Duration(bytes: Buffer): number | undefined {
	let offset = firstMpegFrame(bytes, id3v2Length(bytes));
	if (offset === undefined) return undefined;
	const first = readMpegFrame(bytes, offset) as MpegFrame;
	const tag = readMpegTag(bytes, offset, first);
	if (tag.frames !== undefined) {
		const samples = tag.frames * first.samples - (tag.trimmedSamples ?? 0);
		return Math.max(0, samples) / first.sampleRate;
	}
	// The Xing/VBRI frame itself carries no audio.
	if (tag.isTag) offset += first.length;

	let samples = 0;
	while (offset < bytes.length) {
		const frame = readMpegFrame(bytes, offset);
		if (!frame) {
			if (isKnownTrailer(bytes.subarray(offset))) break;
			return undefined;
		}
		// A stream whose sample rate changes cannot be timed by one division; real files never do.
		if (frame.sampleRate !== first.sampleRate) return undefined;
		offset += frame.length;
		if (offset <= bytes.length) samples += frame.samples;
	}
	return samples / first.sampleRate;
}

// ---------------------------------------------------------------------------------------------
// WAV: RIFF chunks; the duration is the data chunk's size over the format chunk's byte rate.

function wavDuration(bytes: Buffer): number | undefined {
	if (
		bytes.length < 12 ||
		bytes.toString('latin1', 0, 4) !== 'RIFF' ||
		bytes.toString('latin1', 8, 12) !== 'WAVE'
	) {
		return undefined;
	}
	let byteRate: number | undefined;
	let offset = 12;
	while (offset + 8 <= bytes.length) {
		const id = bytes.toString('latin1', offset, offset + 4);
		const size = bytes.readUInt32LE(offset + 4);
		const body = offset + 8;
		if (id === 'fmt ' && size >= 16 && body + 16 <= bytes.length)
			byteRate = bytes.readUInt32LE(body + 8);
		if (id === 'data') {
			if (!byteRate) return undefined;
			// A streamed or cut file declares more than it holds: only the bytes present play.
			return Math.min(size, bytes.length - body) / byteRate;
		}
		offset = body + size + (size % 2);
	}
	return undefined;
}

// ---------------------------------------------------------------------------------------------
// WMA: ASF header object; its File Properties Object holds the play duration (100 ns units) which
// includes the preroll (ms).

const ASF_HEADER_GUID = Buffer.from('3026b2758e66cf11a6d900aa0062ce6c', 'hex');
const ASF_FILE_PROPERTIES_GUID = Buffer.from('a1dcab8c47a9cf118ee400c00c205365', 'hex');
const ASF_BROADCAST_FLAG = 0x1;

function wmaDuration(bytes: Buffer): number | undefined {
	if (bytes.length < 30 || !bytes.subarray(0, 16).equals(ASF_HEADER_GUID)) return undefined;
	const headerEnd = Math.min(bytes.length, Number(bytes.readBigUInt64LE(16)));
	let offset = 30;
	while (offset + 24 <= headerEnd) {
		const size = Number(bytes.readBigUInt64LE(offset + 16));
		if (size < 24) return undefined;
		if (bytes.subarray(offset, offset + 16).equals(ASF_FILE_PROPERTIES_GUID)) {
			if (offset + 104 > bytes.length) return undefined;
			// A broadcast (live) file leaves the durations unset.
			if (bytes.readUInt32LE(offset + 88) & ASF_BROADCAST_FLAG) return undefined;
			const playDuration = bytes.readBigUInt64LE(offset + 64);
			const prerollMs = bytes.readBigUInt64LE(offset + 80);
			const duration = Number(playDuration - prerollMs * 10000n) / 1e7;
			return duration > 0 ? duration : undefined;
		}
		offset += size;
	}
	return undefined;
}
