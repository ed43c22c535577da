import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { forOperation } from '../../descriptions/common.description';
import { requiredText } from '../../descriptions/validation';
import { weixinRequest } from '../../transport';
import { postItem } from '../shared/posts';

/** The article_id of a published post, for Get Article and Delete. */
export function articleIdProperty(description: string): INodeProperties {
	return {
		displayName: 'Article ID',
		name: 'articleId',
		type: 'string',
		default: '',
		required: true,
		description,
	};
}

export function readArticleId(ctx: IExecuteFunctions, itemIndex: number): string {
	return requiredText(ctx, itemIndex, 'articleId', 'Article ID');
}

export const description: INodeProperties[] = forOperation('publish', 'getArticle', [
	articleIdProperty(
		'The article_id of a published post (Publish → Submit with Wait for Completion, Get Status or Get Many)',
	),
]);

/** https://developers.weixin.qq.com/doc/offiaccount/Publish/Get_article_from_id.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const articleId = readArticleId(this, itemIndex);
	const answer = await weixinRequest(this, itemIndex, {
		method: 'POST',
		path: '/cgi-bin/freepublish/getarticle',
		body: { article_id: articleId },
		policy: 'read',
	});
	const articles = (answer.news_item ?? []) as IDataObject[];
	return [
		{ json: postItem({ idKey: 'article_id', id: articleId, articles, withDeletedFlag: true }) },
	];
}
