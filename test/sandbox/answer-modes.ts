/**
 * How answers look after the real network has had its way with them: WeChat's own mislabelled types,
 * answers without a file name, and proxies or CDNs that compress. Switched on per sandbox with
 * `setAnswerModes` (PUT /__sandbox/answer-modes) and kept until changed or reset; faults stay raw.
 */
import { gzipSync } from 'zlib';

export interface AnswerModes {
	/** Only answers on this exact path (default: every API path, the video URLs included). */
	path?: string;
	/**
	 * Content-Type sent with file bytes instead of the true one: `text/plain` as the live service
	 * sends for get_material, `application/octet-stream`, or another format's type.
	 */
	fileContentType?: string;
	/** Content-Type sent with JSON answers of the file endpoints (WeChat sends text/plain already). */
	jsonContentType?: string;
	/** No Content-Disposition, so the answer names no file. */
	omitFilename?: boolean;
	/**
	 * gzip every answer a client accepts gzip for, with Content-Encoding: gzip and a Content-Length of
	 * the compressed size, as a compressing proxy in front of the API or a CDN does.
	 */
	gzip?: boolean;
}

const MODE_KEYS: ReadonlyArray<keyof AnswerModes> = [
	'path',
	'fileContentType',
	'jsonContentType',
	'omitFilename',
	'gzip',
];

/** Checks a modes object from a test or a control call; throws on unknown switches. */
export function validAnswerModes(input: unknown): AnswerModes {
	if (typeof input !== 'object' || input === null || Array.isArray(input)) {
		throw new Error('answer modes must be an object');
	}
	for (const key of Object.keys(input)) {
		if (!MODE_KEYS.includes(key as keyof AnswerModes)) throw new Error(`unknown answer mode ${key}`);
	}
	return { ...(input as AnswerModes) };
}

export interface OutgoingAnswer {
	headers: Record<string, string | number>;
	body: Buffer;
}

/**
 * Rewrites one answer as the modes say. `isFile` is true for file bytes; `isDownloadJson` for the
 * JSON (or text/plain JSON) answers of endpoints that otherwise send files.
 */
export function applyAnswerModes(
	modes: AnswerModes,
	context: { pathname: string; acceptEncoding: string | undefined; isFile: boolean; isDownloadJson: boolean },
	answer: OutgoingAnswer,
): OutgoingAnswer {
	if (modes.path !== undefined && modes.path !== context.pathname) return answer;
	const headers = { ...answer.headers };
	let body = answer.body;
	if (context.isFile && modes.fileContentType !== undefined) {
		headers['Content-Type'] = modes.fileContentType;
	}
	if (context.isDownloadJson && modes.jsonContentType !== undefined) {
		headers['Content-Type'] = modes.jsonContentType;
	}
	if (modes.omitFilename) delete headers['Content-disposition'];
	if (modes.gzip && acceptsGzip(context.acceptEncoding)) {
		body = gzipSync(body);
		headers['Content-Encoding'] = 'gzip';
		headers['Content-Length'] = body.length;
	}
	return { headers, body };
}

function acceptsGzip(acceptEncoding: string | undefined): boolean {
	return (acceptEncoding ?? '')
		.split(',')
		.map((part) => part.trim().toLowerCase())
		.some((part) => part === 'gzip' || (part.startsWith('gzip;') && !/q=0(\.0*)?$/.test(part)));
}
