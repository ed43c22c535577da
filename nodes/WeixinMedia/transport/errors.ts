import { NodeApiError } from 'n8n-workflow';
import type { INode, JsonObject } from 'n8n-workflow';

import { redact } from './redact';

/** errcodes that mean "this access token is no good": refresh once, retry once. */
export const TOKEN_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001]);

export const SYSTEM_BUSY_ERRCODE = -1;
export const DAILY_QUOTA_ERRCODE = 45009;
export const API_RETIRED_ERRCODE = 45106;

/** Plain-language hints for the errcodes a user of this node is likely to meet. */
const HINTS: Record<number, string> = {
	[-1]: 'WeChat is busy. The call was retried with backoff and the service stayed busy; try again in a few minutes.',
	40001:
		'The access token was rejected (invalid or not the latest). Another system using the same AppID probably fetched a new token with the classic endpoint; use the stable token endpoint in the credential. If this persists, check the AppSecret.',
	40002: 'WeChat did not accept the grant type of the token request.',
	40004: 'WeChat does not accept this media type. Use image, voice, video or thumb.',
	40005: 'WeChat does not accept this file format for the chosen type.',
	40006: 'The file size is not accepted for the chosen type.',
	40007:
		'The media_id is not valid here: it may be a temporary id given to a permanent-material operation (or the reverse), an expired temporary id (they last 3 days), or a deleted item.',
	40009: 'The image size is not accepted.',
	40013: 'The AppID is wrong. Copy it from the WeChat Official Account admin (Settings → Basic configuration).',
	40014: 'The access token is malformed or invalid.',
	40113: 'WeChat does not support this file type (the file name extension must match the bytes).',
	40125: 'The AppSecret is wrong. Reset or copy it in the WeChat Official Account admin (Settings → Basic configuration).',
	40164:
		"This server's IP address is not in the account's IP whitelist. Add it in the WeChat admin (Settings → Basic configuration → IP whitelist), or set the credential's API Base URL to a reverse proxy whose fixed IP is whitelisted.",
	41001: 'The access token is missing from the request.',
	41005: 'The media file is missing from the upload.',
	42001: 'The access token expired.',
	43002: 'This WeChat API requires a POST request.',
	44001: 'The uploaded file is empty.',
	44003: 'The article data is empty.',
	45001: 'The media file is larger than WeChat allows for this type.',
	45002: 'The article content is too long (it must be under 20,000 characters and under 1 MB).',
	45003: 'The title is too long.',
	45004: 'The description is too long.',
	45007: 'The voice file is longer than the 60 seconds WeChat allows.',
	45009:
		'The daily quota for this API is used up. Retrying will not help: the quota resets at midnight (Beijing time), or an administrator can clear it once in the WeChat admin (or with the clear_quota API).',
	45011: 'Calls are too frequent; WeChat asks to slow down and retry in a minute.',
	45106:
		'WeChat retired material/add_news in 2022. Create the articles with Draft → Create, then publish them with Publish → Submit.',
	48001:
		'This account is not authorised for this API (personal or unverified accounts lack some media APIs).',
	53600: 'The article_id is not valid.',
};

export function hintFor(errcode: number): string | undefined {
	return HINTS[errcode];
}

/** How to find out whether a write whose answer was lost took effect, by endpoint. */
const OUTCOME_CHECKS: Record<string, string> = {
	'material/add_material':
		'Look for it with Permanent Material → Get Many (newest first) before adding it again; a second add would store a duplicate.',
	'material/del_material':
		'Check with Permanent Material → Get: errcode 40007 means the material is gone.',
	'material/add_news':
		'Look for it with Permanent Material → Get Many (type News, newest first) before creating it again; a second call would create a duplicate.',
	'draft/add':
		'Look in the draft box of the WeChat admin before creating it again; a second call would create a second draft.',
	'freepublish/submit':
		'Look at the publishing records in the WeChat admin before submitting again; a second submit would publish the post twice.',
	'draft/delete': 'Check with Draft → Get: errcode 40007 means the draft is gone.',
	'freepublish/delete':
		'Check with Publish → Get Article: articles that are gone show is_deleted true.',
};

