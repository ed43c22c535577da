/**
 * Write batches under n8n's execution semantics (run through n8n-core's WorkflowExecute): every item
 * checked before any is sent, fail-fast that reports every write that happened, Retry On Fail that
 * never writes an item twice, failed items on n8n's error output, and a stop that ends waits at once.
 * Writes are counted in the sandbox's request log.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { jpeg, png } from '../fixtures/media';
import { runNode, type InputItem, type OutputItem, type RunResult } from '../harness';
import { createDraft } from '../publish/support';
import type { RequestLogEntry } from '../sandbox';
import { useSandbox } from '../support';

const env = useSandbox();

const SUBMIT = '/cgi-bin/freepublish/submit';
const ADD = '/cgi-bin/material/add_material';

const tally = { writes: 0, duplicateWrites: 0, unreportedWrites: 0 };

afterAll(() => {
	console.log(
		`reliability/write-integrity: ${tally.writes} writes carried out, ${tally.duplicateWrites} duplicate writes, ${tally.unreportedWrites} writes neither output nor named in the error`,
	);
});

/** Requests to `path` that WeChat carried out (answered OK, or whose answer was lost on the way). */
function carriedOut(path: string): RequestLogEntry[] {
	return env.sandbox
		.log()
		.filter(
			(entry) =>
				entry.path === path &&
				(entry.fault === 'cutJson' ||
					entry.fault === 'drop' ||
					(entry.fault === undefined && (entry.errcode ?? 0) === 0)),
		);
}

const uploadedSize = (entry: RequestLogEntry) =>
	(entry.body as { files: Array<{ size: number }> }).files[0].size;

/** Files of distinct sizes, so each add_material in the log can be traced to its item. */
const imageItems = (count: number): InputItem[] =>
	Array.from({ length: count }, (_, row) => ({
		json: { row },
		files: [{ bytes: jpeg(3000 + row), fileName: `row-${row}.jpg` }],
	}));

/** Every add_material carried out, per item row (size 3000 + row); duplicates counted in the tally. */
function addsPerRow(): Map<number, number> {
	const perRow = new Map<number, number>();
	for (const entry of carriedOut(ADD)) {
		const row = uploadedSize(entry) - 3000;
		perRow.set(row, (perRow.get(row) ?? 0) + 1);
	}
	tally.writes += [...perRow.values()].reduce((sum, count) => sum + count, 0);
	tally.duplicateWrites += [...perRow.values()].filter((count) => count > 1).length;
	return perRow;
}

/** media_ids the run's output or its error names; every carried-out write must be among them. */
function reportedIds(result: RunResult): Set<string> {
	const text = [
		JSON.stringify(result.outputs),
		result.error?.message ?? '',
		result.error?.description ?? '',
	].join(' ');
	return new Set(text.match(/[\w-]{20,}|\b\d{10}\b/g) ?? []);
}

const addParameters = (options: IDataObject = {}): INodeParameters => ({
	resource: 'permanentMaterial',
	operation: 'add',
	mediaType: 'image',
	binaryPropertyName: 'data',
	options: options as INodeParameters,
});

describe('a write batch is checked before anything is sent', () => {
	it('Publish → Submit, 16 items at 16 at once, item 0 has no Media ID: nothing is submitted', async () => {
		const draft = await createDraft(env.sandbox, env.credentials());
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: { resource: 'publish', operation: 'submit', mediaId: '={{ $json.draft }}' },
			items: Array.from({ length: 16 }, (_, row) => ({ json: { draft: row === 0 ? '' : draft } })),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe('item 0, field `Media ID`: is empty');
		expect(result.error?.description).toMatch(/No other item was written\. Not sent: items 1-15\.$/);
		expect(carriedOut(SUBMIT)).toHaveLength(0);
	});

	it('Permanent Material → Add: a bad file in item 9 stops the batch before any add_material', async () => {
		const items = imageItems(16);
		items[9] = { json: { row: 9 }, files: [{ bytes: Buffer.from('not an image'), fileName: 'x.jpg' }] };
		const result = await runNode({
			parameters: addParameters(),
			items,
			credentials: env.credentials(),
		});
		expect(result.error?.message).toMatch(/^item 9, property `data`: /);
		expect(carriedOut(ADD)).toHaveLength(0);
	});

	it('Draft → Create: a bad image in item 2 stops the batch before any cover is added', async () => {
		const items: InputItem[] = Array.from({ length: 3 }, (_, row) => ({
			files: [{ property: 'cover', bytes: jpeg(4000 + row), fileName: 'cover.jpg' }],
			json: {
				content: row === 2 ? '<p><img src="ftp://example.com/a.png"></p>' : '<p>text</p>',
			},
		}));
		const result = await runNode({
			parameters: {
				resource: 'draft',
				operation: 'create',
				articlesInput: 'json',
				articlesJson:
					'={{ JSON.stringify([{ title: "T", content: $json.content, cover_binary: "cover" }]) }}',
			},
			items,
			credentials: env.credentials(),
		});
		expect(result.error?.message).toMatch(/^item 2, field `Articles \(JSON\)`: article 1: image ftp:/);
		expect(env.sandbox.log().filter((entry) => !entry.tokenCall)).toHaveLength(0);
	});
});

