/**
 * Speex wideband (16 kHz, sub-band CELP) decoder, written for this project from the codec's
 * published description (the Speex manual and the bitstream layout). Only the codebooks in
 * ./tables.ts come from the reference implementation (see LICENSE-speex).
 *
 * A wideband frame is a narrowband CELP frame for 0-4 kHz (8 kHz sampling, 160 samples) followed
 * by a high-band layer for 4-8 kHz; a QMF filter bank rebuilds 320 samples at 16 kHz.
 * Arithmetic follows the reference decoder's floating-point build, without the optional
 * perceptual enhancer (like `speexdec --no-enh`).
 */
import { BitReader, SpeexFormatError } from './bitReader';
import { HIGH_BAND_MODES, NARROWBAND_MODES } from './modes';
import type { Codebook, NarrowbandMode } from './modes';
import * as T from './tables';

export const WIDEBAND_FRAME_SAMPLES = 320;

const FRAME = 160;
const SUBFRAME = 40;
const SUBFRAMES = 4;
const NB_ORDER = 10;
const HB_ORDER = 8;
const PITCH_MIN = 17;
const PITCH_MAX = 144;
/** Past excitation kept before the current frame: two pitch periods plus a sub-frame of delay. */
const EXC_HISTORY = 2 * PITCH_MAX + SUBFRAME + 6;
const EXC_BUFFER = EXC_HISTORY + FRAME + 6;
const NB_LSP_MARGIN = 0.002;
const HB_LSP_MARGIN = 0.05;
const FOLDING_GAIN = 0.9;
const QMF_HALF = T.QMF_H0.length / 2;
const TINY = 1e-15;
/** The QMF prototype split into its even and odd taps, newest-sample tap last. */
const EVEN_TAPS = Float64Array.from(
	{ length: QMF_HALF },
	(_, m) => T.QMF_H0[2 * (QMF_HALF - 1 - m)],
);
const ODD_TAPS = Float64Array.from(
	{ length: QMF_HALF },
	(_, m) => T.QMF_H0[2 * (QMF_HALF - 1 - m) + 1],
);

/** cos() as the reference float build approximates it when turning LSPs into polynomial roots. */
function lspCosine(w: number): number {
	const c1 = 0.9999932946;
	const c2 = -0.4999124376;
	const c3 = 0.0414877472;
	const c4 = -0.0012712095;
	if (w < 1.5707963268) {
		const x = w * w;
		return c1 + x * (c2 + x * (c3 + c4 * x));
	}
	const x = (Math.PI - w) * (Math.PI - w);
	return -(c1 + x * (c2 + x * (c3 + c4 * x)));
}

/**
 * LSPs → LPC coefficients a1..aN of A(z) = (P(z) + Q(z)) / 2, where P gathers the even-indexed
 * LSPs with a root at z = -1 and Q the odd-indexed ones with a root at z = 1.
 */
function lspToLpc(
	lsp: Float64Array,
	order: number,
	lpc: Float64Array,
	p: Float64Array,
	q: Float64Array,
): void {
	p.fill(0, 0, order + 2);
	q.fill(0, 0, order + 2);
	p[0] = 1;
	q[0] = 1;
	let degree = 0;
	for (let k = 0; k < order; k += 2) {
		const xp = -2 * lspCosine(lsp[k]);
		const xq = -2 * lspCosine(lsp[k + 1]);
		// multiply by (1 + x z^-1 + z^-2) in place, highest coefficient first (entries above
		// `degree` are zero)
		for (let j = degree + 2; j >= 2; j--) {
			p[j] += xp * p[j - 1] + p[j - 2];
			q[j] += xq * q[j - 1] + q[j - 2];
		}
		p[1] += xp;
		q[1] += xq;
		degree += 2;
	}
	for (let j = 1; j <= order; j++) {
		// P·(1 + z^-1) and Q·(1 - z^-1), coefficient j
		lpc[j - 1] = 0.5 * (p[j] + p[j - 1] + (q[j] - q[j - 1]));
	}
}

