/**
 * Nothing leaked: every operation, succeeding and failing in every way the transport knows, and
 * nothing it outputs, throws or logs holds the AppSecret or any access token the sandbox issued.
 */
import { createServer, request as httpRequest } from 'http';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { createCredentialStore, runNode, type CredentialStore, type RunResult } from '../harness';
import { SANDBOX_APP } from '../sandbox';
import { listenOnLoopback as listen, type LocalServer } from '../localServer';
import { useSandbox } from '../support';
import { forgetAllTokens } from '../../nodes/WeixinMedia/transport/token';
import { OPERATIONS, operation, seed, textsOf, withOptions, type Seeded } from './support';

const env = useSandbox();

/** A port on loopback that refuses connections: bound once, then released. */
async function refusingUrl(): Promise<string> {
	const server = await listen(createServer());
	await server.close();
	return server.url;
}

/**
 * A careless reverse proxy: token calls go through to the sandbox, every API call is answered with
 * the full request URL (access_token included) echoed back, as an HTML 404 page or a WeChat-style
 * JSON error, by turns.
 */
async function startEchoingProxy(upstream: string): Promise<LocalServer> {
	let calls = 0;
	const server = createServer((incoming, outgoing) => {
		const path = incoming.url ?? '/';
		if (/^\/cgi-bin\/(stable_)?token\b/.test(path)) {
			const forwarded = httpRequest(
				`${upstream}${path}`,
				{ method: incoming.method, headers: incoming.headers },
				(answer) => {
					outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
					answer.pipe(outgoing);
				},
			);
			incoming.pipe(forwarded);
			return;
		}
		incoming.resume();
		const echoed = `http://proxy.internal${path}`;
		if (calls++ % 2 === 0) {
			outgoing.writeHead(404, { 'Content-Type': 'text/html' });
			outgoing.end(`<html><body>No route for ${echoed}</body></html>`);
		} else {
			outgoing.writeHead(200, { 'Content-Type': 'application/json' });
			outgoing.end(JSON.stringify({ errcode: 40164, errmsg: `invalid ip, request ${echoed}` }));
		}
	});
	return await listen(server);
}

describe('nothing leaked', () => {
	it('keeps the AppSecret and every issued access token out of outputs, errors and logs', async () => {
		const texts: string[] = [];
		let runs = 0;
		const runEach = async (
			credentials: ICredentialDataDecryptedObject | CredentialStore,
			seeded: Seeded,
			prepare?: (path: string) => void,
			operations = OPERATIONS,
		) => {
			for (const { path, parameters, items } of operations) {
				prepare?.(path);
				const result: RunResult = await runNode({
					parameters: withOptions(parameters(seeded), { timeout: 1000 }),
					items,
					credentials,
					continueOnFail: runs % 2 === 0,
				});
				runs++;
				texts.push(...textsOf(result));
				env.sandbox.clearFaults();
			}
		};

		const store = createCredentialStore(env.credentials());
		// succeeding, so real tokens are in use
		await runEach(store, await seed(env.sandbox));
		// WeChat's answer quoting the token the request carried, before and after the refresh
		await runEach(store, await seed(env.sandbox), (path) => {
			const quoted = String(store.data.accessToken);
			env.sandbox.injectFault({
				path,
				kind: 'errcode',
				errcode: 40001,
				errmsg: `invalid credential, access_token is invalid or not latest: ${quoted}, rid: 6650`,
				times: 2,
			});
		});
		// server errors (retried reads, unknown-outcome writes) and lost connections
		await runEach(store, await seed(env.sandbox), (path) =>
			env.sandbox.injectFault({ path, kind: 'http', status: 500 }),
		);
		await runEach(store, await seed(env.sandbox), (path) =>
			env.sandbox.injectFault({ path, kind: 'drop' }),
		);

		// base URLs that fail: a path that answers 404 and a port that refuses fail at the token
		// request (the classic one carries the AppSecret in its URL), whatever the operation; a
		// proxy that echoes URLs fails every API call
		const seeded = await seed(env.sandbox);
		const refusing = await refusingUrl();
		const proxy = await startEchoingProxy(env.sandbox.url);
		const twoOperations = [
			operation('permanentMaterial.getCount'),
			operation('permanentMaterial.add'),
		];
		try {
			for (const grantEndpoint of ['stable', 'classic']) {
				for (const baseUrl of [`${env.sandbox.url}/nowhere`, refusing]) {
					const credentials = env.credentials({ grantEndpoint, baseUrl });
					await runEach(credentials, seeded, undefined, twoOperations);
				}
				await runEach(env.credentials({ grantEndpoint, baseUrl: proxy.url }), seeded);
				// the token endpoint itself refusing the request
				await runEach(
					env.credentials({ grantEndpoint }),
					seeded,
					() => {
						forgetAllTokens();
						env.sandbox.injectFault({ kind: 'http', status: 400 });
					},
					twoOperations,
				);
			}
		} finally {
			await proxy.close();
		}

		const secrets = [SANDBOX_APP.appSecret, ...env.sandbox.issuedTokens()];
		// more than one token per endpoint: refreshes happened, and the proxy fetched its own
		expect(env.sandbox.issuedTokens().length).toBeGreaterThan(4);
		const everything = texts.join('\n');
		const hits = secrets.filter((secret) => everything.includes(secret));
		console.log(
			`reliability/secrets: ${runs} runs, ${texts.length} texts scanned, ${secrets.length} secrets, ${hits.length} hits`,
		);
		expect(hits).toEqual([]);
		expect(everything).not.toMatch(/(access_token|secret)=(?!\*\*\*)[^&\s"'\\]/i);
		// the scan did see the failures it is about
		expect(everything).toContain('errcode 40001');
		expect(everything).toContain('ECONNREFUSED');
		expect(everything).toContain('errcode 40164');
		expect(everything).toContain('404');
		// each forced refresh first waits up to a second and reads the credential store again
	}, 120_000);
});
