/**
 * HD voice from the JS-SDK (`media/get/jssdk`): Speex wideband as raw frames or in Ogg,
 * decoded to 16 kHz PCM, written as WAV, or wrapped in a standard Ogg Speex stream.
 */
import { settleSync } from '../../transport/outcome';

import { BitReader } from './bitReader';
import { WIDEBAND_FRAME_SAMPLES, WidebandDecoder, frameBits } from './decoder';
import { isOgg, readOggPackets, writeOggPage } from './ogg';
import type { OggPacket } from './ogg';

export const SPEEX_SAMPLE_RATE = 16000;
/** Samples the decoder's output lags its input (reference decoder's look-ahead). */
const DECODER_LOOKAHEAD = 80;

export type SpeexLayout = 'raw' | 'ogg';

export interface DecodedSpeex {
	samples: Int16Array;
	sampleRate: number;
	layout: SpeexLayout;
	frames: number;
	/** Raw layout: the frames as they arrived, for wrapping in Ogg. */
	rawFrames?: Uint8Array[];
}

/** Decoding stopped at `frame` (0-based, counting speech frames); `reason` says why. */
export class SpeexDecodeError extends Error {
	constructor(readonly frame: number, readonly reason: string) {
		super(`decoding failed at frame ${frame}: ${reason}`);
		this.name = 'SpeexDecodeError';
	}
}

/** Runs one decoding step; whatever breaks in it is reported as a SpeexDecodeError naming `frame`. */
function inFrame<T>(frame: number, step: () => T): T {
	const outcome = settleSync(step);
	if (!outcome.ok) throw new SpeexDecodeError(frame, (outcome.error as Error).message);
	return outcome.value;
}

function toInt16(source: Float64Array, length: number, target: Int16Array, at: number): void {
	for (let i = 0; i < length; i++) {
		const v = Math.floor(0.5 + source[i]);
		target[at + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
	}
}

/** Raw layout: byte-aligned frames back to back; each frame's size comes from its mode bits. */
function splitRawFrames(bytes: Uint8Array): Uint8Array[] {
	const frames: Uint8Array[] = [];
	let at = 0;
	while (at < bytes.length) {
		const start = at;
		const size = Math.ceil(inFrame(frames.length, () => frameBits(bytes, start)) / 8);
		if (at + size > bytes.length) {
			throw new SpeexDecodeError(
				frames.length,
				`the data ends inside the frame (${bytes.length - at} of ${size} bytes present)`,
			);
		}
		frames.push(bytes.subarray(at, at + size));
		at += size;
	}
	return frames;
}

function decodeRaw(bytes: Uint8Array): DecodedSpeex {
	const frames = splitRawFrames(bytes);
	const decoder = new WidebandDecoder();
	const frame = new Float64Array(WIDEBAND_FRAME_SAMPLES);
	const samples = new Int16Array(frames.length * WIDEBAND_FRAME_SAMPLES);
	frames.forEach((data, index) => {
		if (!inFrame(index, () => decoder.decodeFrame(new BitReader(data), frame, 0))) {
			throw new SpeexDecodeError(index, 'the frame holds only a terminator');
		}
		toInt16(frame, WIDEBAND_FRAME_SAMPLES, samples, index * WIDEBAND_FRAME_SAMPLES);
	});
	return {
		samples,
		sampleRate: SPEEX_SAMPLE_RATE,
		layout: 'raw',
		frames: frames.length,
		rawFrames: frames,
	};
}

interface SpeexHeader {
	mode: number;
	framesPerPacket: number;
	extraHeaders: number;
	channels: number;
}

function readSpeexHeader(packet: Uint8Array | undefined): SpeexHeader {
	if (
		!packet ||
		packet.length < 80 ||
		Buffer.from(packet.subarray(0, 8)).toString('latin1') !== 'Speex   '
	) {
		throw new SpeexDecodeError(0, 'the Ogg stream does not start with a Speex header packet');
	}
	const view = new DataView(packet.buffer, packet.byteOffset, packet.length);
	return {
		mode: view.getInt32(40, true),
		channels: view.getInt32(48, true),
		framesPerPacket: Math.max(1, view.getInt32(64, true)),
		extraHeaders: Math.max(0, view.getInt32(68, true)),
	};
}

function decodeOgg(bytes: Uint8Array): DecodedSpeex {
	const packets = inFrame(0, () => readOggPackets(bytes));
	const header = readSpeexHeader(packets[0]?.data);
	if (header.mode !== 1) {
		throw new SpeexDecodeError(
			0,
			`the Ogg Speex header says mode ${header.mode}; only wideband (mode 1, 16 kHz) is supported`,
		);
	}
	if (header.channels !== 1) {
		throw new SpeexDecodeError(
			0,
			`the Ogg Speex header says ${header.channels} channels; only mono is supported`,
		);
	}
	const audio = packets.slice(2 + header.extraHeaders);
	const decoder = new WidebandDecoder();
	const frame = new Float64Array(WIDEBAND_FRAME_SAMPLES);
	const perPacket = header.framesPerPacket * WIDEBAND_FRAME_SAMPLES;
	// Upper bound: every packet full; cut to what was kept below.
	const samples = new Int16Array(audio.length * perPacket);
	let kept = 0;
	let frames = 0;
	const trims = pageTrims(packets, 2 + header.extraHeaders, perPacket);
	audio.forEach((packet, index) => {
		const bits = new BitReader(packet.data);
		const { skipStart, keepInPacket } = trims[index];
		for (let n = 0; n < header.framesPerPacket; n++) {
			if (!inFrame(frames, () => decoder.decodeFrame(bits, frame, 0))) break;
			frames++;
			let from = n === 0 ? Math.min(skipStart, WIDEBAND_FRAME_SAMPLES) : 0;
			let to = WIDEBAND_FRAME_SAMPLES;
			if (keepInPacket !== undefined)
				to = Math.max(0, Math.min(to, keepInPacket - n * WIDEBAND_FRAME_SAMPLES));
			if (from > to) from = to;
			toInt16(frame.subarray(from, to), to - from, samples, kept);
			kept += to - from;
		}
	});
	return {
		samples: samples.subarray(0, kept),
		sampleRate: SPEEX_SAMPLE_RATE,
		layout: 'ogg',
		frames,
	};
}

/**
 * Where the reference player (speexdec) cuts the decoded audio, from the granule positions: the
 * first packet of a page that holds fewer samples than its packets decode loses the encoder's
 * delay plus the decoder's look-ahead; on the last page the final packet is shortened instead.
 */
function pageTrims(
	packets: OggPacket[],
	firstAudio: number,
	perPacket: number,
): Array<{ skipStart: number; keepInPacket: number | undefined }> {
	const trims = packets
		.slice(firstAudio)
		.map(() => ({ skipStart: 0, keepInPacket: undefined as number | undefined }));
	let lastGranule = 0;
	let at = 0;
	while (at < packets.length) {
		let end = at;
		while (!packets[end].endsPage && end + 1 < packets.length) end++;
		const page = packets[end];
		const count = end - at + 1;
		let skip = 0;
		if (page.pageGranule > 0) {
			skip = count * perPacket - (page.pageGranule - lastGranule);
			if (page.lastPage) skip = -skip;
		}
		lastGranule = page.pageGranule;
		if (end >= firstAudio) {
			const first = Math.max(at, firstAudio) - firstAudio;
			if (skip > 0) trims[first].skipStart = skip + DECODER_LOOKAHEAD;
			if (skip < 0) trims[end - firstAudio].keepInPacket = perPacket + skip + DECODER_LOOKAHEAD;
		}
		at = end + 1;
	}
	return trims;
}

/** Decodes Speex wideband voice, raw frames or Ogg; throws SpeexDecodeError naming the frame. */
export function decodeSpeex(bytes: Uint8Array): DecodedSpeex {
	if (bytes.length === 0) throw new SpeexDecodeError(0, 'the voice file is empty');
	return isOgg(bytes) ? decodeOgg(bytes) : decodeRaw(bytes);
}

/** 16-bit PCM mono WAV. */
export function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
	const dataBytes = samples.length * 2;
	const out = Buffer.alloc(44 + dataBytes);
	out.write('RIFF', 0, 'latin1');
	out.writeUInt32LE(36 + dataBytes, 4);
	out.write('WAVEfmt ', 8, 'latin1');
	out.writeUInt32LE(16, 16);
	out.writeUInt16LE(1, 20); // PCM
	out.writeUInt16LE(1, 22); // mono
	out.writeUInt32LE(sampleRate, 24);
	out.writeUInt32LE(sampleRate * 2, 28);
	out.writeUInt16LE(2, 32);
	out.writeUInt16LE(16, 34);
	out.write('data', 36, 'latin1');
	out.writeUInt32LE(dataBytes, 40);
	for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i], 44 + 2 * i);
	return out;
}

