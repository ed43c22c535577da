import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import { createDraft, publishDraft } from '../publish/support';

const env = useSandbox();

const getCount = { resource: 'draft', operation: 'getCount' };

describe('Draft → Get Count', () => {
	it('counts the drafts, one output item per input item', async () => {
		for (let n = 0; n < 3; n++) await createDraft(env.sandbox, env.credentials(), 1);
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: getCount,
			items: [{ json: {} }, { json: {} }],
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => [item.json, item.pairedItem])).toEqual([
			[{ total_count: 3 }, { item: 0 }],
			[{ total_count: 3 }, { item: 1 }],
		]);
		expect(apiCalls(env.sandbox)).toEqual(['GET /cgi-bin/draft/count', 'GET /cgi-bin/draft/count']);
	});

	it('no longer counts a draft once it is published', async () => {
		const draftId = await createDraft(env.sandbox, env.credentials(), 1);
		await createDraft(env.sandbox, env.credentials(), 1);
		await publishDraft(env.credentials(), draftId);
		const result = await runNode({ parameters: getCount, credentials: env.credentials() });
		expect(result.items[0].json).toEqual({ total_count: 1 });
	});
});
