import type { IDataObject } from 'n8n-workflow';

import { gif, jpeg, png } from '../fixtures/media';
import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import {
	addPermanentImage,
	articleFields,
	articleJson,
	imageSources,
	serveBytes,
	startImageServer,
	type ImageRoute,
	type ImageServer,
} from './support';

const env = useSandbox();

let images: ImageServer;
const photo = jpeg(40_000);
const chart = png(6_000);
const diagram = jpeg(9_000);

beforeAll(async () => {
	images = await startImageServer({
		'/photo.jpg': serveBytes(photo),
		'/chart.png': serveBytes(chart, 'image/png'),
		'/anim.gif': serveBytes(gif(3_000), 'image/gif'),
		// 2 MB sent without Content-Length: only the streamed cap can stop it.
		'/huge.jpg': (_request, response) => {
			response.writeHead(200, { 'Content-Type': 'image/jpeg' });
			response.end(jpeg(2 * 1024 * 1024));
		},
		'/declared-huge.jpg': serveBytes(jpeg(3 * 1024 * 1024)),
		// Fails once, then serves: a read worth one more try.
		'/flaky.jpg': (() => {
			let calls = 0;
			return (request, response) => {
				if (++calls === 1) {
					response.writeHead(503, { 'Content-Type': 'text/plain' });
					response.end('busy');
					return;
				}
				serveBytes(photo)(request, response);
			};
		})(),
		// Sends headers, then nothing: the fetch must give up on its own.
		'/stalls.jpg': (_request, response) => {
			response.writeHead(200, { 'Content-Type': 'image/jpeg' });
			response.write(photo.subarray(0, 100));
		},
	});
});

afterAll(async () => await images.close());

async function readDraft(mediaId: unknown): Promise<IDataObject[]> {
	const result = await runNode({
		parameters: { resource: 'draft', operation: 'get', mediaId: mediaId as string },
		credentials: env.credentials(),
	});
	expect(result.error).toBeUndefined();
	return result.items[0].json.news_item as IDataObject[];
}

/** The bytes WeChat stored behind an uploadimg URL, found through the request log. */
function uploadimgCalls(): number {
	return apiCalls(env.sandbox).filter((call) => call === 'POST /cgi-bin/media/uploadimg').length;
}

