/** Ogg pages (RFC 3533) carrying Speex: reading packets back out and writing a stream. */
import { SpeexFormatError } from './bitReader';

export interface OggPacket {
	data: Uint8Array;
	/** Granule position of the page on which the packet ends. */
	pageGranule: number;
	/** Index (from 0) of the page on which the packet ends. */
	pageIndex: number;
	/** The last packet ending on its page. */
	endsPage: boolean;
	/** Its page is flagged end-of-stream. */
	lastPage: boolean;
}

export function isOgg(bytes: Uint8Array): boolean {
	return (
		bytes.length >= 4 &&
		bytes[0] === 0x4f &&
		bytes[1] === 0x67 &&
		bytes[2] === 0x67 &&
		bytes[3] === 0x53
	);
}

function readGranule(bytes: Uint8Array, at: number): number {
	const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
	const low = view.getUint32(0, true);
	const high = view.getInt32(4, true);
	return high * 0x100000000 + low;
}

/** Splits an Ogg stream (first logical stream only) into packets. */
export function readOggPackets(bytes: Uint8Array): OggPacket[] {
	const packets: OggPacket[] = [];
	let pending: Uint8Array[] = [];
	let at = 0;
	let pageIndex = 0;
	let serial: number | undefined;
	while (at < bytes.length) {
		if (at + 27 > bytes.length || !isOgg(bytes.subarray(at))) {
			throw new SpeexFormatError(
				`Ogg page ${pageIndex} is cut off or missing its "OggS" capture pattern (byte ${at})`,
			);
		}
		const flags = bytes[at + 5];
		const granule = readGranule(bytes, at + 6);
		const pageSerial = new DataView(bytes.buffer, bytes.byteOffset + at + 14, 4).getUint32(0, true);
		const segments = bytes[at + 26];
		const lacing = bytes.subarray(at + 27, at + 27 + segments);
		let bodyAt = at + 27 + segments;
		const bodyLength = lacing.reduce((sum, size) => sum + size, 0);
		if (bodyAt + bodyLength > bytes.length) {
			throw new SpeexFormatError(`Ogg page ${pageIndex} is cut off (byte ${at})`);
		}
		serial ??= pageSerial;
		const ownStream = pageSerial === serial;
		const pagePackets: OggPacket[] = [];
		for (let s = 0; s < segments; s++) {
			const size = lacing[s];
			if (ownStream) pending.push(bytes.subarray(bodyAt, bodyAt + size));
			bodyAt += size;
			if (size < 255 && ownStream) {
				const data = concat(pending);
				pending = [];
				pagePackets.push({
					data,
					pageGranule: granule,
					pageIndex,
					endsPage: false,
					lastPage: (flags & 4) !== 0,
				});
			}
		}
		if (pagePackets.length > 0) pagePackets[pagePackets.length - 1].endsPage = true;
		packets.push(...pagePackets);
		at = bodyAt;
		pageIndex++;
	}
	return packets;
}

function concat(parts: Uint8Array[]): Uint8Array {
	if (parts.length === 1) return parts[0];
	const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.length;
	}
	return out;
}

const CRC_TABLE = (() => {
	const table = new Uint32Array(256);
	for (let i = 0; i < 256; i++) {
		let r = i << 24;
		for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
		table[i] = r >>> 0;
	}
	return table;
})();

export function oggCrc(page: Uint8Array): number {
	let crc = 0;
	for (let i = 0; i < page.length; i++) {
		crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ page[i]) & 0xff]) >>> 0;
	}
	return crc;
}

export interface OggPageInput {
	packets: Uint8Array[];
	granule: number;
	first?: boolean;
	last?: boolean;
}

/** Writes one page holding whole packets (each under 255 * 255 bytes in total). */
export function writeOggPage(serial: number, sequence: number, page: OggPageInput): Buffer {
	const lacing: number[] = [];
	for (const packet of page.packets) {
		let left = packet.length;
		while (left >= 255) {
			lacing.push(255);
			left -= 255;
		}
		lacing.push(left);
	}
	if (lacing.length > 255) throw new Error('too many packets for one Ogg page');
	const bodyLength = page.packets.reduce((sum, p) => sum + p.length, 0);
	const out = Buffer.alloc(27 + lacing.length + bodyLength);
	out.write('OggS', 0, 'latin1');
	out[4] = 0;
	out[5] = (page.first ? 2 : 0) | (page.last ? 4 : 0);
	out.writeUInt32LE(page.granule % 0x100000000, 6);
	out.writeUInt32LE(Math.floor(page.granule / 0x100000000), 10);
	out.writeUInt32LE(serial, 14);
	out.writeUInt32LE(sequence, 18);
	out[26] = lacing.length;
	out.set(lacing, 27);
	let at = 27 + lacing.length;
	for (const packet of page.packets) {
		out.set(packet, at);
		at += packet.length;
	}
	out.writeUInt32LE(oggCrc(out), 22);
	return out;
}
