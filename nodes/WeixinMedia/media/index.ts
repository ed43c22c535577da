export { FORMATS, SNIFF_BYTES, formatFromMimeType, sniffFormat, type MediaFormat } from './formats';
export { voiceDurationSeconds } from './duration';
export { MEDIA_RULES, ruleFor, type MediaRule, type MediaStore, type MediaType } from './rules';
export {
	MediaRuleViolation,
	checkMedia,
	describeLimit,
	needsWholeFile,
	type CheckedMedia,
	type MediaCandidate,
	type MediaRuleName,
} from './validate';