describe('fail-fast reports every write that happened', () => {
	it('a definite failure of one of 16 adds in flight: the other 15 finish and are named', async () => {
		env.sandbox.setLatency(30);
		env.sandbox.injectFault({ path: ADD, kind: 'errcode', errcode: 45009 });
		try {
			const result = await runNode({
				parameters: addParameters({ concurrency: 16 }),
				items: imageItems(16),
				credentials: env.credentials(),
			});
			expect(result.error?.message).toMatch(/failed with errcode 45009/);
			const perRow = addsPerRow();
			expect(perRow.size).toBe(15);
			const named = result.error?.description?.match(/item \d+ → media_id [\w-]+/g) ?? [];
			expect(named).toHaveLength(15);
			const ids = reportedIds(result);
			const stored = carriedOut(ADD).length;
			tally.unreportedWrites += stored - named.filter((note) => ids.has(note.split(' ').pop()!)).length;
			for (const note of named) {
				const mediaId = note.split(' ').pop()!;
				expect(env.sandbox.stored('permanent', mediaId)).toBeDefined();
			}
		} finally {
			env.sandbox.setLatency(0);
		}
	});

	it('concurrency 2: after the failure no new item starts, and the rest are listed as not sent', async () => {
		env.sandbox.setLatency(20);
		env.sandbox.injectFault({ path: ADD, kind: 'errcode', errcode: 45009 });
		try {
			const result = await runNode({
				parameters: addParameters({ concurrency: 2 }),
				items: imageItems(10),
				credentials: env.credentials(),
			});
			// the first request failed; the one beside it finished; nothing else was sent
			expect(addsPerRow().size).toBe(1);
			expect(result.error?.description).toMatch(/item \d → media_id [\w-]+, url \S+\. Not sent: items 2-9\.$/);
		} finally {
			env.sandbox.setLatency(0);
		}
	});
});

