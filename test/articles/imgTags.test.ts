import {
	decodeEntities,
	findImageSources,
	replaceImageSources,
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
});
