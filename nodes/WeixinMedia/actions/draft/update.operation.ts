import { NodeApiError } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { articleProperties } from '../../descriptions/article.description';
import { forOperation, mediaIdProperty } from '../../descriptions/common.description';
import { requiredText, wholeNumber } from '../../descriptions/validation';
import { settle } from '../../transport';
import { checkArticlesInput, updateDraftArticle } from '../shared/articles';

/** WeChat's answer to an index past the last article of the draft. */
const INVALID_ARGS = 40097;

export const description: INodeProperties[] = forOperation('draft', 'update', [
	mediaIdProperty('The media_id of the draft (Draft → Create or Draft → Get Many)'),
	{
		displayName: 'Article Index',
		name: 'articleIndex',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			'Which article of the draft to replace, counted from 0: 0 is the first article, 1 the second',
	},
	...articleProperties.map((property) =>
		property.name === 'articles' || property.name === 'articlesJson'
			? {
					...property,
					description:
						'Exactly one article: it replaces the article at Article Index, with all its fields (those left empty are cleared)',
			  }
			: property,
	),
]);

function readIndex(ctx: IExecuteFunctions, itemIndex: number): number {
	return wholeNumber(ctx, itemIndex, {
		name: 'articleIndex',
		label: 'Article Index',
		minimum: 0,
		fallback: 0,
		hint: 'The first article of a draft is 0.',
	});
}

/** Checks the item's Media ID, Article Index and its one article; nothing is sent. */
export async function validate(this: IExecuteFunctions, itemIndex: number): Promise<void> {
	requiredText(this, itemIndex, 'mediaId', 'Media ID');
	readIndex(this, itemIndex);
	await checkArticlesInput(this, itemIndex, 'draft', true);
}

/** https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Update_draft.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const mediaId = requiredText(this, itemIndex, 'mediaId', 'Media ID');
	const index = readIndex(this, itemIndex);
	const updated = await settle(() => updateDraftArticle(this, itemIndex, mediaId, index));
	if (updated.ok) return updated.value;
	const { error } = updated;
	if (error instanceof NodeApiError && error.context.errcode === INVALID_ARGS) {
		error.description =
			`WeChat refused Article Index ${index}: it counts from 0, so a draft of n articles takes 0 to n − 1 (Draft → Get lists them). ${
				error.description ?? ''
			}`.trim();
	}
	throw error;
}
