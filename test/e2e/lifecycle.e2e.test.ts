/**
 * The whole publishing lifecycle in one real n8n workflow: a draft is created, its title fixed,
 * found in the draft list, published, found among the published posts, read, deleted and read again
 * (flagged deleted); then the workflow deletes its remaining test drafts, and only those.
 */
import { jpeg } from '../fixtures/media';
import { classicToken, postJson, upload } from '../sandbox/helpers';
import type { Sandbox } from '../sandbox';
import type { OutputItem } from './runData';
import { apiCalls, useN8n } from './session';

const COVER = jpeg(40 * 1024);
const REVIEWED_TITLE = '[e2e] 生命周期 (reviewed)';
/** The README's example, run as it ships (its Run Now trigger starts it; the schedule would too). */
const CLEANUP_EXAMPLE = '../../../examples/workflows/4-weekly-draft-cleanup';
const DAY = 24 * 3600;

/** A draft that is not the workflow's own: its cleanup must leave it alone. */
let otherDraft = '';

const e2e = useN8n({
	workflows: ['draft-lifecycle', CLEANUP_EXAMPLE],
	files: { 'cover.jpg': COVER },
	async prepare({ sandbox }) {
		otherDraft = await addDraftDirectly(sandbox, 'Written by hand');
	},
});

/** A draft put in the sandbox over its API, as another tool (or a person) would. */
async function addDraftDirectly(sandbox: Sandbox, title: string): Promise<string> {
	const token = await classicToken(sandbox);
	const cover = await upload(sandbox, '/cgi-bin/material/add_material?type=image', token, jpeg(), {
		filename: 'cover.jpg',
	});
	const draft = await postJson(
		sandbox,
		'/cgi-bin/draft/add',
		{ articles: [{ title, content: '<p>Text</p>', thumb_media_id: cover.media_id }] },
		token,
	);
	if (typeof draft.media_id !== 'string') throw new Error(`draft/add: ${JSON.stringify(draft)}`);
	return draft.media_id;
}

const jsonOf = (items: OutputItem[]) => items.map((item) => item.json);

/** Milliseconds from the first node's start to the last node's end, as n8n recorded them. */
function workflowRunTime(raw: Record<string, unknown>): number {
	const runData = (raw as { data: { resultData: { runData: Record<string, unknown[]> } } }).data
		.resultData.runData;
	const tasks = Object.values(runData).flat() as Array<{
		startTime: number;
		executionTime: number;
	}>;
	const start = Math.min(...tasks.map((task) => task.startTime));
	const end = Math.max(...tasks.map((task) => task.startTime + task.executionTime));
	return end - start;
}

