/**
 * Drives a real n8n (the pinned version, on Node 24) against the WeChat sandbox: one throw-away user
 * folder per instance, our package installed in it the way n8n installs community packages, and the
 * CLI (import, execute) or the server (start/stop) on top.
 */
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import { createServer } from 'net';
import * as os from 'os';
import * as path from 'path';

import { SANDBOX_APP } from '../sandbox/types';
import { ensureN8n, ensurePackage, type N8nRuntime } from './install';
import { parseExecuteOutput, type BinaryMeta, type RunResult } from './runData';

export { ensureN8n, ensurePackage, N8N_VERSION, PROJECT_ROOT } from './install';
export * from './runData';

export const NODE_TYPE = 'n8n-nodes-weixin-media.weixinMedia';
export const CREDENTIAL_TYPE = 'weixinOfficialAccountApi';
/** The credential every fixture workflow references (by id and name). */
export const SANDBOX_CREDENTIAL = { id: 'wxSandboxCred001', name: 'WeChat sandbox' } as const;
export const WORKFLOWS_DIR = path.join(__dirname, 'workflows');

const CLI_TIMEOUT_MS = 180_000;
const SERVER_START_TIMEOUT_MS = 180_000;

export interface CredentialToImport {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

export interface InstanceOptions {
	/** The sandbox's base URL: the default credential's, and @@SANDBOX_URL@@ in workflows. */
	sandboxUrl: string;
	/** Port for server mode; a free one when omitted or 0. */
	port?: number;
	/** Defaults to a fresh temporary folder, removed by cleanup(). */
	userFolder?: string;
	/** Extra environment for every n8n process of this instance. */
	env?: Record<string, string>;
	/** false → n8n's built-in nodes only (no build needed); default true. */
	withPackage?: boolean;
}

export interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

/** Replaces `@@NAME@@` in a workflow's strings; an unknown name is an error, not a blank. */
export function fillPlaceholders<T>(value: T, vars: Record<string, string>): T {
	return JSON.parse(
		JSON.stringify(value).replace(/@@([A-Z][A-Z0-9_]*)@@/g, (_whole, name: string) => {
			if (!(name in vars)) throw new Error(`workflow placeholder @@${name}@@ has no value`);
			// The value lands inside a JSON string: escape it as one.
			return JSON.stringify(vars[name]).slice(1, -1);
		}),
	);
}

/** n8n workflow ids are 16 alphanumerics; fixtures may omit theirs. */
function newWorkflowId(): string {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
	return Array.from(randomBytes(16), (byte) => alphabet[byte % alphabet.length]).join('');
}

/** Installs the packed package into `<n8nFolder>/nodes`, where n8n scans for community packages. */
function installPackageInto(n8nFolder: string, nodesTemplate: string) {
	fs.cpSync(nodesTemplate, path.join(n8nFolder, 'nodes'), {
		recursive: true,
		filter: (source) => path.basename(source) !== '.installed.json',
	});
}

export class N8nInstance {
	readonly userFolder: string;
	/** n8n's own folder inside the user folder: database, config, nodes, binary data. */
	readonly n8nFolder: string;
	/** Where workflows may read and write files (N8N_RESTRICT_FILE_ACCESS_TO). */
	readonly filesDir: string;
	readonly port: number;
	readonly url: string;
	readonly env: NodeJS.ProcessEnv;
	/** Filled into imported workflows: @@SANDBOX_URL@@, @@FILES_DIR@@ and anything added. */
	readonly vars: Record<string, string>;
	private server?: ChildProcess;
	private serverExit?: Promise<void>;

