import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { jpeg, mp3 } from '../fixtures/media';
import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import {
	addPermanentImage,
	articleFields,
	articleJson,
	serveBytes,
	startImageServer,
} from '../articles/support';
import { createDraft } from '../publish/support';

const env = useSandbox();

const storedArticles = (mediaId: string) =>
	(env.sandbox.stored('draft', mediaId) as { articles: IDataObject[] } | undefined)?.articles;

/** Draft → Update's parameters: Create's article parameters plus the draft and the 0-based index. */
function update(
	articles: IDataObject[],
	mediaId: string,
	articleIndex: number,
	asJson = false,
): INodeParameters {
	const base = asJson ? articleJson('draft', articles) : articleFields('draft', articles);
	return { ...base, operation: 'update', mediaId, articleIndex };
}

describe('Draft → Update', () => {
	it('replaces the article at a 0-based index and leaves the others as they were', async () => {
		const draftId = await createDraft(env.sandbox, env.credentials(), 3);
		const cover = await addPermanentImage(env.sandbox);
		const before = storedArticles(draftId) ?? [];
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: update(
				[
					{
						title: 'Article 2, fixed',
						author: 'Editor',
						content: '<p>Fixed</p>',
						thumbMediaId: cover,
					},
				],
				draftId,
				1,
			),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toEqual([
			expect.objectContaining({
				json: {
					media_id: draftId,
					index: 1,
					updated: true,
					title: 'Article 2, fixed',
					rehosted_images: [],
					skipped_images: [],
				},
				pairedItem: { item: 0 },
			}),
		]);
		const after = storedArticles(draftId) ?? [];
		expect(after.map((article) => article.title)).toEqual([
			'Article 1',
			'Article 2, fixed',
			'Article 3',
		]);
		expect(after[0]).toEqual(before[0]);
		expect(after[1]).toMatchObject({
			author: 'Editor',
			content: '<p>Fixed</p>',
			thumb_media_id: cover,
		});
		const call = env.sandbox.log().find((entry) => entry.path === '/cgi-bin/draft/update');
		expect(call?.body).toEqual({
			media_id: draftId,
			index: 1,
			articles: expect.objectContaining({ title: 'Article 2, fixed', article_type: 'news' }),
		});
		expect(apiCalls(env.sandbox)).toEqual(['POST /cgi-bin/draft/update']);
	});

	it('uploads a cover binary and re-hosts a web image, as Create does', async () => {
		const draftId = await createDraft(env.sandbox, env.credentials(), 1);
		const picture = jpeg(6_000);
		const host = await startImageServer({ '/p.jpg': serveBytes(picture) });
		try {
			env.sandbox.clearLog();
			const result = await runNode({
				parameters: update(
					[
						{
							title: 'With pictures',
							content: `<p>Look</p><img src="${host.url}/p.jpg">`,
							cover_binary: 'cover',
						},
					],
					draftId,
					0,
					true,
				),
				items: [{ files: [{ property: 'cover', bytes: jpeg(4_000), mimeType: 'image/jpeg' }] }],
				credentials: env.credentials(),
			});
			expect(result.error).toBeUndefined();
			const json = result.items[0].json;
			const [cover] = json.uploaded_covers as Array<{ media_id: string }>;
			const [rehosted] = json.rehosted_images as Array<{ source: string; url: string }>;
			expect(rehosted.source).toBe(`${host.url}/p.jpg`);
			const [article] = storedArticles(draftId) ?? [];
			expect(article.thumb_media_id).toBe(cover.media_id);
			expect(article.content).toBe(`<p>Look</p><img src="${rehosted.url}">`);
			// Repeatable uploads first, the permanent cover last (as Create does).
			expect(apiCalls(env.sandbox)).toEqual([
				'POST /cgi-bin/media/uploadimg',
				'POST /cgi-bin/material/add_material',
				'POST /cgi-bin/draft/update',
			]);
		} finally {
			await host.close();
		}
	});

	it('checks the article like Create before sending anything', async () => {
		const draftId = await createDraft(env.sandbox, env.credentials(), 1);
		env.sandbox.clearLog();
		const noCover = await runNode({
			parameters: update([{ title: 'No cover', content: 'x' }], draftId, 0, true),
			credentials: env.credentials(),
		});
		expect(noCover.error?.message).toMatch(
			/^item 0, field `Articles \(JSON\)`: article 1: has no cover/,
		);
		const two = await runNode({
			parameters: update(
				[
					{ title: 'A', content: 'a', thumb_media_id: 'x' },
					{ title: 'B', content: 'b', thumb_media_id: 'x' },
				],
				draftId,
				0,
				true,
			),
			credentials: env.credentials(),
		});
		expect(two.error?.message).toBe(
			'item 0, field `Articles (JSON)`: holds 2 articles; Draft → Update replaces one article at a time',
		);
		const badCover = await runNode({
			parameters: update(
				[{ title: 'A', content: 'a', coverSource: 'binary', coverBinaryField: 'cover' }],
				draftId,
				0,
			),
			items: [{ files: [{ property: 'cover', bytes: mp3(2), mimeType: 'audio/mpeg' }] }],
			credentials: env.credentials(),
		});
		expect(badCover.error?.message).toMatch(/^item 0, property `cover`: the file is an mp3/);
		const negative = await runNode({
			parameters: update([{ title: 'A', content: 'a', thumbMediaId: 'x' }], draftId, -1),
			credentials: env.credentials(),
		});
		expect(negative.error?.message).toBe(
			'item 0, field `Article Index`: must be a whole number of at least 0, not -1',
		);
		expect(apiCalls(env.sandbox)).toEqual([]);
		expect(storedArticles(draftId)?.map((article) => article.title)).toEqual(['Article 1']);
	});

	it('explains an index past the last article (0-based)', async () => {
		const draftId = await createDraft(env.sandbox, env.credentials(), 2);
		const cover = await addPermanentImage(env.sandbox);
		const result = await runNode({
			parameters: update([{ title: 'Third?', content: 'x', thumbMediaId: cover }], draftId, 2),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toContain('errcode 40097');
		expect(result.error?.description).toMatch(/^WeChat refused Article Index 2: it counts from 0/);
		expect(storedArticles(draftId)?.map((article) => article.title)).toEqual([
			'Article 1',
			'Article 2',
		]);
	});

	it('sends the update again after a dropped answer: the same replacement twice is harmless', async () => {
		const draftId = await createDraft(env.sandbox, env.credentials(), 1);
		const cover = await addPermanentImage(env.sandbox);
		env.sandbox.clearLog();
		env.sandbox.injectFault({ path: '/cgi-bin/draft/update', kind: 'drop' });
		const result = await runNode({
			parameters: update([{ title: 'Again', content: 'x', thumbMediaId: cover }], draftId, 0),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(apiCalls(env.sandbox)).toEqual([
			'POST /cgi-bin/draft/update',
			'POST /cgi-bin/draft/update',
		]);
		expect(storedArticles(draftId)?.[0].title).toBe('Again');
	});
});
