/**
 * The Speex sub-modes a decoder must know: how many bits each layer takes and which
 * quantisers it uses (Speex manual, "Speex narrowband mode" / "Speex wideband mode").
 */
import * as T from './tables';

export interface Codebook {
	shapes: Int8Array;
	/** Samples per sub-vector. */
	vectorSize: number;
	/** Sub-vectors per 40-sample sub-frame. */
	vectors: number;
	indexBits: number;
	/** Each sub-vector carries a sign bit before its index. */
	signed: boolean;
}

export interface PitchQuantiser {
	gains: Int8Array;
	gainBits: number;
	lagBits: number;
}

export interface NarrowbandMode {
	/** Bits of the whole narrowband layer, the 5 header bits included. */
	bits: number;
	/** 'low' = 3-stage LSP VQ (18 bits), 'high' = 5-stage (30 bits). */
	lsp: 'low' | 'high';
	/** A 7-bit open-loop pitch in the frame header; the sub-frame lag is searched around it. */
	openLoopPitchMargin: number | undefined;
	/** One 4-bit pitch gain for the frame instead of 3-tap predictors. */
	forcedPitchGain: boolean;
	subframeGainBits: 0 | 1 | 3;
	pitch: PitchQuantiser | undefined;
	/** undefined = noise excitation (the 2.15 kbit/s vocoder mode). */
	innovation: Codebook | undefined;
	doubleCodebook: boolean;
}

export interface HighBandMode {
	/** Bits of the whole high-band layer, its 4 header bits included. */
	bits: number;
	/** undefined = the high band is folded from the low band's innovation. */
	innovation: Codebook | undefined;
	doubleCodebook: boolean;
}

const codebook = (
	shapes: Int8Array,
	vectorSize: number,
	vectors: number,
	indexBits: number,
	signed = false,
): Codebook => ({ shapes, vectorSize, vectors, indexBits, signed });

const pitch = (gains: Int8Array, gainBits: number, lagBits: number): PitchQuantiser => ({
	gains,
	gainBits,
	lagBits,
});

/** Indexed by the 4-bit narrowband mode number; 0 and 9..15 carry no speech. */
export const NARROWBAND_MODES: Array<NarrowbandMode | undefined> = [
	undefined,
	{
		bits: 43,
		lsp: 'low',
		openLoopPitchMargin: 0,
		forcedPitchGain: true,
		subframeGainBits: 0,
		pitch: undefined,
		innovation: undefined,
		doubleCodebook: false,
	},
	{
		bits: 119,
		lsp: 'low',
		openLoopPitchMargin: 0,
		forcedPitchGain: false,
		subframeGainBits: 0,
		pitch: pitch(T.PITCH_GAIN_32, 5, 0),
		innovation: codebook(T.EXC_10_16, 10, 4, 4),
		doubleCodebook: false,
	},
	{
		bits: 160,
		lsp: 'low',
		openLoopPitchMargin: undefined,
		forcedPitchGain: false,
		subframeGainBits: 1,
		pitch: pitch(T.PITCH_GAIN_32, 5, 7),
		innovation: codebook(T.EXC_10_32, 10, 4, 5),
		doubleCodebook: false,
	},
	{
		bits: 220,
		lsp: 'low',
		openLoopPitchMargin: undefined,
		forcedPitchGain: false,
		subframeGainBits: 1,
		pitch: pitch(T.PITCH_GAIN_32, 5, 7),
		innovation: codebook(T.EXC_8_128, 8, 5, 7),
		doubleCodebook: false,
	},
	{
		bits: 300,
		lsp: 'high',
		openLoopPitchMargin: undefined,
		forcedPitchGain: false,
		subframeGainBits: 3,
		pitch: pitch(T.PITCH_GAIN_128, 7, 7),
		innovation: codebook(T.EXC_5_64, 5, 8, 6),
		doubleCodebook: false,
	},
	{
		bits: 364,
		lsp: 'high',
		openLoopPitchMargin: undefined,
		forcedPitchGain: false,
		subframeGainBits: 3,
		pitch: pitch(T.PITCH_GAIN_128, 7, 7),
		innovation: codebook(T.EXC_5_256, 5, 8, 8),
		doubleCodebook: false,
	},
	{
		bits: 492,
		lsp: 'high',
		openLoopPitchMargin: undefined,
		forcedPitchGain: false,
		subframeGainBits: 3,
		pitch: pitch(T.PITCH_GAIN_128, 7, 7),
		innovation: codebook(T.EXC_5_64, 5, 8, 6),
		doubleCodebook: true,
	},
	{
		bits: 79,
		lsp: 'low',
		openLoopPitchMargin: 0,
		forcedPitchGain: true,
		subframeGainBits: 0,
		pitch: undefined,
		innovation: codebook(T.EXC_20_32, 20, 2, 5),
		doubleCodebook: false,
	},
];

/** Indexed by the 3-bit high-band mode number; 0 = no high band, 5..7 undefined. */
export const HIGH_BAND_MODES: Array<HighBandMode | undefined> = [
	undefined,
	{ bits: 36, innovation: undefined, doubleCodebook: false },
	{ bits: 112, innovation: codebook(T.HIGH_EXC_10_32, 10, 4, 5), doubleCodebook: false },
	{ bits: 192, innovation: codebook(T.HIGH_EXC_8_128, 8, 5, 7, true), doubleCodebook: false },
	{ bits: 352, innovation: codebook(T.HIGH_EXC_8_128, 8, 5, 7, true), doubleCodebook: true },
];
