/**
 * draft/batchget: the draft box, newest first. Kept apart from routes.ts so it can be merged with (or
 * replaced by) a fuller draft lifecycle without touching the other routes.
 */
import { WeixinError } from './errors';
import type { Answer, Route, RouteContext } from './routes';
import type { Draft } from './state';

function jsonObject(context: RouteContext): Record<string, unknown> {
	if (context.body.length === 0) throw new WeixinError(44002);
	try {
		const parsed: unknown = JSON.parse(context.body.toString('utf8'));
		if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
			return parsed as Record<string, unknown>;
		}
	} catch {
		// answered below, like any other body that is not a JSON object
	}
	throw new WeixinError(47001);
}

/** no_content: 1 leaves out each article's HTML `content`, nothing else. */
function draftItem(draft: Draft, withContent: boolean): Record<string, unknown> {
	const articles = withContent
		? draft.articles
		: draft.articles.map(({ content: _content, ...article }) => article);
	return {
		media_id: draft.mediaId,
		content: { news_item: articles, create_time: draft.createdAt, update_time: draft.updatedAt },
		update_time: draft.updatedAt,
	};
}

function batchGetDrafts(context: RouteContext): Answer {
	const { offset = 0, count, no_content: noContent = 0 } = jsonObject(context);
	const validCount = Number.isInteger(count) && (count as number) >= 1 && (count as number) <= 20;
	if (!validCount || !Number.isInteger(offset) || (offset as number) < 0) {
		throw new WeixinError(40007);
	}
	// Newest first; drafts saved within the same second keep their reverse saving order.
	const all = [...context.state.drafts.values()]
		.reverse()
		.sort((a, b) => b.updatedAt - a.updatedAt);
	const page = all.slice(offset as number, (offset as number) + (count as number));
	const item = page.map((draft) => draftItem(draft, noContent !== 1));
	return { kind: 'json', body: { total_count: all.length, item_count: item.length, item } };
}

export const DRAFT_LIST_ROUTES: Record<string, Route> = {
	'/cgi-bin/draft/batchget': { postOnly: true, handle: batchGetDrafts },
};
