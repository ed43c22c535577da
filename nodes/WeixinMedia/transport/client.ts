import type FormData from 'form-data';
import type {
	IBinaryData,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IN8nHttpFullResponse,
} from 'n8n-workflow';

import { classifyDownload, storeDownload, type DownloadTarget } from './download';
import {
	TOKEN_ERRCODES,
	WeixinError,
	apiError,
	findWeixinError,
	toNodeError,
	toWeixinError,
} from './errors';
import { settle } from './outcome';
import { type RetryPolicy, withBusyRetry, withTransportRetry } from './retry';
import {
	CREDENTIAL_TYPE,
	DEFAULT_TIMEOUT_MS,
	ForcedRefreshNeeded,
	normaliseCredentials,
	prepareForcedRefresh,
	settleRejectedToken,
	tokenInUse,
	whenTokenInUse,
	withTokenCallTimeout,
	type WeixinCredentials,
} from './token';

export interface WeixinRequest {
	method: 'GET' | 'POST';
	/** Path under the API base URL, e.g. `/cgi-bin/media/upload`. */
	path: string;
	qs?: IDataObject;
	/** JSON body. */
	body?: IDataObject;
	/** Multipart body, built anew for every attempt: a sent stream cannot be sent again. */
	form?: () => Promise<FormData>;
	policy: RetryPolicy;
}

export interface TransportSettings {
	/** Milliseconds before a call without an answer is abandoned. */
	timeout: number;
}

export { DEFAULT_TIMEOUT_MS };

/** JSON calls also serve the editor's list searches, which run with a load-options context. */
export type JsonCallContext = IExecuteFunctions | ILoadOptionsFunctions;

const settingsByExecution = new WeakMap<JsonCallContext, TransportSettings>();
const credentialsByExecution = new WeakMap<JsonCallContext, Promise<WeixinCredentials>>();

/** The router sets the user's options once per run; every call of that run uses them. */
export function configureTransport(ctx: IExecuteFunctions, settings: TransportSettings): void {
	settingsByExecution.set(ctx, settings);
}

export function timeoutFor(ctx: JsonCallContext): number {
	return settingsByExecution.get(ctx)?.timeout ?? DEFAULT_TIMEOUT_MS;
}

// The account fields do not change during a run; the token does, and n8n reads it afresh per request.
async function credentialsFor(ctx: JsonCallContext): Promise<WeixinCredentials> {
	let credentials = credentialsByExecution.get(ctx);
	if (!credentials) {
		credentials = ctx.getCredentials(CREDENTIAL_TYPE).then((data) => normaliseCredentials(data));
		credentialsByExecution.set(ctx, credentials);
	}
	return await credentials;
}

/** What n8n's credential store holds now: read afresh (n8n reads its database on every call). */
async function readStoredCredentials(ctx: JsonCallContext): Promise<WeixinCredentials> {
	return normaliseCredentials(await ctx.getCredentials(CREDENTIAL_TYPE));
}

/** The execution's cancel signal: aborted when the user (or n8n) stops the execution. */
export function cancelSignalOf(ctx: JsonCallContext): AbortSignal | undefined {
	// Listing a library for the editor (load options) is no execution: nothing to cancel.
	return 'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal?.() : undefined;
}

