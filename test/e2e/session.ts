/**
 * What every e2e test file shares: one sandbox and one real n8n for the whole file, with the
 * credential and all the file's workflows imported in `beforeAll` (each n8n command is a process
 * of several seconds), and every run checked for leaked secrets.
 */
import * as fs from 'fs';
import * as path from 'path';

import { SANDBOX_APP, startSandbox, type RequestLogEntry, type Sandbox } from '../sandbox';
import { createN8nInstance, type CliResult, type N8nInstance, type RunResult } from './n8n';

export interface E2eSetup {
	/** Fixture names in test/e2e/workflows, without `.json`. */
	workflows: string[];
	/** Files put under the n8n instance's files folder (@@FILES_DIR@@), by relative path. */
	files?: Record<string, Buffer>;
	/**
	 * Runs once the sandbox and n8n exist, before the workflows are imported: seed the sandbox,
	 * start helper servers, add values to `n8n.vars` for the workflows' @@PLACEHOLDERS@@.
	 */
	prepare?(context: { sandbox: Sandbox; n8n: N8nInstance }): Promise<void> | void;
}

export interface E2eRun {
	result: RunResult & { output: CliResult };
	/** What the sandbox received during the run, token calls included. */
	requests: RequestLogEntry[];
}

export interface E2eFixture {
	readonly sandbox: Sandbox;
	readonly n8n: N8nInstance;
	/** Executes a workflow that may fail; the result says how it ended. */
	execute(workflow: string): Promise<E2eRun>;
	/** Executes a workflow that must succeed; a failed run throws with n8n's error. */
	run(workflow: string): Promise<E2eRun>;
}

export function useN8n(setup: E2eSetup): E2eFixture {
	let sandbox: Sandbox | undefined;
	let n8n: N8nInstance | undefined;
	const workflowIds = new Map<string, string>();

	beforeAll(async () => {
		sandbox = await startSandbox();
		n8n = await createN8nInstance({ sandboxUrl: sandbox.url });
		for (const [relativePath, bytes] of Object.entries(setup.files ?? {})) {
			const file = path.join(n8n.filesDir, relativePath);
			fs.mkdirSync(path.dirname(file), { recursive: true });
			fs.writeFileSync(file, bytes);
		}
		await setup.prepare?.({ sandbox, n8n });
		await n8n.importCredential();
		const ids = await n8n.importWorkflows(setup.workflows.map((name) => `${name}.json`));
		setup.workflows.forEach((name, index) => workflowIds.set(name, ids[index]));
	});

	afterAll(async () => {
		await n8n?.cleanup();
		await sandbox?.close();
	});

	const fixture: E2eFixture = {
		get sandbox() {
			if (!sandbox) throw new Error('the sandbox is not started yet');
			return sandbox;
		},
		get n8n() {
			if (!n8n) throw new Error('n8n is not set up yet');
			return n8n;
		},
		async execute(workflow) {
			const id = workflowIds.get(workflow);
			if (!id) throw new Error(`workflow ${workflow} is not among this file's imports`);
			const logged = fixture.sandbox.log().length;
			const result = await fixture.n8n.execute(id);
			expectNoSecretsIn(result.output, fixture.sandbox);
			return { result, requests: fixture.sandbox.log().slice(logged) };
		},
		async run(workflow) {
			const outcome = await fixture.execute(workflow);
			if (outcome.result.error) {
				throw new Error(
					`workflow ${workflow} failed: ${JSON.stringify(outcome.result.error, null, 2)}`,
				);
			}
			return outcome;
		},
	};
	return fixture;
}

/** Everything n8n printed must be free of the AppSecret and of every token the sandbox issued. */
function expectNoSecretsIn(output: CliResult, sandbox: Sandbox) {
	const printed = `${output.stdout}\n${output.stderr}`;
	for (const secret of [SANDBOX_APP.appSecret, ...sandbox.issuedTokens()]) {
		expect(printed.includes(secret)).toBe(false);
	}
}

/** The API calls (not token calls) among `requests`, as "METHOD /path". */
export const apiCalls = (requests: RequestLogEntry[]) =>
	requests.filter((entry) => !entry.tokenCall).map((entry) => `${entry.method} ${entry.path}`);
