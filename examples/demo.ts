/**
 * One-command demo (`npm start`): the WeChat sandbox, a real n8n with this package installed, a
 * credential already pointing at the sandbox, the example workflows and a ready owner account.
 * With WEIXIN_APPID and WEIXIN_APPSECRET in the environment the credential points at that Official
 * Account instead (no sandbox). Everything listens on 127.0.0.1 only; Ctrl-C stops what the demo
 * started.
 */
import * as fs from 'fs';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';

import { jpeg, mp4, png } from '../test/fixtures/media';
import { startSandbox, type Sandbox } from '../test/sandbox';
import { createN8nInstance, PROJECT_ROOT, type N8nInstance } from '../test/e2e/n8n';

export const DEMO_OWNER = {
	email: 'demo@example.com',
	firstName: 'Demo',
	lastName: 'Owner',
	// Local-only demo account on a loopback n8n; printed on start so the newcomer can log in.
	password: 'WeixinDemo2026',
} as const;

const EXAMPLE_WORKFLOWS_DIR = path.join(__dirname, 'workflows');
const DEMO_FOLDER = path.join(PROJECT_ROOT, '.n8n-demo');
const PREFERRED_SANDBOX_PORT = 8711;
const PREFERRED_N8N_PORT = 5678;

/** Files the example workflows download by URL, as a user's workflow would from any web server. */
const SAMPLE_FILES: Record<string, { bytes: Buffer; contentType: string }> = {
	'photo.jpg': { bytes: jpeg(48 * 1024), contentType: 'image/jpeg' },
	'cover.jpg': { bytes: jpeg(24 * 1024), contentType: 'image/jpeg' },
	'inline.png': { bytes: png(8 * 1024), contentType: 'image/png' },
	'clip.mp4': { bytes: mp4(256 * 1024), contentType: 'video/mp4' },
};

/** The user's own Official Account (WEIXIN_APPID, WEIXIN_APPSECRET, WEIXIN_API_BASE_URL). */
export interface OwnAccount {
	appId: string;
	appSecret: string;
	baseUrl: string;
}

export const REAL_API_BASE_URL = 'https://api.weixin.qq.com';

/** undefined when neither variable is set (the sandbox demo); both or neither must be given. */
export function ownAccountFromEnvironment(env: NodeJS.ProcessEnv = process.env): OwnAccount | undefined {
	const appId = env.WEIXIN_APPID?.trim() ?? '';
	const appSecret = env.WEIXIN_APPSECRET?.trim() ?? '';
	if (appId === '' && appSecret === '') return undefined;
	if (appId === '' || appSecret === '') {
		throw new Error(
			'Set both WEIXIN_APPID and WEIXIN_APPSECRET to use your own Official Account, or neither for the sandbox.',
		);
	}
	const baseUrl = (env.WEIXIN_API_BASE_URL?.trim() || REAL_API_BASE_URL).replace(/\/+$/, '');
	if (!/^https?:\/\/[^\s/]+/i.test(baseUrl)) {
		throw new Error(`WEIXIN_API_BASE_URL "${baseUrl}" is not an http(s) URL.`);
	}
	return { appId, appSecret, baseUrl };
}

export interface DemoOptions {
	/** Point the credential at this account instead of starting the sandbox. */
	account?: OwnAccount;
	/** 0 → any free port; by default 5678 when free. */
	n8nPort?: number;
	/** 0 → any free port; by default 8711 when free. */
	sandboxPort?: number;
	/** Defaults to `.n8n-demo/` in the project; recreated on every start. */
	userFolder?: string;
}

export interface Demo {
	n8n: N8nInstance;
	/** Absent when the demo runs against the user's own account. */
	sandbox?: Sandbox;
	/** The API base URL the credential points at. */
	apiUrl: string;
	credentialName: string;
	samplesUrl: string;
	/** Example workflow ids by file name (without .json). */
	workflows: Record<string, string>;
	stop(): Promise<void>;
}