	constructor(
		private readonly runtime: N8nRuntime,
		options: InstanceOptions & { port: number; brokerPort: number; userFolder: string },
	) {
		this.userFolder = options.userFolder;
		this.n8nFolder = path.join(this.userFolder, '.n8n');
		this.filesDir = path.join(this.userFolder, 'files');
		fs.mkdirSync(this.filesDir, { recursive: true });
		this.port = options.port;
		this.url = `http://127.0.0.1:${this.port}`;
		this.vars = { SANDBOX_URL: options.sandboxUrl, FILES_DIR: this.filesDir };
		this.env = {
			PATH: runtime.path,
			HOME: this.userFolder,
			TMPDIR: os.tmpdir(),
			LANG: 'C.UTF-8',
			N8N_USER_FOLDER: this.userFolder,
			N8N_PORT: String(this.port),
			N8N_HOST: '127.0.0.1',
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_PROTOCOL: 'http',
			N8N_EDITOR_BASE_URL: this.url,
			// The demo is reached over plain http; a secure cookie would never come back.
			N8N_SECURE_COOKIE: 'false',
			N8N_RUNNERS_BROKER_PORT: String(options.brokerPort),
			N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
			N8N_EXPRESSION_ENGINE: 'legacy',
			N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
			N8N_RESTRICT_FILE_ACCESS_TO: this.filesDir,
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
			DB_TYPE: 'sqlite',
			DB_SQLITE_POOL_SIZE: '2',
			// Nothing may reach out: the machine has no internet and tests must not depend on it.
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_HIRING_BANNER_ENABLED: 'false',
			N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
			N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
			N8N_VERIFIED_PACKAGES_ENABLED: 'false',
			N8N_REINSTALL_MISSING_PACKAGES: 'false',
			EXTERNAL_FRONTEND_HOOKS_URLS: '',
			N8N_DIAGNOSTICS_CONFIG_FRONTEND: '',
			N8N_DIAGNOSTICS_CONFIG_BACKEND: '',
			// Refreshes a catalogue from api.n8n.io on start: an outbound call with nothing to gain here.
			N8N_DISABLED_MODULES: 'mcp-registry',
			N8N_LOG_LEVEL: 'info',
			N8N_LOG_OUTPUT: 'console',
			NODE_ENV: 'production',
			...options.env,
		};
	}

