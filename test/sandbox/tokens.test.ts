import { classicToken, getJson, postJson, stableToken, withToken } from './helpers';
import { SANDBOX_APP, SANDBOX_SECOND_APP, startSandbox, type Sandbox } from './index';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox();
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

/** The errcode an ordinary API call answers with this token (0 when it is accepted). */
async function tokenVerdict(token: string | undefined): Promise<number> {
	const answer = await getJson(sandbox, '/cgi-bin/material/get_materialcount', token);
	return answer.errcode ?? 0;
}

function classicQuery(overrides: Record<string, string | undefined> = {}): string {
	const params: Record<string, string | undefined> = {
		grant_type: 'client_credential',
		appid: SANDBOX_APP.appId,
		secret: SANDBOX_APP.appSecret,
		...overrides,
	};
	const pairs = Object.entries(params).filter(([, value]) => value !== undefined);
	return pairs.map(([key, value]) => `${key}=${encodeURIComponent(value as string)}`).join('&');
}

/** Moves the sandbox clock to 01:00 China time of the next day, so daily quotas start afresh. */
function startOfNextChinaDay(): void {
	const chinaSeconds = sandbox.now() + 8 * 3600;
	sandbox.advanceClock(86400 - (chinaSeconds % 86400) + 3600);
}

describe('classic token (GET /cgi-bin/token)', () => {
	it('issues a new, real-looking token on every call', async () => {
		const answer = await getJson(sandbox, `/cgi-bin/token?${classicQuery()}`);
		expect(answer.expires_in).toBe(7200);
		expect(answer.access_token).toMatch(/^[A-Za-z0-9_-]{140,160}$/);
		const second = await classicToken(sandbox);
		expect(second).not.toBe(answer.access_token);
		expect(sandbox.issuedTokens()).toEqual([answer.access_token, second]);
	});

	it('keeps the previous token valid for the overlap, then knocks it out with 40001', async () => {
		const first = await classicToken(sandbox);
		const second = await classicToken(sandbox);
		sandbox.advanceClock(290);
		expect(await tokenVerdict(first)).toBe(0);
		sandbox.advanceClock(10);
		expect(await tokenVerdict(first)).toBe(40001);
		expect(await tokenVerdict(second)).toBe(0);
	});

	it('invalidates a token two generations old at once', async () => {
		const first = await classicToken(sandbox);
		await classicToken(sandbox);
		await classicToken(sandbox);
		expect(await tokenVerdict(first)).toBe(40001);
	});

	it('honours a configured overlap of zero', async () => {
		sandbox.configure({ classicOverlapSeconds: 0 });
		const first = await classicToken(sandbox);
		await classicToken(sandbox);
		expect(await tokenVerdict(first)).toBe(40001);
	});

	it('answers wrong credentials and grant types with their errcodes', async () => {
		const answers = await Promise.all([
			getJson(sandbox, `/cgi-bin/token?${classicQuery({ secret: 'f'.repeat(32) })}`),
			getJson(sandbox, `/cgi-bin/token?${classicQuery({ appid: 'wx0000000000000000' })}`),
			getJson(sandbox, `/cgi-bin/token?${classicQuery({ grant_type: undefined })}`),
			getJson(sandbox, `/cgi-bin/token?${classicQuery({ secret: undefined })}`),
		]);
		expect(answers.map((answer) => answer.errcode)).toEqual([40001, 40013, 40002, 41004]);
		expect(answers[0].errmsg).toMatch(/^invalid credential/);
		expect(sandbox.issuedTokens()).toEqual([]);
	});
});

