/**
 * The one check every upload runs before sending anything: WeChat answers a bad file with a bare
 * errcode (40005, 40006, 45007...), so the node refuses it first and says why in plain words.
 */
import { voiceDurationSeconds } from './duration';
import { FORMATS, SNIFF_BYTES, sniffFormat, type MediaFormat } from './formats';
import {
	KIB,
	MEDIA_RULES,
	MIB,
	ruleFor,
	type MediaRule,
	type MediaStore,
	type MediaType,
} from './rules';

export interface MediaCandidate {
	store: MediaStore;
	type: MediaType;
	/** The file's size in bytes. */
	size: number;
	/** The file's first bytes (`SNIFF_BYTES` of them, or the whole file when shorter). */
	head: Buffer;
	/** The whole file, when the caller has it; needed for the voice duration check. */
	whole?: Buffer;
}

export interface CheckedMedia {
	format: MediaFormat;
	extension: string;
	mimeType: string;
	durationSeconds?: number;
}

export type MediaRuleName = 'empty' | 'size' | 'format' | 'unknownFormat' | 'duration';

/**
 * A file WeChat would refuse. The message names the rule, the limit and the actual value but not
 * the item or property: the caller adds those.
 */
export class MediaRuleViolation extends Error {
	constructor(
		readonly rule: MediaRuleName,
		message: string,
		readonly limit?: string,
		readonly actual?: string,
	) {
		super(message);
		this.name = 'MediaRuleViolation';
	}
}

const NOUNS: Record<MediaType, string> = {
	image: 'image',
	voice: 'voice file',
	video: 'video',
	thumb: 'thumb',
};

function withArticle(phrase: string): string {
	// Vowel sounds in this vocabulary: vowels, and "mp3"/"mp4" read letter by letter ("em-pee").
	return `${/^([aeiou]|mp\d)/i.test(phrase) ? 'an' : 'a'} ${phrase}`;
}

function sameRule(a: MediaRule | undefined, b: MediaRule | undefined): boolean {
	return JSON.stringify(a) === JSON.stringify(b);
}

/** "temporary image", or just "thumb" when both stores treat the type alike. */
function subject(store: MediaStore, type: MediaType): string {
	if (store === 'articleImage') return 'article image';
	if (sameRule(MEDIA_RULES.temporary[type], MEDIA_RULES.permanent[type])) return NOUNS[type];
	return `${store} ${NOUNS[type]}`;
}

function listFormats(formats: readonly MediaFormat[]): string {
	if (formats.length === 1) return formats[0];
	return `${formats.slice(0, -1).join(', ')} or ${formats[formats.length - 1]}`;
}

