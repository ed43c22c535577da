import { sleep } from 'n8n-workflow';

import { SYSTEM_BUSY_ERRCODE, WeixinError, findWeixinError, outcomeCheckFor } from './errors';
import { settle } from './outcome';
import { redact } from './redact';

/**
 * How a call may be repeated when its outcome is not a clear answer:
 * - `read`: no side effect; repeat after errcode -1, HTTP 5xx, dropped or cut connections and timeouts.
 * - `repeatableWrite`: a duplicate is harmless (a temporary upload expires in 3 days); repeat like a read.
 * - `write`: creates something lasting; after an ambiguous failure (errcode -1 included: it is WeChat's
 *   generic "system error", not a promise that nothing was done) it is never sent again and the user
 *   is told the outcome is unknown.
 * Every policy repeats a refused connection (nothing was sent).
 */
export type RetryPolicy = 'read' | 'repeatableWrite' | 'write';

/** Waits before each retry of errcode -1; about 4 s in all before giving up. */
const BUSY_RETRY_DELAYS_MS = [250, 500, 1000, 2000];

/** Waits before each retry after a transport failure (5xx, reset, timeout). */
const TRANSIENT_RETRY_DELAYS_MS = [300, 1000];

function backoff(delays: number[], attempt: number): number {
	const base = delays[Math.min(attempt, delays.length - 1)];
	return base + Math.floor(Math.random() * base * 0.2);
}

/** The execution was stopped: nothing is retried, and the caller sees why it ended. */
export class ExecutionCancelled extends Error {
	constructor() {
		super('The execution was stopped');
		this.name = 'ExecutionCancelled';
	}
}

/** Waits `ms`, or ends at once with ExecutionCancelled when the execution is stopped. */
export async function waitUnlessCancelled(ms: number, signal?: AbortSignal): Promise<void> {
	if (signal?.aborted) throw new ExecutionCancelled();
	const waited = await settle(() => sleep(ms, signal));
	if (waited.ok) return;
	if (signal?.aborted) throw new ExecutionCancelled();
	throw waited.error;
}

function outcomeUnknown(endpoint: string, what: string, httpCode?: number): WeixinError {
	return new WeixinError(
		`WeChat ${endpoint}: ${what}. The request may or may not have been carried out, so it was not sent again.`,
		{ httpCode, outcomeUnknown: true, hint: outcomeCheckFor(endpoint) },
	);
}

/**
 * Runs `attempt` again while WeChat answers errcode -1, within the busy budget. A `write` is not
 * repeated: -1 does not say the first one was not carried out.
 */
export async function withBusyRetry<T>(
	endpoint: string,
	policy: RetryPolicy,
	attempt: () => Promise<T>,
	signal?: AbortSignal,
): Promise<T> {
	for (let retry = 0; ; retry++) {
		const outcome = await settle(attempt);
		if (outcome.ok) return outcome.value;
		const { error } = outcome;
		const details = findWeixinError(error)?.details;
		// A token call's -1 was already retried under the token-call policy.
		const busy = details?.errcode === SYSTEM_BUSY_ERRCODE && !details.fromTokenCall;
		if (!busy) throw error;
		if (policy === 'write') {
			throw outcomeUnknown(endpoint, 'WeChat answered errcode -1 (system error)');
		}
		if (retry >= BUSY_RETRY_DELAYS_MS.length) throw error;
		await waitUnlessCancelled(backoff(BUSY_RETRY_DELAYS_MS, retry), signal);
	}
}

/** A response body that stopped before its end: dropped, cut short, or silent past the timeout. */
export class InterruptedTransfer extends Error {
	constructor(readonly description: string) {
		super(description);
		this.name = 'InterruptedTransfer';
	}
}

interface TransportFailure {
	/** nothing reached the server, so any call may be sent again */
	notSent: boolean;
	httpCode?: number;
	description: string;
}

/** Connection failures before the request left: nothing was sent, so any call may be sent again. */
const NOT_SENT_CODES = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'ENETDOWN',
]);
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);
/** Connections that broke while the request or its answer was on the way. */
const DROPPED_CODES = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);
/** How the HTTP client words an answer whose body stopped after the headers (status 200 included). */
const CUT_ANSWER = /stream has been aborted|socket hang up|premature close|aborted/i;