async function listen(server: Server, port: number): Promise<number> {
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	return (server.address() as AddressInfo).port;
}

async function isFree(port: number): Promise<boolean> {
	const probe = createServer();
	try {
		await listen(probe, port);
		return true;
	} catch {
		return false;
	} finally {
		probe.close();
	}
}

/** The preferred port when free (0 asks for any); otherwise 0, so the OS picks one. */
async function portOrAny(preferred: number): Promise<number> {
	return preferred !== 0 && (await isFree(preferred)) ? preferred : 0;
}

async function startSampleHost(): Promise<{ url: string; close(): Promise<void> }> {
	const server = createServer((request, response) => {
		const name = decodeURIComponent(
			new URL(request.url ?? '/', 'http://localhost').pathname.slice(1),
		);
		const sample = Object.hasOwn(SAMPLE_FILES, name) ? SAMPLE_FILES[name] : undefined;
		if (!sample) {
			response.writeHead(404).end();
			return;
		}
		response.writeHead(200, {
			'Content-Type': sample.contentType,
			'Content-Length': sample.bytes.length,
		});
		response.end(sample.bytes);
	});
	const port = await listen(server, 0);
	return {
		url: `http://127.0.0.1:${port}`,
		close: async () => await new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

const BROWSER_ID = 'weixin-media-demo';

/** Creates the owner account; returns the session cookie n8n set for it. */
export async function setUpOwner(n8n: N8nInstance): Promise<string> {
	const response = await fetch(`${n8n.url}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'browser-id': BROWSER_ID },
		body: JSON.stringify(DEMO_OWNER),
	});
	if (!response.ok) {
		throw new Error(
			`owner setup answered ${response.status}: ${(await response.text()).slice(0, 500)}`,
		);
	}
	return response.headers
		.getSetCookie()
		.map((cookie) => cookie.split(';')[0])
		.join('; ');
}

/**
 * Puts the AppSecret into the credential through n8n's REST API, which encrypts it into n8n's
 * database: the secret never passes through a file (the CLI import reads one) or the console.
 */
async function storeAppSecret(
	n8n: N8nInstance,
	cookie: string,
	credential: { id: string; name: string; type: string; data: Record<string, unknown> },
	appSecret: string,
): Promise<void> {
	const response = await fetch(`${n8n.url}/rest/credentials/${credential.id}`, {
		method: 'PATCH',
		headers: { 'Content-Type': 'application/json', 'browser-id': BROWSER_ID, cookie },
		body: JSON.stringify({ ...credential, data: { ...credential.data, appSecret } }),
	});
	if (!response.ok) {
		// n8n's answer does not echo the data it was sent, but the status is all that helps here.
		throw new Error(`saving the AppSecret in n8n's credential store answered ${response.status}`);
	}
}

/** Starts the sandbox, the sample host and n8n, all configured; stop() undoes all of it. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
	const started: Array<() => Promise<void>> = [];
	const stop = async () => {
		for (const undo of started.reverse()) await undo().catch(() => undefined);
		started.length = 0;
	};
	try {
		const { account } = options;
		let sandbox: Sandbox | undefined;
		if (!account) {
			const localSandbox = await startSandbox({
				port: await portOrAny(options.sandboxPort ?? PREFERRED_SANDBOX_PORT),
			});
			sandbox = localSandbox;
			started.push(() => localSandbox.close());
		}
		const apiUrl = account?.baseUrl ?? sandbox!.url;
		const samples = await startSampleHost();
		started.push(() => samples.close());

		const userFolder = options.userFolder ?? DEMO_FOLDER;
		fs.rmSync(userFolder, { recursive: true, force: true });
		const n8n = await createN8nInstance({
			sandboxUrl: apiUrl,
			userFolder,
			port: await portOrAny(options.n8nPort ?? PREFERRED_N8N_PORT),
		});
		started.push(() => n8n.stop());
		n8n.vars.SAMPLES_URL = samples.url;

		// The examples name the credential by id; its AppSecret is added once n8n runs (storeAppSecret).
		const credential = await n8n.importCredential(
			account && {
				name: `WeChat ${account.appId}`,
				data: { appId: account.appId, appSecret: '', grantEndpoint: 'stable', baseUrl: apiUrl },
			},
		);
		const files = fs
			.readdirSync(EXAMPLE_WORKFLOWS_DIR)
			.filter((name) => name.endsWith('.json'))
			.sort();
		const ids = await n8n.importWorkflows(
			files.map((name) => path.join(EXAMPLE_WORKFLOWS_DIR, name)),
		);
		const workflows = Object.fromEntries(
			files.map((name, index) => [path.basename(name, '.json'), ids[index]]),
		);

		await n8n.start();
		const cookie = await setUpOwner(n8n);
		if (account) await storeAppSecret(n8n, cookie, credential, account.appSecret);
		return {
			n8n,
			sandbox,
			apiUrl,
			credentialName: credential.name,
			samplesUrl: samples.url,
			workflows,
			stop,
		};
	} catch (error) {
		await stop();
		throw error;
	}
}

/** What the examples leave on a real account; nothing runs until the user presses Execute. */
const OWN_ACCOUNT_NOTICE = [
	'',
	'This n8n talks to your real Official Account. Nothing has been sent to WeChat yet; running the examples will:',
	'  1. upload a temporary image (WeChat deletes temporary media after 3 days);',
	'  2. add a permanent image to your material library (it stays until you delete it; it counts towards the library quota);',
	'  3. add a permanent cover image and an article draft, and PUBLISH that article (the only example that publishes);',
	'  4 (if present). the weekly cleanup deletes drafts older than 30 days: it is imported inactive; do not activate it unless you mean it.',
	'Your server\'s public IP must be in the account\'s IP whitelist (errcode 40164 otherwise); see README → Troubleshooting.',
];

/** What `npm start` prints once everything runs: where to go, how to log in, what is where. */
export function describeDemo(demo: Demo, account?: OwnAccount): string[] {
	const firstWorkflow = Object.values(demo.workflows)[0];
	const target = demo.sandbox
		? `  WeChat sandbox: ${demo.sandbox.url}  (credential "${demo.credentialName}" already points here)`
		: `  WeChat API:     ${demo.apiUrl}  (credential "${demo.credentialName}", AppID ${account?.appId}; the AppSecret is only in n8n's encrypted credential store)`;
	return [
		'',
		`  n8n:            ${demo.n8n.url}  (open ${demo.n8n.url}/workflow/${firstWorkflow})`,
		`  log in as:      ${DEMO_OWNER.email}  /  ${DEMO_OWNER.password}`,
		target,
		`  sample files:   ${demo.samplesUrl}/photo.jpg, cover.jpg, inline.png, clip.mp4`,
		`  workflows:      ${Object.keys(demo.workflows).join(', ')}`,
		`  n8n data:       ${demo.n8n.userFolder} (recreated on every start)`,
		'',
		'Open a workflow, press "Execute workflow", inspect each node. Ctrl-C stops everything.',
		...(demo.sandbox ? [] : OWN_ACCOUNT_NOTICE),
	];
}

async function main(): Promise<void> {
	console.log(
		'Starting the Weixin media demo (the first run installs n8n and takes several minutes)...',
	);
	const account = ownAccountFromEnvironment();
	const demo = await startDemo({ account });
	console.log(describeDemo(demo, account).join('\n'));
	let stopping = false;
	const shutdown = () => {
		if (stopping) return;
		stopping = true;
		console.log('\nStopping n8n and the sandbox...');
		void demo.stop().then(() => process.exit(0));
	};
	process.on('SIGINT', shutdown);
	process.on('SIGTERM', shutdown);
}

if (require.main === module) {
	main().catch((error: unknown) => {
		console.error(error instanceof Error ? error.message : error);
		process.exit(1);
	});
}
