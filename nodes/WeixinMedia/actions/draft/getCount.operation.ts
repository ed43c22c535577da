import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { weixinRequest } from '../../transport';

// No fields: the count covers the whole draft box.
export const description: INodeProperties[] = [];

/** https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Count_drafts.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { total_count: totalCount } = await weixinRequest(this, itemIndex, {
		method: 'GET',
		path: '/cgi-bin/draft/count',
		policy: 'read',
	});
	return [{ json: { total_count: totalCount } }];
}
