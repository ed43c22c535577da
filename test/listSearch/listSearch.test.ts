/**
 * The lists behind the "From List" mode of the Media ID resource locators, called as n8n's editor
 * backend calls them (LoadOptionsContext), against the sandbox.
 */
import type { INodeListSearchResult } from 'n8n-workflow';

import { amr, jpeg } from '../fixtures/media';
import { createCredentialStore, runNode } from '../harness';
import { searchList } from '../harness/list-search';
import { addMaterials, addNews, type MaterialToAdd } from '../permanentMaterial/library';
import type { RequestLogEntry, Sandbox } from '../sandbox';
import { classicToken, postJson } from '../sandbox/helpers';
import { useSandbox } from '../support';

const env = useSandbox();

/** "name · YYYY-MM-DD HH:mm", the update time in the workflow's timezone. */
const shownWithTime = (label: string) =>
	new RegExp(
		`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} · \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}$`,
	);

const images = (count: number): MaterialToAdd[] =>
	Array.from({ length: count }, (_, n) => ({
		type: 'image',
		bytes: jpeg(1000 + n),
		filename: `image-${n}.jpg`,
	}));

const materialList = (materialType: string, paginationToken?: string) =>
	searchList({
		method: 'searchMaterials',
		parameters: { resource: 'permanentMaterial', operation: 'get', materialType },
		credentials: env.credentials(),
		paginationToken,
	});

const draftList = (operation: 'draft' | 'publish', paginationToken?: string) =>
	searchList({
		method: 'searchDrafts',
		parameters:
			operation === 'draft'
				? { resource: 'draft', operation: 'get' }
				: { resource: 'publish', operation: 'submit' },
		credentials: env.credentials(),
		paginationToken,
	});

const requestsTo = (path: string) =>
	env.sandbox
		.log()
		.filter((entry: RequestLogEntry) => entry.path === path)
		.map((entry) => entry.body);

/** Saves drafts over plain HTTP, one after the other; returns their media_ids. */
async function addDrafts(sandbox: Sandbox, titles: string[][]): Promise<string[]> {
	const [cover] = await addMaterials(sandbox, [
		{ type: 'image', bytes: jpeg(2000), filename: 'cover.jpg' },
	]);
	const token = await classicToken(sandbox);
	const ids: string[] = [];
	for (const draftTitles of titles) {
		const articles = draftTitles.map((title) => ({
			title,
			content: `<p>${title}</p>`,
			thumb_media_id: cover,
		}));
		const answer = await postJson(sandbox, '/cgi-bin/draft/add', { articles }, token);
		if (typeof answer.media_id !== 'string')
			throw new Error(`seeding failed: ${JSON.stringify(answer)}`);
		ids.push(answer.media_id);
	}
	return ids;
}

const values = (result: INodeListSearchResult) => result.results.map((item) => item.value);

describe('Media ID "From List": permanent material (searchMaterials)', () => {
	it('pages through 45 images newest first, 20 at a time, names and update times shown', async () => {
		const ids = await addMaterials(env.sandbox, images(45));
		env.sandbox.clearLog();

		const first = await materialList('image');
		expect(first.results).toHaveLength(20);
		expect(first.results[0].name).toMatch(shownWithTime('image-44.jpg'));
		expect(first.paginationToken).toBe('20');
		const second = await materialList('image', first.paginationToken);
		expect(second.paginationToken).toBe('40');
		const third = await materialList('image', second.paginationToken);
		expect(third.results).toHaveLength(5);
		expect(third.paginationToken).toBeUndefined();

		expect([...values(first), ...values(second), ...values(third)]).toEqual([...ids].reverse());
		expect(third.results.at(-1)?.name).toMatch(shownWithTime('image-0.jpg'));
		expect(requestsTo('/cgi-bin/material/batchget_material')).toEqual([
			{ type: 'image', offset: 0, count: 20 },
			{ type: 'image', offset: 20, count: 20 },
			{ type: 'image', offset: 40, count: 20 },
		]);
	});

	it('lists the library of the chosen Material Type only; news by their first title', async () => {
		const [image, voice] = await addMaterials(env.sandbox, [
			{ type: 'image', bytes: jpeg(1500), filename: 'cover.jpg' },
			{ type: 'voice', bytes: amr(2), filename: 'hello.amr' },
		]);
		const news = await addNews(env.sandbox, image, ['Spring menu', 'Opening hours']);

		const voices = await materialList('voice');
		expect(values(voices)).toEqual([voice]);
		expect(voices.results[0].name).toMatch(shownWithTime('hello.amr'));

		const newsList = await materialList('news');
		expect(values(newsList)).toEqual([news]);
		expect(newsList.results[0].name).toMatch(shownWithTime('Spring menu (+1 more)'));

		expect(values(await materialList('video'))).toEqual([]);
	});

	it('shows an empty library as an empty list, after one call and with no next page', async () => {
		const result = await materialList('image');
		expect(result).toEqual({ results: [], paginationToken: undefined });
		expect(requestsTo('/cgi-bin/material/batchget_material')).toHaveLength(1);
	});

	it('renews a token WeChat stopped accepting between two pages, once, and lists on', async () => {
		const ids = await addMaterials(env.sandbox, images(25));
		const credentials = createCredentialStore(env.credentials());
		const list = (paginationToken?: string) =>
			searchList({
				method: 'searchMaterials',
				parameters: {
					resource: 'permanentMaterial',
					operation: 'deleteMaterial',
					materialType: 'image',
				},
				credentials,
				paginationToken,
			});
		const first = await list();
		const tokenBefore = credentials.data.accessToken;
		expect(typeof tokenBefore).toBe('string');

		env.sandbox.invalidateTokens();
		env.sandbox.clearLog();
		const second = await list(first.paginationToken);

		expect([...values(first), ...values(second)]).toEqual([...ids].reverse());
		const calls = env.sandbox.log().map((entry) => `${entry.path} ${entry.errcode ?? 0}`);
		expect(calls).toEqual([
			'/cgi-bin/material/batchget_material 40001',
			'/cgi-bin/stable_token 0',
			'/cgi-bin/material/batchget_material 0',
		]);
		// The renewed token went to n8n's credential store, for every later call and worker.
		expect(credentials.data.accessToken).not.toBe(tokenBefore);
	});

	it('fails with the AppSecret hint when the credential is wrong, and no secret in the message', async () => {
		const wrongSecret = '0'.repeat(32);
		const listing = searchList({
			method: 'searchMaterials',
			parameters: { resource: 'permanentMaterial', operation: 'get', materialType: 'image' },
			credentials: env.credentials({ appSecret: wrongSecret }),
		});
		const error = (await listing.then(
			() => undefined,
			(thrown: unknown) => thrown,
		)) as Error & { description?: string };
		expect(error).toBeInstanceOf(Error);
		expect(error.message).toContain('errcode 40125');
		expect(error.description).toContain('The AppSecret is wrong');
		expect(`${error.message} ${error.description ?? ''}`).not.toContain(wrongSecret);
	});
});

