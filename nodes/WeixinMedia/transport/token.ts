import { createHash } from 'crypto';
import type { IDataObject, IHttpRequestOptions } from 'n8n-workflow';

import { CredentialProblem, WeixinError, apiError, toWeixinError } from './errors';
import { rememberSecret } from './redact';
import { withBusyRetry, withTransportRetry } from './retry';

export const CREDENTIAL_TYPE = 'weixinOfficialAccountApi';
export const DEFAULT_BASE_URL = 'https://api.weixin.qq.com';
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface WeixinCredentials {
	appId: string;
	appSecret: string;
	tokenEndpoint: 'stable' | 'classic';
	baseUrl: string;
	/** Filled by n8n through `preAuthentication` and kept in n8n's credential store (shared by workers). */
	accessToken?: string;
	/** Unix milliseconds; stored next to the token so every process knows when to stop using it. */
	accessTokenExpiresAt?: number;
}

export interface IssuedToken {
	accessToken: string;
	accessTokenExpiresAt: number;
}

type HttpRequest = (options: IHttpRequestOptions) => Promise<unknown>;

/**
 * A token is treated as spent this long before WeChat's expiry. Five minutes matches the stable-token
 * renewal window: a stable_token call made inside it returns the renewed token.
 */
const EXPIRY_MARGIN_MS = 5 * 60 * 1000;

/** WeChat allows a forced stable-token refresh only 30 s after the previous one (and 20 a day). */
const FORCED_REFRESH_SPACING_MS = 30 * 1000;

/**
 * How long a freshly fetched token is handed to further pre-authentication calls without asking WeChat
 * again. n8n pre-authenticates only when its stored token is missing or spent, and when the user tests
 * the credential; the window merely covers items of one burst that read the store just before the
 * new token was saved. Beyond it a real token call is made, so a credential test really checks the
 * AppSecret and the IP whitelist.
 */
const REUSE_WINDOW_MS = 5_000;

interface TokenState {
	current?: IssuedToken & { fetchedAt: number };
	/** The stored token requests of this process carry (see tokenInUse). */
	inUse?: { accessToken: string; accessTokenExpiresAt?: number };
	/** Tokens WeChat rejected (40001/40014/42001): never handed out again by this process. */
	rejected: Set<string>;
	/** The one token request in flight for this credential, shared by every concurrent caller. */
	inFlight?: Promise<IssuedToken>;
	lastForcedRefreshAt?: number;
	/** The Timeout option of the run that last called WeChat with these credentials. */
	timeoutMs?: number;
}

// Per process, keyed by everything that identifies the account and endpoint: one run's items, later
// executions and the credential hooks all share it. Across processes, n8n's credential store shares
// the token (see the credential's preAuthentication).
const states = new Map<string, TokenState>();

export function normaliseCredentials(data: IDataObject): WeixinCredentials {
	const credentials: WeixinCredentials = {
		appId: String(data.appId ?? '').trim(),
		appSecret: String(data.appSecret ?? '').trim(),
		tokenEndpoint: data.tokenEndpoint === 'classic' ? 'classic' : 'stable',
		baseUrl: String(data.baseUrl || DEFAULT_BASE_URL)
			.trim()
			.replace(/\/+$/, ''),
		accessToken: typeof data.accessToken === 'string' ? data.accessToken : undefined,
		accessTokenExpiresAt: Number(data.accessTokenExpiresAt) || undefined,
	};
	rememberSecret(credentials.appSecret);
	rememberSecret(credentials.accessToken);
	if (credentials.appId === '') throw new CredentialProblem('AppID', 'is empty');
	if (credentials.appSecret === '') throw new CredentialProblem('AppSecret', 'is empty');
	if (!/^https?:\/\/[^\s/]+/i.test(credentials.baseUrl)) {
		throw new CredentialProblem(
			'API Base URL',
			`"${credentials.baseUrl}" is not an http(s) URL. Use https://api.weixin.qq.com or the URL of your whitelisted reverse proxy.`,
		);
	}
	return credentials;
}