interface HttpFailureShape {
	code?: string;
	name?: string;
	message?: string;
	response?: { status?: number };
	cause?: unknown;
}

/** The error and what it wraps: n8n wraps the HTTP client's error (NodeApiError → cause). */
function errorChain(error: unknown): HttpFailureShape[] {
	const chain: HttpFailureShape[] = [];
	let current = error;
	for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
		chain.push(current as HttpFailureShape);
		current = (current as HttpFailureShape).cause;
	}
	return chain;
}

/** n8n wraps the HTTP client's error (NodeApiError → cause); the status and code live on the inner one. */
export function innermostHttpFailure(error: unknown): HttpFailureShape {
	const chain = errorChain(error);
	return (
		chain.find((link) => link.response?.status !== undefined || link.code) ??
		(error as HttpFailureShape) ??
		{}
	);
}

/** The request was ended by an abort signal (the execution was stopped), not by the network. */
export function isCancellation(error: unknown): boolean {
	if (error instanceof ExecutionCancelled) return true;
	return errorChain(error).some(
		(link) =>
			link instanceof ExecutionCancelled ||
			link.code === 'ERR_CANCELED' ||
			link.name === 'AbortError' ||
			link.name === 'CanceledError',
	);
}

/**
 * Recognises failures of the network; undefined for anything else: WeChat's own answers, HTTP 4xx,
 * and local errors that carry a `code` too (ENOENT from the binary store, for one) but sent nothing.
 */
export function describeTransportFailure(error: unknown): TransportFailure | undefined {
	if (!error || typeof error !== 'object' || findWeixinError(error) || isCancellation(error)) {
		return undefined;
	}
	if (error instanceof InterruptedTransfer) return { notSent: false, description: error.description };
	const chain = errorChain(error);
	const codes = chain.map((link) => link.code).filter((code): code is string => !!code);
	const messages = chain.map((link) => redact(String(link.message ?? '')));
	const notSent = codes.find((code) => NOT_SENT_CODES.has(code));
	if (notSent) return { notSent: true, description: `the connection failed (${notSent})` };
	if (codes.some((code) => TIMEOUT_CODES.has(code)) || messages.some((text) => /timeout/i.test(text))) {
		return { notSent: false, description: 'no answer within the request timeout' };
	}
	// Checked before the status: an answer cut after its headers carries the 200 it started with.
	const dropped = codes.find((code) => DROPPED_CODES.has(code));
	const cut = messages.find((text) => CUT_ANSWER.test(text));
	if (dropped || cut) {
		return { notSent: false, description: `the connection was dropped (${dropped ?? cut})` };
	}
	const status = innermostHttpFailure(error).response?.status;
	if (status !== undefined && status >= 500) {
		return { notSent: false, httpCode: status, description: `HTTP ${status} from the server` };
	}
	return undefined;
}

/**
 * Runs `attempt` under the retry rules of `policy`. Transport failures become WeixinErrors with a
 * clean message: no URL, no token.
 */
export async function withTransportRetry<T>(
	endpoint: string,
	policy: RetryPolicy,
	attempt: () => Promise<T>,
	signal?: AbortSignal,
): Promise<T> {
	for (let retry = 0; ; retry++) {
		const outcome = await settle(attempt);
		if (outcome.ok) return outcome.value;
		const { error } = outcome;
		if (signal?.aborted || isCancellation(error)) throw new ExecutionCancelled();
		const failure = describeTransportFailure(error);
		if (!failure) throw error;
		const mayRepeat = failure.notSent || policy !== 'write';
		if (mayRepeat && retry < TRANSIENT_RETRY_DELAYS_MS.length) {
			await waitUnlessCancelled(backoff(TRANSIENT_RETRY_DELAYS_MS, retry), signal);
			continue;
		}
		if (!mayRepeat) throw outcomeUnknown(endpoint, failure.description, failure.httpCode);
		const attempts = retry + 1;
		throw new WeixinError(
			`WeChat ${endpoint}: ${failure.description}, ${attempts} attempt${attempts === 1 ? '' : 's'} made.`,
			{
				httpCode: failure.httpCode,
				hint: 'The WeChat API (or the proxy in the credential\'s API Base URL) did not answer properly. Check that it is reachable, or raise the Timeout option.',
			},
		);
	}
}
