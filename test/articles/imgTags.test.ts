import {
	decodeEntities,
	findImageSources,
	replaceImageSources,
	visibleTextLength,
} from '../../nodes/WeixinMedia/actions/shared/imgTags';

describe('finding and rewriting <img src> in article HTML', () => {
	it('reads double-quoted, single-quoted and unquoted values, in document order', () => {
		const html = `<p><img src="a.jpg"><IMG alt='x' SRC='b.png'/><img width=3 src=c.jpg></p>`;
		expect(findImageSources(html).map((image) => [image.src, image.spans[0].quote])).toEqual([
			['a.jpg', '"'],
			['b.png', "'"],
			['c.jpg', ''],
		]);
	});

	it('is not fooled by ">" inside a quoted attribute or by srcset', () => {
		const html = '<img alt="1 > 0" srcset="x.jpg 2x" src="real.jpg"><img alt=">">';
		expect(findImageSources(html).map((image) => image.src)).toEqual(['real.jpg']);
	});

	it('decodes entities in the value, as a browser reads it', () => {
		const [image] = findImageSources('<img src=" https://x.test/a.jpg?w=1&amp;h=2 ">');
		expect(image.src).toBe('https://x.test/a.jpg?w=1&h=2');
		expect(decodeEntities('&lt;&#62;&#x26;&quot;&unknown;')).toBe('<>&"&unknown;');
	});

	it('rewrites only the chosen src values and leaves every other byte as it was', () => {
		const html = [
			'<section>\n  <img class="a" src="https://x.test/1.jpg" alt="one">',
			"<img src='keep.jpg'>",
			'<img src=https://x.test/2.jpg width=100>',
			'<!-- text between --><img alt=\'q > r\' src="https://x.test/1.jpg"/>\n</section>',
		].join('');
		const urls: Record<string, string> = {
			'https://x.test/1.jpg': 'http://mmbiz.qpic.cn/one/0',
			'https://x.test/2.jpg': 'http://mmbiz.qpic.cn/two/0?a=1&b=2',
		};
		const rewritten = replaceImageSources(html, (src) => urls[src]);
		expect(rewritten).toBe(
			[
				'<section>\n  <img class="a" src="http://mmbiz.qpic.cn/one/0" alt="one">',
				"<img src='keep.jpg'>",
				// "=" may not appear in an unquoted value, so this one gains quotes.
				'<img src="http://mmbiz.qpic.cn/two/0?a=1&amp;b=2" width=100>',
				'<!-- text between --><img alt=\'q > r\' src="http://mmbiz.qpic.cn/one/0"/>\n</section>',
			].join(''),
		);
	});

	it('quotes an unquoted value when the new URL needs it, and escapes the quote in use', () => {
		expect(replaceImageSources('<img src=a.jpg>', () => 'http://h/b.jpg')).toBe(
			'<img src=http://h/b.jpg>',
		);
		expect(replaceImageSources('<img src=a.jpg>', () => 'http://h/x y')).toBe(
			'<img src="http://h/x y">',
		);
		expect(replaceImageSources(`<img src='a.jpg'>`, () => "http://h/it's")).toBe(
			`<img src='http://h/it&#39;s'>`,
		);
	});

	it('returns HTML without images unchanged', () => {
		const html = '<p>No <b>images</b> here; <imgur>not a tag</imgur></p>';
		expect(findImageSources(html)).toEqual([]);
		expect(replaceImageSources(html, () => 'x')).toBe(html);
	});

	it('leaves <img> alone inside comments, scripts, styles, textareas, noscript and attribute values', () => {
		const html = [
			'<!-- <img src="http://x.test/comment.jpg"> -->',
			'<!--><img src="http://x.test/after-short-comment.jpg">',
			'<script>document.write(\'<img src="http://x.test/script.jpg">\')</script>',
			'<SCRIPT type="text/template"><img src="http://x.test/template.jpg"></SCRIPT >',
			'<style>.a::after { content: "<img src=http://x.test/style.jpg>" }</style>',
			'<textarea><img src="http://x.test/textarea.jpg"></textarea>',
			'<noscript><img src="http://x.test/noscript.jpg"></noscript>',
			'<a title="<img src=http://x.test/attribute.jpg>">link</a>',
			'<script-widget><img src="http://x.test/custom-element.jpg"></script-widget>',
			'<img src="http://x.test/real.jpg">',
			'<!-- an unclosed comment hides the rest <img src="http://x.test/unclosed.jpg">',
		].join('\n');
		expect(findImageSources(html).map((image) => image.src)).toEqual([
			'http://x.test/after-short-comment.jpg',
			'http://x.test/custom-element.jpg',
			'http://x.test/real.jpg',
		]);
		const rewritten = replaceImageSources(html, () => 'http://mmbiz.qpic.cn/new/0');
		expect(rewritten).toBe(
			html
				.replace('http://x.test/after-short-comment.jpg', 'http://mmbiz.qpic.cn/new/0')
				.replace('http://x.test/custom-element.jpg', 'http://mmbiz.qpic.cn/new/0')
				.replace('http://x.test/real.jpg', 'http://mmbiz.qpic.cn/new/0'),
		);
	});

	it('takes a lazy-loaded image from data-src, data-original or data-lazy-src, not the placeholder', () => {
		const placeholder = 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';
		const html = [
			`<img class="lazy" data-src="https://x.test/a.jpg" src="${placeholder}" alt="a">`,
			`<img src='${placeholder}' data-original='https://x.test/b.jpg'>`,
			'<img data-lazy-src=https://x.test/c.jpg>',
			`<img data-src="" src="https://x.test/d.jpg">`,
		].join('');
		expect(findImageSources(html).map((image) => image.src)).toEqual([
			'https://x.test/a.jpg',
			'https://x.test/b.jpg',
			'https://x.test/c.jpg',
			'https://x.test/d.jpg',
		]);
		// Both attributes get WeChat's URL; a tag with only the lazy one gains a src.
		expect(replaceImageSources(html, (src) => `http://mmbiz.qpic.cn/${src.slice(-5, -4)}/0`)).toBe(
			[
				'<img class="lazy" data-src="http://mmbiz.qpic.cn/a/0" src="http://mmbiz.qpic.cn/a/0" alt="a">',
				"<img src='http://mmbiz.qpic.cn/b/0' data-original='http://mmbiz.qpic.cn/b/0'>",
				'<img src="http://mmbiz.qpic.cn/c/0" data-lazy-src=http://mmbiz.qpic.cn/c/0>',
				'<img data-src="" src="http://mmbiz.qpic.cn/d/0">',
			].join(''),
		);
	});

	it('counts the text a reader sees: entities as one character, no markup, comments, scripts or styles', () => {
		expect(visibleTextLength('<p>a&nbsp;b &amp; c&#8212;d&#x4E2D;</p>')).toBe(10);
		expect(visibleTextLength('<style>p { color: red }</style><p>hi</p><script>var s = "long";</script>')).toBe(2);
		expect(visibleTextLength('<!-- a note for editors --><p title="not counted">中文</p>')).toBe(2);
		expect(visibleTextLength('<textarea>typed</textarea>')).toBe(5);
	});
});