describe('stable token (POST /cgi-bin/stable_token)', () => {
	it('hands the same token to every caller, counting its lifetime down', async () => {
		const first = await stableToken(sandbox);
		sandbox.advanceClock(1000);
		const second = await stableToken(sandbox);
		expect(second.access_token).toBe(first.access_token);
		expect(first.expires_in).toBe(7200);
		// The sandbox clock also follows real time, so allow a second or two to pass.
		expect(second.expires_in).toBeGreaterThanOrEqual(6198);
		expect(second.expires_in).toBeLessThanOrEqual(6200);
	});

	it('renews 300 s before expiry while the old token lives to its own expiry', async () => {
		const first = await stableToken(sandbox);
		sandbox.advanceClock(7200 - 310);
		expect((await stableToken(sandbox)).access_token).toBe(first.access_token);
		sandbox.advanceClock(10);
		const renewed = await stableToken(sandbox);
		expect(renewed.access_token).not.toBe(first.access_token);
		expect(renewed.expires_in).toBe(7200);
		expect(await tokenVerdict(first.access_token as string)).toBe(0);
		sandbox.advanceClock(300);
		expect(await tokenVerdict(first.access_token as string)).toBe(42001);
		expect(await tokenVerdict(renewed.access_token as string)).toBe(0);
	});

	it('renews at the 300 s mark by the clock: the successor counts from then, old and new overlap 300 s', async () => {
		const first = await stableToken(sandbox);
		// Reached well after the renewal point: the successor was issued at the mark, not at this call.
		sandbox.advanceClock(7200 - 300 + 120);
		const renewed = await stableToken(sandbox);
		expect(renewed.access_token).not.toBe(first.access_token);
		expect(renewed.expires_in).toBeGreaterThanOrEqual(7200 - 122);
		expect(renewed.expires_in).toBeLessThanOrEqual(7200 - 120);
		expect(await tokenVerdict(first.access_token as string)).toBe(0);
		sandbox.advanceClock(180);
		expect(await tokenVerdict(first.access_token as string)).toBe(42001);
		expect(await tokenVerdict(renewed.access_token as string)).toBe(0);
		// Every caller now gets the successor.
		expect((await stableToken(sandbox)).access_token).toBe(renewed.access_token);
	});

	it.each([280, 300, 301])(
		'with a late renewal (stableRenewalLagSeconds) hands out the old token with %i s left',
		async (left) => {
			sandbox.configure({ stableRenewalLagSeconds: 30 });
			const first = await stableToken(sandbox);
			sandbox.advanceClock((first.expires_in as number) - left);
			const answer = await stableToken(sandbox);
			expect(answer.access_token).toBe(first.access_token);
			// the sandbox clock follows real time too: a second may pass between the calls
			expect(answer.expires_in).toBeGreaterThanOrEqual(left - 1);
			expect(answer.expires_in).toBeLessThanOrEqual(left);
			sandbox.advanceClock(left - 269);
			const late = await stableToken(sandbox);
			expect(late.access_token).not.toBe(first.access_token);
			expect(await tokenVerdict(first.access_token as string)).toBe(0);
		},
	);

	it('with the documented renewal never hands out a token with 300 s or less to live', async () => {
		const first = await stableToken(sandbox);
		sandbox.advanceClock(7200 - 301);
		const before = await stableToken(sandbox);
		if (before.access_token === first.access_token) expect(before.expires_in).toBeGreaterThan(300);
		sandbox.advanceClock(1);
		const at = await stableToken(sandbox);
		expect(at.access_token).not.toBe(first.access_token);
		expect(at.expires_in).toBeGreaterThan(7200 - 3);
	});

	it('keeps the tokens of two accounts apart and logs which account each call acted for', async () => {
		const a = (await stableToken(sandbox)).access_token as string;
		const b = (
			await stableToken(sandbox, {
				appid: SANDBOX_SECOND_APP.appId,
				secret: SANDBOX_SECOND_APP.appSecret,
			})
		).access_token as string;
		expect(b).not.toBe(a);
		await stableToken(sandbox, {
			appid: SANDBOX_SECOND_APP.appId,
			secret: SANDBOX_SECOND_APP.appSecret,
			force_refresh: true,
		});
		expect(await tokenVerdict(a)).toBe(0);
		expect(await tokenVerdict(b)).toBe(40001);
		expect((await stableToken(sandbox, { secret: SANDBOX_SECOND_APP.appSecret })).errcode).toBe(40125);
		expect(sandbox.log().map((entry) => entry.appId)).toEqual([
			SANDBOX_APP.appId,
			SANDBOX_SECOND_APP.appId,
			SANDBOX_SECOND_APP.appId,
			SANDBOX_APP.appId,
			undefined,
			SANDBOX_APP.appId,
		]);
	});

	it('force_refresh issues a new token and kills the old one at once', async () => {
		const first = await stableToken(sandbox);
		const forced = await stableToken(sandbox, { force_refresh: true });
		expect(forced.access_token).not.toBe(first.access_token);
		expect(await tokenVerdict(first.access_token as string)).toBe(40001);
		expect(await tokenVerdict(forced.access_token as string)).toBe(0);
	});

	it('allows forced refreshes 30 s apart and 20 a day (45011 otherwise)', async () => {
		startOfNextChinaDay();
		expect((await stableToken(sandbox, { force_refresh: true })).errcode).toBeUndefined();
		sandbox.advanceClock(25);
		const tooSoon = await stableToken(sandbox, { force_refresh: true });
		expect(tooSoon).toEqual({
			errcode: 45011,
			errmsg: 'api minute-quota reach limit mustslower retry next minute',
		});
		for (let forced = 2; forced <= 20; forced++) {
			sandbox.advanceClock(31);
			expect((await stableToken(sandbox, { force_refresh: true })).errcode).toBeUndefined();
		}
		sandbox.advanceClock(31);
		expect((await stableToken(sandbox, { force_refresh: true })).errcode).toBe(45011);
		// A plain call still works, and the next day brings a fresh quota.
		expect((await stableToken(sandbox)).access_token).toEqual(expect.any(String));
		startOfNextChinaDay();
		expect((await stableToken(sandbox, { force_refresh: true })).errcode).toBeUndefined();
	});

	it('keeps stable and classic tokens in separate pools', async () => {
		const stable = (await stableToken(sandbox)).access_token as string;
		const classic = await classicToken(sandbox);
		await classicToken(sandbox);
		await classicToken(sandbox);
		expect(await tokenVerdict(stable)).toBe(0);
		await stableToken(sandbox, { force_refresh: true });
		expect(await tokenVerdict(stable)).toBe(40001);
		expect(await tokenVerdict(classic)).toBe(40001);
		const latestClassic = await classicToken(sandbox);
		await stableToken(sandbox, { force_refresh: false });
		expect(await tokenVerdict(latestClassic)).toBe(0);
	});

	it('answers wrong credentials, a GET and a broken body with their errcodes', async () => {
		const wrongSecret = await stableToken(sandbox, { secret: '0'.repeat(32) });
		expect(wrongSecret).toEqual({ errcode: 40125, errmsg: 'invalid appsecret' });
		expect((await stableToken(sandbox, { appid: 'wx0000000000000000' })).errcode).toBe(40013);
		expect((await stableToken(sandbox, { grant_type: 'password' })).errcode).toBe(40002);
		expect((await getJson(sandbox, '/cgi-bin/stable_token')).errcode).toBe(43002);
		const broken = await fetch(`${sandbox.url}/cgi-bin/stable_token`, {
			method: 'POST',
			body: '{',
		});
		expect(((await broken.json()) as { errcode: number }).errcode).toBe(47001);
		expect(sandbox.issuedTokens()).toEqual([]);
	});
});