/** Interpolates LSPs for a sub-frame and keeps them ordered and apart (filter stability). */
function interpolateLsp(
	previous: Float64Array,
	current: Float64Array,
	out: Float64Array,
	order: number,
	subframe: number,
	margin: number,
): void {
	const weight = (1 + subframe) / SUBFRAMES;
	for (let i = 0; i < order; i++) out[i] = (1 - weight) * previous[i] + weight * current[i];
	if (out[0] < margin) out[0] = margin;
	if (out[order - 1] > Math.PI - margin) out[order - 1] = Math.PI - margin;
	for (let i = 1; i < order - 1; i++) {
		if (out[i] < out[i - 1] + margin) out[i] = out[i - 1] + margin;
		if (out[i] > out[i + 1] - margin) out[i] = 0.5 * (out[i] + out[i + 1] - margin);
	}
}

/**
 * All-pole synthesis 1/A(z) in transposed form; `memory` carries over between calls. Written out
 * for 10 coefficients (the high band's 8 are padded with zeros, which leaves the result unchanged).
 */
function synthesise(
	input: Float64Array,
	inputAt: number,
	lpc: Float64Array,
	output: Float64Array,
	outputAt: number,
	length: number,
	memory: Float64Array,
): void {
	const a0 = lpc[0],
		a1 = lpc[1],
		a2 = lpc[2],
		a3 = lpc[3],
		a4 = lpc[4];
	const a5 = lpc[5],
		a6 = lpc[6],
		a7 = lpc[7],
		a8 = lpc[8],
		a9 = lpc[9];
	let m0 = memory[0],
		m1 = memory[1],
		m2 = memory[2],
		m3 = memory[3],
		m4 = memory[4];
	let m5 = memory[5],
		m6 = memory[6],
		m7 = memory[7],
		m8 = memory[8],
		m9 = memory[9];
	for (let i = 0; i < length; i++) {
		const y = input[inputAt + i] + m0;
		m0 = m1 - a0 * y;
		m1 = m2 - a1 * y;
		m2 = m3 - a2 * y;
		m3 = m4 - a3 * y;
		m4 = m5 - a4 * y;
		m5 = m6 - a5 * y;
		m6 = m7 - a6 * y;
		m7 = m8 - a7 * y;
		m8 = m9 - a8 * y;
		m9 = -a9 * y;
		output[outputAt + i] = y;
	}
	memory[0] = m0;
	memory[1] = m1;
	memory[2] = m2;
	memory[3] = m3;
	memory[4] = m4;
	memory[5] = m5;
	memory[6] = m6;
	memory[7] = m7;
	memory[8] = m8;
	memory[9] = m9;
}

function rms(x: Float64Array, at: number, length: number): number {
	let sum = 0;
	for (let i = 0; i < length; i++) sum += x[at + i] * x[at + i];
	return Math.sqrt(0.1 + sum / length);
}

/** Adds one sub-frame of split-VQ innovation (sign + shape index per sub-vector). */
function addInnovation(bits: BitReader, book: Codebook, out: Float64Array): void {
	for (let v = 0; v < book.vectors; v++) {
		const sign = book.signed && bits.read(1) === 1 ? -0.03125 : 0.03125;
		const shape = bits.read(book.indexBits) * book.vectorSize;
		const at = v * book.vectorSize;
		for (let j = 0; j < book.vectorSize; j++) out[at + j] += sign * book.shapes[shape + j];
	}
}

class NoiseSource {
	private seed = 1000;

	/** Uniform noise with standard deviation `std` (linear congruential generator). */
	next(std: number): number {
		this.seed = (Math.imul(1664525, this.seed) + 1013904223) >>> 0;
		const uniform = (this.seed & 0x7fffff) / 8388608 - 0.5;
		return 3.4642 * std * uniform;
	}
}

