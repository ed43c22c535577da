import { amr, jpeg } from '../fixtures/media';
import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import { addMaterials } from './library';

const env = useSandbox();

const deleteMaterial = (mediaId: string) => ({
	resource: 'permanentMaterial',
	operation: 'deleteMaterial',
	mediaId,
});

describe('Permanent Material → Delete', () => {
	it('deletes each item’s material from the library, and only that one', async () => {
		const [first, second, kept] = await addMaterials(env.sandbox, [
			{ type: 'image', bytes: jpeg(), filename: 'a.jpg' },
			{ type: 'voice', bytes: amr(2), filename: 'b.amr' },
			{ type: 'image', bytes: jpeg(), filename: 'c.jpg' },
		]);
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: deleteMaterial('={{ $json.id }}'),
			items: [{ json: { id: first } }, { json: { id: second } }],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json)).toEqual([
			{ media_id: first, deleted: true },
			{ media_id: second, deleted: true },
		]);
		expect(result.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(env.sandbox.stored('permanent', first)).toBeUndefined();
		expect(env.sandbox.stored('permanent', second)).toBeUndefined();
		expect(env.sandbox.stored('permanent', kept)).toBeDefined();
		const calls = env.sandbox.log().filter((entry) => !entry.tokenCall);
		expect(calls.map((entry) => [entry.method, entry.path, entry.body])).toEqual(
			expect.arrayContaining([
				['POST', '/cgi-bin/material/del_material', { media_id: first }],
				['POST', '/cgi-bin/material/del_material', { media_id: second }],
			]),
		);
		expect(calls).toHaveLength(2);
	});

	it('reports an id already deleted as 40007', async () => {
		const [mediaId] = await addMaterials(env.sandbox, [
			{ type: 'image', bytes: jpeg(), filename: 'a.jpg' },
		]);
		const once = await runNode({
			parameters: deleteMaterial(mediaId),
			credentials: env.credentials(),
		});
		expect(once.error).toBeUndefined();
		const twice = await runNode({
			parameters: deleteMaterial(mediaId),
			credentials: env.credentials(),
		});
		expect(twice.items).toHaveLength(0);
		expect(twice.error?.message).toBe(
			'WeChat material/del_material failed with errcode 40007: invalid media_id',
		);
		expect(twice.error?.description).toContain('a deleted item');
	});

	it('never sends a delete twice after a lost answer, and says the outcome is unknown', async () => {
		const [mediaId] = await addMaterials(env.sandbox, [
			{ type: 'image', bytes: jpeg(), filename: 'a.jpg' },
		]);
		env.sandbox.clearLog();
		env.sandbox.injectFault({ path: '/cgi-bin/material/del_material', kind: 'http', status: 504 });
		const result = await runNode({
			parameters: deleteMaterial(mediaId),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toContain('may or may not have been carried out');
		expect(apiCalls(env.sandbox)).toEqual(['POST /cgi-bin/material/del_material']);
	});

	it('refuses a blank media id (mapped from the input) before any request', async () => {
		const result = await runNode({
			parameters: deleteMaterial('={{ $json.id }}'),
			items: [{ json: { id: '' } }],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe('item 0, field `Media ID`: is empty');
		expect(env.sandbox.log()).toHaveLength(0);
	});
});
