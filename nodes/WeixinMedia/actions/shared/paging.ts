/** Listing calls that WeChat answers in pages of at most 20: Return All or a Limit, read page by page. */
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { wholeNumber } from '../../descriptions/validation';
import { weixinRequest } from '../../transport';

/** The most one batchget call returns. */
export const PAGE_SIZE = 20;

export const returnAllOrLimitProperties: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { returnAll: [false] } },
	},
];

/** Return All as Infinity, otherwise the Limit, which must be a whole number of at least 1. */
export function readLimit(ctx: IExecuteFunctions, itemIndex: number): number {
	if (ctx.getNodeParameter('returnAll', itemIndex, false)) return Infinity;
	return wholeNumber(ctx, itemIndex, { name: 'limit', label: 'Limit', minimum: 1, fallback: 50 });
}

/**
 * Reads up to `limit` entries from a batchget endpoint, `{offset, count}` added to `body`: pages of 20,
 * the last one asking only for what is missing. Pages are reads, retried after a transient failure.
 */
export async function readPages(
	ctx: IExecuteFunctions,
	itemIndex: number,
	path: string,
	body: IDataObject,
	limit: number,
): Promise<IDataObject[]> {
	const entries: IDataObject[] = [];
	while (entries.length < limit) {
		const page = await weixinRequest(ctx, itemIndex, {
			method: 'POST',
			path,
			body: { ...body, offset: entries.length, count: Math.min(PAGE_SIZE, limit - entries.length) },
			policy: 'read',
		});
		const items = Array.isArray(page.item) ? (page.item as IDataObject[]) : [];
		entries.push(...items);
		// An empty page ends the listing too, so a total_count that is off can never loop forever.
		if (items.length === 0 || entries.length >= Number(page.total_count ?? 0)) break;
	}
	return entries.slice(0, limit);
}
