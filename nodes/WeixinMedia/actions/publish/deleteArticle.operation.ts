import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forOperation } from '../../descriptions/common.description';
import { wholeNumber } from '../../descriptions/validation';
import { weixinRequest } from '../../transport';
import { articleIdProperty, readArticleId } from './getArticle.operation';

export const description: INodeProperties[] = forOperation('publish', 'deleteArticle', [
	{
		displayName:
			'Deleting takes the article down for every reader and cannot be undone. The post stays listed, flagged is_deleted.',
		name: 'deleteArticleNotice',
		type: 'notice',
		default: '',
	},
	articleIdProperty('The article_id of the published post (Publish → Get Many or Get Status)'),
	{
		displayName: 'Delete',
		name: 'deleteScope',
		type: 'options',
		options: [
			{ name: 'All Articles of the Post', value: 'all' },
			{ name: 'One Article', value: 'one', description: 'Chosen by its position in the post' },
		],
		default: 'all',
	},
	{
		displayName: 'Article Number',
		name: 'articleNumber',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 1,
		description: 'Which article of the post to delete, counted from 1: 1 is the first article',
		displayOptions: { show: { deleteScope: ['one'] } },
	},
]);

/** freepublish/delete's index: the 1-based article position, 0 for every article of the post. */
function readIndex(ctx: IExecuteFunctions, itemIndex: number): number {
	if (ctx.getNodeParameter('deleteScope', itemIndex, 'all') === 'all') return 0;
	return wholeNumber(ctx, itemIndex, {
		name: 'articleNumber',
		label: 'Article Number',
		minimum: 1,
		fallback: 1,
		hint: 'The first article of a post is 1; to delete them all, set Delete to "All Articles of the Post".',
	});
}

/** Checks the item's Article ID and position; nothing is sent. */
export async function validate(this: IExecuteFunctions, itemIndex: number): Promise<void> {
	readArticleId(this, itemIndex);
	readIndex(this, itemIndex);
}

/** https://developers.weixin.qq.com/doc/offiaccount/Publish/Delete_posts.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const articleId = readArticleId(this, itemIndex);
	const index = readIndex(this, itemIndex);
	await weixinRequest(this, itemIndex, {
		method: 'POST',
		path: '/cgi-bin/freepublish/delete',
		body: { article_id: articleId, index },
		// Cannot be undone, and a lost answer is reported rather than resent.
		policy: 'write',
	});
	const deleted = index === 0 ? 'all articles' : `article ${index}`;
	return [{ json: { article_id: articleId, index, deleted } }];
}