describe('Re-hosting article images', () => {
	it('re-hosts an http URL, a data: URI and a binary reference, and the stored draft keeps every image', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const dataUri = `data:image/png;base64,${chart.toString('base64')}`;
		const content = [
			'<section class="intro"><p>Before &amp; after</p>',
			`<img src="${images.url}/photo.jpg" alt="a > b" width="600">`,
			`<p>chart</p><img class='wide' src='${dataUri}'>`,
			'<figure><img data-kind=local src=binary:diagram></figure>',
			'</section>',
		].join('\n');
		const result = await runNode({
			parameters: articleFields('draft', [{ title: 'Images', content, thumbMediaId: cover }]),
			items: [{ files: [{ property: 'diagram', bytes: diagram, fileName: 'diagram.jpg' }] }],
			credentials: env.credentials(),
		});

		expect(result.error).toBeUndefined();
		const json = result.items[0].json;
		const rehosted = json.rehosted_images as Array<{ source: string; url: string }>;
		expect(rehosted.map((image) => image.source)).toEqual([
			`${images.url}/photo.jpg`,
			'data:image/png;base64,… (6,000 bytes)',
			'binary:diagram',
		]);
		for (const image of rehosted) expect(image.url).toMatch(/^http:\/\/mmbiz\.qpic\.cn\//);
		expect(json.skipped_images).toEqual([]);

		const [stored] = await readDraft(json.media_id);
		const storedContent = stored.content as string;
		expect(imageSources(storedContent)).toEqual(rehosted.map((image) => image.url));
		// Everything but the three src values is byte-for-byte what was given.
		const expected = content
			.replace(`${images.url}/photo.jpg`, rehosted[0].url)
			.replace(dataUri, rehosted[1].url)
			.replace('binary:diagram', rehosted[2].url);
		expect(storedContent).toBe(expected);
		expect(uploadimgCalls()).toBe(3);
	});

	it('uploads the bytes it was given: the sandbox stored what the URL served', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const result = await runNode({
			parameters: articleJson('draft', [
				{ title: 'T', thumb_media_id: cover, content: `<img src="${images.url}/photo.jpg">` },
			]),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		const upload = env.sandbox.log().find((entry) => entry.path === '/cgi-bin/media/uploadimg');
		const files = (upload?.body as { files: Array<{ filename: string; size: number }> }).files;
		expect(files).toEqual([expect.objectContaining({ filename: 'photo.jpg', size: photo.length })]);
	});

	it('fetches and uploads each distinct image once per item, however often articles use it', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const before = images.hits('/chart.png');
		const src = `${images.url}/chart.png`;
		const result = await runNode({
			parameters: articleJson('draft', [
				{ title: 'A', thumb_media_id: cover, content: `<img src="${src}"><img src="${src}">` },
				{ title: 'B', thumb_media_id: cover, content: `<p><img src="${src}"></p>` },
			]),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(images.hits('/chart.png') - before).toBe(1);
		expect(uploadimgCalls()).toBe(1);
		const url = (result.items[0].json.rehosted_images as Array<{ url: string }>)[0].url;
		const stored = await readDraft(result.items[0].json.media_id);
		expect(stored.map((article) => imageSources(article.content as string))).toEqual([
			[url, url],
			[url],
		]);
	});

	it('fetches again once when the image host answers 5xx', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const result = await runNode({
			parameters: articleJson('draft', [
				{ title: 'T', thumb_media_id: cover, content: `<img src="${images.url}/flaky.jpg">` },
			]),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(images.hits('/flaky.jpg')).toBe(2);
		expect(result.items[0].json.rehosted_images).toHaveLength(1);
	});

	it('leaves images WeChat already hosts alone', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const first = await runNode({
			parameters: articleJson('draft', [
				{ title: 'A', thumb_media_id: cover, content: `<img src="${images.url}/photo.jpg">` },
			]),
			credentials: env.credentials(),
		});
		const hosted = (first.items[0].json.rehosted_images as Array<{ url: string }>)[0].url;
		env.sandbox.clearLog();

		const second = await runNode({
			parameters: articleJson('draft', [
				{ title: 'B', thumb_media_id: cover, content: `<p><img src="${hosted}"></p>` },
			]),
			credentials: env.credentials(),
		});
		expect(second.items[0].json.rehosted_images).toEqual([]);
		expect(apiCalls(env.sandbox)).toEqual(['POST /cgi-bin/draft/add']);
		const [stored] = await readDraft(second.items[0].json.media_id);
		expect(stored.content).toBe(`<p><img src="${hosted}"></p>`);
	});

	it('without re-hosting, WeChat strips the external image: the reason this feature exists', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const result = await runNode({
			parameters: articleJson(
				'draft',
				[
					{
						title: 'T',
						thumb_media_id: cover,
						content: `<p>Look:</p><img src="${images.url}/photo.jpg"><p>end</p>`,
					},
				],
				{ rehostImages: false },
			),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).not.toHaveProperty('rehosted_images');
		const [stored] = await readDraft(result.items[0].json.media_id);
		expect(stored.content).toBe('<p>Look:</p><p>end</p>');
	});
});

describe('Re-hosting: images that cannot be re-hosted', () => {
	const withImage = (src: string, extra = {}) =>
		articleJson(
			'draft',
			[
				{ title: 'Fine', thumb_media_id: 'COVER', content: '<p>no images</p>' },
				{ title: 'T', thumb_media_id: 'COVER', content: `<p>x</p><img src="${src}">` },
			],
			extra,
		);

	it.each([
		['a gif', '/anim.gif', 'the file is a gif image; an article image must be jpg or png'],
		['a missing file', '/missing.jpg', 'could not be fetched: the server answered HTTP 404'],
		[
			'a file too large, streamed without a length',
			'/huge.jpg',
			'the file is larger than WeChat allows for an article image (jpg or png, under 1 MB)',
		],
		[
			'a file too large by its Content-Length',
			'/declared-huge.jpg',
			'the file is larger than WeChat allows for an article image (jpg or png, under 1 MB)',
		],
	])(
		'stops at %s before WeChat is called, naming article and image',
		async (_case, path, reason) => {
			const result = await runNode({
				parameters: withImage(`${images.url}${path}`),
				credentials: env.credentials(),
			});
			expect(result.error?.message).toBe(
				`item 0, field \`Articles (JSON)\`: article 2: image ${images.url}${path}: ${reason}`,
			);
			expect(apiCalls(env.sandbox)).toEqual([]);
		},
	);

	it.each([
		['an ftp URL', 'ftp://example.com/a.jpg', 'ftp: URLs are not fetched; only http(s) URLs'],
		['a file URL', 'file:///etc/passwd', 'file: URLs are not fetched'],
		['a relative path', '/images/a.jpg', 'not an absolute URL'],
		['an empty src', '', 'the src is empty'],
		['broken base64', 'data:image/png;base64,@@@@', 'the data: URI is not valid base64'],
	])('refuses %s without fetching anything', async (_case, src, reason) => {
		const result = await runNode({ parameters: withImage(src), credentials: env.credentials() });
		// A data: URI is named by its header only: the data could be a megabyte long.
		const named = src.startsWith('data:') ? 'data:image/png;base64,…' : src;
		expect(result.error?.message).toContain(`article 2: image ${named}: `);
		expect(result.error?.message).toContain(reason);
		expect(apiCalls(env.sandbox)).toEqual([]);
	});

	it('names the binary property when a referenced binary is missing or not an image WeChat takes', async () => {
		const missing = await runNode({
			parameters: withImage('binary:photo'),
			items: [{ files: [{ property: 'data', bytes: jpeg(2000), mimeType: 'image/jpeg' }] }],
			credentials: env.credentials(),
		});
		expect(missing.error?.message).toBe(
			'item 0, property `photo`: the item has no binary property with this name (it has: data)',
		);
		const wrongType = await runNode({
			parameters: withImage('binary:photo'),
			items: [{ files: [{ property: 'photo', bytes: gif(2000), mimeType: 'image/gif' }] }],
			credentials: env.credentials(),
		});
		expect(wrongType.error?.message).toBe(
			'item 0, property `photo`: the file is a gif image; an article image must be jpg or png',
		);
		expect(apiCalls(env.sandbox)).toEqual([]);
	});

	it('gives up on an image host that stops answering, within the Timeout option', async () => {
		const result = await runNode({
			parameters: withImage(`${images.url}/stalls.jpg`, { options: { timeout: 1000 } }),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toContain(
			`image ${images.url}/stalls.jpg: could not be fetched: no complete answer within 1000 ms`,
		);
	});

	it('skips what it cannot re-host when asked to, lists why, and re-hosts the rest', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const content = [
			`<img src="${images.url}/photo.jpg">`,
			`<img src="${images.url}/anim.gif">`,
			'<img src="ftp://example.com/a.jpg">',
			'<img src="binary:nothing">',
		].join('');
		const result = await runNode({
			parameters: articleJson('draft', [{ title: 'T', thumb_media_id: cover, content }], {
				unhostableImages: 'skip',
			}),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		const json = result.items[0].json;
		const rehosted = json.rehosted_images as Array<{ source: string; url: string }>;
		expect(rehosted.map((image) => image.source)).toEqual([`${images.url}/photo.jpg`]);
		expect(json.skipped_images).toEqual([
			{
				source: `${images.url}/anim.gif`,
				reason: 'the file is a gif image; an article image must be jpg or png',
			},
			{
				source: 'ftp://example.com/a.jpg',
				reason: expect.stringContaining('ftp: URLs are not fetched'),
			},
			{
				source: 'binary:nothing',
				reason: expect.stringContaining('the item has no binary data'),
			},
		]);
		// WeChat removes the skipped ones; the re-hosted one stays.
		const [stored] = await readDraft(json.media_id);
		expect(imageSources(stored.content as string)).toEqual([rehosted[0].url]);
	});
});

describe('Re-hosting: HTML as editors write it', () => {
	const PLACEHOLDER =
		'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

	it('re-hosts the real image of a lazy-loaded <img>, not its placeholder GIF', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const content = [
			`<p><img class="lazy" data-src="${images.url}/photo.jpg" src="${PLACEHOLDER}" alt="p"></p>`,
			`<p><img src="${PLACEHOLDER}" data-original="${images.url}/chart.png"></p>`,
			`<p><img data-lazy-src="${images.url}/photo.jpg"></p>`,
		].join('');
		const result = await runNode({
			parameters: articleJson('draft', [{ title: 'T', thumb_media_id: cover, content }]),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		const json = result.items[0].json;
		const rehosted = json.rehosted_images as Array<{ source: string; url: string }>;
		expect(rehosted.map((image) => image.source)).toEqual([
			`${images.url}/photo.jpg`,
			`${images.url}/chart.png`,
		]);
		expect(json.skipped_images).toEqual([]);
		const [photoUrl, chartUrl] = rehosted.map((image) => image.url);
		const [stored] = await readDraft(json.media_id);
		// WeChat keeps each image: its src is now WeChat's copy, and so is the lazy attribute.
		expect(stored.content).toBe(
			[
				`<p><img class="lazy" data-src="${photoUrl}" src="${photoUrl}" alt="p"></p>`,
				`<p><img src="${chartUrl}" data-original="${chartUrl}"></p>`,
				`<p><img src="${photoUrl}" data-lazy-src="${photoUrl}"></p>`,
			].join(''),
		);
	});

	it('neither fetches nor rewrites images in comments, scripts, styles, textareas and noscript', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const hidden = (name: string) => `${images.url}/hidden-${name}.jpg`;
		const content = [
			`<!-- old version: <img src="${hidden('comment')}"> -->`,
			`<noscript><img src="${hidden('noscript')}"></noscript>`,
			`<textarea><img src="${hidden('textarea')}"></textarea>`,
			`<style>.x::before { content: '<img src="${hidden('style')}">' }</style>`,
			`<p><img src="${images.url}/photo.jpg"></p>`,
		].join('\n');
		const before = ['comment', 'noscript', 'textarea', 'style'].map((name) =>
			images.hits(`/hidden-${name}.jpg`),
		);
		const result = await runNode({
			parameters: articleJson('draft', [{ title: 'T', thumb_media_id: cover, content }]),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		const rehosted = result.items[0].json.rehosted_images as Array<{ source: string; url: string }>;
		expect(rehosted.map((image) => image.source)).toEqual([`${images.url}/photo.jpg`]);
		expect(
			['comment', 'noscript', 'textarea', 'style'].map((name) => images.hits(`/hidden-${name}.jpg`)),
		).toEqual(before);
		const sent = env.sandbox.log().find((entry) => entry.path === '/cgi-bin/draft/add')?.body as {
			articles: Array<{ content: string }>;
		};
		expect(sent.articles[0].content).toBe(content.replace(`${images.url}/photo.jpg`, rehosted[0].url));
	});
});

describe('Re-hosting: several images at once', () => {
	let slow: ImageServer;
	let inFlight = 0;
	let mostAtOnce = 0;
	const finished: string[] = [];

	beforeAll(async () => {
		// Each answer takes a while; earlier images take longer, so they finish last.
		const routes: Record<string, ImageRoute> = {};
		for (let index = 0; index < 10; index++) {
			routes[`/slow-${index}.jpg`] = (request, response) => {
				inFlight++;
				mostAtOnce = Math.max(mostAtOnce, inFlight);
				setTimeout(() => {
					inFlight--;
					finished.push(request.url ?? '');
					serveBytes(jpeg(2_000 + index))(request, response);
				}, 400 - index * 20);
			};
		}
		slow = await startImageServer(routes);
	});

	afterAll(async () => await slow.close());

	it('fetches a bounded few at a time and reports them in document order', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const sources = Array.from({ length: 10 }, (_, index) => `${slow.url}/slow-${index}.jpg`);
		const started = Date.now();
		const result = await runNode({
			parameters: articleJson('draft', [
				{ title: 'A', thumb_media_id: cover, content: sources.slice(0, 6).map((src) => `<img src="${src}">`).join('') },
				{ title: 'B', thumb_media_id: cover, content: sources.slice(6).map((src) => `<img src="${src}">`).join('') },
			]),
			credentials: env.credentials(),
		});
		const elapsed = Date.now() - started;
		// One by one would take over 3.1 s (the delays add up); logged for the record, not asserted.
		console.log(`rehost: 10 images of 220-400 ms each in ${elapsed} ms, at most ${mostAtOnce} at once`);

		expect(result.error).toBeUndefined();
		expect(mostAtOnce).toBe(4);
		// Finished out of order, reported in order.
		expect(finished).not.toEqual(sources.map((src) => new URL(src).pathname));
		const rehosted = result.items[0].json.rehosted_images as Array<{ source: string; url: string }>;
		expect(rehosted.map((image) => image.source)).toEqual(sources);
		const stored = await readDraft(result.items[0].json.media_id);
		expect(stored.flatMap((article) => imageSources(article.content as string))).toEqual(
			rehosted.map((image) => image.url),
		);
	});
});
