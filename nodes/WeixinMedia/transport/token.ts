import { AsyncLocalStorage } from 'async_hooks';
import { createHash } from 'crypto';
import { sleep } from 'n8n-workflow';
import type { IDataObject, IHttpRequestOptions } from 'n8n-workflow';

import {
	CredentialProblem,
	SYSTEM_BUSY_ERRCODE,
	WeixinError,
	apiError,
	findWeixinError,
	hintFor,
	toWeixinError,
} from './errors';
import { settle } from './outcome';
import { rememberSecret } from './redact';
import { describeTransportFailure } from './retry';

export const CREDENTIAL_TYPE = 'weixinOfficialAccountApi';
export const DEFAULT_BASE_URL = 'https://api.weixin.qq.com';
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface WeixinCredentials {
	appId: string;
	appSecret: string;
	grantEndpoint: 'stable' | 'classic';
	baseUrl: string;
	/**
	 * Filled by n8n through `preAuthentication` and kept in n8n's credential store (shared by workers).
	 * Undefined when the stored token was fetched for another account, endpoint or base URL.
	 */
	accessToken?: string;
	/** Unix milliseconds; stored next to the token so every process knows when to stop using it. */
	accessTokenExpiresAt?: number;
}

export interface IssuedToken {
	accessToken: string;
	accessTokenExpiresAt: number;
	/** Which account, endpoint and base URL the token was fetched for (see fingerprintOf). */
	accessTokenFingerprint: string;
}

type HttpRequest = (options: IHttpRequestOptions) => Promise<unknown>;

/**
 * A stored token is refreshed this long before it expires. It must stay inside WeChat's 5-minute
 * stable-token renewal window, so that the refresh is handed the successor, and leave a request in
 * flight time to finish before the old token dies.
 */
const REFRESH_MARGIN_MS = 2 * 60 * 1000;

/**
 * A token WeChat has just handed this process is used up to its real expiry, even inside the margin
 * (WeChat may hand out a token with less than the margin left); after this long it is asked again.
 */
const FRESHLY_ISSUED_MS = 30_000;

/** WeChat allows a forced stable-token refresh only 30 s after the previous one (and 20 a day). */
const FORCED_REFRESH_SPACING_MS = 30 * 1000;
const FORCED_REFRESH_REFUSED_ERRCODE = 45011;

/**
 * Before forcing a refresh, a process waits up to this long and reads n8n's credential store again:
 * several workers that saw the same rejection spread out, and all but the first find its new token.
 */
const FORCED_REFRESH_SPREAD_MS = 1_000;
/** A permission to force, given after the store was read, is stale after this long. */
const FORCE_GRANT_VALID_MS = 60_000;

/**
 * How long a freshly fetched token is handed to further pre-authentication calls without asking WeChat
 * again. n8n pre-authenticates only when its stored token is missing or spent, and when the user tests
 * the credential; the window merely covers items of one burst that read the store just before the
 * new token was saved. Beyond it a real token call is made, so a credential test really checks the
 * AppSecret and the IP whitelist.
 */
const REUSE_WINDOW_MS = 5_000;

/** Token calls: the one retry policy for busy answers (-1) and transport failures alike, 3 calls at most. */
const TOKEN_CALL_RETRY_DELAYS_MS = [300, 1000];

/** Tokens live 2 hours: a rejection, or an account idle for longer, is history. */
const TOKEN_LIFETIME_MS = 2 * 60 * 60 * 1000;
const MAX_REJECTED_TOKENS = 16;
const MAX_ACCOUNTS = 64;

interface RejectedToken {
	at: number;
	/** false after 40014 (the token may only have been mangled on the way): never forces a refresh. */
	forceable: boolean;
}

