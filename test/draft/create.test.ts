import type { IDataObject } from 'n8n-workflow';

import { gif, jpeg, mp3, png } from '../fixtures/media';
import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import { addPermanentImage, articleFields, articleJson } from '../articles/support';

const env = useSandbox();

interface StoredDraft {
	articles: IDataObject[];
}

const storedDraft = (mediaId: unknown) =>
	env.sandbox.stored('draft', mediaId as string) as StoredDraft | undefined;

describe('Draft → Create', () => {
	it('uploads a cover from a binary property as permanent image material and uses its id', async () => {
		const coverBytes = png(5_000);
		const result = await runNode({
			parameters: articleFields('draft', [
				{ title: 'One', content: '<p>1</p>', coverSource: 'binary', coverBinaryField: 'cover' },
				// The same binary twice: uploaded once.
				{ title: 'Two', content: '<p>2</p>', coverSource: 'binary', coverBinaryField: 'cover' },
			]),
			items: [
				{
					files: [
						{ property: 'cover', bytes: coverBytes, fileName: 'cover.png', mimeType: 'image/png' },
					],
				},
			],
			credentials: env.credentials(),
		});

		expect(result.error).toBeUndefined();
		const json = result.items[0].json;
		const covers = json.uploaded_covers as Array<{
			binary_property: string;
			media_id: string;
			url: string;
		}>;
		expect(covers).toEqual([
			{
				binary_property: 'cover',
				media_id: expect.any(String),
				url: expect.stringMatching(/^http:\/\/mmbiz\.qpic\.cn\//),
			},
		]);
		const material = env.sandbox.stored('permanent', covers[0].media_id) as {
			type: string;
			bytes: Buffer;
		};
		expect(material.type).toBe('image');
		expect(Buffer.compare(material.bytes, coverBytes)).toBe(0);
		expect(storedDraft(json.media_id)?.articles.map((article) => article.thumb_media_id)).toEqual([
			covers[0].media_id,
			covers[0].media_id,
		]);
		expect(apiCalls(env.sandbox)).toEqual([
			'POST /cgi-bin/material/add_material',
			'POST /cgi-bin/draft/add',
		]);
		const upload = env.sandbox
			.log()
			.find((entry) => entry.path === '/cgi-bin/material/add_material');
		expect(upload?.query.type).toBe('image');
	});

	it('takes cover_binary in JSON too, next to articles with a media_id cover', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const result = await runNode({
			parameters: articleJson('draft', [
				{ title: 'A', content: 'a', cover_binary: 'first' },
				{ title: 'B', content: 'b', thumb_media_id: cover },
				{ title: 'C', content: 'c', cover_binary: 'second' },
			]),
			items: [
				{
					files: [
						{ property: 'first', bytes: jpeg(3_000), mimeType: 'image/jpeg' },
						{ property: 'second', bytes: gif(3_000), mimeType: 'image/gif' },
					],
				},
			],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		const covers = result.items[0].json.uploaded_covers as Array<{
			binary_property: string;
			media_id: string;
		}>;
		expect(covers.map((c) => c.binary_property)).toEqual(['first', 'second']);
		expect(
			storedDraft(result.items[0].json.media_id)?.articles.map((a) => a.thumb_media_id),
		).toEqual([covers[0].media_id, cover, covers[1].media_id]);
	});

	it('refuses a cover binary WeChat would refuse, before uploading anything', async () => {
		const result = await runNode({
			parameters: articleFields('draft', [
				{ title: 'A', content: 'a', coverSource: 'binary', coverBinaryField: 'cover' },
			]),
			items: [{ files: [{ property: 'cover', bytes: mp3(3), mimeType: 'audio/mpeg' }] }],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toMatch(/^item 0, property `cover`: the file is an mp3/);
		expect(apiCalls(env.sandbox)).toEqual([]);

		const missing = await runNode({
			parameters: articleFields('draft', [
				{ title: 'A', content: 'a', coverSource: 'binary', coverBinaryField: 'cover' },
			]),
			credentials: env.credentials(),
		});
		expect(missing.error?.message).toBe('item 0, property `cover`: the item has no binary data');
	});

	it('creates a picture post (newspic) from permanent image ids, from fields and from JSON', async () => {
		const first = await addPermanentImage(env.sandbox);
		const second = await addPermanentImage(env.sandbox, jpeg(4_000));
		const fromFields = await runNode({
			parameters: articleFields('draft', [
				{
					articleType: 'newspic',
					title: 'Pictures',
					content: 'Two photos',
					imageMediaIds: `${first}, ${second}`,
				},
			]),
			credentials: env.credentials(),
		});
		const fromJson = await runNode({
			parameters: articleJson('draft', [
				{
					article_type: 'newspic',
					title: 'Pictures',
					image_info: { image_list: [{ image_media_id: first }, { image_media_id: second }] },
				},
			]),
			credentials: env.credentials(),
		});
		for (const result of [fromFields, fromJson]) {
			expect(result.error).toBeUndefined();
			const [article] = storedDraft(result.items[0].json.media_id)?.articles ?? [];
			expect(article).toMatchObject({
				article_type: 'newspic',
				title: 'Pictures',
				image_info: { image_list: [{ image_media_id: first }, { image_media_id: second }] },
			});
		}
	});

	it('refuses a picture post without images, and an unknown article type', async () => {
		const noImages = await runNode({
			parameters: articleFields('draft', [
				{ articleType: 'newspic', title: 'P', imageMediaIds: ' , ' },
			]),
			credentials: env.credentials(),
		});
		expect(noImages.error?.message).toBe(
			'item 0, field `Articles`: article 1: Image Media IDs: a picture post needs at least one permanent image',
		);
		const badType = await runNode({
			parameters: articleJson('draft', [{ article_type: 'video', title: 'V', content: 'x' }]),
			credentials: env.credentials(),
		});
		expect(badType.error?.message).toBe(
			'item 0, field `Articles (JSON)`: article 1: article_type must be news or newspic',
		);
		expect(apiCalls(env.sandbox)).toEqual([]);
	});

	it('says which uploaded covers remain when WeChat then refuses the draft', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/draft/add', kind: 'errcode', errcode: 45002 });
		const result = await runNode({
			parameters: articleFields('draft', [
				{ title: 'A', content: 'a', coverSource: 'binary', coverBinaryField: 'cover' },
			]),
			items: [{ files: [{ property: 'cover', bytes: jpeg(3_000), mimeType: 'image/jpeg' }] }],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toContain('errcode 45002');
		expect(result.error?.description).toContain('The article content is too long');
		expect(result.error?.description).toMatch(/stay in the material library \(media_id \S+\)/);
	});

	it('does not send a draft twice when the answer to draft/add is lost', async () => {
		const cover = await addPermanentImage(env.sandbox);
		env.sandbox.clearLog();
		env.sandbox.injectFault({ path: '/cgi-bin/draft/add', kind: 'drop' });
		const result = await runNode({
			parameters: articleJson('draft', [{ title: 'A', content: 'a', thumb_media_id: cover }]),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toContain('may or may not have been carried out');
		expect(apiCalls(env.sandbox)).toEqual(['POST /cgi-bin/draft/add']);
	});
});

describe('Draft → Create: articles as users have them', () => {
	const sentArticles = () =>
		(env.sandbox.log().find((entry) => entry.path === '/cgi-bin/draft/add')?.body as {
			articles: IDataObject[];
		}).articles;

	it("takes Draft → Get's own output back: read-only fields dropped, everything else sent", async () => {
		const cover = await addPermanentImage(env.sandbox);
		const created = await runNode({
			parameters: articleJson('draft', [
				{ title: 'First', author: 'Li Lei', content: '<p>one</p>', thumb_media_id: cover },
				{ title: 'Second', content: '<p>two</p>', thumb_media_id: cover, need_open_comment: 1 },
			]),
			credentials: env.credentials(),
		});
		const read = await runNode({
			parameters: { resource: 'draft', operation: 'get', mediaId: created.items[0].json.media_id as string },
			credentials: env.credentials(),
		});
		const output = read.items[0].json;
		const newsItem = output.news_item as IDataObject[];
		expect(newsItem[0]).toHaveProperty('url');
		expect(newsItem[0]).toHaveProperty('thumb_url');

		// The article list, and the whole output item ({media_id, news_item}) as an expression gives it.
		for (const input of [newsItem, output]) {
			env.sandbox.clearLog();
			const again = await runNode({
				parameters: articleJson('draft', input),
				credentials: env.credentials(),
			});
			expect(again.error).toBeUndefined();
			const sent = sentArticles();
			const withoutReadOnly = newsItem.map(({ url: _url, thumb_url: _thumbUrl, ...rest }) => rest);
			expect(sent).toEqual(withoutReadOnly);
			expect(storedDraft(again.items[0].json.media_id)?.articles.map((a) => a.title)).toEqual([
				'First',
				'Second',
			]);
		}
	});

	it('passes fields it does not know on to WeChat as they are (cover_info, product_info, …)', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const extra = {
			cover_info: { crop_percent_list: [{ ratio: '1_1', x1: '0.1', y1: '0', x2: '0.9', y2: '1' }] },
			product_info: { footer_product_info: { product_key: 'P-123' } },
			pic_crop_235_1: '0_0_1_0.5',
		};
		const result = await runNode({
			parameters: articleJson('draft', [
				{ title: 'T', content: '<p>x</p>', thumb_media_id: cover, ...extra },
			]),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(sentArticles()[0]).toMatchObject(extra);
	});

	it('counts the text a reader sees against 20,000 characters, as WeChat does', async () => {
		const cover = await addPermanentImage(env.sandbox);
		const styled = [
			`<style>${'section p { margin: 0 0 1em; color: #333 } '.repeat(500)}</style>`,
			'<!-- generated by the editor -->',
			`<p>${'&nbsp;'.repeat(9_999)}${'字'.repeat(10_000)}</p>`,
		].join('');
		const accepted = await runNode({
			parameters: articleJson('draft', [{ title: 'T', content: styled, thumb_media_id: cover }]),
			credentials: env.credentials(),
		});
		expect(accepted.error).toBeUndefined();
		expect(storedDraft(accepted.items[0].json.media_id)).toBeDefined();

		env.sandbox.clearLog();
		const refused = await runNode({
			parameters: articleJson('draft', [
				{ title: 'T', content: `${styled}&mdash;`, thumb_media_id: cover },
			]),
			credentials: env.credentials(),
		});
		expect(refused.error?.message).toBe(
			'item 0, field `Articles (JSON)`: article 1: content has 20,000 characters of text; WeChat allows fewer than 20,000',
		);
		expect(apiCalls(env.sandbox)).toEqual([]);
	});
});