describe('Media ID "From List": drafts (searchDrafts) for Draft → Get and Publish → Submit', () => {
	it('lists drafts newest first by their titles, without article HTML', async () => {
		const [older, newer] = await addDrafts(env.sandbox, [
			['Weekly news'],
			['Launch day', 'FAQ', 'Prices'],
		]);
		env.sandbox.clearLog();

		for (const operation of ['draft', 'publish'] as const) {
			const result = await draftList(operation);
			expect(values(result)).toEqual([newer, older]);
			expect(result.results[0].name).toMatch(shownWithTime('Launch day (+2 more)'));
			expect(result.results[1].name).toMatch(shownWithTime('Weekly news'));
			expect(result.paginationToken).toBeUndefined();
		}
		expect(requestsTo('/cgi-bin/draft/batchget')).toEqual([
			{ offset: 0, count: 20, no_content: 1 },
			{ offset: 0, count: 20, no_content: 1 },
		]);
	});

	it('pages through 23 drafts: 20, then 3', async () => {
		const ids = await addDrafts(
			env.sandbox,
			Array.from({ length: 23 }, (_, n) => [`Draft ${n}`]),
		);
		const first = await draftList('publish');
		expect(first.paginationToken).toBe('20');
		const second = await draftList('publish', first.paginationToken);
		expect(second.paginationToken).toBeUndefined();
		expect([...values(first), ...values(second)]).toEqual([...ids].reverse());
	});

	it('shows an empty draft box as an empty list', async () => {
		expect(await draftList('draft')).toEqual({ results: [], paginationToken: undefined });
	});
});

describe('Media ID values at run time', () => {
	it('reads a picked value, an ID typed in, an expression, and the plain string of an older workflow', async () => {
		const ids = await addDrafts(env.sandbox, [['One'], ['Two'], ['Three'], ['Four']]);
		const mediaIds = [
			{ __rl: true, mode: 'list', value: ids[0], cachedResultName: 'One' },
			{ __rl: true, mode: 'id', value: ids[1] },
			{ __rl: true, mode: 'id', value: '={{ $json.draft }}' },
			ids[3],
		];
		for (const [index, mediaId] of mediaIds.entries()) {
			const result = await runNode({
				parameters: { resource: 'draft', operation: 'get', mediaId },
				items: [{ json: { draft: ids[2] } }],
				credentials: env.credentials(),
			});
			expect(result.error).toBeUndefined();
			expect(result.items[0].json.media_id).toBe(ids[index]);
		}
	});

	it('is stopped by n8n itself when "From List" was left empty: nothing is sent', async () => {
		const run = runNode({
			parameters: {
				resource: 'permanentMaterial',
				operation: 'deleteMaterial',
				materialType: 'image',
				mediaId: { __rl: true, mode: 'list', value: '' },
			},
			credentials: env.credentials(),
		});
		await expect(run).rejects.toThrow('Parameter "Media ID" is required');
		expect(requestsTo('/cgi-bin/material/del_material')).toEqual([]);
	});
});