/** Decodes the 0-4 kHz layer; also exposes what the high band needs from it. */
class NarrowbandDecoder {
	/** Filter gain at 4 kHz per sub-frame, used to match the high band's level. */
	readonly gainAtNyquist = new Float64Array(SUBFRAMES);
	readonly excitationRms = new Float64Array(SUBFRAMES);
	/** Innovation of the last frame (folded into the high band by high-band mode 1). */
	readonly innovation = new Float64Array(FRAME);
	/** Set by the vocoder mode when the encoder signalled discontinuous transmission. */
	dtx = false;

	private readonly excitation = new Float64Array(EXC_BUFFER);
	private readonly oldLsp = new Float64Array(NB_ORDER);
	private readonly lsp = new Float64Array(NB_ORDER);
	private readonly subLsp = new Float64Array(NB_ORDER);
	private readonly lpc = new Float64Array(NB_ORDER);
	/** LPC of the previous sub-frame: synthesis runs one sub-frame behind the excitation. */
	private readonly filterLpc = new Float64Array(NB_ORDER);
	private readonly synthesisMemory = new Float64Array(NB_ORDER);
	private readonly highpassMemory = new Float64Array(2);
	private readonly polyP = new Float64Array(NB_ORDER + 2);
	private readonly polyQ = new Float64Array(NB_ORDER + 2);
	private readonly adaptive = new Float64Array(SUBFRAME);
	private readonly fixed = new Float64Array(SUBFRAME);
	private readonly second = new Float64Array(SUBFRAME);
	private first = true;
	private vocoderOffset = 0;
	private vocoderPrevExcitation = 0;
	private vocoderPrevInnovation = 0;
	private vocoderMean = 0;

	constructor(private readonly noise: NoiseSource) {}

	decode(bits: BitReader, modeId: number, out: Float64Array): void {
		const exc = this.excitation;
		exc.copyWithin(0, FRAME, EXC_BUFFER);
		const mode = NARROWBAND_MODES[modeId];
		if (!mode) {
			this.silentFrame(out);
			return;
		}

		this.readLsp(bits, mode);
		if (this.first) this.oldLsp.set(this.lsp);
		const openLoopPitch = mode.openLoopPitchMargin === undefined ? 0 : PITCH_MIN + bits.read(7);
		const forcedGain = mode.forcedPitchGain ? 0.066667 * bits.read(4) : 0;
		const frameGain = Math.exp(bits.read(5) / 3.5);
		if (modeId === 1) this.dtx = bits.read(4) === 15;
		else this.dtx = false;

		for (let sub = 0; sub < SUBFRAMES; sub++) {
			const at = EXC_HISTORY + sub * SUBFRAME;
			exc.fill(0, at, at + SUBFRAME);
			const adaptive = this.adaptive;
			if (mode.forcedPitchGain) {
				const gain = Math.min(forcedGain, 0.99);
				for (let i = 0; i < SUBFRAME; i++) {
					adaptive[i] = exc[at + i - openLoopPitch] * gain;
					exc[at + i] = adaptive[i];
				}
			} else {
				const quantiser = mode.pitch!;
				let lagMin = PITCH_MIN;
				if (mode.openLoopPitchMargin !== undefined) lagMin = openLoopPitch;
				this.pitchContribution(bits, quantiser, lagMin, at);
			}
			for (let i = 0; i < SUBFRAME; i++) {
				const v = adaptive[i];
				if (!(v >= -32000 && v <= 32000)) adaptive[i] = v < -32000 ? -32000 : v > 32000 ? 32000 : 0;
			}

			let gain = frameGain;
			if (mode.subframeGainBits === 3) gain *= T.SUBFRAME_GAIN_3BIT[bits.read(3)];
			else if (mode.subframeGainBits === 1) gain *= T.SUBFRAME_GAIN_1BIT[bits.read(1)];

			const fixed = this.fixed;
			fixed.fill(0);
			if (mode.innovation) {
				addInnovation(bits, mode.innovation, fixed);
				for (let i = 0; i < SUBFRAME; i++) fixed[i] *= gain;
				if (mode.doubleCodebook) {
					const second = this.second;
					second.fill(0);
					addInnovation(bits, mode.innovation, second);
					const secondGain = 0.454545 * gain;
					for (let i = 0; i < SUBFRAME; i++) fixed[i] += second[i] * secondGain;
				}
			} else {
				for (let i = 0; i < SUBFRAME; i++) fixed[i] = this.noise.next(1) * gain;
			}
			for (let i = 0; i < SUBFRAME; i++) {
				exc[at + i] = adaptive[i] + fixed[i];
				this.innovation[sub * SUBFRAME + i] = fixed[i];
			}
			if (modeId === 1) this.vocoderExcitation(at, forcedGain, frameGain, openLoopPitch);
		}

		// The output lags the excitation by one sub-frame.
		for (let i = 0; i < FRAME; i++) out[i] = exc[EXC_HISTORY - SUBFRAME + i];
		for (let sub = 0; sub < SUBFRAMES; sub++) {
			interpolateLsp(this.oldLsp, this.lsp, this.subLsp, NB_ORDER, sub, NB_LSP_MARGIN);
			lspToLpc(this.subLsp, NB_ORDER, this.lpc, this.polyP, this.polyQ);
			let atNyquist = 1;
			for (let i = 0; i < NB_ORDER; i += 2) atNyquist += this.lpc[i + 1] - this.lpc[i];
			this.gainAtNyquist[sub] = atNyquist;
			synthesise(
				out,
				sub * SUBFRAME,
				this.filterLpc,
				out,
				sub * SUBFRAME,
				SUBFRAME,
				this.synthesisMemory,
			);
			this.filterLpc.set(this.lpc);
		}
		this.highpass(out);
		this.oldLsp.set(this.lsp);
		this.first = false;
		this.measureExcitation();
	}

