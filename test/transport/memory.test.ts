/**
 * What the transport keeps in memory across executions stays bounded: secrets known to redaction,
 * token states per account, rejected tokens. The token call's timeout belongs to the request, and a
 * forced refresh refused because another holder just forced takes that holder's token.
 */
import type { IHttpRequestOptions } from 'n8n-workflow';

import { knownSecretCount, redact, rememberSecret } from '../../nodes/WeixinMedia/transport/redact';
import {
	ForcedRefreshNeeded,
	markTokenRejected,
	normaliseCredentials,
	obtainToken,
	prepareForcedRefresh,
	tokenMemorySize,
	withTokenCallTimeout,
} from '../../nodes/WeixinMedia/transport/token';
import { SANDBOX_SECOND_APP } from '../sandbox';
import { stableToken } from '../sandbox/helpers';
import { useSandbox } from '../support';

const env = useSandbox();

const secretNumber = (index: number) => `secret-${String(index).padStart(6, '0')}-abcdefgh`;

afterEach(() => jest.restoreAllMocks());

describe('redaction memory', () => {
	it('keeps a bounded number of live secrets, and still masks the latest ones', () => {
		for (let index = 0; index < 5000; index++) rememberSecret(secretNumber(index));
		expect(knownSecretCount()).toBeLessThanOrEqual(256);
		expect(redact(`carries ${secretNumber(4999)}`)).toBe('carries ***');
	});

	it('forgets secrets not seen for hours, and keeps one seen again', () => {
		rememberSecret('stale-secret-0123456789');
		rememberSecret('live-secret-0123456789');
		const start = Date.now();
		jest.spyOn(Date, 'now').mockReturnValue(start + 2 * 3600_000);
		rememberSecret('live-secret-0123456789');
		jest.spyOn(Date, 'now').mockReturnValue(start + 4 * 3600_000);
		expect(redact('stale-secret-0123456789 live-secret-0123456789')).toBe(
			'stale-secret-0123456789 ***',
		);
	});
});

describe('token memory', () => {
	it('keeps a bounded number of rejected tokens per account and of accounts', () => {
		const credentials = normaliseCredentials(env.credentials());
		for (let index = 0; index < 500; index++) markTokenRejected(credentials, `token-${index}`);
		expect(tokenMemorySize().rejectedTokens).toBeLessThanOrEqual(16);
		for (let index = 0; index < 500; index++) {
			normaliseCredentials(env.credentials({ appId: `wx${index}` }));
			markTokenRejected(normaliseCredentials(env.credentials({ appId: `wx${index}` })), 't'.repeat(20));
		}
		expect(tokenMemorySize().accounts).toBeLessThanOrEqual(64);
	});
});

describe('token call timeout', () => {
	it('takes the Timeout of the request that needs the token, not of the last run to start', async () => {
		const seen: Array<[string, number | undefined]> = [];
		const viaSandbox = async (options: IHttpRequestOptions) => {
			seen.push([String((options.body as { appid?: string }).appid), options.timeout]);
			const response = await fetch(options.url, {
				method: 'POST',
				body: JSON.stringify(options.body),
			});
			return await response.json();
		};
		const accountA = normaliseCredentials(env.credentials());
		const accountB = normaliseCredentials(
			env.credentials({ appId: SANDBOX_SECOND_APP.appId, appSecret: SANDBOX_SECOND_APP.appSecret }),
		);
		await Promise.all([
			withTokenCallTimeout(1_000, async () => await obtainToken(accountA, viaSandbox)),
			withTokenCallTimeout(60_000, async () => await obtainToken(accountB, viaSandbox)),
		]);
		expect(seen.sort()).toEqual(
			[
				[accountA.appId, 1_000],
				[accountB.appId, 60_000],
			].sort(),
		);
	});
});

describe('forced refresh', () => {
	const viaSandbox = async (options: IHttpRequestOptions) => {
		const response = await fetch(options.url, { method: 'POST', body: JSON.stringify(options.body) });
		return await response.json();
	};

	it('takes the token another holder forced moments earlier when WeChat refuses ours (45011)', async () => {
		const credentials = normaliseCredentials(env.credentials());
		const rejected = (await obtainToken(credentials, viaSandbox)).accessToken;
		markTokenRejected(credentials, rejected);
		// the plain call still hands out the rejected token: a forced refresh is needed
		await expect(obtainToken(credentials, viaSandbox)).rejects.toBeInstanceOf(ForcedRefreshNeeded);
		// the store (read again after the wait) still holds it, so this process may force...
		await prepareForcedRefresh(credentials, async () => ({ ...credentials, accessToken: rejected }));
		// ...but another worker forced first, and has not saved its token yet
		const theirs = (await stableToken(env.sandbox, { force_refresh: true })).access_token;
		env.sandbox.clearLog();

		const ours = await obtainToken(credentials, viaSandbox);
		expect(ours.accessToken).toBe(theirs);
		const calls = env.sandbox.log().map((entry) => [
			(entry.body as { force_refresh?: boolean }).force_refresh,
			entry.errcode ?? 0,
		]);
		// our force was refused and invalidated nothing; the plain call handed out their token
		expect(calls).toEqual([
			[true, 45011],
			[false, 0],
		]);
	});
});