function stateFor(credentials: WeixinCredentials): TokenState {
	const key = createHash('sha256')
		.update(
			[credentials.baseUrl, credentials.appId, credentials.appSecret, credentials.tokenEndpoint].join(
				'\n',
			),
		)
		.digest('hex');
	let state = states.get(key);
	if (!state) {
		state = { rejected: new Set() };
		states.set(key, state);
	}
	return state;
}

function isUsable(state: TokenState, token: string | undefined, expiresAt: number | undefined) {
	if (!token || state.rejected.has(token)) return false;
	return expiresAt === undefined || expiresAt - EXPIRY_MARGIN_MS > Date.now();
}

/**
 * The token a request should carry, from what n8n read from its credential store: undefined when that
 * token is spent (rejected by WeChat or about to expire), which sends n8n through preAuthentication.
 * A usable one is remembered, so later requests of this process can carry it without n8n reading the
 * credential from its database each time.
 */
export function storedTokenIfUsable(credentials: WeixinCredentials): string | undefined {
	const state = stateFor(credentials);
	const { accessToken, accessTokenExpiresAt } = credentials;
	if (!accessToken || !isUsable(state, accessToken, accessTokenExpiresAt)) return undefined;
	state.inUse = { accessToken, accessTokenExpiresAt };
	wakeTokenWaiters();
	return accessToken;
}

/**
 * The token the last authenticated request of this process carried, while it is still usable. Once
 * WeChat rejects it, or it nears expiry, requests go through n8n's credential store again, and so pick
 * up a token another worker saved there, or trigger a refresh.
 */
export function tokenInUse(credentials: WeixinCredentials): string | undefined {
	const state = stateFor(credentials);
	const inUse = state.inUse;
	if (!inUse || !isUsable(state, inUse.accessToken, inUse.accessTokenExpiresAt)) return undefined;
	return inUse.accessToken;
}

/** Called by the transport when WeChat answered 40001/40014/42001 for a request that carried `token`. */
export function markTokenRejected(credentials: WeixinCredentials, token: string): void {
	const state = stateFor(credentials);
	state.rejected.add(token);
	if (state.current?.accessToken === token) state.current = undefined;
	if (state.inUse?.accessToken === token) state.inUse = undefined;
}

/**
 * n8n fetches the token in `preAuthentication`, which knows nothing of the run: the token request
 * takes the Timeout option of the run that needs it, so a token endpoint that stops answering
 * cannot hold a run forever.
 */
export function useTimeoutForTokenRequests(
	credentials: WeixinCredentials,
	timeoutMs: number,
): void {
	stateFor(credentials).timeoutMs = timeoutMs;
}

/**
 * A usable token for these credentials: the one this process already holds, or one fetched from WeChat.
 * Concurrent callers share a single request.
 */
export async function obtainToken(
	credentials: WeixinCredentials,
	httpRequest: HttpRequest,
): Promise<IssuedToken> {
	const state = stateFor(credentials);
	const { current } = state;
	const recent = current !== undefined && Date.now() - current.fetchedAt < REUSE_WINDOW_MS;
	if (current && recent && isUsable(state, current.accessToken, current.accessTokenExpiresAt)) {
		return { accessToken: current.accessToken, accessTokenExpiresAt: current.accessTokenExpiresAt };
	}
	if (!state.inFlight) {
		state.inFlight = fetchFreshToken(credentials, state, httpRequest).finally(() => {
			state.inFlight = undefined;
		});
	}
	return await state.inFlight;
}

