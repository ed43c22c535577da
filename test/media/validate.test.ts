import {
	MediaRuleViolation,
	SNIFF_BYTES,
	checkMedia,
	describeLimit,
	needsWholeFile,
	ruleFor,
	type MediaCandidate,
	type MediaStore,
	type MediaType,
} from '../../nodes/WeixinMedia/media';
import { amr, bmp, gif, jpeg, mp3, mp4, png, speex, wav, wma } from '../fixtures/media';

const KB = 1024;
const MB = 1024 * 1024;

/** A candidate as an upload would build it: real bytes, their real size and head. */
function candidate(
	store: MediaStore,
	type: MediaType,
	file: Buffer,
	withWhole = false,
): MediaCandidate {
	return {
		store,
		type,
		size: file.length,
		head: file.subarray(0, SNIFF_BYTES),
		...(withWhole ? { whole: file } : {}),
	};
}

function violation(c: MediaCandidate): MediaRuleViolation {
	try {
		checkMedia(c);
	} catch (error) {
		if (error instanceof MediaRuleViolation) return error;
		throw error;
	}
	throw new Error('checkMedia accepted the file');
}

describe('checkMedia accepts what WeChat accepts', () => {
	it.each([
		['temporary', 'image', jpeg(), 'jpg', 'image/jpeg'],
		['temporary', 'image', png(), 'png', 'image/png'],
		['temporary', 'image', gif(), 'gif', 'image/gif'],
		['temporary', 'voice', amr(5), 'amr', 'audio/amr'],
		['temporary', 'voice', mp3(5), 'mp3', 'audio/mpeg'],
		['temporary', 'video', mp4(), 'mp4', 'video/mp4'],
		['temporary', 'thumb', jpeg(), 'jpg', 'image/jpeg'],
		['permanent', 'image', bmp(), 'bmp', 'image/bmp'],
		['permanent', 'image', gif(), 'gif', 'image/gif'],
		['permanent', 'voice', wma(5), 'wma', 'audio/x-ms-wma'],
		['permanent', 'voice', wav(5), 'wav', 'audio/wav'],
		['permanent', 'voice', amr(5), 'amr', 'audio/amr'],
		['permanent', 'video', mp4(), 'mp4', 'video/mp4'],
		['permanent', 'thumb', jpeg(), 'jpg', 'image/jpeg'],
		['articleImage', 'image', png(), 'png', 'image/png'],
		['articleImage', 'image', jpeg(), 'jpg', 'image/jpeg'],
	] as Array<[MediaStore, MediaType, Buffer, string, string]>)(
		'%s %s: %s',
		(store, type, file, format, mimeType) => {
			expect(checkMedia(candidate(store, type, file))).toEqual({
				format,
				extension: format,
				mimeType,
			});
		},
	);

	it('reports the duration of a voice file given whole', () => {
		expect(checkMedia(candidate('temporary', 'voice', amr(12.5), true))).toEqual({
			format: 'amr',
			extension: 'amr',
			mimeType: 'audio/amr',
			durationSeconds: 12.5,
		});
	});

	it('sniffs from the whole file when the head given is short', () => {
		const file = png();
		expect(
			checkMedia({
				store: 'temporary',
				type: 'image',
				size: file.length,
				head: Buffer.alloc(0),
				whole: file,
			}),
		).toMatchObject({ format: 'png' });
	});
});

describe('checkMedia: empty files', () => {
	it('refuses a zero-byte file before any other rule', () => {
		const error = violation({ store: 'temporary', type: 'thumb', size: 0, head: Buffer.alloc(0) });
		expect(error.rule).toBe('empty');
		expect(error.message).toBe('the file is empty');
	});

	it('refuses an empty whole buffer', () => {
		expect(
			violation({
				store: 'permanent',
				type: 'voice',
				size: 0,
				head: Buffer.alloc(0),
				whole: Buffer.alloc(0),
			}).rule,
		).toBe('empty');
	});
});

