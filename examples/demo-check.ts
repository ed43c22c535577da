/**
 * Smoke test of the demo (`npx tsx examples/demo-check.ts [--all]`, after `npm run build`): starts
 * it headless on free ports in a temporary folder, logs in as the printed owner, runs the first
 * example workflow and checks the file came back intact from the sandbox (with --all, also runs the
 * other examples and checks they finish without error), then stops everything. Prints OK or fails.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { DEMO_OWNER, startDemo, type Demo } from './demo';

const WORKFLOW = '1-temporary-media-from-url';

async function logIn(url: string): Promise<void> {
	const response = await fetch(`${url}/rest/login`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'browser-id': 'demo-check' },
		body: JSON.stringify({ emailOrLdapLoginId: DEMO_OWNER.email, password: DEMO_OWNER.password }),
	});
	if (!response.ok) {
		throw new Error(`logging in as ${DEMO_OWNER.email} answered ${response.status}`);
	}
}

/** Logs in, runs the examples and checks what came back; throws on the first thing wrong. */
async function check(demo: Demo): Promise<void> {
	await logIn(demo.n8n.url);
	const photo = await (await fetch(`${demo.samplesUrl}/photo.jpg`)).arrayBuffer();
	const run = await demo.n8n.execute(demo.workflows[WORKFLOW]);
	if (run.error) throw new Error(`${WORKFLOW} failed: ${run.error.message}`);
	const fetched = run.nodes['Fetch it back']?.items[0]?.binary?.data;
	if (!fetched) throw new Error(`${WORKFLOW} returned no file from the sandbox`);
	if (!demo.n8n.readBinary(fetched).equals(Buffer.from(photo))) {
		throw new Error(`${WORKFLOW} returned different bytes than it uploaded`);
	}
	const tokenCalls = demo.sandbox?.tokenCalls();
	if (tokenCalls !== 1) throw new Error(`expected one token call, the sandbox saw ${tokenCalls}`);
	if (process.argv.includes('--all')) {
		for (const [name, id] of Object.entries(demo.workflows)) {
			if (name === WORKFLOW) continue;
			const other = await demo.n8n.execute(id);
			if (other.error) throw new Error(`${name} failed: ${other.error.message}`);
			console.log(`${name}: ran to "${other.lastNodeExecuted}"`);
		}
	}
}

async function main(): Promise<void> {
	const started = Date.now();
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-demo-check-'));
	try {
		const demo = await startDemo({ n8nPort: 0, sandboxPort: 0, userFolder });
		try {
			await check(demo);
		} finally {
			await demo.stop();
		}
	} finally {
		fs.rmSync(userFolder, { recursive: true, force: true });
	}
	const seconds = ((Date.now() - started) / 1000).toFixed(1);
	console.log(`OK: demo started, owner logged in, ${WORKFLOW} ran (${seconds} s)`);
}

main().catch((error: unknown) => {
	console.error(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
	process.exit(1);
});
