import { SYSTEM_BUSY_ERRCODE, WeixinError, findWeixinError, outcomeCheckFor } from './errors';
import { redact } from './redact';

/**
 * How a call may be repeated when its outcome is not a clear answer:
 * - `read`: no side effect; repeat after HTTP 5xx, dropped connections and timeouts.
 * - `repeatableWrite`: a duplicate is harmless (a temporary upload expires in 3 days); repeat like a read.
 * - `write`: creates something lasting; after an ambiguous failure it is never sent again and the user
 *   is told the outcome is unknown.
 * Every policy repeats errcode -1 (WeChat answered "busy": nothing was done) and a refused connection
 * (nothing was sent).
 */
export type RetryPolicy = 'read' | 'repeatableWrite' | 'write';

/** Waits before each retry of errcode -1; about 4 s in all before giving up. */
const BUSY_RETRY_DELAYS_MS = [250, 500, 1000, 2000];

/** Waits before each retry after a transport failure (5xx, reset, timeout). */
const TRANSIENT_RETRY_DELAYS_MS = [300, 1000];

const sleep = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));

function backoff(delays: number[], attempt: number): number {
	const base = delays[Math.min(attempt, delays.length - 1)];
	return base + Math.floor(Math.random() * base * 0.2);
}

/** Runs `attempt` again while WeChat answers errcode -1, within the busy budget. */
export async function withBusyRetry<T>(attempt: () => Promise<T>): Promise<T> {
	for (let retry = 0; ; retry++) {
		try {
			return await attempt();
		} catch (error) {
			const details = findWeixinError(error)?.details;
			// A token call's -1 was already retried under the token-call policy.
			const busy = details?.errcode === SYSTEM_BUSY_ERRCODE && !details.fromTokenCall;
			if (!busy || retry >= BUSY_RETRY_DELAYS_MS.length) throw error;
			await sleep(backoff(BUSY_RETRY_DELAYS_MS, retry));
		}
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

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

interface HttpFailureShape {
	code?: string;
	message?: string;
	response?: { status?: number };
	cause?: unknown;
}

/** n8n wraps the HTTP client's error (NodeApiError → cause); the status and code live on the inner one. */
export function innermostHttpFailure(error: unknown): HttpFailureShape {
	if (!error || typeof error !== 'object') return {};
	let current = error as HttpFailureShape;
	for (let depth = 0; depth < 5; depth++) {
		if (current.response?.status !== undefined || current.code) return current;
		if (!current.cause || typeof current.cause !== 'object') break;
		current = current.cause as HttpFailureShape;
	}
	return error as HttpFailureShape;
}

/** Recognises the failures of the HTTP layer; undefined for anything else (WeChat's own answers included). */
export function describeTransportFailure(error: unknown): TransportFailure | undefined {
	if (!error || typeof error !== 'object' || findWeixinError(error)) return undefined;
	if (error instanceof InterruptedTransfer) return { notSent: false, description: error.description };
	const failure = innermostHttpFailure(error);
	const status = failure.response?.status;
	if (status !== undefined) {
		if (status < 500) return undefined;
		return { notSent: false, httpCode: status, description: `HTTP ${status} from the server` };
	}
	const code = failure.code;
	const message = redact(String(failure.message ?? ''));
	if (code && NOT_SENT_CODES.has(code)) {
		return { notSent: true, description: `the connection failed (${code})` };
	}
	if ((code && TIMEOUT_CODES.has(code)) || /timeout/i.test(message)) {
		return { notSent: false, description: 'no answer within the request timeout' };
	}
	if (code || /socket hang up|aborted|ECONNRESET/i.test(message)) {
		return { notSent: false, description: `the connection was dropped (${code ?? message})` };
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
): Promise<T> {
	for (let retry = 0; ; retry++) {
		try {
			return await attempt();
		} catch (error) {
			const failure = describeTransportFailure(error);
			if (!failure) throw error;
			const mayRepeat = failure.notSent || policy !== 'write';
			if (mayRepeat && retry < TRANSIENT_RETRY_DELAYS_MS.length) {
				await sleep(backoff(TRANSIENT_RETRY_DELAYS_MS, retry));
				continue;
			}
			if (!mayRepeat) {
				throw new WeixinError(
					`WeChat ${endpoint}: ${failure.description}. The request may or may not have been carried out, so it was not sent again.`,
					{
						httpCode: failure.httpCode,
						outcomeUnknown: true,
						hint: outcomeCheckFor(endpoint),
					},
				);
			}
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
}