	/** Mode 0: nothing transmitted; comfort noise at the previous level through a widened filter. */
	private silentFrame(out: Float64Array): void {
		const exc = this.excitation;
		const lpc = new Float64Array(NB_ORDER);
		let factor = 0.93;
		for (let i = 0; i < NB_ORDER; i++) {
			lpc[i] = this.filterLpc[i] * factor;
			factor *= 0.93;
		}
		const level = rms(exc, EXC_HISTORY, FRAME);
		for (let i = 0; i < FRAME; i++) exc[EXC_HISTORY + i] = this.noise.next(level);
		this.first = true;
		synthesise(exc, EXC_HISTORY, lpc, out, 0, FRAME, this.synthesisMemory);
		this.innovation.fill(0);
		this.measureExcitation();
	}

	private measureExcitation(): void {
		for (let sub = 0; sub < SUBFRAMES; sub++) {
			this.excitationRms[sub] = rms(this.excitation, EXC_HISTORY + sub * SUBFRAME, SUBFRAME);
		}
	}

	private readLsp(bits: BitReader, mode: NarrowbandMode): void {
		const lsp = this.lsp;
		for (let i = 0; i < NB_ORDER; i++) lsp[i] = 0.25 * i + 0.25;
		let index = bits.read(6);
		for (let i = 0; i < 10; i++) lsp[i] += 0.0039062 * T.LSP_NB[index * 10 + i];
		if (mode.lsp === 'high') {
			index = bits.read(6);
			for (let i = 0; i < 5; i++) lsp[i] += 0.0019531 * T.LSP_NB_LOW1[index * 5 + i];
			index = bits.read(6);
			for (let i = 0; i < 5; i++) lsp[i] += 0.00097656 * T.LSP_NB_LOW2[index * 5 + i];
			index = bits.read(6);
			for (let i = 0; i < 5; i++) lsp[i + 5] += 0.0019531 * T.LSP_NB_HIGH1[index * 5 + i];
			index = bits.read(6);
			for (let i = 0; i < 5; i++) lsp[i + 5] += 0.00097656 * T.LSP_NB_HIGH2[index * 5 + i];
		} else {
			index = bits.read(6);
			for (let i = 0; i < 5; i++) lsp[i] += 0.0019531 * T.LSP_NB_LOW1[index * 5 + i];
			index = bits.read(6);
			for (let i = 0; i < 5; i++) lsp[i + 5] += 0.0019531 * T.LSP_NB_HIGH1[index * 5 + i];
		}
	}

