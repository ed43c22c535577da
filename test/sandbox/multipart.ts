/** A small multipart/form-data parser: enough to read uploads the way the live service does. */

export interface MultipartPart {
	name: string;
	/** undefined for a plain field (no filename parameter at all). */
	filename?: string;
	contentType: string;
	data: Buffer;
}

/**
 * Returns the boundary of a multipart/form-data Content-Type, or undefined when the header is
 * not multipart or lacks the boundary parameter (the live service answers 41005 then).
 */
export function multipartBoundary(contentType: string | undefined): string | undefined {
	if (!contentType) return undefined;
	const [mediaType, ...params] = splitHeaderParams(contentType);
	if (mediaType.toLowerCase() !== 'multipart/form-data') return undefined;
	const boundary = headerParam(params, 'boundary');
	return boundary ? boundary : undefined;
}

/** Splits the body into parts; returns undefined when it is not a well-formed multipart body. */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] | undefined {
	const delimiter = Buffer.from(`--${boundary}`);
	const partSeparator = Buffer.from(`\r\n--${boundary}`);
	let position = body.indexOf(delimiter);
	if (position < 0) return undefined;
	position += delimiter.length;

	const parts: MultipartPart[] = [];
	for (;;) {
		if (body.subarray(position, position + 2).toString('latin1') === '--') return parts;
		// Transport padding may follow a delimiter before its line break (RFC 2046).
		while (body[position] === 0x20 || body[position] === 0x09) position++;
		if (body.subarray(position, position + 2).toString('latin1') !== '\r\n') return undefined;
		position += 2;

		const headerEnd = body.indexOf('\r\n\r\n', position);
		if (headerEnd < 0) return undefined;
		const headers = parseHeaders(body.subarray(position, headerEnd).toString('utf8'));
		const dataStart = headerEnd + 4;
		const dataEnd = body.indexOf(partSeparator, dataStart);
		if (dataEnd < 0) return undefined;

		const part = partFromHeaders(headers, body.subarray(dataStart, dataEnd));
		if (part) parts.push(part);
		position = dataEnd + partSeparator.length;
	}
}

function partFromHeaders(headers: Map<string, string>, data: Buffer): MultipartPart | undefined {
	const disposition = headers.get('content-disposition');
	if (!disposition) return undefined;
	const [kind, ...params] = splitHeaderParams(disposition);
	if (kind.toLowerCase() !== 'form-data') return undefined;
	const name = headerParam(params, 'name');
	if (name === undefined) return undefined;
	return {
		name,
		filename: extendedFilename(params) ?? headerParam(params, 'filename'),
		contentType: headers.get('content-type') ?? 'text/plain',
		data,
	};
}

function parseHeaders(text: string): Map<string, string> {
	const headers = new Map<string, string>();
	for (const line of text.split('\r\n')) {
		const colon = line.indexOf(':');
		if (colon <= 0) continue;
		headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
	}
	return headers;
}

/** Splits `a; b=1; c="x;y"` at the semicolons that are outside quoted strings. */
function splitHeaderParams(value: string): string[] {
	const pieces: string[] = [];
	let current = '';
	let quoted = false;
	for (let i = 0; i < value.length; i++) {
		const char = value[i];
		if (quoted && char === '\\' && i + 1 < value.length) {
			current += char + value[++i];
			continue;
		}
		if (char === '"') quoted = !quoted;
		if (char === ';' && !quoted) {
			pieces.push(current.trim());
			current = '';
		} else {
			current += char;
		}
	}
	pieces.push(current.trim());
	return pieces;
}

function headerParam(params: string[], wanted: string): string | undefined {
	for (const param of params) {
		const equals = param.indexOf('=');
		if (equals < 0 || param.slice(0, equals).trim().toLowerCase() !== wanted) continue;
		return unquote(param.slice(equals + 1).trim());
	}
	return undefined;
}

function unquote(value: string): string {
	if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
	// Browsers percent-encode a quote in a filename; other clients backslash-escape it.
	return value.slice(1, -1).replace(/\\(.)/g, '$1').replace(/%22/g, '"');
}

/** RFC 5987 `filename*=UTF-8''...`, which wins over a plain filename when both are present. */
function extendedFilename(params: string[]): string | undefined {
	const raw = headerParam(params, 'filename*');
	const match = raw === undefined ? null : /^([\w-]+)'[^']*'(.*)$/.exec(raw);
	if (!match) return undefined;
	try {
		return decodeURIComponent(match[2]);
	} catch {
		return undefined;
	}
}