describe('checkMedia: size limits', () => {
	const limits: Array<[MediaStore, MediaType, (bytes: number) => Buffer, number]> = [
		['temporary', 'image', jpeg, 10 * MB],
		['permanent', 'image', png, 10 * MB],
		['temporary', 'video', mp4, 10 * MB],
		['permanent', 'video', mp4, 10 * MB],
		['temporary', 'thumb', jpeg, 64 * KB],
		['permanent', 'thumb', jpeg, 64 * KB],
	];

	it.each(limits)(
		'%s %s: exactly the limit passes, one byte more fails',
		(store, type, make, limit) => {
			expect(checkMedia(candidate(store, type, make(limit))).format).toBeDefined();
			const error = violation(candidate(store, type, make(limit + 1)));
			expect(error.rule).toBe('size');
		},
	);

	it.each([
		['temporary', 'voice'],
		['permanent', 'voice'],
	] as Array<[MediaStore, MediaType]>)('%s voice: at most 2 MB', (store, type) => {
		const head = mp3(1).subarray(0, SNIFF_BYTES);
		expect(checkMedia({ store, type, size: 2 * MB, head }).format).toBe('mp3');
		expect(violation({ store, type, size: 2 * MB + 1, head }).rule).toBe('size');
	});

	it('article image: must be under 1 MB, so exactly 1 MB fails', () => {
		expect(checkMedia(candidate('articleImage', 'image', jpeg(MB - 1))).format).toBe('jpg');
		const error = violation(candidate('articleImage', 'image', jpeg(MB)));
		expect(error.message).toBe(
			'the file is 1.0 MB (1,048,576 bytes); WeChat allows less than 1 MB (1,048,576 bytes) for an article image',
		);
	});

	it('names size and limit in plain words', () => {
		const error = violation(candidate('temporary', 'image', jpeg(Math.round(12.4 * MB))));
		expect(error.message).toBe(
			'the file is 12.4 MB; WeChat allows at most 10 MB for a temporary image',
		);
		expect(error).toMatchObject({ rule: 'size', limit: '10 MB', actual: '12.4 MB' });
	});

	it('adds the exact bytes when the rounded sizes would look equal', () => {
		const error = violation(candidate('temporary', 'image', jpeg(10 * MB + 1)));
		expect(error.message).toBe(
			'the file is 10.0 MB (10,485,761 bytes); WeChat allows at most 10 MB (10,485,760 bytes) for a temporary image',
		);
	});

	it('speaks in KB for a thumb', () => {
		const error = violation(candidate('permanent', 'thumb', jpeg(72_000)));
		expect(error.message).toBe('the file is 70.3 KB; WeChat allows at most 64 KB for a thumb');
	});

	it('checks the size before the format', () => {
		expect(violation(candidate('temporary', 'thumb', gif(70 * KB))).rule).toBe('size');
	});
});

describe('checkMedia: formats', () => {
	it('refuses a format the type does not take', () => {
		const error = violation(candidate('temporary', 'thumb', gif()));
		expect(error.message).toBe('the file is a gif image; a thumb must be jpg');
		expect(error).toMatchObject({ rule: 'format', limit: 'jpg', actual: 'gif' });
	});

	it.each([
		[
			'temporary',
			'image',
			bmp(),
			'the file is a bmp image; a temporary image must be jpg, png or gif',
		],
		[
			'temporary',
			'voice',
			wav(2),
			'the file is a wav audio file; a temporary voice file must be amr or mp3',
		],
		[
			'temporary',
			'voice',
			wma(2),
			'the file is a wma audio file; a temporary voice file must be amr or mp3',
		],
		[
			'permanent',
			'voice',
			speex(),
			'the file is a speex audio file; a permanent voice file must be mp3, wma, wav or amr',
		],
		[
			'permanent',
			'image',
			mp4(),
			'the file is an mp4 video; a permanent image must be jpg, png, gif or bmp',
		],
		['temporary', 'video', mp3(2), 'the file is an mp3 audio file; a video must be mp4'],
		[
			'articleImage',
			'image',
			gif(),
			'the file is a gif image; an article image must be jpg or png',
		],
		['permanent', 'thumb', png(), 'the file is a png image; a thumb must be jpg'],
	] as Array<[MediaStore, MediaType, Buffer, string]>)(
		'%s %s refuses %#',
		(store, type, file, message) => {
			expect(violation(candidate(store, type, file)).message).toBe(message);
		},
	);

	it('refuses bytes of no known format and shows how they start', () => {
		const html = Buffer.from('<!DOCTYPE html><html><body>Not found</body></html>');
		const error = violation(candidate('temporary', 'image', html));
		expect(error.message).toBe(
			'the bytes are not a format WeChat accepts (they start with 3c 21 44 4f); ' +
				'expected jpg, png or gif for a temporary image',
		);
		expect(error).toMatchObject({
			rule: 'unknownFormat',
			limit: 'jpg, png or gif',
			actual: '3c 21 44 4f',
		});
	});

	it('refuses a truncated header as unknown', () => {
		const error = violation({
			store: 'permanent',
			type: 'video',
			size: 6,
			head: mp4().subarray(0, 6),
		});
		expect(error.message).toBe(
			'the bytes are not a format WeChat accepts (they start with 00 00 00 1c); expected mp4 for a video',
		);
	});

	it('checks the format before the duration', () => {
		expect(violation(candidate('temporary', 'voice', wav(90), true)).rule).toBe('format');
	});
});