	/** Runs one n8n CLI command to completion. */
	async cli(args: string[]): Promise<CliResult> {
		// Its own task-runner broker port: the server of this instance may be running meanwhile.
		const env = { ...this.env, N8N_RUNNERS_BROKER_PORT: String(await freePort()) };
		return await new Promise((resolve, reject) => {
			const child = spawn(this.runtime.nodeBin, [this.runtime.n8nBin, ...args], {
				cwd: this.userFolder,
				env,
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			let stdout = '';
			let stderr = '';
			child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
			child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
			const timer = setTimeout(() => {
				child.kill('SIGKILL');
				reject(new Error(`n8n ${args.join(' ')} did not finish within ${CLI_TIMEOUT_MS / 1000} s`));
			}, CLI_TIMEOUT_MS);
			child.once('error', reject);
			child.once('close', (code) => {
				clearTimeout(timer);
				resolve({ code, stdout, stderr });
			});
		});
	}

	private async cliOrThrow(args: string[], success: RegExp): Promise<CliResult> {
		const result = await this.cli(args);
		const output = `${result.stdout}\n${result.stderr}`;
		if (result.code !== 0 || !success.test(output)) {
			const tail = output.trim().split('\n').slice(-30).join('\n');
			throw new Error(`n8n ${args.join(' ')} failed (exit ${result.code}):\n${tail}`);
		}
		return result;
	}

	/** Imports a credential; by default the sandbox one, with SANDBOX_CREDENTIAL's id and name. */
	async importCredential(credential?: Partial<CredentialToImport>): Promise<CredentialToImport> {
		const complete: CredentialToImport = {
			...SANDBOX_CREDENTIAL,
			type: CREDENTIAL_TYPE,
			data: {
				appId: SANDBOX_APP.appId,
				appSecret: SANDBOX_APP.appSecret,
				grantEndpoint: 'stable',
				baseUrl: this.vars.SANDBOX_URL,
			},
			...credential,
		};
		const file = path.join(this.userFolder, `credential-${complete.id}.json`);
		// n8n encrypts plain `data` objects on import; the file goes once imported.
		fs.writeFileSync(file, JSON.stringify([complete]), { mode: 0o600 });
		try {
			await this.cliOrThrow(['import:credentials', `--input=${file}`], /Successfully imported/);
		} finally {
			fs.rmSync(file, { force: true });
		}
		return complete;
	}

	/** Reads (if given a file name) and fills a workflow, giving it an id when it has none. */
	prepareWorkflow(
		workflow: string | Record<string, unknown>,
	): Record<string, unknown> & { id: string } {
		const source =
			typeof workflow === 'string'
				? JSON.parse(fs.readFileSync(path.resolve(WORKFLOWS_DIR, workflow), 'utf8'))
				: workflow;
		const filled = fillPlaceholders(source, this.vars);
		return { ...filled, id: typeof filled.id === 'string' ? filled.id : newWorkflowId() };
	}

	/** Imports one or more workflows in a single n8n process; returns their ids in order. */
	async importWorkflows(workflows: Array<string | Record<string, unknown>>): Promise<string[]> {
		const prepared = workflows.map((workflow) => this.prepareWorkflow(workflow));
		const file = path.join(this.userFolder, `workflows-${newWorkflowId()}.json`);
		fs.writeFileSync(file, JSON.stringify(prepared));
		try {
			await this.cliOrThrow(['import:workflow', `--input=${file}`], /Successfully imported/);
		} finally {
			fs.rmSync(file, { force: true });
		}
		return prepared.map((workflow) => workflow.id);
	}

	async importWorkflow(workflow: string | Record<string, unknown>): Promise<string> {
		const [id] = await this.importWorkflows([workflow]);
		return id;
	}

	/** Runs a workflow with `n8n execute`; failed runs are returned too (check `error`). */
	async execute(workflowId: string): Promise<RunResult & { output: CliResult }> {
		const output = await this.cli(['execute', `--id=${workflowId}`, '--rawOutput']);
		return { ...parseExecuteOutput(`${output.stdout}\n${output.stderr}`), output };
	}

	/** The bytes behind a binary item stored in filesystem mode. */
	readBinary(meta: BinaryMeta): Buffer {
		const match = /^filesystem(?:-v2)?:(.+)$/.exec(meta.id ?? '');
		if (!match) {
			throw new Error(`binary ${meta.fileName ?? ''} is not in filesystem storage (${meta.id})`);
		}
		return fs.readFileSync(path.join(this.n8nFolder, 'storage', match[1]));
	}

	/** Starts `n8n start` and waits until it answers its health check. */
	async start(): Promise<void> {
		if (this.server) return;
		const log = fs.openSync(path.join(this.userFolder, 'n8n-server.log'), 'a');
		const server = spawn(this.runtime.nodeBin, [this.runtime.n8nBin, 'start'], {
			cwd: this.userFolder,
			env: this.env,
			stdio: ['ignore', log, log],
		});
		fs.closeSync(log);
		this.server = server;
		this.serverExit = new Promise((resolve) => server.once('exit', () => resolve()));
		const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
		while (Date.now() < deadline) {
			if (server.exitCode !== null) break;
			try {
				const response = await fetch(`${this.url}/healthz/readiness`);
				if (response.ok) return;
			} catch {
				// Not listening yet.
			}
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
		const tail = this.serverLog().split('\n').slice(-30).join('\n');
		await this.stop();
		throw new Error(`n8n did not become ready at ${this.url}:\n${tail}`);
	}

	serverLog(): string {
		try {
			return fs.readFileSync(path.join(this.userFolder, 'n8n-server.log'), 'utf8');
		} catch {
			return '';
		}
	}

	/** Stops the server started by start(): SIGTERM, then SIGKILL if it lingers. */
	async stop(): Promise<void> {
		const server = this.server;
		if (!server) return;
		this.server = undefined;
		if (server.exitCode === null && server.signalCode === null) {
			server.kill('SIGTERM');
			const killer = setTimeout(() => server.kill('SIGKILL'), 20_000);
			await this.serverExit;
			clearTimeout(killer);
		}
	}

	/** Stops the server if running and removes the user folder. */
	async cleanup(): Promise<void> {
		await this.stop();
		fs.rmSync(this.userFolder, { recursive: true, force: true });
	}
}

/** A fresh n8n with our package installed; call ensureN8n() and build the project beforehand. */
export async function createN8nInstance(options: InstanceOptions): Promise<N8nInstance> {
	const runtime = ensureN8n();
	const nodesTemplate = options.withPackage === false ? undefined : ensurePackage();
	const userFolder = options.userFolder ?? fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-'));
	const n8nFolder = path.join(userFolder, '.n8n');
	fs.mkdirSync(n8nFolder, { recursive: true });
	if (nodesTemplate) installPackageInto(n8nFolder, nodesTemplate);
	return new N8nInstance(runtime, {
		...options,
		userFolder,
		port: options.port || (await freePort()),
		brokerPort: await freePort(),
	});
}
