import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import { createDraft } from '../publish/support';

const env = useSandbox();

const deleteDraft = (mediaId: string) => ({ resource: 'draft', operation: 'deleteDraft', mediaId });

describe('Draft → Delete', () => {
	it('deletes each item’s draft, names it in the output, and leaves the others', async () => {
		const first = await createDraft(env.sandbox, env.credentials(), 1);
		const second = await createDraft(env.sandbox, env.credentials(), 2);
		const kept = await createDraft(env.sandbox, env.credentials(), 1);
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: deleteDraft('={{ $json.id }}'),
			items: [{ json: { id: first } }, { json: { id: second } }],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => [item.json, item.pairedItem])).toEqual([
			[{ media_id: first, deleted: true }, { item: 0 }],
			[{ media_id: second, deleted: true }, { item: 1 }],
		]);
		expect(env.sandbox.stored('draft', first)).toBeUndefined();
		expect(env.sandbox.stored('draft', second)).toBeUndefined();
		expect(env.sandbox.stored('draft', kept)).toBeDefined();
		expect(apiCalls(env.sandbox)).toEqual([
			'POST /cgi-bin/draft/delete',
			'POST /cgi-bin/draft/delete',
		]);
	});

	it('reports a draft already gone as 40007; with Continue On Fail the other items still run', async () => {
		const existing = await createDraft(env.sandbox, env.credentials(), 1);
		const result = await runNode({
			parameters: deleteDraft('={{ $json.id }}'),
			items: [{ json: { id: 'already-gone' } }, { json: { id: existing } }],
			credentials: env.credentials(),
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ error: expect.stringContaining('errcode 40007') });
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
		expect(result.items[1].json).toEqual({ media_id: existing, deleted: true });
		expect(env.sandbox.stored('draft', existing)).toBeUndefined();
	});

	it('never resends a delete whose answer was lost, and says how to check', async () => {
		const draftId = await createDraft(env.sandbox, env.credentials(), 1);
		env.sandbox.clearLog();
		env.sandbox.injectFault({ path: '/cgi-bin/draft/delete', kind: 'drop' });
		const result = await runNode({
			parameters: deleteDraft(draftId),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toContain('may or may not have been carried out');
		expect(result.error?.description).toContain('Check with Draft → Get');
		expect(apiCalls(env.sandbox)).toEqual(['POST /cgi-bin/draft/delete']);
	});

	it('refuses an empty Media ID before calling WeChat', async () => {
		const result = await runNode({ parameters: deleteDraft(' '), credentials: env.credentials() });
		expect(result.error?.message).toBe('item 0, field `Media ID`: is empty');
		expect(apiCalls(env.sandbox)).toEqual([]);
	});
});
