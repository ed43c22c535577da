/**
 * The rest of the publishing lifecycle: drafts updated, listed, counted and deleted; published posts
 * listed, read and deleted. A publication that succeeded moves its draft out of the draft box into
 * the published list, as on the live service.
 */
import { buildArticle, newsArticleUrl } from './articles';
import { WeixinError } from './errors';
import { jsonBody, type Answer, type Route, type RouteContext } from './routes';
import type { Draft, Publication, PublishedPost, SandboxState, StoredArticle } from './state';

const MAX_PAGE = 20;
const INVALID_ARTICLE_ID = 53600;

const json = (body: Record<string, unknown>): Answer => ({
	kind: 'json',
	body,
});

function draftFrom(context: RouteContext, body: Record<string, unknown>): Draft {
	const mediaId = body.media_id;
	const draft = typeof mediaId === 'string' ? context.state.drafts.get(mediaId) : undefined;
	if (!draft) throw new WeixinError(40007);
	return draft;
}

function postFrom(context: RouteContext, body: Record<string, unknown>): PublishedPost {
	const articleId = body.article_id;
	const post = typeof articleId === 'string' ? context.state.published.get(articleId) : undefined;
	if (!post) throw new WeixinError(INVALID_ARTICLE_ID, 'invalid article_id');
	return post;
}

/** `offset`, `count` (1..20) and `no_content` of the two batchget calls; 40097 when out of range. */
function paging(body: Record<string, unknown>) {
	const { offset = 0, count, no_content: noContent = 0 } = body;
	const validCount =
		Number.isInteger(count) && (count as number) >= 1 && (count as number) <= MAX_PAGE;
	if (!validCount || !Number.isInteger(offset) || (offset as number) < 0) {
		throw new WeixinError(40097);
	}
	if (noContent !== 0 && noContent !== 1) throw new WeixinError(40097);
	return {
		offset: offset as number,
		count: count as number,
		noContent: noContent === 1,
	};
}

function listed(articles: StoredArticle[], noContent: boolean): unknown[] {
	if (!noContent) return articles;
	return articles.map(({ content: _content, ...rest }) => rest);
}

// ---------------------------------------------------------------------------------------------
// Publications settling

/**
 * A successful publication the service has finished (no polls left) turns its draft into a
 * published post: the draft leaves the draft box. Runs before every lifecycle call and when
 * freepublish/get reports success, so both views agree.
 */
export function settlePublication(
	state: SandboxState,
	publication: Publication,
	now: number,
): void {
	if (publication.outcome !== 'success' || publication.pollsLeft > 0) return;
	if (state.published.has(publication.articleId)) return;
	const draft = state.drafts.get(publication.draftId);
	if (!draft) return;
	state.published.set(publication.articleId, {
		articleId: publication.articleId,
		publishId: publication.publishId,
		articles: draft.articles.map((article, index) => ({
			...article,
			url: publication.articleUrls[index],
			is_deleted: false,
		})),
		createdAt: now,
		updatedAt: now,
		sequence: state.nextSequence(),
	});
	state.drafts.delete(draft.mediaId);
}

function settleAll(state: SandboxState, now: number): void {
	for (const publication of state.publications.values()) settlePublication(state, publication, now);
}

/** freepublish/get's status for a published post whose articles were all deleted (5). */
export function isWhollyDeleted(state: SandboxState, articleId: string): boolean {
	const post = state.published.get(articleId);
	return post !== undefined && post.articles.every((article) => article.is_deleted === true);
}

// ---------------------------------------------------------------------------------------------
// Drafts

