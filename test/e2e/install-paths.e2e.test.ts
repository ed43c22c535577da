/**
 * The install paths the README gives, done the way the README says, on a fresh n8n user folder:
 * - manual / Docker (`n8nio/n8n`): `npm install --legacy-peer-deps n8n-nodes-weixin-media` inside
 *   `~/.n8n/nodes`, then restart n8n (the flag keeps npm from installing a second n8n-workflow: the
 *   peer dependency is n8n's own copy). The registry can't be reached with an unpublished package, so the packed tarball
 *   (what the registry would serve) takes the name's place; npm runs on Node 24, as in n8n's image.
 * - Settings → Community Nodes → Install runs n8n's own installer, which only fetches from the npm
 *   registry (another registry needs an enterprise licence): every e2e file installs the tarball the
 *   way that installer does (install.ts, ensurePackedPackage), so every e2e run covers its result.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { jpeg } from '../fixtures/media';
import { startSandbox, type Sandbox } from '../sandbox';
import { NODE_BIN } from './install';
import { createN8nInstance, PROJECT_ROOT, type N8nInstance } from './n8n';

const PHOTO = jpeg(20 * 1024);

let sandbox: Sandbox;
let n8n: N8nInstance;
let packDir: string;
let installOutput: string;

/** Environment of a shell in the container: no npm_* settings inherited from `npm test`. */
function shellEnv(home: string): NodeJS.ProcessEnv {
	const inherited = Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_'));
	return { ...Object.fromEntries(inherited), HOME: home, PATH: `${path.dirname(NODE_BIN)}:${process.env.PATH}` };
}

beforeAll(async () => {
	sandbox = await startSandbox();
	n8n = await createN8nInstance({ sandboxUrl: sandbox.url, withPackage: false });
	packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'weixin-pack-'));
	const [packed] = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], {
			cwd: PROJECT_ROOT,
			encoding: 'utf8',
			env: shellEnv(os.homedir()),
		}),
	) as Array<{ filename: string }>;
	// The README's command, in ~/.n8n/nodes of the n8n user.
	const nodesFolder = path.join(n8n.n8nFolder, 'nodes');
	fs.mkdirSync(nodesFolder, { recursive: true });
	installOutput = execFileSync(
		'npm',
		['install', '--legacy-peer-deps', '--no-audit', '--no-fund', path.join(packDir, packed.filename)],
		{ cwd: nodesFolder, encoding: 'utf8', env: shellEnv(n8n.userFolder) },
	);
	fs.writeFileSync(path.join(n8n.filesDir, 'photo.jpg'), PHOTO);
	await n8n.importCredential();
});

afterAll(async () => {
	await n8n?.cleanup();
	await sandbox?.close();
	if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
});

describe('install into ~/.n8n/nodes with npm, then restart n8n (the Docker path)', () => {
	it('installs the package with its one runtime dependency and without a copy of n8n-workflow', () => {
		const installed = path.join(n8n.n8nFolder, 'nodes', 'node_modules');
		expect(fs.existsSync(path.join(installed, 'n8n-nodes-weixin-media', 'package.json'))).toBe(true);
		expect(fs.existsSync(path.join(installed, 'form-data', 'package.json'))).toBe(true);
		expect(fs.existsSync(path.join(installed, 'n8n-workflow'))).toBe(false);
		expect(installOutput).toMatch(/added \d+ packages?/);
	});

	it('is loaded by the next n8n process and runs a workflow end to end', async () => {
		const [id] = await n8n.importWorkflows(['temporary-image-roundtrip.json']);
		const result = await n8n.execute(id);
		expect(result.error).toBeUndefined();
		const fetched = result.nodes['Get image'].items[0].binary?.data;
		expect(n8n.readBinary(fetched!).equals(PHOTO)).toBe(true);
		expect(sandbox.tokenCalls()).toBe(1);
	});
});
