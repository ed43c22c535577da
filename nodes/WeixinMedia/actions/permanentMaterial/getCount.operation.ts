import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { weixinRequest } from '../../transport';

// No fields: the count covers the whole material library.
export const description: INodeProperties[] = [];

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_the_total_of_all_materials.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const counts = await weixinRequest(this, itemIndex, {
		method: 'GET',
		path: '/cgi-bin/material/get_materialcount',
		policy: 'read',
	});
	return [{ json: counts }];
}