	/** 3-tap long-term predictor: lags L-1, L, L+1 of the past excitation, repeated if L is short. */
	private pitchContribution(
		bits: BitReader,
		quantiser: NonNullable<NarrowbandMode['pitch']>,
		lagMin: number,
		at: number,
	): void {
		const lag = lagMin + bits.read(quantiser.lagBits);
		const entry = bits.read(quantiser.gainBits) * 4;
		const exc = this.excitation;
		const adaptive = this.adaptive;
		adaptive.fill(0);
		for (let tap = 0; tap < 3; tap++) {
			const delay = lag + 1 - tap;
			const gain = 0.015625 * quantiser.gains[entry + 2 - tap] + 0.5;
			const direct = Math.min(SUBFRAME, delay);
			for (let j = 0; j < direct; j++) adaptive[j] += gain * exc[at + j - delay];
			const repeated = Math.min(SUBFRAME, delay + lag);
			for (let j = direct; j < repeated; j++) adaptive[j] += gain * exc[at + j - delay - lag];
		}
	}

	/** Mode 1 (2.15 kbit/s): pulse train at the pitch period mixed with noise. */
	private vocoderExcitation(at: number, pitchGain: number, frameGain: number, pitch: number): void {
		const exc = this.excitation;
		let voicing = 1.5 * (pitchGain - 0.2);
		if (voicing < 0) voicing = 0;
		if (voicing > 1) voicing = 1;
		exc.fill(0, at, at + SUBFRAME);
		while (this.vocoderOffset < SUBFRAME) {
			if (this.vocoderOffset >= 0) {
				exc[at + this.vocoderOffset] = Math.sqrt(2 * pitch) * voicing * frameGain;
			}
			this.vocoderOffset += pitch;
		}
		this.vocoderOffset -= SUBFRAME;
		const sub = (at - EXC_HISTORY) / SUBFRAME;
		for (let i = 0; i < SUBFRAME; i++) {
			const pulse = exc[at + i];
			const noise = this.innovation[sub * SUBFRAME + i];
			const mixed =
				0.7 * pulse +
				0.3 * this.vocoderPrevExcitation +
				((1 - 0.85 * voicing) * noise - 0.15 * voicing * this.vocoderPrevInnovation);
			this.vocoderPrevExcitation = pulse;
			this.vocoderPrevInnovation = noise;
			this.vocoderMean = 0.8 * this.vocoderMean + 0.2 * mixed;
			exc[at + i] = mixed - this.vocoderMean;
		}
	}

	/** Second-order high-pass on the output (the reference's "wideband output" filter). */
	private highpass(x: Float64Array): void {
		const b0 = 0.98645;
		const b1 = -1.97277;
		const b2 = 0.98645;
		const a1 = -1.97226;
		const a2 = 0.97332;
		const mem = this.highpassMemory;
		for (let i = 0; i < FRAME; i++) {
			const input = x[i];
			const y = b0 * input + mem[0];
			mem[0] = mem[1] + b1 * input - a1 * y;
			mem[1] = b2 * input - a2 * y;
			x[i] = y;
		}
	}
}

/** Decodes the 4-8 kHz layer and merges both bands. */
export class WidebandDecoder {
	private readonly noise = new NoiseSource();
	private readonly narrowband = new NarrowbandDecoder(this.noise);
	private readonly low = new Float64Array(FRAME);
	private readonly high = new Float64Array(FRAME);
	private readonly oldLsp = new Float64Array(HB_ORDER);
	private readonly lsp = new Float64Array(HB_ORDER);
	private readonly subLsp = new Float64Array(HB_ORDER);
	// sized for the 10-coefficient synthesis; the last two stay zero
	private readonly lpc = new Float64Array(NB_ORDER);
	private readonly filterLpc = new Float64Array(NB_ORDER);
	private readonly synthesisMemory = new Float64Array(NB_ORDER);
	private readonly polyP = new Float64Array(HB_ORDER + 2);
	private readonly polyQ = new Float64Array(HB_ORDER + 2);
	/** Excitation of the previous sub-frame (the high band also runs one sub-frame behind). */
	private readonly previousExcitation = new Float64Array(SUBFRAME);
	private readonly excitation = new Float64Array(SUBFRAME);
	private readonly second = new Float64Array(SUBFRAME);
	/** Band difference and sum with QMF_HALF - 1 samples of history in front. */
	private readonly bandDiff = new Float64Array(QMF_HALF - 1 + FRAME);
	private readonly bandSum = new Float64Array(QMF_HALF - 1 + FRAME);
	private first = true;
	private lastEnergy = 0;

