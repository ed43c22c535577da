/** Reads a Speex bitstream: fields are packed most significant bit first. */
export class BitReader {
	private position: number;

	constructor(
		private readonly bytes: Uint8Array,
		startByte = 0,
		private readonly endBit = bytes.length * 8,
	) {
		this.position = startByte * 8;
	}

	get bitPosition(): number {
		return this.position;
	}

	remaining(): number {
		return this.endBit - this.position;
	}

	/** Reads `count` bits as an unsigned number; throws when the data runs out. */
	read(count: number): number {
		if (count > this.remaining()) {
			throw new SpeexFormatError(
				`the frame ends early (needed ${count} more bits at bit ${this.position})`,
			);
		}
		let value = 0;
		let position = this.position;
		let left = count;
		while (left > 0) {
			const free = 8 - (position & 7);
			const take = free < left ? free : left;
			const chunk = (this.bytes[position >> 3] >> (free - take)) & ((1 << take) - 1);
			value = (value << take) | chunk;
			position += take;
			left -= take;
		}
		this.position = position;
		return value;
	}

	peekBit(): number {
		if (this.remaining() <= 0) return 0;
		return (this.bytes[this.position >> 3] >> (7 - (this.position & 7))) & 1;
	}

	skip(count: number): void {
		this.position += count;
	}
}

/** A stream that is not valid Speex; the message says what was wrong. */
export class SpeexFormatError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'SpeexFormatError';
	}
}
