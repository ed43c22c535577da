import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { articleProperties } from '../../descriptions/article.description';
import { forOperation } from '../../descriptions/common.description';
import { checkArticlesInput, createArticles } from '../shared/articles';

export const description: INodeProperties[] = forOperation('draft', 'create', articleProperties);

/** Checks the item's articles, covers and images; nothing is sent. */
export async function validate(this: IExecuteFunctions, itemIndex: number): Promise<void> {
	await checkArticlesInput(this, itemIndex, 'draft');
}

/** https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	return await createArticles(this, itemIndex, { resource: 'draft', path: '/cgi-bin/draft/add' });
}
