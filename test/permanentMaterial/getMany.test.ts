import { amr, jpeg, png } from '../fixtures/media';
import { runNode } from '../harness';
import type { RequestLogEntry } from '../sandbox';
import { useSandbox } from '../support';
import { addMaterials, addNews, type MaterialToAdd } from './library';

const env = useSandbox();

const getMany = (materialType: string, paging: Record<string, unknown>) => ({
	resource: 'permanentMaterial',
	operation: 'getMany',
	materialType,
	...paging,
});

const images = (count: number): MaterialToAdd[] =>
	Array.from({ length: count }, (_, n) => ({
		type: 'image',
		bytes: n % 2 ? png(1000 + n) : jpeg(1000 + n),
		filename: `image-${n}.${n % 2 ? 'png' : 'jpg'}`,
	}));

const pageRequests = () =>
	env.sandbox
		.log()
		.filter((entry: RequestLogEntry) => entry.path === '/cgi-bin/material/batchget_material')
		.map((entry) => entry.body);

describe('Permanent Material → Get Many', () => {
	it('pages through 45 images in steps of 20 with Return All: 45 items, 3 calls, newest first', async () => {
		const ids = await addMaterials(env.sandbox, images(45));
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: getMany('image', { returnAll: true }),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(45);
		expect(result.items.map((item) => item.json.media_id)).toEqual([...ids].reverse());
		expect(result.items[0].json).toEqual({
			media_id: ids[44],
			name: 'image-44.jpg',
			update_time: expect.any(Number),
			url: expect.stringMatching(/^http:\/\/mmbiz\.qpic\.cn\//),
		});
		expect(result.items.every((item) => (item.pairedItem as { item: number }).item === 0)).toBe(
			true,
		);
		expect(pageRequests()).toEqual([
			{ type: 'image', offset: 0, count: 20 },
			{ type: 'image', offset: 20, count: 20 },
			{ type: 'image', offset: 40, count: 20 },
		]);
	});

	it('stops at the limit: Limit 25 → 25 items from 2 calls, the second asking for 5', async () => {
		const ids = await addMaterials(env.sandbox, images(45));
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: getMany('image', { returnAll: false, limit: 25 }),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.media_id)).toEqual([...ids].reverse().slice(0, 25));
		expect(pageRequests()).toEqual([
			{ type: 'image', offset: 0, count: 20 },
			{ type: 'image', offset: 20, count: 5 },
		]);
	});

	it('makes one call when the library holds fewer than the limit, and none are missing', async () => {
		await addMaterials(env.sandbox, images(7));
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: getMany('image', { returnAll: false, limit: 50 }),
			credentials: env.credentials(),
		});
		expect(result.items).toHaveLength(7);
		expect(pageRequests()).toEqual([{ type: 'image', offset: 0, count: 20 }]);
	});

	it('lists only the chosen library: voices, and news with their articles', async () => {
		const [thumb, voice] = await addMaterials(env.sandbox, [
			{ type: 'thumb', bytes: jpeg(), filename: 't.jpg' },
			{ type: 'voice', bytes: amr(1), filename: '留言.amr' },
		]);
		const news = await addNews(env.sandbox, thumb, ['头条', 'Second']);
		const voices = await runNode({
			parameters: getMany('voice', { returnAll: true }),
			credentials: env.credentials(),
		});
		expect(voices.items.map((item) => item.json)).toEqual([
			{ media_id: voice, name: '留言.amr', update_time: expect.any(Number), url: '' },
		]);
		const newsList = await runNode({
			parameters: getMany('news', { returnAll: true }),
			credentials: env.credentials(),
		});
		expect(newsList.items).toHaveLength(1);
		const content = newsList.items[0].json.content as { news_item: Array<{ title: string }> };
		expect(newsList.items[0].json.media_id).toBe(news);
		expect(content.news_item.map((article) => article.title)).toEqual(['头条', 'Second']);
	});

	it('outputs nothing for an empty library', async () => {
		const result = await runNode({
			parameters: getMany('video', { returnAll: true }),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(0);
		expect(pageRequests()).toEqual([{ type: 'video', offset: 0, count: 20 }]);
	});

	it('refuses a limit below 1 (from an expression) before any request', async () => {
		const result = await runNode({
			parameters: getMany('image', { returnAll: false, limit: '={{ $json.limit }}' }),
			items: [{ json: { limit: 0 } }],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe(
			'item 0, field `Limit`: must be a whole number of at least 1, not 0',
		);
		expect(env.sandbox.log()).toHaveLength(0);
	});

	it('reads a page again after a dropped connection and still returns every material once', async () => {
		const ids = await addMaterials(env.sandbox, images(25));
		env.sandbox.clearLog();
		env.sandbox.injectFault({ path: '/cgi-bin/material/batchget_material', kind: 'drop' });
		const result = await runNode({
			parameters: getMany('image', { returnAll: true }),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.media_id)).toEqual([...ids].reverse());
		expect(pageRequests()).toEqual([
			{ type: 'image', offset: 0, count: 20 },
			{ type: 'image', offset: 0, count: 20 },
			{ type: 'image', offset: 20, count: 20 },
		]);
	});
});
