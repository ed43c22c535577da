/**
 * Finds and rewrites the images of article HTML without touching any other byte: quoted values may
 * hold `>`, and double, single and unquoted attribute values are all understood. Markup that a
 * browser does not render as an image is left alone: comments, the text of `<script>`, `<style>`,
 * `<textarea>`, `<noscript>` and other raw-text elements, and `<img` inside another tag's attribute.
 */

/** Where one attribute value sits in the HTML (inside the quotes, if any). */
export interface ValueSpan {
	start: number;
	end: number;
	quote: '"' | "'" | '';
}

export interface ImageSrc {
	/**
	 * The image the reader is meant to see, as the browser reads it (entities decoded, surrounding
	 * spaces removed): a lazy-loading attribute's value when there is one, else the src.
	 */
	src: string;
	/** The values that point at the image and are rewritten with it: the lazy attribute and src. */
	spans: ValueSpan[];
	/** Where a src attribute is added when the tag has only a lazy-loading one. */
	insertSrcAt?: number;
}

/**
 * Editors load images lazily: the real image is in one of these attributes and src holds a
 * placeholder (often a 1×1 GIF data: URI) until a script swaps them. WeChat runs no such script.
 */
const LAZY_SRC_ATTRIBUTES = ['data-src', 'data-original', 'data-lazy-src', 'data-actualsrc'];

const ATTRIBUTES_THEN_END = `(?:[^>"']|"[^"]*"|'[^']*')*>`;
/** Elements whose content is text, never tags, up to their end tag. */
const RAW_TEXT_ELEMENTS = 'script|style|textarea|noscript|title|xmp|iframe|noembed|noframes';
const MARKUP = new RegExp(
	[
		'<!--(?:-?>|[\\s\\S]*?(?:--!?>|$))', // a comment (also the short forms <!--> and <!--->)
		`<(${RAW_TEXT_ELEMENTS})(?=[\\s/>])${ATTRIBUTES_THEN_END}[\\s\\S]*?(?:<\\/\\1(?=[\\s/>])|$)`,
		`<(img)(?=[\\s/>])${ATTRIBUTES_THEN_END}`,
		`<[a-z][^\\s/>]*${ATTRIBUTES_THEN_END}`, // any other tag, consumed whole with its attributes
	].join('|'),
	'gi',
);
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

interface Attribute {
	value: string;
	span: ValueSpan;
}

/** The attributes of a tag that starts at `tagStart`, first occurrence of each name winning. */
function readAttributes(tag: string, tagStart: number, nameLength: number): Map<string, Attribute> {
	const attributes = new Map<string, Attribute>();
	const offset = 1 + nameLength;
	for (const attribute of tag.slice(offset).matchAll(ATTRIBUTE)) {
		const name = attribute[1].toLowerCase();
		if (attributes.has(name)) continue;
		const raw = attribute[2] ?? attribute[3] ?? attribute[4] ?? '';
		const quote = attribute[2] !== undefined ? '"' : attribute[3] !== undefined ? "'" : '';
		const end = tagStart + offset + (attribute.index ?? 0) + attribute[0].length - quote.length;
		attributes.set(name, {
			value: decodeEntities(raw).trim(),
			span: { start: end - raw.length, end, quote },
		});
	}
	return attributes;
}

/** Every `<img>` that shows an image (a src or a lazy-loading attribute), in document order. */
export function findImageSources(html: string): ImageSrc[] {
	const found: ImageSrc[] = [];
	for (const match of html.matchAll(MARKUP)) {
		if (match[2] === undefined) continue; // not an <img>: a comment, raw text or another tag
		const tagStart = match.index ?? 0;
		const attributes = readAttributes(match[0], tagStart, 3);
		const src = attributes.get('src');
		const lazy = LAZY_SRC_ATTRIBUTES.map((name) => attributes.get(name)).find(
			(attribute) => attribute !== undefined && attribute.value !== '',
		);
		if (lazy) {
			found.push({
				src: lazy.value,
				spans: src ? [lazy.span, src.span].sort((a, b) => a.start - b.start) : [lazy.span],
				insertSrcAt: src ? undefined : tagStart + 4,
			});
		} else if (src) {
			found.push({ src: src.value, spans: [src.span] });
		}
	}
	return found;
}

/** A URL written as an attribute value inside the quote style the HTML already uses. */
function encodeValue(url: string, quote: ValueSpan['quote']): string {
	const escaped = url.replace(/&/g, '&amp;');
	if (quote === '"') return escaped.replace(/"/g, '&quot;');
	if (quote === "'") return escaped.replace(/'/g, '&#39;');
	// An unquoted value stays unquoted while it can; otherwise it gains double quotes.
	return /^[^\s"'=<>`]+$/.test(escaped) ? escaped : `"${escaped.replace(/"/g, '&quot;')}"`;
}

/**
 * Points each image for which `replacement` returns a URL at that URL (its src, and its lazy-loading
 * attribute, so no script can swap the external image back in); all else stays byte-exact.
 */
export function replaceImageSources(
	html: string,
	replacement: (src: string) => string | undefined,
): string {
	const edits: Array<{ start: number; end: number; text: string }> = [];
	for (const image of findImageSources(html)) {
		const url = replacement(image.src);
		if (url === undefined) continue;
		if (image.insertSrcAt !== undefined) {
			edits.push({ start: image.insertSrcAt, end: image.insertSrcAt, text: ` src="${encodeValue(url, '"')}"` });
		}
		for (const span of image.spans) {
			edits.push({ start: span.start, end: span.end, text: encodeValue(url, span.quote) });
		}
	}
	edits.sort((a, b) => a.start - b.start);
	let result = '';
	let copied = 0;
	for (const edit of edits) {
		result += html.slice(copied, edit.start) + edit.text;
		copied = edit.end;
	}
	return result + html.slice(copied);
}

/** Parts of article HTML no reader sees as text: comments and the content of scripts and styles. */
const INVISIBLE = /<!--(?:-?>|[\s\S]*?(?:--!?>|$))|<(script|style)(?=[\s/>])(?:[^>"']|"[^"]*"|'[^']*')*>[\s\S]*?(?:<\/\1(?=[\s/>])[^>]*>|$)/gi;
const TAG = /<\/?[a-z][^\s/>]*(?:[^>"']|"[^"]*"|'[^']*')*>/gi;
const ENTITY = /&(?:#x[0-9a-f]+|#\d+|[a-z][a-z0-9]*);/gi;

/**
 * The number of characters a reader sees: tags, comments, scripts and styles left out, and each
 * character reference (`&nbsp;`, `&#8212;`, `&amp;`) counted as the one character it stands for.
 */
export function visibleTextLength(html: string): number {
	const text = html.replace(INVISIBLE, '').replace(TAG, '').replace(ENTITY, '&');
	return [...text].length;
}
