/**
 * Finds and rewrites the `src` of every `<img>` in article HTML without touching any other byte:
 * quoted values may hold `>`, and double, single and unquoted attribute values are all understood.
 */

export interface ImageSrc {
	/** The value as the browser reads it: entities decoded, surrounding spaces removed. */
	src: string;
	/** Offsets of the raw value (inside the quotes, if any) in the HTML. */
	start: number;
	end: number;
	quote: '"' | "'" | '';
}

const IMG_TAG = /<img\b(?:[^>"']|"[^"]*"|'[^']*')*>/gi;
const ATTRIBUTE = /\s([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

const NAMED_ENTITIES: Record<string, string> = {
	amp: '&',
	lt: '<',
	gt: '>',
	quot: '"',
	apos: "'",
	nbsp: '\u00a0',
};

export function decodeEntities(text: string): string {
	return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
		if (name[0] === '#') {
			const code =
				name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1));
			return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
		}
		return NAMED_ENTITIES[name.toLowerCase()] ?? entity;
	});
}

/** Every `<img>` with a `src` attribute, in document order. */
export function findImageSources(html: string): ImageSrc[] {
	const found: ImageSrc[] = [];
	for (const tag of html.matchAll(IMG_TAG)) {
		const tagStart = tag.index ?? 0;
		// Attributes start after "<img"; a tag's first src wins, as in browsers.
		for (const attribute of tag[0].slice(4).matchAll(ATTRIBUTE)) {
			if (attribute[1].toLowerCase() !== 'src') continue;
			const raw = attribute[2] ?? attribute[3] ?? attribute[4];
			if (raw === undefined) break;
			const quote = attribute[2] !== undefined ? '"' : attribute[3] !== undefined ? "'" : '';
			const attributeEnd = tagStart + 4 + (attribute.index ?? 0) + attribute[0].length;
			const end = attributeEnd - quote.length;
			found.push({ src: decodeEntities(raw).trim(), start: end - raw.length, end, quote });
			break;
		}
	}
	return found;
}

/** A URL written as an attribute value inside the quote style the HTML already uses. */
function encodeValue(url: string, quote: ImageSrc['quote']): string {
	const escaped = url.replace(/&/g, '&amp;');
	if (quote === '"') return escaped.replace(/"/g, '&quot;');
	if (quote === "'") return escaped.replace(/'/g, '&#39;');
	// An unquoted value stays unquoted while it can; otherwise it gains double quotes.
	return /^[^\s"'=<>`]+$/.test(escaped) ? escaped : `"${escaped.replace(/"/g, '&quot;')}"`;
}

/** Replaces the src of each image for which `replacement` returns a URL; all else stays byte-exact. */
export function replaceImageSources(
	html: string,
	replacement: (src: string) => string | undefined,
): string {
	let result = '';
	let copied = 0;
	for (const image of findImageSources(html)) {
		const url = replacement(image.src);
		if (url === undefined) continue;
		result += html.slice(copied, image.start) + encodeValue(url, image.quote);
		copied = image.end;
	}
	return result + html.slice(copied);
}