	/**
	 * Decodes one frame from `bits` into out[at .. at+320) (16-bit scale, not yet rounded).
	 * Returns false at a terminator (no more frames in this packet).
	 */
	decodeFrame(bits: BitReader, out: Float64Array, at: number): boolean {
		if (bits.remaining() < 5) return false;
		if (bits.read(1) === 1) {
			throw new SpeexFormatError(
				'the frame starts with a high-band layer instead of the narrowband one',
			);
		}
		const modeId = bits.read(4);
		if (modeId === 15) return false;
		if (modeId > 8) {
			throw new SpeexFormatError(
				modeId >= 13
					? `in-band request (narrowband mode ${modeId}) is not supported`
					: `invalid narrowband mode ${modeId}`,
			);
		}
		this.narrowband.decode(bits, modeId, this.low);
		this.decodeHighBand(bits);
		this.mergeBands(out, at);
		return true;
	}

	private decodeHighBand(bits: BitReader): void {
		let modeId = 0;
		if (bits.peekBit() === 1) {
			bits.read(1);
			modeId = bits.read(3);
		}
		const mode = HIGH_BAND_MODES[modeId];
		if (modeId !== 0 && !mode) throw new SpeexFormatError(`invalid high-band mode ${modeId}`);
		const high = this.high;
		if (!mode) {
			if (this.narrowband.dtx) {
				for (let i = 0; i < FRAME; i++) high[i] = this.noise.next(this.lastEnergy);
			} else {
				high.fill(TINY);
			}
			this.first = true;
			synthesise(high, 0, this.filterLpc, high, 0, FRAME, this.synthesisMemory);
			return;
		}

		const lsp = this.lsp;
		for (let i = 0; i < HB_ORDER; i++) lsp[i] = 0.3125 * i + 0.75;
		let index = bits.read(6);
		for (let i = 0; i < HB_ORDER; i++) lsp[i] += 0.0039062 * T.LSP_HIGH1[index * HB_ORDER + i];
		index = bits.read(6);
		for (let i = 0; i < HB_ORDER; i++) lsp[i] += 0.0019531 * T.LSP_HIGH2[index * HB_ORDER + i];
		if (this.first) this.oldLsp.set(lsp);

		let energySum = 0;
		const exc = this.excitation;
		for (let sub = 0; sub < SUBFRAMES; sub++) {
			const offset = sub * SUBFRAME;
			interpolateLsp(this.oldLsp, lsp, this.subLsp, HB_ORDER, sub, HB_LSP_MARGIN);
			lspToLpc(this.subLsp, HB_ORDER, this.lpc, this.polyP, this.polyQ);
			let highAtNyquist = 1;
			for (let i = 0; i < HB_ORDER; i += 2) highAtNyquist += this.lpc[i + 1] - this.lpc[i];
			// Both filters meet at 4 kHz: scale the high band so its level continues the low band's.
			const ratio = Math.max(
				TINY,
				(this.narrowband.gainAtNyquist[sub] + 0.01) / (highAtNyquist + 0.01),
			);
			exc.fill(0);
			if (!mode.innovation) {
				const gain = Math.exp(0.125 * (bits.read(5) - 10)) / ratio;
				const folded = this.narrowband.innovation;
				for (let i = 0; i < SUBFRAME; i += 2) {
					exc[i] = FOLDING_GAIN * folded[offset + i] * gain;
					exc[i + 1] = -(FOLDING_GAIN * folded[offset + i + 1] * gain);
				}
			} else {
				const gain = 0.8736 * T.HIGH_GAIN[bits.read(4)];
				const scale = (gain * this.narrowband.excitationRms[sub]) / ratio;
				addInnovation(bits, mode.innovation, exc);
				for (let i = 0; i < SUBFRAME; i++) exc[i] *= scale;
				if (mode.doubleCodebook) {
					const second = this.second;
					second.fill(0);
					addInnovation(bits, mode.innovation, second);
					for (let i = 0; i < SUBFRAME; i++) exc[i] += second[i] * 0.4 * scale;
				}
			}
			synthesise(
				this.previousExcitation,
				0,
				this.filterLpc,
				high,
				offset,
				SUBFRAME,
				this.synthesisMemory,
			);
			this.previousExcitation.set(exc);
			this.filterLpc.set(this.lpc);
			const level = rms(this.previousExcitation, 0, SUBFRAME);
			energySum += (level * level) / SUBFRAMES;
		}
		this.lastEnergy = Math.sqrt(energySum);
		this.oldLsp.set(lsp);
		this.first = false;
	}

