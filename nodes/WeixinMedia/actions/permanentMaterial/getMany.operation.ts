import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { forOperation } from '../../descriptions/common.description';
import { materialTypeProperty } from '../../descriptions/media.description';
import { fieldError } from '../../descriptions/validation';
import { weixinRequest } from '../../transport';

/** The most batchget_material returns in one call. */
const PAGE_SIZE = 20;

export const description: INodeProperties[] = forOperation('permanentMaterial', 'getMany', [
	materialTypeProperty('Which library to list; WeChat lists the newest material first'),
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
]);

function readLimit(ctx: IExecuteFunctions, itemIndex: number): number {
	if (ctx.getNodeParameter('returnAll', itemIndex, false)) return Infinity;
	const limit = Number(ctx.getNodeParameter('limit', itemIndex, 50));
	if (!Number.isInteger(limit) || limit < 1) {
		throw fieldError(ctx, itemIndex, 'Limit', `must be a whole number of at least 1, not ${limit}`);
	}
	return limit;
}

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_materials_list.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const type = this.getNodeParameter('materialType', itemIndex) as string;
	const limit = readLimit(this, itemIndex);
	const materials: IDataObject[] = [];
	while (materials.length < limit) {
		const page = await weixinRequest(this, itemIndex, {
			method: 'POST',
			path: '/cgi-bin/material/batchget_material',
			body: {
				type,
				offset: materials.length,
				count: Math.min(PAGE_SIZE, limit - materials.length),
			},
			policy: 'read',
		});
		const items = Array.isArray(page.item) ? (page.item as IDataObject[]) : [];
		materials.push(...items);
		// An empty page ends the listing too, so a total_count that is off can never loop forever.
		if (items.length === 0 || materials.length >= Number(page.total_count ?? 0)) break;
	}
	return materials.slice(0, limit).map((json) => ({ json }));
}
