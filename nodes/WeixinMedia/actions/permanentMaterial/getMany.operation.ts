import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forOperation } from '../../descriptions/common.description';
import { materialTypeProperty } from '../../descriptions/media.description';
import { readLimit, readPages, returnAllOrLimitProperties } from '../shared/paging';

export const description: INodeProperties[] = forOperation('permanentMaterial', 'getMany', [
	materialTypeProperty('Which library to list; WeChat lists the newest material first'),
	...returnAllOrLimitProperties,
]);

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_materials_list.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const type = this.getNodeParameter('materialType', itemIndex) as string;
	const limit = readLimit(this, itemIndex);
	const materials = await readPages(
		this,
		itemIndex,
		'/cgi-bin/material/batchget_material',
		{ type },
		limit,
	);
	return materials.map((json) => ({ json }));
}