const VENDOR = 'n8n-nodes-weixin-media';
const FRAMES_PER_PAGE = 50;

function speexHeaderPacket(): Buffer {
	const h = Buffer.alloc(80);
	h.write('Speex   ', 0, 'latin1');
	h.write('1.2.1', 8, 'latin1'); // bitstream written by libspeex 1.2.x encoders
	const fields = [1, 80, SPEEX_SAMPLE_RATE, 1, 4, 1, -1, WIDEBAND_FRAME_SAMPLES, 0, 1, 0, 0, 0];
	// version id, header size, rate, mode (wideband), mode bitstream version, channels,
	// bitrate (unknown), frame size, vbr, frames per packet, extra headers, reserved x2
	fields.forEach((value, i) => h.writeInt32LE(value, 28 + 4 * i));
	return h;
}

function commentPacket(): Buffer {
	const vendor = Buffer.from(VENDOR, 'utf8');
	const out = Buffer.alloc(8 + vendor.length);
	out.writeUInt32LE(vendor.length, 0);
	vendor.copy(out, 4);
	out.writeUInt32LE(0, 4 + vendor.length);
	return out;
}

/**
 * A standard Ogg Speex stream (header, comment, one frame per packet, granule positions, CRCs).
 * An Ogg input is returned unchanged.
 */
export function toOggSpeex(
	original: Uint8Array,
	decoded: DecodedSpeex,
	serial = 0x5745_4958,
): Buffer {
	if (decoded.layout === 'ogg') return Buffer.from(original);
	const frames = decoded.rawFrames ?? [];
	const pages: Buffer[] = [];
	let sequence = 0;
	pages.push(
		writeOggPage(serial, sequence++, { packets: [speexHeaderPacket()], granule: 0, first: true }),
	);
	pages.push(
		writeOggPage(serial, sequence++, {
			packets: [commentPacket()],
			granule: 0,
			last: frames.length === 0,
		}),
	);
	for (let at = 0; at < frames.length; at += FRAMES_PER_PAGE) {
		const packets = frames.slice(at, at + FRAMES_PER_PAGE);
		const end = at + packets.length;
		pages.push(
			writeOggPage(serial, sequence++, {
				packets,
				granule: end * WIDEBAND_FRAME_SAMPLES,
				last: end === frames.length,
			}),
		);
	}
	return Buffer.concat(pages);
}
