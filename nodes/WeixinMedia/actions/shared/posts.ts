/** Drafts and published posts as output items: the fields workflows chain on, then every article. */
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { readLimit, readPages, returnAllOrLimitProperties } from './paging';

export const listPostsProperties: INodeProperties[] = [
	...returnAllOrLimitProperties,
	{
		displayName: 'Leave Out Content',
		name: 'noContent',
		type: 'boolean',
		default: false,
		description:
			"Whether to leave out each article's HTML content: a much smaller output when only titles, dates and URLs matter",
	},
];

/** WeChat's times are unix seconds; the ISO form is what date filters and spreadsheets take. */
export function isoDate(unixSeconds: unknown): string | undefined {
	const seconds = Number(unixSeconds);
	return Number.isFinite(seconds) && seconds > 0
		? new Date(seconds * 1000).toISOString()
		: undefined;
}

export interface PostSummary {
	/** `media_id` for a draft, `article_id` for a published post. */
	idKey: 'media_id' | 'article_id';
	id: string;
	articles: IDataObject[];
	updateTime?: IDataObject[string];
	/** Published posts: true once every article is deleted (each article carries its own flag). */
	withDeletedFlag?: boolean;
}

/** One output item per post: its id, the first article's title, author, digest and URL, then all. */
export function postItem({
	idKey,
	id,
	articles,
	updateTime,
	withDeletedFlag,
}: PostSummary): IDataObject {
	const [lead = {}] = articles;
	const json: IDataObject = {
		[idKey]: id,
		title: lead.title,
		author: lead.author,
		digest: lead.digest,
		url: lead.url,
	};
	if (updateTime !== undefined) {
		json.update_time = updateTime;
		json.update_time_iso = isoDate(updateTime);
	}
	if (withDeletedFlag) {
		json.is_deleted =
			articles.length > 0 && articles.every((article) => article.is_deleted === true);
	}
	json.article_count = articles.length;
	json.news_item = articles;
	return json;
}

/** Lists drafts (draft/batchget) or published posts (freepublish/batchget), newest first. */
export async function listPosts(
	ctx: IExecuteFunctions,
	itemIndex: number,
	path: string,
	idKey: PostSummary['idKey'],
): Promise<IDataObject[]> {
	const limit = readLimit(ctx, itemIndex);
	const noContent = ctx.getNodeParameter('noContent', itemIndex, false) === true;
	const entries = await readPages(ctx, itemIndex, path, { no_content: noContent ? 1 : 0 }, limit);
	return entries.map((entry) =>
		postItem({
			idKey,
			id: String(entry[idKey] ?? ''),
			articles: ((entry.content as IDataObject | undefined)?.news_item ?? []) as IDataObject[],
			updateTime: entry.update_time,
			withDeletedFlag: idKey === 'article_id',
		}),
	);
}
