/**
 * n8n in queue mode, as users who outgrow one machine run it: PostgreSQL, Redis, one `n8n start`
 * (main: editor, webhooks, enqueues executions) and `n8n worker` processes that run them, binary data
 * in the database (a worker's filesystem is not shared). Every process has its own user folder with
 * the package installed in it as n8n installs community packages, like separate machines would.
 */
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import {
	CREDENTIAL_TYPE,
	createN8nInstance,
	ensureN8n,
	freePort,
	SANDBOX_CREDENTIAL,
	type CredentialToImport,
	type N8nInstance,
} from './n8n';
import { SANDBOX_APP } from '../sandbox';
import { startPostgres, startRedis, type LocalServer, type Postgres } from './servers';

const WORKER_START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 20_000;
export const WORKER_CONCURRENCY = 5;

function progress(message: string) {
	process.stderr.write(`[e2e] queue mode: ${message}\n`);
}

/** The sandbox credential plus `others`, in one n8n process (each CLI command costs seconds). */
async function importCredentials(main: N8nInstance, others: CredentialToImport[]) {
	const sandboxCredential: CredentialToImport = {
		...SANDBOX_CREDENTIAL,
		type: CREDENTIAL_TYPE,
		data: {
			appId: SANDBOX_APP.appId,
			appSecret: SANDBOX_APP.appSecret,
			grantEndpoint: 'stable',
			baseUrl: main.vars.SANDBOX_URL,
		},
	};
	const file = path.join(main.userFolder, 'credentials.json');
	fs.writeFileSync(file, JSON.stringify([sandboxCredential, ...others]), { mode: 0o600 });
	try {
		const result = await main.cli(['import:credentials', `--input=${file}`]);
		if (result.code !== 0 || !/Successfully imported/.test(result.stdout + result.stderr)) {
			throw new Error(`n8n import:credentials failed:\n${result.stdout}\n${result.stderr}`);
		}
	} finally {
		fs.rmSync(file, { force: true });
	}
}

export interface QueueClusterOptions {
	sandboxUrl: string;
	workers: number;
	/**
	 * Imported and published before main starts: fixture file names (test/e2e/workflows) or workflow
	 * objects. cluster.workflowIds knows them by file name, or by `name` for objects.
	 */
	workflows: Array<string | Record<string, unknown>>;
	/** Credentials besides the sandbox one (SANDBOX_CREDENTIAL, Stable Token). */
	credentials?: CredentialToImport[];
}

export class QueueWorker {
	private child?: ChildProcess;
	private exit?: Promise<void>;
	readonly logFile: string;

	constructor(readonly name: string, readonly instance: N8nInstance, readonly healthPort: number) {
		this.logFile = path.join(instance.userFolder, 'n8n-worker.log');
	}

	async start(): Promise<void> {
		const runtime = ensureN8n();
		const log = fs.openSync(this.logFile, 'a');
		const child = spawn(
			runtime.nodeBin,
			[runtime.n8nBin, 'worker', `--concurrency=${WORKER_CONCURRENCY}`],
			{
				cwd: this.instance.userFolder,
				env: this.instance.env,
				stdio: ['ignore', log, log],
			},
		);
		fs.closeSync(log);
		this.child = child;
		this.exit = new Promise((resolve) => child.once('exit', () => resolve()));
		const readiness = `http://127.0.0.1:${this.healthPort}/healthz/readiness`;
		const deadline = Date.now() + WORKER_START_TIMEOUT_MS;
		while (Date.now() < deadline && child.exitCode === null) {
			try {
				if ((await fetch(readiness)).ok) return;
			} catch {
				// Not listening yet.
			}
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
		const tail = this.log().split('\n').slice(-30).join('\n');
		await this.stop();
		throw new Error(`n8n worker ${this.name} did not become ready at ${readiness}:\n${tail}`);
	}

	log(): string {
		try {
			return fs.readFileSync(this.logFile, 'utf8');
		} catch {
			return '';
		}
	}

	/** Execution ids this worker has started, from its log ("Worker started execution N"). */
	startedExecutions(): string[] {
		return [...this.log().matchAll(/Worker started execution (\d+)/g)].map((match) => match[1]);
	}

	async stop(): Promise<void> {
		const child = this.child;
		if (!child) return;
		this.child = undefined;
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGTERM');
			const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
			await this.exit;
			clearTimeout(killer);
		}
	}
}

export class QueueCluster {
	readonly workers: QueueWorker[] = [];
	/** Workflow ids by fixture name. */
	readonly workflowIds = new Map<string, string>();
	main?: N8nInstance;
	postgres?: Postgres;
	redis?: LocalServer;

	/** Stops every process (workers first, so none picks up a job from a main going away). */
	async stop(): Promise<void> {
		await Promise.allSettled(this.workers.map((worker) => worker.stop()));
		await this.main?.stop();
		await Promise.allSettled([this.postgres?.stop(), this.redis?.stop()]);
		for (const instance of [this.main, ...this.workers.map((worker) => worker.instance)]) {
			if (instance) fs.rmSync(instance.userFolder, { recursive: true, force: true });
		}
	}

	webhookUrl(webhookPath: string): string {
		if (!this.main) throw new Error('the queue cluster is not started');
		return `${this.main.url}/webhook/${webhookPath}`;
	}