	/** QMF synthesis: even outputs from the even taps on (low - high), odd ones on (low + high). */
	private mergeBands(out: Float64Array, at: number): void {
		const history = QMF_HALF - 1;
		const diff = this.bandDiff;
		const sum = this.bandSum;
		for (let i = 0; i < FRAME; i++) {
			diff[history + i] = this.low[i] - this.high[i];
			sum[history + i] = this.low[i] + this.high[i];
		}
		// two output pairs per pass, each loaded sample used for both
		for (let n = 0; n < FRAME; n += 2) {
			let even0 = 0;
			let even1 = 0;
			let odd0 = 0;
			let odd1 = 0;
			let d0 = diff[n];
			let s0 = sum[n];
			for (let m = 0; m < QMF_HALF; m++) {
				const d1 = diff[n + m + 1];
				const s1 = sum[n + m + 1];
				const evenTap = EVEN_TAPS[m];
				const oddTap = ODD_TAPS[m];
				even0 += evenTap * d0;
				even1 += evenTap * d1;
				odd0 += oddTap * s0;
				odd1 += oddTap * s1;
				d0 = d1;
				s0 = s1;
			}
			out[at + 2 * n] = 2 * even0;
			out[at + 2 * n + 1] = 2 * odd0;
			out[at + 2 * n + 2] = 2 * even1;
			out[at + 2 * n + 3] = 2 * odd1;
		}
		diff.copyWithin(0, FRAME, FRAME + history);
		sum.copyWithin(0, FRAME, FRAME + history);
	}
}

/** Bits one frame takes, from its mode fields; the frame starts at byte `byteOffset`. */
export function frameBits(bytes: Uint8Array, byteOffset: number): number {
	const bits = new BitReader(bytes, byteOffset);
	if (bits.remaining() < 5) throw new SpeexFormatError('fewer than 5 bits left for a frame header');
	if (bits.read(1) === 1) {
		throw new SpeexFormatError(
			'the frame starts with a high-band layer instead of the narrowband one',
		);
	}
	const modeId = bits.read(4);
	const mode = NARROWBAND_MODES[modeId];
	// mode 0: nothing sent for the low band (silence in discontinuous transmission)
	if (!mode && modeId !== 0) {
		throw new SpeexFormatError(`narrowband mode ${modeId} does not start a speech frame`);
	}
	const lowBits = mode?.bits ?? 5;
	bits.skip(lowBits - 5);
	if (bits.remaining() < 4 || bits.peekBit() !== 1) return lowBits;
	bits.read(1);
	const highId = bits.read(3);
	const high = HIGH_BAND_MODES[highId];
	if (!high) throw new SpeexFormatError(`invalid high-band mode ${highId}`);
	return lowBits + high.bits;
}
