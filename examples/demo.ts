/**
 * One-command demo (`npm start`): the WeChat sandbox, a real n8n with this package installed, a
 * credential already pointing at the sandbox, the example workflows and a ready owner account.
 * Everything listens on 127.0.0.1 only; Ctrl-C stops what the demo started.
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

export interface DemoOptions {
	/** 0 → any free port; by default 5678 when free. */
	n8nPort?: number;
	/** 0 → any free port; by default 8711 when free. */
	sandboxPort?: number;
	/** Defaults to `.n8n-demo/` in the project; recreated on every start. */
	userFolder?: string;
}

export interface Demo {
	n8n: N8nInstance;
	sandbox: Sandbox;
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

export async function setUpOwner(n8n: N8nInstance): Promise<void> {
	const response = await fetch(`${n8n.url}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify(DEMO_OWNER),
	});
	if (!response.ok) {
		throw new Error(
			`owner setup answered ${response.status}: ${(await response.text()).slice(0, 500)}`,
		);
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
		const sandbox = await startSandbox({
			port: await portOrAny(options.sandboxPort ?? PREFERRED_SANDBOX_PORT),
		});
		started.push(() => sandbox.close());
		const samples = await startSampleHost();
		started.push(() => samples.close());

		const userFolder = options.userFolder ?? DEMO_FOLDER;
		fs.rmSync(userFolder, { recursive: true, force: true });
		const n8n = await createN8nInstance({
			sandboxUrl: sandbox.url,
			userFolder,
			port: await portOrAny(options.n8nPort ?? PREFERRED_N8N_PORT),
		});
		started.push(() => n8n.stop());
		n8n.vars.SAMPLES_URL = samples.url;

		await n8n.importCredential();
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
		await setUpOwner(n8n);
		return { n8n, sandbox, samplesUrl: samples.url, workflows, stop };
	} catch (error) {
		await stop();
		throw error;
	}
}

async function main(): Promise<void> {
	console.log(
		'Starting the Weixin media demo (the first run installs n8n and takes several minutes)...',
	);
	const demo = await startDemo();
	const firstWorkflow = Object.values(demo.workflows)[0];
	console.log(
		[
			'',
			`  n8n:            ${demo.n8n.url}  (open ${demo.n8n.url}/workflow/${firstWorkflow})`,
			`  log in as:      ${DEMO_OWNER.email}  /  ${DEMO_OWNER.password}`,
			`  WeChat sandbox: ${demo.sandbox.url}  (credential "WeChat sandbox" already points here)`,
			`  sample files:   ${demo.samplesUrl}/photo.jpg, cover.jpg, inline.png, clip.mp4`,
			`  workflows:      ${Object.keys(demo.workflows).join(', ')}`,
			`  n8n data:       ${demo.n8n.userFolder} (recreated on every start)`,
			'',
			'Open a workflow, press "Execute workflow", inspect each node. Ctrl-C stops everything.',
		].join('\n'),
	);
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
