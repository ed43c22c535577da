/**
 * Nothing lost: a mixed batch (good and bad items, faults injected, several items in flight) gives
 * exactly one output item per input item, paired to it, in input order; writes are never doubled.
 */
import type { IDataObject } from 'n8n-workflow';

import { jpeg, png } from '../fixtures/media';
import { runNode, type InputItem, type OutputItem } from '../harness';
import type { RequestLogEntry } from '../sandbox';
import { useSandbox } from '../support';
import { seed, type Seeded } from './support';

const env = useSandbox();
let seeded: Seeded;

const tally = { itemsIn: 0, itemsOut: 0, lost: 0, duplicateWrites: 0 };

beforeEach(async () => {
	seeded = await seed(env.sandbox);
	env.sandbox.setLatency(15);
});

afterEach(() => env.sandbox.setLatency(0));

afterAll(() => {
	console.log(
		`reliability/batch: ${tally.itemsIn} items in, ${tally.itemsOut} out, ${tally.lost} lost, ${tally.duplicateWrites} duplicate writes`,
	);
});

/** One output per input, paired and in order (each item carries its row number); returns them. */
function expectOnePerInput(items: InputItem[], output: OutputItem[]): OutputItem[] {
	tally.itemsIn += items.length;
	tally.itemsOut += output.length;
	const rows = output.map((item) => item.json.row);
	tally.lost += items.filter((_item, row) => !rows.includes(row)).length;
	expect(output.map((item) => item.pairedItem)).toEqual(items.map((_item, item) => ({ item })));
	expect(rows).toEqual(items.map((_item, row) => row));
	return output;
}

const indexesWhere = (output: OutputItem[], test: (json: IDataObject) => boolean) =>
	output.flatMap((item, index) => (test(item.json) ? [index] : []));

const uploadedSize = (entry: RequestLogEntry) =>
	(entry.body as { files: Array<{ size: number }> }).files[0].size;

/** Files of distinct sizes, so each request in the log can be traced to its item. */
const image = (row: number) => ({ bytes: jpeg(3000 + row), fileName: `row-${row}.jpg` });