	/** Executions of a workflow by status, from n8n's database; `afterId` skips older ones. */
	executionStatuses(workflowName: string, afterId = 0): Record<string, number> {
		const workflowId = this.workflowIds.get(workflowName);
		const rows = this.postgres!.query(
			`SELECT status, count(*) FROM execution_entity WHERE "workflowId" = '${workflowId}' ` +
				`AND id > ${Number(afterId)} GROUP BY status`,
		);
		return Object.fromEntries(
			rows
				.split('\n')
				.filter(Boolean)
				.map((row) => {
					const [status, count] = row.split('\t');
					return [status, Number(count)];
				}),
		);
	}

	/**
	 * The error message of each failed execution (after `afterId`), from its run data in n8n's
	 * database; '(no error in the run data)' where there is none, so a failure shows what it was.
	 */
	failedExecutionErrors(workflowName: string, afterId = 0): string[] {
		const workflowId = this.workflowIds.get(workflowName);
		const rows = this.postgres!.query(
			`SELECT d.data FROM execution_entity e JOIN execution_data d ON d."executionId" = e.id ` +
				`WHERE e."workflowId" = '${workflowId}' AND e.id > ${Number(afterId)} ` +
				`AND e.status = 'error' ORDER BY e.id`,
		);
		return rows
			.split('\n')
			.filter(Boolean)
			.map((data) => runDataError(data) ?? '(no error in the run data)');
	}

	lastExecutionId(): number {
		return Number(this.postgres!.query('SELECT coalesce(max(id), 0) FROM execution_entity'));
	}
}

/**
 * Starts the whole cluster; on any failure everything started so far is stopped again. The caller
 * stops it with cluster.stop() (also when a test fails).
 */
export async function startQueueCluster(
	options: QueueClusterOptions,
	cluster = new QueueCluster(),
): Promise<QueueCluster> {
	try {
		const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
		cluster.postgres = postgres;
		cluster.redis = redis;
		const shared: Record<string, string> = {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(redis.port),
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(postgres.port),
			DB_POSTGRESDB_DATABASE: postgres.database,
			DB_POSTGRESDB_USER: postgres.user,
			DB_POSTGRESDB_PASSWORD: postgres.password,
			// One key for all: workers decrypt the credential (and its stored token) main imported.
			N8N_ENCRYPTION_KEY: randomBytes(24).toString('base64url'),
			// Workers do not share a filesystem: binary data must travel through the database.
			N8N_DEFAULT_BINARY_DATA_MODE: 'database',
		};
		cluster.main = await createN8nInstance({
			sandboxUrl: options.sandboxUrl,
			env: shared,
		});
		for (let index = 1; index <= options.workers; index++) {
			const healthPort = await freePort();
			const instance = await createN8nInstance({
				sandboxUrl: options.sandboxUrl,
				env: {
					...shared,
					QUEUE_HEALTH_CHECK_ACTIVE: 'true',
					QUEUE_HEALTH_CHECK_PORT: String(healthPort),
					N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
				},
			});
			cluster.workers.push(new QueueWorker(`worker-${index}`, instance, healthPort));
		}
		const main = cluster.main;
		const step = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
			const started = Date.now();
			const result = await work();
			progress(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
			return result;
		};
		// The first CLI command also creates n8n's tables in PostgreSQL.
		await step('import credentials', () => importCredentials(main, options.credentials ?? []));
		const workflows = options.workflows;
		const ids = await step('import workflows', () =>
			main.importWorkflows(
				workflows.map((workflow) => (typeof workflow === 'string' ? `${workflow}.json` : workflow)),
			),
		);
		ids.forEach((id, index) => {
			const workflow = workflows[index];
			const name = typeof workflow === 'string' ? workflow : String(workflow.name);
			cluster.workflowIds.set(name, id);
		});
		// In parallel: each command is mostly n8n's own start-up, and they touch different rows.
		await step('publish workflows', () =>
			Promise.all(
				ids.map(async (id) => {
					const published = await main.cli(['publish:workflow', `--id=${id}`]);
					const output = `${published.stdout}\n${published.stderr}`;
					if (published.code !== 0 || !/Publishing workflow/.test(output)) {
						throw new Error(`n8n publish:workflow --id=${id} failed:\n${output}`);
					}
				}),
			),
		);
		await step('n8n start (main)', () => main.start());
		// One after the other, after main: started together with main, a worker stalled at start-up.
		for (const worker of cluster.workers) {
			await step(`n8n worker (${worker.name})`, () => worker.start());
		}
		return cluster;
	} catch (error) {
		await cluster.stop();
		throw error;
	}
}

/**
 * `resultData.error.message` of run data as n8n stores it (flatted: one JSON array whose first entry
 * is the run data, every nested object and string an entry of its own, referred to by its index).
 */
function runDataError(stored: string): string | undefined {
	const entries = JSON.parse(stored) as unknown[];
	let value: unknown = entries[0];
	for (const name of ['resultData', 'error', 'message']) {
		const reference =
			value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
		value = typeof reference === 'string' && /^\d+$/.test(reference) ? entries[Number(reference)] : undefined;
	}
	return typeof value === 'string' ? value : undefined;
}
