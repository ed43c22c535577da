import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';

import { weixinRequest } from '../transport';

/** The most batchget_material and draft/batchget return in one call. */
const PAGE_SIZE = 20;
const MATERIAL_TYPES = ['image', 'voice', 'video', 'news'];

/** WeChat has no search: the editor pages through the library, the token being the next offset. */
function offsetFrom(paginationToken: string | undefined): number {
	const offset = Number(paginationToken ?? 0);
	return Number.isInteger(offset) && offset > 0 ? offset : 0;
}

function nextToken(offset: number, page: IDataObject, items: IDataObject[]): string | undefined {
	const next = offset + items.length;
	// An empty page ends the list too, so a total_count that is off cannot page forever.
	return items.length > 0 && next < Number(page.total_count ?? 0) ? String(next) : undefined;
}

/** "2026-11-27 10:53" in the workflow's timezone, so the user recognises what they uploaded. */
function formatUpdateTime(ctx: ILoadOptionsFunctions, unixSeconds: unknown): string {
	const seconds = Number(unixSeconds);
	if (!Number.isFinite(seconds) || seconds <= 0) return '';
	const date = new Date(seconds * 1000);
	try {
		// Swedish dates are ISO-like (YYYY-MM-DD HH:mm) in every Node ICU build.
		return date.toLocaleString('sv-SE', {
			timeZone: ctx.getTimezone(),
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
		});
	} catch {
		return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
	}
}

/** The titles of a news or draft item: the first one, and how many more it holds. */
function describeArticles(content: unknown): string {
	const articles = (content as IDataObject | undefined)?.news_item;
	if (!Array.isArray(articles) || articles.length === 0) return '(no articles)';
	const first = String((articles[0] as IDataObject).title ?? '').trim() || '(untitled)';
	return articles.length > 1 ? `${first} (+${articles.length - 1} more)` : first;
}

function listItem(
	ctx: ILoadOptionsFunctions,
	label: string,
	item: IDataObject,
): INodeListSearchItems {
	const updated = formatUpdateTime(ctx, item.update_time);
	return {
		name: updated ? `${label} · ${updated}` : label,
		value: String(item.media_id),
	};
}

/** Materials of the chosen type (Material Type), newest first as WeChat lists them. */
export async function searchMaterials(
	this: ILoadOptionsFunctions,
	_filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const chosen = this.getCurrentNodeParameter('materialType');
	const type = MATERIAL_TYPES.includes(chosen as string) ? (chosen as string) : 'image';
	const offset = offsetFrom(paginationToken);
	const page = await weixinRequest(this, 0, {
		method: 'POST',
		path: '/cgi-bin/material/batchget_material',
		body: { type, offset, count: PAGE_SIZE },
		policy: 'read',
	});
	const items = Array.isArray(page.item) ? (page.item as IDataObject[]) : [];
	const results = items.map((item) =>
		listItem(
			this,
			type === 'news' ? describeArticles(item.content) : String(item.name || item.media_id),
			item,
		),
	);
	return { results, paginationToken: nextToken(offset, page, items) };
}

/** Drafts, newest first, by their article titles (no_content spares the article HTML). */
export async function searchDrafts(
	this: ILoadOptionsFunctions,
	_filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const offset = offsetFrom(paginationToken);
	const page = await weixinRequest(this, 0, {
		method: 'POST',
		path: '/cgi-bin/draft/batchget',
		body: { offset, count: PAGE_SIZE, no_content: 1 },
		policy: 'read',
	});
	const items = Array.isArray(page.item) ? (page.item as IDataObject[]) : [];
	const results = items.map((item) => listItem(this, describeArticles(item.content), item));
	return { results, paginationToken: nextToken(offset, page, items) };
}