describe('the publishing lifecycle in n8n', () => {
	it('creates, updates, lists, publishes, lists, reads, deletes and cleans up', async () => {
		const started = Date.now();
		const { result, requests } = await e2e.run('draft-lifecycle');
		const wallTime = Date.now() - started;
		const nodes = result.nodes;

		const [created] = jsonOf(nodes['Create draft'].items);
		const draftId = created.media_id as string;
		const [spare] = jsonOf(nodes['Create spare draft'].items);
		expect(nodes['Update title'].items[0].json).toMatchObject({
			media_id: draftId,
			index: 0,
			updated: true,
			title: REVIEWED_TITLE,
		});

		// The draft list shows the new title; content was left out.
		const drafts = jsonOf(nodes['List drafts'].items);
		expect(drafts.map((draft) => draft.media_id).sort()).toEqual(
			[draftId, spare.media_id, otherDraft].sort(),
		);
		const listed = drafts.find((draft) => draft.media_id === draftId)!;
		expect(listed).toMatchObject({
			title: REVIEWED_TITLE,
			author: '编辑部',
			update_time_iso: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
		});
		expect((listed.news_item as Array<Record<string, unknown>>)[0]).not.toHaveProperty('content');
		expect(jsonOf(nodes['Find the draft'].items).map((draft) => draft.media_id)).toEqual([draftId]);

		const [published] = jsonOf(nodes.Publish.items);
		expect(published).toMatchObject({ media_id: draftId, status: 'published' });
		const articleId = published.article_id as string;
		expect(jsonOf(nodes['Find the post'].items)).toEqual([
			expect.objectContaining({ article_id: articleId, title: REVIEWED_TITLE, is_deleted: false }),
		]);

		expect(nodes['Get article'].items[0].json).toMatchObject({
			article_id: articleId,
			title: REVIEWED_TITLE,
			is_deleted: false,
			news_item: [expect.objectContaining({ content: '<p>定稿。</p>', is_deleted: false })],
		});
		expect(nodes['Delete article'].items[0].json).toEqual({
			article_id: articleId,
			index: 0,
			deleted: 'all articles',
		});
		expect(nodes['Get deleted article'].items[0].json).toMatchObject({
			article_id: articleId,
			is_deleted: true,
			news_item: [expect.objectContaining({ title: REVIEWED_TITLE, is_deleted: true })],
		});

		// Published, the draft left the draft box; the cleanup deletes the spare test draft only.
		expect(
			jsonOf(nodes['List remaining drafts'].items)
				.map((draft) => draft.media_id)
				.sort(),
		).toEqual([spare.media_id, otherDraft].sort());
		expect(jsonOf(nodes['Delete test drafts'].items)).toEqual([
			{ media_id: spare.media_id, deleted: true },
		]);
		expect(e2e.sandbox.stored('draft', spare.media_id as string)).toBeUndefined();
		expect(e2e.sandbox.stored('draft', draftId)).toBeUndefined();
		expect(e2e.sandbox.stored('draft', otherDraft)).toBeDefined();

		expect(apiCalls(requests).filter((call) => !call.endsWith('/freepublish/get'))).toEqual([
			'POST /cgi-bin/material/add_material',
			'POST /cgi-bin/draft/add',
			'POST /cgi-bin/draft/add',
			'POST /cgi-bin/draft/update',
			'POST /cgi-bin/draft/batchget',
			'POST /cgi-bin/freepublish/submit',
			'POST /cgi-bin/freepublish/batchget',
			'POST /cgi-bin/freepublish/getarticle',
			'POST /cgi-bin/freepublish/delete',
			'POST /cgi-bin/freepublish/getarticle',
			'POST /cgi-bin/draft/batchget',
			'POST /cgi-bin/draft/delete',
		]);
		expect(requests.filter((entry) => entry.tokenCall)).toHaveLength(1);

		console.log(
			`lifecycle e2e: workflow ran in ${workflowRunTime(result.raw)} ms (n8n's node timings); ` +
				`n8n execute took ${wallTime} ms in all`,
		);
	});

	it('runs the weekly cleanup example: only drafts last changed over 30 days ago are deleted', async () => {
		// Drafts written 45 and 31 days ago by the sandbox's clock, then one from today.
		e2e.sandbox.advanceClock(-45 * DAY);
		const oldest = await addDraftDirectly(e2e.sandbox, 'Forgotten in spring');
		e2e.sandbox.advanceClock(14 * DAY);
		const old = await addDraftDirectly(e2e.sandbox, 'A month old');
		e2e.sandbox.advanceClock(31 * DAY);
		const recent = await addDraftDirectly(e2e.sandbox, 'Written today');

		const { result } = await e2e.run(CLEANUP_EXAMPLE);

		const listed = jsonOf(result.nodes['List drafts'].items).map((draft) => draft.media_id);
		expect(listed).toEqual([recent, otherDraft, old, oldest]);
		expect(jsonOf(result.nodes['Delete draft'].items)).toEqual([
			{ media_id: old, deleted: true },
			{ media_id: oldest, deleted: true },
		]);
		expect(e2e.sandbox.stored('draft', old)).toBeUndefined();
		expect(e2e.sandbox.stored('draft', oldest)).toBeUndefined();
		expect(e2e.sandbox.stored('draft', recent)).toBeDefined();
		expect(e2e.sandbox.stored('draft', otherDraft)).toBeDefined();
	});
});
