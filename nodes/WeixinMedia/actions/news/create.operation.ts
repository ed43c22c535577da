import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { articleProperties } from '../../descriptions/article.description';
import { forOperation } from '../../descriptions/common.description';
import { API_RETIRED_ERRCODE, hintFor, settle } from '../../transport';
import { checkArticlesInput, createArticles } from '../shared/articles';

const RETIRED_HINT = hintFor(API_RETIRED_ERRCODE) ?? '';

export const description: INodeProperties[] = forOperation('news', 'create', [
	{
		displayName:
			'WeChat retired this call in 2022 (errcode 45106): use Draft → Create, then Publish → Submit. It stays for API stand-ins that still offer it.',
		name: 'retiredNotice',
		type: 'notice',
		default: '',
	},
	...articleProperties,
]);

/** Checks the item's articles, covers and images; nothing is sent. */
export async function validate(this: IExecuteFunctions, itemIndex: number): Promise<void> {
	await checkArticlesInput(this, itemIndex, 'news');
}

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html (add_news) */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const created = await settle(
		async () =>
			await createArticles(this, itemIndex, {
				resource: 'news',
				path: '/cgi-bin/material/add_news',
			}),
	);
	if (created.ok) return created.value;
	const { error } = created;
	if (!(error instanceof NodeApiError) || error.context.errcode !== API_RETIRED_ERRCODE) {
		throw error;
	}
	// The live service answers every call so: the way out belongs in the message itself.
	const rest = (error.description ?? '').replace(RETIRED_HINT, '').trim();
	const retired = new NodeOperationError(
		this.getNode(),
		`item ${itemIndex}: ${RETIRED_HINT} (${error.message})`,
		{ itemIndex, description: rest === '' ? undefined : rest },
	);
	retired.context.errcode = API_RETIRED_ERRCODE;
	throw retired;
}