interface TokenState {
	/** The token WeChat last handed this process, and when. */
	justIssued?: IssuedToken & { fetchedAt: number };
	/** The stored token requests of this process carry (see tokenInUse). */
	inUse?: { accessToken: string; accessTokenExpiresAt: number };
	/** Tokens WeChat rejected (40001/40014/42001) lately: not handed out again by this process. */
	rejected: Map<string, RejectedToken>;
	/** The one token request in flight for this credential, shared by every concurrent caller. */
	inFlight?: Promise<IssuedToken>;
	/** The one wait-and-reread before a forced refresh, shared by every item that needs it. */
	forcePreparation?: Promise<void>;
	/** Set when the store still held the rejected token after the wait: the next token call forces. */
	forceGrantedAt?: number;
	lastForcedRefreshAt?: number;
	lastUsedAt: number;
}

// Per process, keyed by everything that identifies the account and endpoint: one run's items, later
// executions and the credential hooks all share it. Across processes, n8n's credential store shares
// the token (see the credential's preAuthentication).
const states = new Map<string, TokenState>();

/** The Timeout option of the run whose request is being authenticated (see withTokenCallTimeout). */
const tokenCallTimeout = new AsyncLocalStorage<number>();

/**
 * Identifies what a stored token is good for: the account, its AppSecret, the token endpoint and the
 * base URL. n8n keeps the stored token when the user edits the credential; without the AppSecret in
 * here a wrong new AppSecret would pass the credential test on the old token. Hashed, so the
 * fingerprint reveals none of them. It also keys this process's token state, which every request
 * looks up: hashed once per credentials object (once per run).
 */
const fingerprints = new WeakMap<WeixinCredentials, string>();

function fingerprintOf(credentials: WeixinCredentials): string {
	let fingerprint = fingerprints.get(credentials);
	if (fingerprint === undefined) {
		fingerprint = createHash('sha256')
			.update(
				[credentials.appId, credentials.appSecret, credentials.grantEndpoint, credentials.baseUrl].join(
					'\n',
				),
			)
			.digest('hex')
			.slice(0, 32);
		fingerprints.set(credentials, fingerprint);
	}
	return fingerprint;
}

export function normaliseCredentials(data: IDataObject): WeixinCredentials {
	const credentials: WeixinCredentials = {
		appId: String(data.appId ?? '').trim(),
		appSecret: String(data.appSecret ?? '').trim(),
		grantEndpoint: data.grantEndpoint === 'classic' ? 'classic' : 'stable',
		baseUrl: String(data.baseUrl || DEFAULT_BASE_URL)
			.trim()
			.replace(/\/+$/, ''),
	};
	rememberSecret(credentials.appSecret);
	const storedToken = typeof data.accessToken === 'string' ? data.accessToken : undefined;
	rememberSecret(storedToken);
	// A token fetched before the credential was edited belongs to the old account (or endpoint, or
	// proxy): it is no token for this one.
	if (storedToken && data.accessTokenFingerprint === fingerprintOf(credentials)) {
		credentials.accessToken = storedToken;
		credentials.accessTokenExpiresAt = Number(data.accessTokenExpiresAt) || undefined;
	}
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
	const key = fingerprintOf(credentials);
	const now = Date.now();
	let state = states.get(key);
	if (state) {
		states.delete(key); // re-inserted below: the map stays ordered by last use
	} else {
		state = { rejected: new Map(), lastUsedAt: now };
		forgetIdleAccounts(now);
	}
	state.lastUsedAt = now;
	states.set(key, state);
	return state;
}

function forgetIdleAccounts(now: number): void {
	for (const [key, state] of states) {
		const busy = state.inFlight !== undefined || state.forcePreparation !== undefined;
		if (busy) continue;
		if (now - state.lastUsedAt > TOKEN_LIFETIME_MS || states.size >= MAX_ACCOUNTS) states.delete(key);
	}
}

/**
 * Whether requests may carry this token now. A token without a known expiry is not used; one near its
 * expiry is refreshed, unless WeChat handed it to this process moments ago (then it is what WeChat
 * gives out, and it serves to its real expiry).
 */
