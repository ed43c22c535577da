/**
 * A parameter without an expression is the same for every item, so the node reads it once per run
 * (n8n resolves a parameter anew on each call); one with an expression is still read per item.
 */
import { ExecuteContext } from 'n8n-core';

import { holdsExpression } from '../../nodes/WeixinMedia/descriptions/parameters';
import { jpeg, stamped } from '../fixtures/media';
import { runNode } from '../harness';
import type { InputItem } from '../harness/run-node';
import { useSandbox } from '../support';

const env = useSandbox();

function images(count: number, property: (row: number) => string): InputItem[] {
	const image = jpeg(3_000);
	return Array.from({ length: count }, (_, row) => ({
		json: { row, property: property(row) },
		files: [{ property: property(row), bytes: stamped(image, row) }],
	}));
}

/** Runs `run` while counting n8n's parameter reads (its resolver, under every getNodeParameter), by name. */
async function countingParameterReads<T>(run: () => Promise<T>) {
	const spy = jest.spyOn(
		ExecuteContext.prototype as unknown as { _getNodeParameter: (name: string) => unknown },
		'_getNodeParameter',
	);
	try {
		const result = await run();
		const reads = new Map<string, number>();
		for (const [name] of spy.mock.calls) reads.set(name, (reads.get(name) ?? 0) + 1);
		return { result, reads };
	} finally {
		spy.mockRestore();
	}
}

/** Runs Temporary Media → Upload and counts n8n's parameter reads, by parameter. */
async function uploadCountingReads(parameters: Record<string, unknown>, items: InputItem[]) {
	return await countingParameterReads(
		async () =>
			await runNode({
				parameters: { resource: 'temporaryMedia', operation: 'upload', mediaType: 'image', ...parameters },
				items,
				credentials: env.credentials(),
			}),
	);
}

describe('parameters read once per run unless they hold an expression', () => {
	it('40 items with plain parameters: each is read once, every file is sent', async () => {
		const items = images(40, () => 'data');
		const { result, reads } = await uploadCountingReads(
			{ binaryPropertyName: 'data', options: { keepInputFields: true, concurrency: 8 } },
			items,
		);
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(40);
		for (const [row, item] of result.items.entries()) {
			expect(item.json.row).toBe(row);
			expect(item.pairedItem).toEqual({ item: row });
			const stored = env.sandbox.stored('temporary', item.json.media_id as string) as { bytes: Buffer };
			expect(stored.bytes.equals(items[row].files![0].bytes)).toBe(true);
		}
		expect(reads.get('binaryPropertyName')).toBe(1);
		expect(reads.get('mediaType')).toBe(1);
		expect(reads.get('options.keepInputFields')).toBe(1);
		expect(reads.get('options')).toBe(1);
	});

	it('an expression is read for every item and may differ per item', async () => {
		const items = images(12, (row) => (row % 2 === 0 ? 'even' : 'odd'));
		const { result, reads } = await uploadCountingReads(
			{ binaryPropertyName: '={{ $json.property }}', options: { keepInputFields: '={{ $json.row < 6 }}' } },
			items,
		);
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(12);
		for (const [row, item] of result.items.entries()) {
			expect(item.json.row).toBe(row < 6 ? row : undefined);
			const stored = env.sandbox.stored('temporary', item.json.media_id as string) as { bytes: Buffer };
			expect(stored.bytes.equals(items[row].files![0].bytes)).toBe(true);
		}
		// by the write-check, whose files are then sent
		expect(reads.get('binaryPropertyName')).toBe(12);
		expect(reads.get('options.keepInputFields')).toBe(12);
		// the options hold an expression, so each item's Concurrent Requests and Timeout are compared
		expect(reads.get('options')).toBe(12);
	});
});

/** Runs Temporary Media → Get over `items` with Media ID set to `mediaId`, counting n8n's reads of it. */
async function getCountingReads(mediaId: string, items: InputItem[]) {
	const { result, reads } = await countingParameterReads(
		async () =>
			await runNode({
				parameters: { resource: 'temporaryMedia', operation: 'get', mediaId, binaryPropertyName: 'file' },
				items,
				credentials: env.credentials(),
				continueOnFail: true,
			}),
	);
	return { result, mediaIdReads: reads.get('mediaId') ?? 0 };
}

describe('Media ID mapped as {{ $json.<field> }}', () => {
	async function uploaded(count: number): Promise<string[]> {
		const result = await runNode({
			parameters: { resource: 'temporaryMedia', operation: 'upload', mediaType: 'image', binaryPropertyName: 'data' },
			items: images(count, () => 'data'),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		return result.items.map((item) => item.json.media_id as string);
	}

	it("gives what n8n's own evaluation gives, item by item, for text and for everything else", async () => {
		const [first, second] = await uploaded(2);
		const values: unknown[] = [first, `  ${second}  `, '', '   ', 'no-such-id', 12345, null, undefined, { id: first }, ['x'], true];
		const items: InputItem[] = values.map((media_id, row) => ({ json: { row, media_id } as never }));
		// the fast path reads the field itself; the bracket form is left to n8n's expression engine
		const direct = await getCountingReads('={{ $json.media_id }}', items);
		const evaluated = await getCountingReads('={{ $json["media_id"] }}', items);
		expect(direct.result.error).toBeUndefined();
		expect(evaluated.result.error).toBeUndefined();
		expect(direct.result.items).toHaveLength(values.length);
		expect(direct.result.items.map((item) => item.json)).toEqual(evaluated.result.items.map((item) => item.json));
		expect(direct.result.items[0].json).toMatchObject({ media_id: first, bytes: 3_000 });
		expect(direct.result.items[1].json).toMatchObject({ media_id: second });
		expect(direct.result.items[2].json.error).toBe('item 2, field `Media ID`: is empty');
		// n8n resolved Media ID only where the field is not text: 12345, null, undefined, an object, a list, true
		expect(direct.mediaIdReads).toBe(6);
		expect(evaluated.mediaIdReads).toBe(values.length);
	});
});

describe('holdsExpression', () => {
	it('finds an expression at any depth, in resource locators and lists too', () => {
		expect(holdsExpression('={{ $json.id }}')).toBe(true);
		expect(holdsExpression('plain = text')).toBe(false);
		expect(holdsExpression({ __rl: true, mode: 'id', value: '={{ $json.id }}' })).toBe(true);
		expect(holdsExpression({ __rl: true, mode: 'list', value: 'abc' })).toBe(false);
		expect(holdsExpression({ options: { values: [{ a: 1 }, { b: '=x' }] } })).toBe(true);
		expect(holdsExpression([1, true, null, undefined, { a: 'b' }])).toBe(false);
	});
});
