/** Public types of the Weixin sandbox; the shapes other helpers and tests code against. */
import type { AnswerModes } from './answer-modes';

export const SANDBOX_APP = {
	appId: 'wx5a9d0c4e7b1f2a36',
	appSecret: '3f9c2e71a8d44b0e96c5f1d27ab8e403',
} as const;

/** A second account the sandbox knows, for tests where a credential is edited from one AppID to another. */
export const SANDBOX_SECOND_APP = {
	appId: 'wx71c3e5a0d92b8f14',
	appSecret: 'a81d5c03f7e2496b8c0d1e5f2a7b9c46',
} as const;

export const SANDBOX_APPS: ReadonlyArray<{ appId: string; appSecret: string }> = [
	SANDBOX_APP,
	SANDBOX_SECOND_APP,
];

export interface SandboxOptions {
	/** 0 (the default) picks a free port. */
	port?: number;
	/** Defaults to 127.0.0.1: the sandbox only ever listens on loopback. */
	host?: string;
}

export interface SandboxConfig {
	/** true → material/add_news answers 45106 like the live service since 2022-02-28. */
	addNewsRetired: boolean;
	/** freepublish/get answers status 1 this many times, then the final outcome. */
	publishPollsBeforeDone: number;
	/** success → status 0 with article URLs; failed → 3; rejected → 4 (both with fail_idx). */
	publishOutcome: 'success' | 'failed' | 'rejected';
	/** false → both token calls answer 40164. */
	ipWhitelisted: boolean;
	/** How long the previous classic token stays valid after a new one is issued. */
	classicOverlapSeconds: number;
	/**
	 * How long after the documented renewal point (300 s before expiry) stable_token still hands out the
	 * old token. 0 (the default) is the documented behaviour; more models a renewal that reaches callers
	 * late, so that a caller is handed a token with 300 s or less to live.
	 */
	stableRenewalLagSeconds: number;
}

export const DEFAULT_CONFIG: Readonly<SandboxConfig> = {
	addNewsRetired: false,
	publishPollsBeforeDone: 2,
	publishOutcome: 'success',
	ipWhitelisted: true,
	classicOverlapSeconds: 300,
	stableRenewalLagSeconds: 0,
};

export type FaultSpec = {
	/** Exact pathname; omitted = any API path, token calls included. */
	path?: string;
	/** How many matching requests the fault hits before it is gone (default 1). */
	times?: number;
} & (
	| { kind: 'errcode'; errcode: number; errmsg?: string }
	| { kind: 'http'; status: number }
	| { kind: 'drop' }
	| { kind: 'hang' }
	| { kind: 'truncate' }
	/**
	 * A file answer whose connection goes quiet halfway (full Content-Length, half the bytes, then
	 * nothing, the line left open) until the client gives up: a stalled download.
	 */
	| { kind: 'stall' }
	/**
	 * The call is carried out and its JSON answer starts (HTTP 200, full Content-Length), then the
	 * connection dies halfway through the body.
	 */
	| { kind: 'cutJson' }
);

export type FaultKind = FaultSpec['kind'];

export interface MultipartLogBody {
	fields: Record<string, string>;
	files: Array<{ field: string; filename: string; contentType: string; size: number }>;
}

export interface RequestLogEntry {
	/** Sandbox clock in milliseconds when the request arrived. */
	time: number;
	method: string;
	path: string;
	/** access_token and secret values are replaced by '***'. */
	query: Record<string, string>;
	tokenCall: boolean;
	/** The account the call acted for: the token call's appid, or the owner of the access_token sent. */
	appId?: string;
	/** HTTP status sent; 0 when no answer was sent (drop, hang). */
	status: number;
	errcode?: number;
	fault?: FaultKind;
	/** For a hung request: wall-clock time (Date.now()) when the client closed the connection. */
	closedByClientAt?: number;
	requestBytes: number;
	/** Parsed JSON body (secrets replaced by '***') or a summary of a multipart body. */
	body?: unknown;
}

export type StoredKind = 'temporary' | 'permanent' | 'draft';

export type { AnswerModes };

export interface Sandbox {
	/** Base URL such as http://127.0.0.1:43123: the credential's "API base URL". */
	url: string;
	/** Stops listening and destroys every open socket, hung ones included. */
	close(): Promise<void>;
	/** Forgets all state, tokens, faults, log, config and clock offset (latency stays). */
	reset(): void;
	injectFault(fault: FaultSpec): void;
	clearFaults(): void;
	/** Delay added to every API answer (not to /__sandbox control calls). */
	setLatency(ms: number): void;
	/** Every issued access token becomes invalid (→ 40001). */
	invalidateTokens(): void;
	issuedTokens(): string[];
	advanceClock(seconds: number): void;
	/** Sandbox clock, unix seconds. */
	now(): number;
	log(): RequestLogEntry[];
	tokenCalls(): number;
	clearLog(): void;
	configure(config: Partial<SandboxConfig>): void;
	/**
	 * Relabels, unnames or compresses answers from now on (replacing earlier modes; `{}` for none), as
	 * WeChat, proxies and CDNs do; reset() clears them.
	 */
	setAnswerModes(modes: AnswerModes): void;
	/**
	 * Stores a voice as if recorded by the JS-SDK (given bytes, or the built-in speech recording in
	 * either layout, raw frames by default); returns its media_id for media/get/jssdk.
	 */
	seedHdVoice(recording?: Buffer | HdVoiceLayout): string;
	stored(kind: StoredKind, mediaId: string): unknown;
}

/** How an HD voice's Speex frames are stored: back to back (WeChat's answer) or in Ogg pages. */
export type HdVoiceLayout = 'raw' | 'ogg';