function isUsable(state: TokenState, token: string | undefined, expiresAt: number | undefined) {
	if (!token || expiresAt === undefined || state.rejected.has(token)) return false;
	const now = Date.now();
	if (now >= expiresAt) return false;
	if (now < expiresAt - REFRESH_MARGIN_MS) return true;
	const issued = state.justIssued;
	return issued?.accessToken === token && now - issued.fetchedAt < FRESHLY_ISSUED_MS;
}

/**
 * The token a request should carry, from what n8n read from its credential store: undefined when that
 * token is spent (rejected by WeChat, about to expire, or fetched for other credentials), which sends
 * n8n through preAuthentication. A usable one is remembered, so later requests of this process can
 * carry it without n8n reading the credential from its database each time.
 */
export function storedTokenIfUsable(credentials: WeixinCredentials): string | undefined {
	const state = stateFor(credentials);
	const { accessToken, accessTokenExpiresAt } = credentials;
	if (!accessToken || accessTokenExpiresAt === undefined) return undefined;
	if (!isUsable(state, accessToken, accessTokenExpiresAt)) return undefined;
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

function markRejected(state: TokenState, token: string, forceable: boolean): void {
	const now = Date.now();
	for (const [value, rejection] of state.rejected) {
		if (now - rejection.at > TOKEN_LIFETIME_MS) state.rejected.delete(value);
	}
	state.rejected.delete(token);
	state.rejected.set(token, { at: now, forceable });
	while (state.rejected.size > MAX_REJECTED_TOKENS) {
		state.rejected.delete(state.rejected.keys().next().value as string);
	}
	if (state.justIssued?.accessToken === token) state.justIssued = undefined;
	if (state.inUse?.accessToken === token) state.inUse = undefined;
}

/** For tests and callers without access to the store: WeChat rejected the token a request carried. */
export function markTokenRejected(credentials: WeixinCredentials, token: string): void {
	markRejected(stateFor(credentials), token, true);
}

/**
 * WeChat answered 40001/40014/42001 to a request that carried `rejectedToken`. Reads n8n's credential
 * store again first: another worker may already have saved a new token, which the retry then carries
 * without any token call. 40014 (malformed, perhaps mangled on the way) refreshes normally but never
 * forces.
 */
export async function settleRejectedToken(
	credentials: WeixinCredentials,
	rejectedToken: string,
	errcode: number,
	readStore: () => Promise<WeixinCredentials>,
): Promise<void> {
	const state = stateFor(credentials);
	markRejected(state, rejectedToken, errcode !== 40014);
	adoptStoredToken(state, await readStore().catch(() => undefined));
}

function adoptStoredToken(state: TokenState, stored: WeixinCredentials | undefined): boolean {
	const token = stored?.accessToken;
	const expiresAt = stored?.accessTokenExpiresAt;
	if (!token || expiresAt === undefined || !isUsable(state, token, expiresAt)) return false;
	state.inUse = { accessToken: token, accessTokenExpiresAt: expiresAt };
	return true;
}

/**
 * A token call came back with a token this process saw rejected: only a forced refresh replaces it,
 * and a forced refresh knocks out the token every other holder just got. So first wait a moment and
 * read n8n's credential store again; if another worker has saved a new token meanwhile, use that.
 * Only when the store still holds no usable token is the next token call allowed to force.
 * Concurrent items of this process share one wait.
 */
export async function prepareForcedRefresh(
	credentials: WeixinCredentials,
	readStore: () => Promise<WeixinCredentials>,
): Promise<void> {
	const state = stateFor(credentials);
	state.forcePreparation ??= (async () => {
		await sleep(Math.random() * FORCED_REFRESH_SPREAD_MS);
		if (adoptStoredToken(state, await readStore().catch(() => undefined))) return;
		state.forceGrantedAt = Date.now();
	})().finally(() => {
		state.forcePreparation = undefined;
	});
	await state.forcePreparation;
}

/**
 * Thrown by a token call that got back a token WeChat had rejected: the caller decides whether to
 * force (see prepareForcedRefresh). Nothing was sent to the API yet.
 */
export class ForcedRefreshNeeded extends WeixinError {
	constructor() {
		super(
			'WeChat rejects the current stable access token but still hands it out; only a forced refresh replaces it. Run again in a minute.',
			{ fromTokenCall: true },
		);
		this.name = 'ForcedRefreshNeeded';
	}
}

/**
 * Runs `request` (which ends in n8n's credential pre-authentication) with the run's Timeout option
 * for any token call it makes. Per request, so concurrent executions never share one setting.
 */
export async function withTokenCallTimeout<T>(timeoutMs: number, request: () => Promise<T>) {
	return await tokenCallTimeout.run(timeoutMs, request);
}

/**
 * A usable token for these credentials: the one this process fetched a moment ago, or one fetched
 * from WeChat. Concurrent callers share a single request.
 */
export async function obtainToken(
	credentials: WeixinCredentials,
	httpRequest: HttpRequest,
): Promise<IssuedToken> {
	const state = stateFor(credentials);
	const issued = state.justIssued;
	const recent = issued !== undefined && Date.now() - issued.fetchedAt < REUSE_WINDOW_MS;
	if (issued && recent && isUsable(state, issued.accessToken, issued.accessTokenExpiresAt)) {
		const { accessToken, accessTokenExpiresAt, accessTokenFingerprint } = issued;
		return { accessToken, accessTokenExpiresAt, accessTokenFingerprint };
	}
	if (!state.inFlight) {
		const timeoutMs = tokenCallTimeout.getStore() ?? DEFAULT_TIMEOUT_MS;
		state.inFlight = fetchFreshToken(credentials, state, httpRequest, timeoutMs).finally(() => {
			state.inFlight = undefined;
		});
	}
	return await state.inFlight;
}

async function fetchFreshToken(
	credentials: WeixinCredentials,
	state: TokenState,
	httpRequest: HttpRequest,
	timeoutMs: number,
): Promise<IssuedToken> {
	const call = async (forceRefresh: boolean) =>
		await requestToken(credentials, httpRequest, forceRefresh, timeoutMs);
	const granted =
		state.forceGrantedAt !== undefined && Date.now() - state.forceGrantedAt < FORCE_GRANT_VALID_MS;
	state.forceGrantedAt = undefined;
	let issued: IssuedToken;
	if (granted && credentials.grantEndpoint === 'stable') {
		issued = await forceRefresh(state, call);
	} else {
		issued = await call(false);
		// The stable endpoint hands every caller the same token while WeChat considers it valid. If that
		// is a token WeChat just rejected, only a forced refresh gets a new one: rationed, and harmful to
		// the other holders, so the caller first checks the store (see prepareForcedRefresh).
		const rejection = state.rejected.get(issued.accessToken);
		if (rejection?.forceable && credentials.grantEndpoint === 'stable') {
			throw new ForcedRefreshNeeded();
		}
		// 40014 said "malformed", yet WeChat hands the token out: it was mangled on the way, not spent.
		if (rejection) state.rejected.delete(issued.accessToken);
	}
	state.justIssued = { ...issued, fetchedAt: Date.now() };
	return issued;
}

async function forceRefresh(
	state: TokenState,
	call: (forceRefresh: boolean) => Promise<IssuedToken>,
): Promise<IssuedToken> {
	if (Date.now() - (state.lastForcedRefreshAt ?? 0) < FORCED_REFRESH_SPACING_MS) {
		throw new WeixinError(
			'WeChat keeps rejecting the current stable access token, and a forced refresh was already made less than 30 seconds ago. Wait a minute and run again.',
			{ fromTokenCall: true },
		);
	}
	state.lastForcedRefreshAt = Date.now();
	const forced = await settle(() => call(true));
	if (forced.ok) return forced.value;
	if (findWeixinError(forced.error)?.details.errcode !== FORCED_REFRESH_REFUSED_ERRCODE) throw forced.error;
	// Refused: another holder forced a refresh within 30 s (or today's 20 are used up). In the first
	// case the plain call hands out the token that refresh produced.
	const latest = await call(false);
	if (state.rejected.has(latest.accessToken)) throw forced.error;
	return latest;
}

async function requestToken(
	credentials: WeixinCredentials,
	httpRequest: HttpRequest,
	forceRefresh: boolean,
	timeout: number,
): Promise<IssuedToken> {
	const { appId, appSecret, baseUrl, grantEndpoint } = credentials;
	const request: IHttpRequestOptions =
		grantEndpoint === 'classic'
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
	const endpoint = grantEndpoint === 'classic' ? 'token' : 'stable_token';
	const answer = await withTokenCallRetry(endpoint, async () => {
		const body = (await httpRequest(request)) as IDataObject;
		const errcode = Number(body?.errcode ?? 0);
		if (errcode !== 0) throw tokenError(endpoint, errcode, body.errmsg);
		return body;
	});
	const accessToken = answer.access_token;
	if (typeof accessToken !== 'string' || accessToken === '') {
		throw new WeixinError(`WeChat ${endpoint} answered without an access token.`, {
			fromTokenCall: true,
		});
	}
	const lifetimeSeconds = Number(answer.expires_in) || 7200;
	const accessTokenExpiresAt = Date.now() + lifetimeSeconds * 1000;
	rememberSecret(accessToken);
	return { accessToken, accessTokenExpiresAt, accessTokenFingerprint: fingerprintOf(credentials) };
}

/**
 * Token calls have side effects on nobody's data, so a busy answer and a transport failure are both
 * tried again, within one small budget. Whatever fails here is final: the error says it came from a
 * token call, and the API call around it retries nothing more for it.
 */
async function withTokenCallRetry<T>(endpoint: string, attempt: () => Promise<T>): Promise<T> {
	for (let retry = 0; ; retry++) {
		const outcome = await settle(attempt);
		if (outcome.ok) return outcome.value;
		const { error } = outcome;
		const failure = describeTransportFailure(error);
		const busy = findWeixinError(error)?.details.errcode === SYSTEM_BUSY_ERRCODE;
		if ((failure || busy) && retry < TOKEN_CALL_RETRY_DELAYS_MS.length) {
			await sleep(TOKEN_CALL_RETRY_DELAYS_MS[retry]);
			continue;
		}
		if (!failure) throw asTokenCallError(toWeixinError(endpoint, error));
		const attempts = retry + 1;
		throw new WeixinError(
			`WeChat ${endpoint}: ${failure.description}, ${attempts} attempt${attempts === 1 ? '' : 's'} made.`,
			{
				httpCode: failure.httpCode,
				fromTokenCall: true,
				hint: "The WeChat token endpoint (or the proxy in the credential's API Base URL) did not answer properly. Check that it is reachable, or raise the Timeout option.",
			},
		);
	}
}

function asTokenCallError(error: WeixinError): WeixinError {
	if (error.details.fromTokenCall) return error;
	const copy = new WeixinError(error.message, { ...error.details, fromTokenCall: true });
	return Object.assign(copy, { name: error.name });
}

/**
 * Token failures surface in n8n's credential test and in pre-authentication, where only the message is
 * shown: it carries the hint (what to fix) itself.
 */
function tokenError(endpoint: string, errcode: number, errmsg: unknown): WeixinError {
	const error = apiError(endpoint, errcode, typeof errmsg === 'string' ? errmsg : undefined);
	// The classic endpoint answers a wrong AppSecret with 40001, the code API calls use for a rejected
	// token: here it is a credential problem, and fetching another token cannot help.
	const hint = endpoint === 'token' && errcode === 40001 ? hintFor(40125) : error.details.hint;
	const message = hint ? `${error.message}. ${hint}` : error.message;
	return new WeixinError(message, { ...error.details, hint, fromTokenCall: true });
}

/** For tests: how much this process remembers (accounts, and rejected tokens over all of them). */
export function tokenMemorySize(): { accounts: number; rejectedTokens: number } {
	let rejectedTokens = 0;
	for (const state of states.values()) rejectedTokens += state.rejected.size;
	return { accounts: states.size, rejectedTokens };
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
