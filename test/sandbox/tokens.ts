/** Access tokens: the classic and the stable pool of each account, with the live service's renewal rules. */
import { randomBytes } from 'crypto';

import { WeixinError } from './errors';

export const TOKEN_LIFETIME_SECONDS = 7200;
/**
 * The stable pool renews its token this long before expiry: from that moment stable_token hands out
 * the successor, and the old token stays valid to its own expiry, so old and new overlap this long.
 */
export const STABLE_RENEW_BEFORE_SECONDS = 300;
const FORCED_REFRESHES_PER_DAY = 20;
const FORCED_REFRESH_SPACING_SECONDS = 30;
const CLASSIC_CALLS_PER_DAY = 2000;
const TOKEN_LENGTH = 150;
/** Anything that could not be an access token answers 40014 instead of 40001. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{100,512}$/;

type Pool = 'classic' | 'stable';

interface IssuedToken {
	value: string;
	appId: string;
	pool: Pool;
	expiresAt: number;
	/** Set once superseded or invalidated: the token answers 40001 from this moment on. */
	invalidFrom?: number;
}

export interface TokenGrant {
	access_token: string;
	expires_in: number;
}

/** How the stable pool renews; `lagSeconds` > 0 models a renewal that reaches callers late. */
export interface StableRenewal {
	lagSeconds: number;
}

/** One account's pools and quotas: accounts never see each other's tokens. */
interface Account {
	latestClassic?: IssuedToken;
	currentStable?: IssuedToken;
	forcedRefreshTimes: number[];
	classicCallsByDay: Map<number, number>;
}

/** A day of the China Standard Time calendar, the one daily quotas reset on. */
const chinaDay = (unixSeconds: number) => Math.floor((unixSeconds + 8 * 3600) / 86400);

export class TokenStore {
	private readonly tokens = new Map<string, IssuedToken>();
	private readonly issuedInOrder: string[] = [];
	private readonly accounts = new Map<string, Account>();

	constructor(private readonly now: () => number) {}

	/** GET /cgi-bin/token: a new token on every call; the previous one lingers `overlapSeconds`. */
	issueClassic(appId: string, overlapSeconds: number): TokenGrant {
		const now = this.now();
		const account = this.account(appId);
		const day = chinaDay(now);
		const callsToday = (account.classicCallsByDay.get(day) ?? 0) + 1;
		if (callsToday > CLASSIC_CALLS_PER_DAY) throw new WeixinError(45009);
		account.classicCallsByDay.set(day, callsToday);

		const previous = account.latestClassic;
		for (const token of this.tokensOf(appId, 'classic')) {
			this.invalidate(token, token === previous ? now + overlapSeconds : now);
		}
		account.latestClassic = this.issue(appId, 'classic', now + TOKEN_LIFETIME_SECONDS);
		return { access_token: account.latestClassic.value, expires_in: TOKEN_LIFETIME_SECONDS };
	}

	/**
	 * POST /cgi-bin/stable_token: one shared token. It is renewed 300 s before it expires (the successor
	 * counts its 7200 s from that moment), and the old one stays valid to its own expiry.
	 */
	issueStable(appId: string, forceRefresh: boolean, renewal: StableRenewal): TokenGrant {
		const now = this.now();
		const account = this.account(appId);
		if (forceRefresh) {
			this.checkForcedRefreshAllowed(account, now);
			account.forcedRefreshTimes.push(now);
			for (const token of this.tokensOf(appId, 'stable')) this.invalidate(token, now);
			account.currentStable = undefined;
		}
		let current = account.currentStable;
		if (current && !this.isDead(current)) {
			const renewedAt = current.expiresAt - STABLE_RENEW_BEFORE_SECONDS;
			// The renewal reaches callers `lagSeconds` late, but never after the old token's expiry.
			const servedFrom = Math.min(renewedAt + renewal.lagSeconds, current.expiresAt);
			if (now >= servedFrom) {
				current = this.issue(appId, 'stable', renewedAt + TOKEN_LIFETIME_SECONDS);
				account.currentStable = current;
			}
		} else {
			current = this.issue(appId, 'stable', now + TOKEN_LIFETIME_SECONDS);
			account.currentStable = current;
		}
		return { access_token: current.value, expires_in: current.expiresAt - now };
	}

	/**
	 * Throws the errcode an API call with this access_token would answer, if any; otherwise returns the
	 * AppID the token belongs to.
	 */
	check(value: string | undefined): string {
		if (value === undefined || value === '') throw new WeixinError(41001);
		if (!TOKEN_SHAPE.test(value)) throw new WeixinError(40014);
		const token = this.tokens.get(value);
		if (!token || (token.invalidFrom !== undefined && this.now() >= token.invalidFrom)) {
			throw new WeixinError(40001);
		}
		if (this.now() >= token.expiresAt) throw new WeixinError(42001);
		return token.appId;
	}

	invalidateAll(): void {
		const now = this.now();
		for (const token of this.tokens.values()) this.invalidate(token, now);
		for (const account of this.accounts.values()) {
			account.latestClassic = undefined;
			account.currentStable = undefined;
		}
	}

	issued(): string[] {
		return [...this.issuedInOrder];
	}

	private account(appId: string): Account {
		let account = this.accounts.get(appId);
		if (!account) {
			account = { forcedRefreshTimes: [], classicCallsByDay: new Map() };
			this.accounts.set(appId, account);
		}
		return account;
	}

	private *tokensOf(appId: string, pool: Pool): Iterable<IssuedToken> {
		for (const token of this.tokens.values()) {
			if (token.appId === appId && token.pool === pool) yield token;
		}
	}

	private checkForcedRefreshAllowed(account: Account, now: number): void {
		const times = account.forcedRefreshTimes;
		const last = times[times.length - 1];
		const today = times.filter((time) => chinaDay(time) === chinaDay(now));
		if (
			(last !== undefined && now - last < FORCED_REFRESH_SPACING_SECONDS) ||
			today.length >= FORCED_REFRESHES_PER_DAY
		) {
			throw new WeixinError(45011);
		}
	}

	private isDead(token: IssuedToken): boolean {
		const now = this.now();
		return now >= token.expiresAt || (token.invalidFrom !== undefined && now >= token.invalidFrom);
	}

	private invalidate(token: IssuedToken, from: number): void {
		token.invalidFrom = Math.min(token.invalidFrom ?? Infinity, from);
	}

	private issue(appId: string, pool: Pool, expiresAt: number): IssuedToken {
		const token: IssuedToken = { value: randomToken(), appId, pool, expiresAt };
		this.tokens.set(token.value, token);
		this.issuedInOrder.push(token.value);
		return token;
	}
}

/** Looks like a live token: a numeric prefix, an underscore, then URL-safe random characters. */
function randomToken(): string {
	const prefix = `${80 + Math.floor(Math.random() * 10)}_`;
	const body = randomBytes(TOKEN_LENGTH).toString('base64url');
	return prefix + body.slice(0, TOKEN_LENGTH - prefix.length);
}