describe('checkMedia: voice duration', () => {
	it.each([
		['amr', amr],
		['mp3', mp3],
	] as Array<[string, (seconds: number) => Buffer]>)(
		'temporary %s: 60.0 s passes, 60.5 s fails',
		(_, make) => {
			expect(checkMedia(candidate('temporary', 'voice', make(60), true)).durationSeconds).toBe(60);
			const error = violation(candidate('temporary', 'voice', make(60.5), true));
			expect(error.rule).toBe('duration');
			expect(error.message).toBe('voice is 60.5 s long; WeChat allows at most 60 s for voice');
		},
	);

	it.each([
		['wav', wav],
		['wma', wma],
	] as Array<[string, (seconds: number) => Buffer]>)(
		'permanent %s: 60.0 s passes, 60.5 s fails',
		(_, make) => {
			expect(checkMedia(candidate('permanent', 'voice', make(60), true)).durationSeconds).toBe(60);
			expect(violation(candidate('permanent', 'voice', make(60.5), true)).rule).toBe('duration');
		},
	);

	it('says how long the voice is', () => {
		const error = violation(candidate('temporary', 'voice', mp3(74), true));
		expect(error.message).toBe('voice is 74 s long; WeChat allows at most 60 s for voice');
		expect(error).toMatchObject({ limit: '60 s', actual: '74 s' });
	});

	it('leaves a voice a few hundredths over the limit to WeChat, refusing from 60.5 s (61 s rounded)', () => {
		const justOver = Buffer.concat([amr(60), amr(0.02).subarray(6)]);
		expect(checkMedia(candidate('temporary', 'voice', justOver, true)).durationSeconds).toBe(60.02);
		expect(checkMedia(candidate('temporary', 'voice', amr(60.48), true)).durationSeconds).toBe(60.48);
		expect(violation(candidate('temporary', 'voice', amr(60.5), true)).message).toBe(
			'voice is 60.5 s long; WeChat allows at most 60 s for voice',
		);
	});

	it('leaves the duration to WeChat without the whole file', () => {
		expect(checkMedia(candidate('temporary', 'voice', mp3(74))).durationSeconds).toBeUndefined();
	});

	it('leaves the duration to WeChat when it cannot be read', () => {
		const unreadable = Buffer.concat([amr(70), Buffer.from([12 << 3]), Buffer.alloc(10)]);
		expect(checkMedia(candidate('temporary', 'voice', unreadable, true))).toEqual({
			format: 'amr',
			extension: 'amr',
			mimeType: 'audio/amr',
		});
	});
});

describe('needsWholeFile', () => {
	it('asks for the whole file for voice only', () => {
		expect(needsWholeFile('temporary', 'voice')).toBe(true);
		expect(needsWholeFile('permanent', 'voice')).toBe(true);
		for (const type of ['image', 'video', 'thumb'] as MediaType[]) {
			expect(needsWholeFile('temporary', type)).toBe(false);
			expect(needsWholeFile('permanent', type)).toBe(false);
		}
		expect(needsWholeFile('articleImage', 'image')).toBe(false);
	});
});

describe('describeLimit', () => {
	it.each([
		['temporary', 'image', 'jpg, png or gif, at most 10 MB'],
		['permanent', 'image', 'jpg, png, gif or bmp, at most 10 MB'],
		['temporary', 'voice', 'amr or mp3, at most 2 MB and 60 s'],
		['permanent', 'voice', 'mp3, wma, wav or amr, at most 2 MB and 60 s'],
		['temporary', 'video', 'mp4, at most 10 MB'],
		['permanent', 'thumb', 'jpg, at most 64 KB'],
		['articleImage', 'image', 'jpg or png, under 1 MB'],
	] as Array<[MediaStore, MediaType, string]>)('%s %s: %s', (store, type, text) => {
		expect(describeLimit(store, type)).toBe(text);
	});
});

describe('ruleFor', () => {
	it('refuses a type the store does not have', () => {
		expect(() => ruleFor('articleImage', 'thumb')).toThrow(
			'WeChat has no thumb upload in the articleImage store',
		);
		expect(() => checkMedia(candidate('articleImage', 'voice', amr(1)))).toThrow(/no voice upload/);
	});
});

describe('MediaRuleViolation', () => {
	it('is an Error whose message carries no item index or property name', () => {
		const error = violation(candidate('temporary', 'thumb', gif()));
		expect(error).toBeInstanceOf(Error);
		expect(error.name).toBe('MediaRuleViolation');
		expect(error.message).not.toMatch(/item|property/i);
	});
});