export function outcomeCheckFor(endpoint: string): string {
	return (
		OUTCOME_CHECKS[endpoint] ??
		'Check in the WeChat admin whether it took effect before running this item again, to avoid a duplicate.'
	);
}

/**
 * An error the transport raises before it knows which node or item it serves (the token exchange runs
 * inside n8n's credential pre-authentication). `toNodeError` turns it into the n8n error the user sees.
 */
export class WeixinError extends Error {
	constructor(
		message: string,
		readonly details: {
			errcode?: number;
			errmsg?: string;
			httpCode?: number;
			/** true when a write may have reached WeChat although no answer came back */
			outcomeUnknown?: boolean;
			hint?: string;
			/**
			 * Raised by a token call: its errcode describes the credential, not a token an API call carried,
			 * and its retries are spent.
			 */
			fromTokenCall?: boolean;
		} = {},
	) {
		super(redact(message));
		this.name = 'WeixinError';
	}
}

export function apiError(endpoint: string, errcode: number, errmsg: string | undefined): WeixinError {
	const cleanMessage = redact(errmsg ?? '');
	return new WeixinError(`WeChat ${endpoint} failed with errcode ${errcode}: ${cleanMessage}`, {
		errcode,
		errmsg: cleanMessage,
		hint: hintFor(errcode),
	});
}

/** Finds our error inside whatever n8n wrapped it in (NodeApiError keeps the original as `cause`). */
export function findWeixinError(error: unknown): WeixinError | undefined {
	let current: unknown = error;
	for (let depth = 0; current && depth < 5; depth++) {
		if (current instanceof WeixinError) return current;
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}

/** Any failure as a WeixinError whose text is safe to show (the HTTP client's errors quote URLs). */
export function toWeixinError(endpoint: string, error: unknown): WeixinError {
	const found = findWeixinError(error);
	if (found) return found;
	const failure = error as { message?: string; httpCode?: string; response?: { status?: number } };
	const status = failure.response?.status ?? (Number(failure.httpCode) || undefined);
	return new WeixinError(`WeChat ${endpoint}: ${redact(String(failure.message ?? error))}`, {
		httpCode: status,
	});
}

/** A credential field that cannot work, found before anything is sent. */
export class CredentialProblem extends WeixinError {
	constructor(readonly field: string, problem: string) {
		super(`credential field \`${field}\`: ${problem}`);
		this.name = 'CredentialProblem';
	}
}

/**
 * Marks an item's error as one a rerun must not repeat blindly: something lasting may already exist in
 * WeChat (a write whose answer was lost, covers or files added before the failure, a submitted post).
 * The router then never sends that item again within the run, Retry On Fail included.
 */
export function markMayHaveWritten(error: unknown): void {
	if (!error || typeof error !== 'object') return;
	const marked = error as { context?: Record<string, unknown> };
	marked.context ??= {};
	marked.context.mayHaveWritten = true;
}

export function mayHaveWritten(error: unknown): boolean {
	return (error as { context?: Record<string, unknown> } | null)?.context?.mayHaveWritten === true;
}

export function toNodeError(node: INode, error: WeixinError, itemIndex: number): NodeApiError {
	const { errcode, errmsg, httpCode, hint } = error.details;
	// The user fixes a credential like an input: the message names the item, as input errors do.
	const message =
		error instanceof CredentialProblem ? `item ${itemIndex}, ${error.message}` : error.message;
	const response: JsonObject = { message };
	if (errcode !== undefined) {
		response.errcode = errcode;
		response.errmsg = errmsg ?? '';
	}
	const nodeError = new NodeApiError(node, response, {
		message,
		description: hint,
		httpCode: httpCode === undefined ? undefined : String(httpCode),
		itemIndex,
	});
	// NodeApiError swaps a message naming a network code (ECONNRESET...) for generic "you can retry"
	// advice, which would hide that a write's outcome is unknown.
	nodeError.message = message;
	if (errcode !== undefined) nodeError.context.errcode = errcode;
	if (error.details.outcomeUnknown) markMayHaveWritten(nodeError);
	return nodeError;
}