describe("n8n's Retry On Fail never writes an item twice", () => {
	it('16 adds, the quota fails one once: each file is added exactly once over the tries', async () => {
		env.sandbox.injectFault({ path: ADD, kind: 'errcode', errcode: 45009 });
		const result = await runNode({
			parameters: addParameters({ concurrency: 16 }),
			items: imageItems(16),
			credentials: env.credentials(),
			retryOnFail: { maxTries: 3 },
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.pairedItem)).toEqual(
			Array.from({ length: 16 }, (_, item) => ({ item })),
		);
		const perRow = addsPerRow();
		expect([...perRow.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, row) => row));
		expect([...perRow.values()].every((count) => count === 1)).toBe(true);
		// the failed item was sent once more, in the second try
		expect(env.sandbox.log().filter((entry) => entry.path === ADD)).toHaveLength(17);
	});

	it('16 submits, one draft unknown to WeChat: 15 posts published once, the bad one tried 3 times', async () => {
		const draft = await createDraft(env.sandbox, env.credentials());
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: { resource: 'publish', operation: 'submit', mediaId: '={{ $json.draft }}' },
			items: Array.from({ length: 16 }, (_, row) => ({
				json: { draft: row === 7 ? 'no-such-draft' : draft },
			})),
			credentials: env.credentials(),
			retryOnFail: { maxTries: 3 },
		});
		expect(result.error?.message).toMatch(/^WeChat freepublish\/submit failed with errcode 40007/);
		const published = carriedOut(SUBMIT);
		expect(published).toHaveLength(15);
		tally.writes += published.length;
		const refused = env.sandbox.log().filter((entry) => entry.path === SUBMIT && entry.errcode === 40007);
		expect(refused).toHaveLength(3);
		const named = result.error?.description?.match(/item \d+ → publish_id \d+/g) ?? [];
		expect(named).toHaveLength(15);
		expect(named.map((note) => Number(/item (\d+)/.exec(note)![1]))).not.toContain(7);
	});

	it('an add whose answer is lost is not sent again by a later try', async () => {
		env.sandbox.setLatency(20);
		env.sandbox.injectFault({ path: ADD, kind: 'drop' });
		try {
			const result = await runNode({
				parameters: addParameters({ concurrency: 4 }),
				items: imageItems(8),
				credentials: env.credentials(),
				retryOnFail: { maxTries: 3 },
			});
			expect(result.error?.message).toMatch(/may or may not have been carried out/);
			expect(result.error?.description).toMatch(/Get Many/);
			const perRow = addsPerRow();
			expect([...perRow.values()].every((count) => count === 1)).toBe(true);
			expect(env.sandbox.log().filter((entry) => entry.path === ADD)).toHaveLength(4);
		} finally {
			env.sandbox.setLatency(0);
		}
	});
});

describe('failed items go where n8n routes them', () => {
	const items = (): InputItem[] => [
		{ json: { row: 0 }, files: [{ bytes: jpeg(3000), fileName: 'a.jpg' }] },
		{ json: { row: 1 } },
		{ json: { row: 2 }, files: [{ bytes: png(3002), fileName: 'c.png' }] },
	];

	const byRow = (output: OutputItem[]) => output.map((item) => item.pairedItem);

	it('"Continue (using error output)": the failed item on output 2, paired, with its facts', async () => {
		const result = await runNode({
			parameters: addParameters(),
			items: items(),
			credentials: env.credentials(),
			onError: 'continueErrorOutput',
		});
		expect(result.error).toBeUndefined();
		expect(result.outputs).toHaveLength(2);
		expect(byRow(result.outputs[0])).toEqual([{ item: 0 }, { item: 2 }]);
		expect(byRow(result.outputs[1])).toEqual([{ item: 1 }]);
		expect(result.outputs[1][0].json).toEqual({
			error: 'item 1, property `data`: the item has no binary data',
			details: { errorDescription: expect.any(String) },
		});
		expect(carriedOut(ADD)).toHaveLength(2);
	});

	it('a WeChat errcode reaches output 2 with the errcode', async () => {
		env.sandbox.injectFault({ path: ADD, kind: 'errcode', errcode: 45009 });
		const result = await runNode({
			parameters: addParameters({ concurrency: 1 }),
			items: imageItems(2),
			credentials: env.credentials(),
			onError: 'continueErrorOutput',
		});
		expect(byRow(result.outputs[0])).toEqual([{ item: 1 }]);
		expect(result.outputs[1][0]).toMatchObject({
			json: { error: expect.stringMatching(/errcode 45009/), details: { errcode: 45009 } },
			pairedItem: { item: 0 },
		});
	});

	it('"Continue": error items follow Keep Input Fields', async () => {
		for (const keepInputFields of [false, true]) {
			const result = await runNode({
				parameters: addParameters({ keepInputFields }),
				items: items(),
				credentials: env.credentials(),
				continueOnFail: true,
			});
			expect(result.outputs).toHaveLength(1);
			const failed = result.items[1].json;
			expect(failed.error).toBe('item 1, property `data`: the item has no binary data');
			expect(failed.row).toBe(keepInputFields ? 1 : undefined);
		}
	});
});

