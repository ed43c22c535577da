/**
 * A batch's files are read from n8n's binary store once: the write-check before sending keeps what it
 * read for sending, within a budget per node run; files beyond the budget are read again when sent.
 */
import { BinaryDataService } from 'n8n-core';

import { KEPT_FOR_SENDING_PER_RUN } from '../../nodes/WeixinMedia/media/source';
import { jpeg, stamped } from '../fixtures/media';
import { runNode } from '../harness';
import { useSandbox } from '../support';

const env = useSandbox();

function stampedImages(count: number, bytes: number) {
	const image = jpeg(bytes);
	return Array.from({ length: count }, (_, row) => ({
		json: { row },
		files: [{ bytes: stamped(image, row), fileName: `row-${row}.jpg` }],
	}));
}

/** Runs Temporary Media → Upload and counts the whole-file reads from n8n's binary store. */
async function uploadCountingReads(items: ReturnType<typeof stampedImages>) {
	const reads = jest.spyOn(BinaryDataService.prototype, 'getAsBuffer');
	try {
		const result = await runNode({
			parameters: { resource: 'temporaryMedia', operation: 'upload', mediaType: 'image', binaryPropertyName: 'data' },
			items,
			credentials: env.credentials(),
		});
		return { result, reads: reads.mock.calls.length };
	} finally {
		reads.mockRestore();
	}
}

describe('Temporary Media → Upload reads each file once', () => {
	it('40 files of 5 KB: 40 reads, every file sent whole', async () => {
		const items = stampedImages(40, 5_000);
		const { result, reads } = await uploadCountingReads(items);
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(40);
		expect(reads).toBe(40);
		for (const [row, item] of result.items.entries()) {
			const stored = env.sandbox.stored('temporary', item.json.media_id as string) as { bytes: Buffer };
			expect(stored.bytes.equals(items[row].files[0].bytes)).toBe(true);
		}
	});

	it('files beyond the budget are read again when sent instead of all being held', async () => {
		const fileBytes = 900_000;
		const count = Math.floor(KEPT_FOR_SENDING_PER_RUN / fileBytes) + 6;
		const kept = Math.floor(KEPT_FOR_SENDING_PER_RUN / fileBytes);
		const { result, reads } = await uploadCountingReads(stampedImages(count, fileBytes));
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(count);
		expect(reads).toBe(count + (count - kept));
	});
});