function updateDraft(context: RouteContext): Answer {
	const body = jsonBody(context);
	const draft = draftFrom(context, body);
	const { index, articles } = body;
	// index is the 0-based position of an article of this draft.
	if (
		!Number.isInteger(index) ||
		(index as number) < 0 ||
		(index as number) >= draft.articles.length
	) {
		throw new WeixinError(40097);
	}
	if (typeof articles !== 'object' || articles === null || Array.isArray(articles)) {
		throw new WeixinError(40097);
	}
	const position = index as number;
	const previousUrl = draft.articles[position].url;
	const updated = buildArticle(
		articles as Record<string, unknown>,
		position,
		draft.articles.length,
		context.state,
		{ allowNewspic: true, digestLength: 54, articleUrl: newsArticleUrl },
	);
	draft.articles[position] = { ...updated, url: previousUrl };
	draft.updatedAt = context.now;
	return json({ errcode: 0, errmsg: 'ok' });
}

function deleteDraft(context: RouteContext): Answer {
	const draft = draftFrom(context, jsonBody(context));
	context.state.drafts.delete(draft.mediaId);
	return json({ errcode: 0, errmsg: 'ok' });
}

/** Newest first: last updated on top; within one second, the later created. */
function draftsNewestFirst(state: SandboxState): Draft[] {
	return [...state.drafts.values()].reverse().sort((a, b) => b.updatedAt - a.updatedAt);
}

/** A batchget page of drafts or posts (`all` in listing order): each under its id, with its articles. */
function listPage<T extends { articles: StoredArticle[]; createdAt: number; updatedAt: number }>(
	context: RouteContext,
	all: T[],
	idOf: (entry: T) => Record<string, string>,
): Answer {
	const { offset, count, noContent } = paging(jsonBody(context));
	const item = all.slice(offset, offset + count).map((entry) => ({
		...idOf(entry),
		content: {
			news_item: listed(entry.articles, noContent),
			create_time: entry.createdAt,
			update_time: entry.updatedAt,
		},
		update_time: entry.updatedAt,
	}));
	return json({ total_count: all.length, item_count: item.length, item });
}

function batchGetDrafts(context: RouteContext): Answer {
	return listPage(context, draftsNewestFirst(context.state), (draft) => ({ media_id: draft.mediaId }));
}

function countDrafts(context: RouteContext): Answer {
	return json({ total_count: context.state.drafts.size });
}

// ---------------------------------------------------------------------------------------------
// Published posts

function batchGetPublished(context: RouteContext): Answer {
	const all = [...context.state.published.values()].sort((a, b) => b.sequence - a.sequence);
	return listPage(context, all, (post) => ({ article_id: post.articleId }));
}

function getArticle(context: RouteContext): Answer {
	return json({ news_item: postFrom(context, jsonBody(context)).articles });
}

function deletePublished(context: RouteContext): Answer {
	const body = jsonBody(context);
	const post = postFrom(context, body);
	const { index = 0 } = body;
	// index is 1-based here; 0 (or none) takes the whole post down.
	if (
		!Number.isInteger(index) ||
		(index as number) < 0 ||
		(index as number) > post.articles.length
	) {
		throw new WeixinError(40097);
	}
	const position = index as number;
	post.articles.forEach((article, at) => {
		if (position === 0 || at === position - 1) article.is_deleted = true;
	});
	post.updatedAt = context.now;
	return json({ errcode: 0, errmsg: 'ok' });
}

/** Every lifecycle call first lets finished publications leave the draft box. */
function settled(route: Route): Route {
	return {
		...route,
		handle(context) {
			settleAll(context.state, context.now);
			return route.handle(context);
		},
	};
}

export const LIFECYCLE_ROUTES: Record<string, Route> = {
	'/cgi-bin/draft/update': settled({ postOnly: true, handle: updateDraft }),
	'/cgi-bin/draft/delete': settled({ postOnly: true, handle: deleteDraft }),
	'/cgi-bin/draft/batchget': settled({
		postOnly: true,
		handle: batchGetDrafts,
	}),
	'/cgi-bin/draft/count': settled({ handle: countDrafts }),
	'/cgi-bin/freepublish/batchget': settled({
		postOnly: true,
		handle: batchGetPublished,
	}),
	'/cgi-bin/freepublish/getarticle': settled({
		postOnly: true,
		handle: getArticle,
	}),
	'/cgi-bin/freepublish/delete': settled({
		postOnly: true,
		handle: deletePublished,
	}),
};