describe('options', () => {
	it('Concurrent Requests applies to the whole node: differing values per item are refused', async () => {
		const result = await runNode({
			parameters: addParameters({ concurrency: '={{ $json.row + 1 }}' }),
			items: imageItems(2),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe(
			'item 1, field `Concurrent Requests`: is 2 here but 1 for item 0',
		);
		expect(carriedOut(ADD)).toHaveLength(0);
	});

	it('Keep Input Fields is read per item', async () => {
		const result = await runNode({
			parameters: addParameters({ keepInputFields: '={{ $json.row === 1 }}' }),
			items: imageItems(2),
			credentials: env.credentials(),
		});
		expect(result.items[0].json.row).toBeUndefined();
		expect(result.items[1].json.row).toBe(1);
	});
});

describe('stopping the execution', () => {
	it("ends Publish → Submit's wait within 2 s, with no status poll after the stop", async () => {
		const draft = await createDraft(env.sandbox, env.credentials());
		env.sandbox.configure({ publishPollsBeforeDone: 1000 });
		env.sandbox.clearLog();
		const result = await runNode({
			parameters: {
				resource: 'publish',
				operation: 'submit',
				mediaId: draft,
				waitForCompletion: true,
				pollInterval: 60_000,
				maxWait: 300,
			},
			credentials: env.credentials(),
			stopAfterMs: 800,
		});
		expect(result.durationMs).toBeLessThan(800 + 2000);
		expect(carriedOut(SUBMIT)).toHaveLength(1);
		expect(env.sandbox.log().filter((entry) => entry.path === '/cgi-bin/freepublish/get')).toHaveLength(0);
	});

	it('ends a request that gets no answer within 2 s, and does not retry it', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/material/get_materialcount', kind: 'hang', times: 5 });
		const result = await runNode({
			parameters: { resource: 'permanentMaterial', operation: 'getCount' },
			credentials: env.credentials(),
			stopAfterMs: 800,
		});
		expect(result.durationMs).toBeLessThan(800 + 2000);
		// the server sees the close a moment after the client made it
		await new Promise((resolve) => setTimeout(resolve, 200));
		const [hung, ...more] = env.sandbox
			.log()
			.filter((entry) => entry.path === '/cgi-bin/material/get_materialcount');
		expect(more).toHaveLength(0);
		// the connection was closed by the node, not left open until the sandbox shuts down
		expect(hung.closedByClientAt).toBeDefined();
	});
});

describe('Publish → Submit output', () => {
	it('an OK answer without publish_id is an error saying the draft was probably submitted', async () => {
		const draft = await createDraft(env.sandbox, env.credentials());
		env.sandbox.injectFault({ path: SUBMIT, kind: 'errcode', errcode: 0 });
		const result = await runNode({
			parameters: { resource: 'publish', operation: 'submit', mediaId: draft },
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe(
			'item 0: WeChat freepublish/submit accepted the draft but answered without a publish_id',
		);
		expect(result.error?.description).toMatch(/publishing records/);
	});
});

describe('article covers: what can be repeated goes first, permanent covers last', () => {
	const draftWithImage = {
		resource: 'draft',
		operation: 'create',
		articlesInput: 'json',
		articlesJson: JSON.stringify([
			{ title: 'T', content: '<p><img src="binary:photo"></p>', cover_binary: 'cover' },
		]),
	};
	const files = [
		{ property: 'cover', bytes: jpeg(4000), fileName: 'cover.jpg' },
		{ property: 'photo', bytes: jpeg(5000), fileName: 'photo.jpg' },
	];

	it('an article image refused by WeChat leaves no permanent cover behind', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/media/uploadimg', kind: 'errcode', errcode: 45009 });
		const result = await runNode({
			parameters: draftWithImage,
			items: [{ files }],
			credentials: env.credentials(),
		});
		expect(result.error?.message).toMatch(/media\/uploadimg failed with errcode 45009/);
		expect(env.sandbox.log().filter((entry) => entry.path === ADD)).toHaveLength(0);
	});

	it('a draft/add that fails after the cover was added names the cover', async () => {
		env.sandbox.injectFault({ path: '/cgi-bin/draft/add', kind: 'errcode', errcode: 45009 });
		const result = await runNode({
			parameters: draftWithImage,
			items: [{ files }],
			credentials: env.credentials(),
		});
		const [cover] = carriedOut(ADD);
		expect(cover).toBeDefined();
		expect(result.error?.description).toMatch(/stay in the material library \(media_id [\w-]+\)/);
		const mediaId = /media_id ([\w-]+)\)/.exec(result.error?.description ?? '')![1];
		expect(env.sandbox.stored('permanent', mediaId)).toBeDefined();
	});
});