describe('every input item produces exactly one output item, in order', () => {
	it('temporary uploads: 30 items, 5 at a time, bad items and faults mixed in', async () => {
		const bad: Record<number, { item: InputItem; error: RegExp }> = {
			3: { item: {}, error: /^item 3, property `data`: the item has no binary data$/ },
			11: {
				item: { files: [{ bytes: Buffer.alloc(0), fileName: 'empty.jpg' }] },
				error: /^item 11, property `data`: the file is empty$/,
			},
			19: {
				item: { json: { type: 'thumb' }, files: [{ bytes: png(2000), fileName: 'p.png' }] },
				error: /^item 19, property `data`: the file is a png image; a thumb must be jpg$/,
			},
			27: {
				item: { json: { field: 'photo' }, files: [image(27)] },
				error: /^item 27, property `photo`: the item has no binary property with this name/,
			},
		};
		const items: InputItem[] = Array.from({ length: 30 }, (_, row) => {
			const item = bad[row]?.item ?? { files: [image(row)] };
			return { ...item, json: { row, ...item.json } };
		});
		const path = '/cgi-bin/media/upload';
		env.sandbox.injectFault({ path, kind: 'http', status: 500 });
		env.sandbox.injectFault({ path, kind: 'drop' });
		env.sandbox.injectFault({ path, kind: 'errcode', errcode: -1, times: 2 });
		env.sandbox.injectFault({ path, kind: 'errcode', errcode: 40001 });
		env.sandbox.injectFault({ path, kind: 'errcode', errcode: 45009 });

		const result = await runNode({
			parameters: {
				resource: 'temporaryMedia',
				operation: 'upload',
				mediaType: '={{ $json.type ?? "image" }}',
				binaryPropertyName: '={{ $json.field ?? "data" }}',
				options: { concurrency: 5, keepInputFields: true },
			},
			items,
			credentials: env.credentials(),
			continueOnFail: true,
		});

		expect(result.error).toBeUndefined();
		const output = expectOnePerInput(items, result.items);
		for (const [row, { error }] of Object.entries(bad)) {
			expect(output[Number(row)].json.error).toMatch(error);
		}
		// the quota error ends whichever good item met it; every other good item has its media_id
		const quota = indexesWhere(output, (json) => json.errcode === 45009);
		expect(quota).toHaveLength(1);
		expect(output[quota[0]].json.error).toMatch(/^WeChat media\/upload failed with errcode 45009/);
		const uploaded = indexesWhere(output, (json) => typeof json.media_id === 'string');
		expect(uploaded).toHaveLength(30 - 4 - 1);
		expect(new Set(uploaded.map((row) => output[row].json.media_id)).size).toBe(uploaded.length);
		// WeChat stored each of them once: retries followed only refusals and lost answers
		const stored = env.sandbox
			.log()
			.filter(
				(entry) => entry.path === path && entry.fault === undefined && entry.errcode === undefined,
			)
			.map(uploadedSize);
		expect(stored.sort()).toEqual(uploaded.map((row) => 3000 + row).sort());
	});

	it('permanent adds: lost answers and -1 end their item, nothing is added twice, the rest go through', async () => {
		const path = '/cgi-bin/material/add_material';
		const items: InputItem[] = Array.from({ length: 16 }, (_, row) => ({
			json: { row },
			files: row === 5 ? [] : [row === 12 ? { bytes: Buffer.from('not an image') } : image(row)],
		}));
		env.sandbox.injectFault({ path, kind: 'drop' });
		env.sandbox.injectFault({ path, kind: 'http', status: 502 });
		env.sandbox.injectFault({ path, kind: 'errcode', errcode: -1 });
		env.sandbox.injectFault({ path, kind: 'errcode', errcode: 40001 });

		const result = await runNode({
			parameters: {
				resource: 'permanentMaterial',
				operation: 'add',
				mediaType: 'image',
				binaryPropertyName: 'data',
				options: { concurrency: 4, keepInputFields: true },
			},
			items,
			credentials: env.credentials(),
			continueOnFail: true,
		});

		expect(result.error).toBeUndefined();
		const output = expectOnePerInput(items, result.items);
		expect(output[5].json.error).toMatch(/^item 5, property `data`: the item has no binary data$/);
		expect(output[12].json.error).toMatch(/^item 12, property `data`: the bytes are not a format/);
		const unknown = indexesWhere(output, (json) =>
			/may or may not have been carried out/.test(String(json.error)),
		);
		// the drop, the 502 and the -1: WeChat's "system error" does not say nothing was stored
		expect(unknown).toHaveLength(3);
		const added = indexesWhere(output, (json) => typeof json.media_id === 'string');
		expect(added).toHaveLength(16 - 2 - 3);

		// per file: requests that may have stored it (answered OK, or lost on the way)
		const mayHaveStored = new Map<number, number>();
		for (const entry of env.sandbox.log()) {
			if (entry.path !== path) continue;
			const lost = entry.fault === 'drop' || entry.fault === 'http' || entry.errcode === -1;
			if (!lost && !(entry.fault === undefined && entry.errcode === undefined)) continue;
			const size = uploadedSize(entry);
			mayHaveStored.set(size, (mayHaveStored.get(size) ?? 0) + 1);
		}
		const duplicates = [...mayHaveStored.values()].filter((count) => count > 1).length;
		tally.duplicateWrites += duplicates;
		expect(duplicates).toBe(0);
		expect([...mayHaveStored.keys()].sort()).toEqual(
			[...added, ...unknown].map((row) => 3000 + row).sort(),
		);
	});

	it('downloads: 12 items, 3 at a time, through a cut-short answer, silence and unknown ids', async () => {
		const path = '/cgi-bin/material/get_material';
		const ids = [seeded.permanentImage, seeded.spareImage];
		const items: InputItem[] = Array.from({ length: 12 }, (_, row) => ({
			json: { row, mediaId: row === 4 ? ' ' : row === 9 ? 'no-such-material' : ids[row % 2] },
		}));
		env.sandbox.injectFault({ path, kind: 'truncate' });
		env.sandbox.injectFault({ path, kind: 'hang' });

		const result = await runNode({
			parameters: {
				resource: 'permanentMaterial',
				operation: 'get',
				mediaId: '={{ $json.mediaId }}',
				binaryPropertyName: 'data',
				options: { concurrency: 3, keepInputFields: true, timeout: 1000 },
			},
			items,
			credentials: env.credentials(),
			continueOnFail: true,
		});

		expect(result.error).toBeUndefined();
		const output = expectOnePerInput(items, result.items);
		expect(indexesWhere(output, (json) => json.error !== undefined)).toEqual([4, 9]);
		expect(output[4].json.error).toBe('item 4, field `Media ID`: is empty');
		expect(output[9].json.errcode).toBe(40007);
		for (const row of [0, 1, 2, 3, 5, 6, 7, 8, 10, 11]) {
			const expected = row % 2 === 0 ? 30_000 : 20_000;
			expect(output[row].json.bytes).toBe(expected);
			expect((await result.readBinary(row)).length).toBe(expected);
		}
		expect(output[4].binary).toBeUndefined();
		expect(output[9].binary).toBeUndefined();
	});
});