function groupDigits(n: number): string {
	return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const roundToTenth = (n: number) => Math.round(n * 10) / 10;

/** "812 bytes", "70.3 KB", "12.4 MB": binary units, one decimal. */
function humanSize(bytes: number): string {
	if (bytes < KIB) return `${bytes} bytes`;
	if (roundToTenth(bytes / KIB) < 1024) return `${roundToTenth(bytes / KIB).toFixed(1)} KB`;
	return `${roundToTenth(bytes / MIB).toFixed(1)} MB`;
}

/** A limit as WeChat's pages state it: "10 MB", "64 KB". */
function limitSize(bytes: number): string {
	return humanSize(bytes).replace('.0 ', ' ');
}

function boundWords(rule: MediaRule): string {
	return rule.bound === 'atMost' ? 'at most' : 'less than';
}

/** One decimal, or as many more (up to 3) as it takes to tell the value from the limit. */
function secondsText(seconds: number, limit: number): string {
	for (let decimals = 1; decimals <= 3; decimals++) {
		const shown = Number(seconds.toFixed(decimals));
		if (shown !== limit) return `${shown} s`;
	}
	return `${seconds} s`;
}

/** The formats and limits for a store and type, for UI hints: "jpg, png or gif, at most 10 MB". */
export function describeLimit(store: MediaStore, type: MediaType): string {
	const rule = ruleFor(store, type);
	const size = `${rule.bound === 'atMost' ? 'at most' : 'under'} ${limitSize(rule.maxBytes)}`;
	const duration = rule.maxDurationSeconds === undefined ? '' : ` and ${rule.maxDurationSeconds} s`;
	return `${listFormats(rule.formats)}, ${size}${duration}`;
}

/** Whether the check needs the whole file (to read a voice duration), not only its head. */
export function needsWholeFile(store: MediaStore, type: MediaType): boolean {
	return ruleFor(store, type).maxDurationSeconds !== undefined;
}

function checkSize(rule: MediaRule, size: number, what: () => string): void {
	const fits = rule.bound === 'atMost' ? size <= rule.maxBytes : size < rule.maxBytes;
	if (fits) return;
	let actual = humanSize(size);
	let limit = limitSize(rule.maxBytes);
	// "10.0 MB" against "10 MB" would read as no difference: show the bytes too.
	if (actual === humanSize(rule.maxBytes)) {
		actual += ` (${groupDigits(size)} bytes)`;
		limit += ` (${groupDigits(rule.maxBytes)} bytes)`;
	}
	throw new MediaRuleViolation(
		'size',
		`the file is ${actual}; WeChat allows ${boundWords(rule)} ${limit} for ${withArticle(what())}`,
		limit,
		actual,
	);
}

function checkFormat(rule: MediaRule, head: Buffer, what: () => string): MediaFormat {
	const format = sniffFormat(head);
	if (format !== undefined && rule.formats.includes(format)) return format;
	const expected = listFormats(rule.formats);
	if (format === undefined) {
		const start =
			head.length === 0
				? 'nothing'
				: [...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
		throw new MediaRuleViolation(
			'unknownFormat',
			`the bytes are not a format WeChat accepts (they start with ${start}); ` +
				`expected ${expected} for ${withArticle(what())}`,
			expected,
			start,
		);
	}
	throw new MediaRuleViolation(
		'format',
		`the file is ${withArticle(FORMATS[format].label)}; ${withArticle(what())} must be ${expected}`,
		expected,
		format,
	);
}

/**
 * WeChat states the voice limit in whole seconds and does not say how it measures; encoders add up to
 * ~0.2 s of delay and padding that a file without a LAME tag cannot subtract. So only a voice that
 * rounds to more than the limit is refused here; a few hundredths over are left to WeChat, since
 * refusing a file WeChat takes is worse than letting WeChat refuse it.
 */
function clearlyLonger(seconds: number, limit: number): boolean {
	return Math.round(seconds) > limit;
}

/**
 * Checks a file against WeChat's rules for the store and type, in this order: empty, size, format
 * recognised, format allowed, voice duration (only with `whole`, and only when it can be read).
 * Returns the format with its extension and MIME type (WeChat wants a filename that matches the
 * bytes); throws `MediaRuleViolation` otherwise.
 */
export function checkMedia(candidate: MediaCandidate): CheckedMedia {
	const { store, type, size, whole } = candidate;
	const rule = ruleFor(store, type);
	// Only an error names the kind of file; working it out compares rules, so not for every file sent.
	const what = () => subject(store, type);
	if (size === 0 || whole?.length === 0) {
		throw new MediaRuleViolation('empty', 'the file is empty', undefined, '0 bytes');
	}
	checkSize(rule, size, what);
	const head =
		whole && candidate.head.length < SNIFF_BYTES ? whole.subarray(0, SNIFF_BYTES) : candidate.head;
	const format = checkFormat(rule, head, what);
	const { extension, mimeType } = FORMATS[format];

	if (rule.maxDurationSeconds === undefined || !whole) return { format, extension, mimeType };
	const durationSeconds = voiceDurationSeconds(format, whole);
	if (durationSeconds !== undefined && clearlyLonger(durationSeconds, rule.maxDurationSeconds)) {
		const limit = `${rule.maxDurationSeconds} s`;
		const actual = secondsText(durationSeconds, rule.maxDurationSeconds);
		throw new MediaRuleViolation(
			'duration',
			`${type} is ${actual} long; WeChat allows at most ${limit} for ${type}`,
			limit,
			actual,
		);
	}
	return { format, extension, mimeType, durationSeconds };
}
