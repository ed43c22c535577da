import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forOperation } from '../../descriptions/common.description';
import { readLimit, readPages, returnAllOrLimitProperties } from '../shared/paging';

export const description: INodeProperties[] = forOperation('permanentMaterial', 'getMany', [
	{
		displayName: 'Material Type',
		name: 'materialType',
		type: 'options',
		options: [
			{ name: 'Image', value: 'image', description: 'Images and thumbs' },
			{ name: 'News', value: 'news', description: 'Articles, each with its news_item list' },
			{ name: 'Video', value: 'video' },
			{ name: 'Voice', value: 'voice' },
		],
		default: 'image',
		description: 'Which library to list; WeChat lists the newest material first',
	},
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