function endpointName(path: string): string {
	return path.replace(/^\/cgi-bin\//, '');
}

/**
 * Sends one WeChat API call and hands the raw answer to `interpret`, which throws a WeixinError for a
 * non-zero errcode. Owns the rules every call shares:
 * - errcode -1: retried with backoff, except for writes (withBusyRetry);
 * - 40001/40014/42001: the token that request carried is marked rejected, and the call is sent once
 *   more, with the token n8n's credential store holds now or else through n8n's credential refresh;
 *   a forced refresh only after the store was read again (see prepareForcedRefresh);
 * - transport failures: retried per the call's policy (withTransportRetry);
 * - every error leaves as an n8n error naming the item, with secrets redacted.
 */
async function callWeixin<T>(
	ctx: JsonCallContext,
	itemIndex: number,
	request: WeixinRequest,
	expectFile: boolean,
	interpret: (response: IN8nHttpFullResponse) => Promise<T>,
): Promise<T> {
	const endpoint = endpointName(request.path);
	const called = await settle(async () => {
		const credentials = await credentialsFor(ctx);
		const readStore = async () => await readStoredCredentials(ctx);
		let tokenRefreshed = false;
		let forcedRefreshPrepared = false;
		const signal = cancelSignalOf(ctx);
		return await withBusyRetry(endpoint, request.policy, async () => {
			for (;;) {
				const qs: IDataObject = { ...request.qs };
				const sent = await settle(() =>
					withTransportRetry(endpoint, request.policy, async () => {
						const options: IHttpRequestOptions = {
							method: request.method,
							url: `${credentials.baseUrl}${request.path}`,
							qs,
							timeout: timeoutFor(ctx),
							returnFullResponse: true,
						};
						if (request.form) {
							options.body = await request.form();
							// To follow redirects, axios (follow-redirects) keeps a copy of the whole body for a
							// resend: 10 MB per video upload in flight. WeChat never redirects an upload.
							options.disableFollowRedirect = true;
						} else if (request.body) {
							options.body = request.body;
						}
						if (expectFile) options.encoding = 'stream';
						else options.json = true;
						return await interpret(await send(ctx, credentials, options));
					}, signal),
				);
				if (sent.ok) return sent.value;
				const weixinError = findWeixinError(sent.error);
				// nothing was sent: the refresh needs a forced token call, allowed once the store is re-read
				if (weixinError instanceof ForcedRefreshNeeded && !forcedRefreshPrepared) {
					forcedRefreshPrepared = true;
					await prepareForcedRefresh(credentials, readStore);
					continue;
				}
				// a token call's own errcodes (classic 40001 = wrong AppSecret) are no rejected token
				const errcode = weixinError?.details.fromTokenCall ? undefined : weixinError?.details.errcode;
				const usedToken = qs.access_token;
				if (errcode !== undefined && TOKEN_ERRCODES.has(errcode) && !tokenRefreshed) {
					tokenRefreshed = true;
					if (typeof usedToken === 'string') {
						await settleRejectedToken(credentials, usedToken, errcode, readStore);
					}
					continue;
				}
				throw sent.error;
			}
		}, signal);
	});
	if (called.ok) return called.value;
	throw toNodeError(ctx.getNode(), toWeixinError(endpoint, called.error), itemIndex);
}

/** Per run, the request that is going through n8n's credential store while no token is in use. */
const authenticating = new WeakMap<WeixinCredentials, Promise<unknown>>();

/**
 * While this process holds a usable token, it is sent directly; otherwise n8n authenticates the
 * request from its credential store (reading the token another worker saved, or refreshing it), and
 * the token it used becomes the one in use. This keeps n8n's database out of every single request.
 * Only one request of a run takes that path at a time: the others wait until its token is in use
 * (or it failed) instead of each decrypting, refreshing and saving the credential again, which cost
 * more than the uploads themselves when 200 items started at once.
 */
async function send(
	ctx: JsonCallContext,
	credentials: WeixinCredentials,
	options: IHttpRequestOptions,
): Promise<IN8nHttpFullResponse> {
	// n8n adds it on the credential path itself; the direct path needs it too, so a stop ends the request.
	options.abortSignal = cancelSignalOf(ctx);
	for (;;) {
		const token = tokenInUse(credentials);
		if (token !== undefined) {
			// in place: the caller reads back which token the request carried
			options.qs ??= {};
			options.qs.access_token = token;
			return (await ctx.helpers.httpRequest(options)) as IN8nHttpFullResponse;
		}
		const pending = authenticating.get(credentials);
		if (pending === undefined) break;
		await whenTokenInUse(pending);
	}
	// a token call made on the way takes this run's Timeout option
	const request = withTokenCallTimeout(timeoutFor(ctx), async () => {
		return (await ctx.helpers.httpRequestWithAuthentication.call(
			ctx,
			CREDENTIAL_TYPE,
			options,
		)) as IN8nHttpFullResponse;
	});
	authenticating.set(credentials, request);
	try {
		return await request;
	} finally {
		if (authenticating.get(credentials) === request) authenticating.delete(credentials);
	}
}

function checkErrcode(endpoint: string, body: IDataObject): IDataObject {
	const errcode = Number(body.errcode ?? 0);
	if (errcode !== 0) throw apiError(endpoint, errcode, body.errmsg as string | undefined);
	return body;
}

/** A WeChat call answered with JSON; a non-zero errcode becomes an error. */
export async function weixinRequest(
	ctx: JsonCallContext,
	itemIndex: number,
	request: WeixinRequest,
): Promise<IDataObject> {
	const endpoint = endpointName(request.path);
	return await callWeixin(ctx, itemIndex, request, false, async (response) => {
		const body = response.body;
		if (!body || typeof body !== 'object' || Buffer.isBuffer(body)) {
			throw new WeixinError(`WeChat ${endpoint} answered with something other than JSON.`);
		}
		return checkErrcode(endpoint, body as IDataObject);
	});
}

export type DownloadResult =
	| { kind: 'json'; json: IDataObject }
	| { kind: 'file'; binary: IBinaryData; bytes: number };

/**
 * A WeChat call that answers either with file bytes or with JSON (errors always, and metadata such as
 * `video_url` for some types). A JSON error is never stored as a file.
 */
export async function weixinDownload(
	ctx: IExecuteFunctions,
	itemIndex: number,
	request: WeixinRequest,
	target: DownloadTarget,
): Promise<DownloadResult> {
	const endpoint = endpointName(request.path);
	return await callWeixin(ctx, itemIndex, request, true, async (response) => {
		return await readDownload(ctx, endpoint, response, target);
	});
}

async function readDownload(
	ctx: IExecuteFunctions,
	endpoint: string,
	response: IN8nHttpFullResponse,
	target: DownloadTarget,
): Promise<DownloadResult> {
	const answer = await classifyDownload(response, timeoutFor(ctx), cancelSignalOf(ctx));
	if (answer.kind === 'json') return { kind: 'json', json: checkErrcode(endpoint, answer.json) };
	return { kind: 'file', ...(await storeDownload(ctx, answer, target)) };
}

/**
 * Downloads a file from a plain URL that WeChat handed out (`video_url`, `down_url`). No token is sent
 * to it; reads are retried like any other read.
 */
export async function downloadFromUrl(
	ctx: IExecuteFunctions,
	itemIndex: number,
	url: string,
	target: DownloadTarget,
): Promise<Extract<DownloadResult, { kind: 'file' }>> {
	const endpoint = 'file download';
	const downloaded = await settle(async () => {
		const signal = cancelSignalOf(ctx);
		return await withTransportRetry(endpoint, 'read', async () => {
			const response = (await ctx.helpers.httpRequest({
				method: 'GET',
				url,
				encoding: 'stream',
				returnFullResponse: true,
				timeout: timeoutFor(ctx),
				abortSignal: signal,
			})) as IN8nHttpFullResponse;
			const answer = await readDownload(ctx, endpoint, response, target);
			if (answer.kind === 'json') {
				throw new WeixinError(`The download URL answered with JSON instead of a file.`);
			}
			return answer;
		}, signal);
	});
	if (downloaded.ok) return downloaded.value;
	throw toNodeError(ctx.getNode(), toWeixinError(endpoint, downloaded.error), itemIndex);
}
