/** Access tokens: the classic and the stable pool, with the live service's renewal rules. */
import { randomBytes } from 'crypto';

import { WeixinError } from './errors';

export const TOKEN_LIFETIME_SECONDS = 7200;
/** The stable pool renews this long before expiry; old and new overlap meanwhile. */
const STABLE_RENEW_BEFORE_SECONDS = 300;
const FORCED_REFRESHES_PER_DAY = 20;
const FORCED_REFRESH_SPACING_SECONDS = 30;
const CLASSIC_CALLS_PER_DAY = 2000;
const TOKEN_LENGTH = 150;
/** Anything that could not be an access token answers 40014 instead of 40001. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{100,512}$/;

type Pool = 'classic' | 'stable';

interface IssuedToken {
	value: string;
	pool: Pool;
	expiresAt: number;
	/** Set once superseded or invalidated: the token answers 40001 from this moment on. */
	invalidFrom?: number;
}

export interface TokenGrant {
	access_token: string;
	expires_in: number;
}

/** A day of the China Standard Time calendar, the one daily quotas reset on. */
const chinaDay = (unixSeconds: number) => Math.floor((unixSeconds + 8 * 3600) / 86400);

export class TokenStore {
	private readonly tokens = new Map<string, IssuedToken>();
	private readonly issuedInOrder: string[] = [];
	private latestClassic?: IssuedToken;
	private currentStable?: IssuedToken;
	private forcedRefreshTimes: number[] = [];
	private classicCallsByDay = new Map<number, number>();

	constructor(private readonly now: () => number) {}

	/** GET /cgi-bin/token: a new token on every call; the previous one lingers `overlapSeconds`. */
	issueClassic(overlapSeconds: number): TokenGrant {
		const now = this.now();
		const day = chinaDay(now);
		const callsToday = (this.classicCallsByDay.get(day) ?? 0) + 1;
		if (callsToday > CLASSIC_CALLS_PER_DAY) throw new WeixinError(45009);
		this.classicCallsByDay.set(day, callsToday);

		const previous = this.latestClassic;
		for (const token of this.tokens.values()) {
			if (token.pool !== 'classic') continue;
			this.invalidate(token, token === previous ? now + overlapSeconds : now);
		}
		this.latestClassic = this.issue('classic');
		return { access_token: this.latestClassic.value, expires_in: TOKEN_LIFETIME_SECONDS };
	}

	/** POST /cgi-bin/stable_token: one shared token, renewed 5 minutes before it expires. */
	issueStable(forceRefresh: boolean): TokenGrant {
		const now = this.now();
		if (forceRefresh) {
			this.checkForcedRefreshAllowed(now);
			this.forcedRefreshTimes.push(now);
			for (const token of this.tokens.values()) {
				if (token.pool === 'stable') this.invalidate(token, now);
			}
			this.currentStable = undefined;
		}
		const current = this.currentStable;
		if (
			!current ||
			this.isDead(current) ||
			now >= current.expiresAt - STABLE_RENEW_BEFORE_SECONDS
		) {
			// The old token is not touched: it stays valid until its own expiry.
			this.currentStable = this.issue('stable');
		}
		const token = this.currentStable as IssuedToken;
		return { access_token: token.value, expires_in: token.expiresAt - now };
	}

	/** Throws the errcode an API call with this access_token would answer, if any. */
	check(value: string | undefined): void {
		if (value === undefined || value === '') throw new WeixinError(41001);
		if (!TOKEN_SHAPE.test(value)) throw new WeixinError(40014);
		const token = this.tokens.get(value);
		if (!token || (token.invalidFrom !== undefined && this.now() >= token.invalidFrom)) {
			throw new WeixinError(40001);
		}
		if (this.now() >= token.expiresAt) throw new WeixinError(42001);
	}

	invalidateAll(): void {
		const now = this.now();
		for (const token of this.tokens.values()) this.invalidate(token, now);
		this.latestClassic = undefined;
		this.currentStable = undefined;
	}

	issued(): string[] {
		return [...this.issuedInOrder];
	}

	private checkForcedRefreshAllowed(now: number): void {
		const last = this.forcedRefreshTimes[this.forcedRefreshTimes.length - 1];
		const today = this.forcedRefreshTimes.filter((time) => chinaDay(time) === chinaDay(now));
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

	private issue(pool: Pool): IssuedToken {
		const token: IssuedToken = {
			value: randomToken(),
			pool,
			expiresAt: this.now() + TOKEN_LIFETIME_SECONDS,
		};
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