async function fetchFreshToken(
	credentials: WeixinCredentials,
	state: TokenState,
	httpRequest: HttpRequest,
): Promise<IssuedToken> {
	let issued = await requestToken(credentials, state, httpRequest, false);
	// The stable endpoint hands every caller the same token while WeChat considers it valid. If that is
	// the token WeChat just rejected, only a forced refresh gets a new one; it is rationed, so it is the
	// last resort, not the first call.
	if (state.rejected.has(issued.accessToken) && credentials.tokenEndpoint === 'stable') {
		const sinceLastForced = Date.now() - (state.lastForcedRefreshAt ?? 0);
		if (sinceLastForced < FORCED_REFRESH_SPACING_MS) {
			throw new WeixinError(
				'WeChat keeps rejecting the current stable access token, and a forced refresh was already made less than 30 seconds ago. Wait a minute and run again.',
			);
		}
		state.lastForcedRefreshAt = Date.now();
		issued = await requestToken(credentials, state, httpRequest, true);
	}
	state.current = { ...issued, fetchedAt: Date.now() };
	return issued;
}

async function requestToken(
	credentials: WeixinCredentials,
	state: TokenState,
	httpRequest: HttpRequest,
	forceRefresh: boolean,
): Promise<IssuedToken> {
	const { appId, appSecret, baseUrl, tokenEndpoint } = credentials;
	const timeout = state.timeoutMs ?? DEFAULT_TIMEOUT_MS;
	const request: IHttpRequestOptions =
		tokenEndpoint === 'classic'
			? {
					method: 'GET',
					url: `${baseUrl}/cgi-bin/token`,
					qs: { grant_type: 'client_credential', appid: appId, secret: appSecret },
					json: true,
					timeout,
				}
			: {
					method: 'POST',
					url: `${baseUrl}/cgi-bin/stable_token`,
					body: {
						grant_type: 'client_credential',
						appid: appId,
						secret: appSecret,
						force_refresh: forceRefresh,
					},
					json: true,
					timeout,
				};
	const endpoint = tokenEndpoint === 'classic' ? 'token' : 'stable_token';
	const answer = await withBusyRetry(async () => {
		let body: IDataObject;
		try {
			body = (await withTransportRetry(endpoint, 'read', async () => {
				return await httpRequest(request);
			})) as IDataObject;
		} catch (error) {
			throw toWeixinError(endpoint, error);
		}
		const errcode = Number(body?.errcode ?? 0);
		if (errcode !== 0) throw tokenError(endpoint, errcode, body.errmsg);
		return body;
	});
	const accessToken = answer.access_token;
	if (typeof accessToken !== 'string' || accessToken === '') {
		throw new WeixinError(`WeChat ${endpoint} answered without an access token.`);
	}
	rememberSecret(accessToken);
	const lifetimeSeconds = Number(answer.expires_in) || 7200;
	return { accessToken, accessTokenExpiresAt: Date.now() + lifetimeSeconds * 1000 };
}

/**
 * Token failures surface in n8n's credential test and in pre-authentication, where only the message is
 * shown: it carries the hint (what to fix) itself.
 */
function tokenError(endpoint: string, errcode: number, errmsg: unknown): WeixinError {
	const error = apiError(endpoint, errcode, typeof errmsg === 'string' ? errmsg : undefined);
	const { hint } = error.details;
	if (hint) error.message = `${error.message}. ${hint}`;
	return error;
}

/** Requests waiting for a token to be put in use (see whenTokenInUse); woken whenever one is. */
const tokenWaiters = new Set<() => void>();

function wakeTokenWaiters(): void {
	for (const wake of tokenWaiters) wake();
	tokenWaiters.clear();
}

/**
 * Resolves when a token is next put in use by this process (for any account: the caller checks
 * tokenInUse again), or when `until` settles, whichever comes first.
 */
export async function whenTokenInUse(until: Promise<unknown>): Promise<void> {
	let wake: () => void = () => undefined;
	const woken = new Promise<void>((resolve) => {
		wake = resolve;
		tokenWaiters.add(resolve);
	});
	try {
		await Promise.race([woken, until.then(noop, noop)]);
	} finally {
		tokenWaiters.delete(wake);
	}
}

const noop = () => undefined;

/** For tests: forget every token this process holds. */
export function forgetAllTokens(): void {
	states.clear();
}