describe('IP whitelist', () => {
	it('refuses both token calls with 40164 when the caller is not whitelisted', async () => {
		sandbox.configure({ ipWhitelisted: false });
		const expected = {
			errcode: 40164,
			errmsg: 'invalid ip 127.0.0.1 ipv6 ::ffff:127.0.0.1, not in whitelist',
		};
		expect(await getJson(sandbox, `/cgi-bin/token?${classicQuery()}`)).toEqual(expected);
		expect(await stableToken(sandbox)).toEqual(expected);
		expect(sandbox.issuedTokens()).toEqual([]);
	});
});

describe('access_token checks on API calls', () => {
	it('tells a missing, malformed, unknown, invalidated and expired token apart', async () => {
		expect(await tokenVerdict(undefined)).toBe(41001);
		expect(await tokenVerdict('')).toBe(41001);
		expect(await tokenVerdict('not-a-token')).toBe(40014);
		expect(await tokenVerdict('x'.repeat(150) + '!')).toBe(40014);
		expect(await tokenVerdict('81_' + 'A'.repeat(147))).toBe(40001);

		const token = await classicToken(sandbox);
		expect(await tokenVerdict(token)).toBe(0);
		sandbox.advanceClock(7200);
		expect(await getJson(sandbox, '/cgi-bin/material/get_materialcount', token)).toEqual({
			errcode: 42001,
			errmsg: 'access_token expired',
		});

		const stable = (await stableToken(sandbox)).access_token as string;
		const classic = await classicToken(sandbox);
		sandbox.invalidateTokens();
		expect(await getJson(sandbox, '/cgi-bin/material/get_materialcount', stable)).toEqual({
			errcode: 40001,
			errmsg: 'invalid credential, access_token is invalid or not latest',
		});
		expect(await tokenVerdict(classic)).toBe(40001);
		// After an invalidation the stable endpoint hands out a new token.
		const fresh = (await stableToken(sandbox)).access_token as string;
		expect(fresh).not.toBe(stable);
		expect(await tokenVerdict(fresh)).toBe(0);
	});

	it('counts token calls in the log', async () => {
		await classicToken(sandbox);
		await stableToken(sandbox);
		await fetch(withToken(sandbox, '/cgi-bin/material/get_materialcount', 'x'));
		expect(sandbox.tokenCalls()).toBe(2);
		sandbox.clearLog();
		expect(sandbox.tokenCalls()).toBe(0);
	});

	it('forgets every token on reset', async () => {
		const token = await classicToken(sandbox);
		sandbox.reset();
		expect(sandbox.issuedTokens()).toEqual([]);
		expect(await tokenVerdict(token)).toBe(40001);
		expect((await postJson(sandbox, '/cgi-bin/draft/get', {}, token)).errcode).toBe(40001);
	});
});
