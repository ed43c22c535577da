/**
 * Throw-away PostgreSQL and Redis servers for the queue-mode e2e suite, on loopback and free ports,
 * in temporary folders that go with them. Both come from Debian's packages: installed with apt-get
 * when missing and this process is root, otherwise the suite fails saying what to install.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import { connect } from 'net';
import * as os from 'os';
import * as path from 'path';

import { freePort } from './n8n';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export interface LocalServer {
	readonly port: number;
	/** Stops the server (SIGTERM, then SIGKILL) and removes its folder. */
	stop(): Promise<void>;
	log(): string;
}

export interface Postgres extends LocalServer {
	readonly database: string;
	readonly user: string;
	readonly password: string;
	/** Runs one SQL statement with psql; returns its rows as tab-separated text. */
	query(sql: string): string;
}

/** Every server child of this process, killed on exit even when a test run is cut short. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
	for (const child of children) child.kill('SIGKILL');
});

const isRoot = () => process.getuid?.() === 0;

function aptInstall(debianPackage: string, whatFor: string): void {
	if (!isRoot() || spawnSync('which', ['apt-get']).status !== 0) {
		throw new Error(
			`${whatFor} is missing. Install Debian's ${debianPackage} package ` +
				`(sudo apt-get install ${debianPackage}) and run the suite again.`,
		);
	}
	process.stderr.write(`[e2e] apt-get install ${debianPackage}\n`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	for (const args of [['update'], ['install', '-y', '--no-install-recommends', debianPackage]]) {
		const result = spawnSync('apt-get', args, { env, encoding: 'utf8' });
		if (result.status !== 0) {
			throw new Error(
				`apt-get ${args.join(' ')} failed; install ${debianPackage} by hand:\n${result.stderr}`,
			);
		}
	}
}

function postgresBinDir(): string | undefined {
	const root = '/usr/lib/postgresql';
	const versions = fs.existsSync(root)
		? fs
				.readdirSync(root)
				.filter((version) => fs.existsSync(path.join(root, version, 'bin', 'postgres')))
				.sort((a, b) => Number(b) - Number(a))
		: [];
	return versions.length > 0 ? path.join(root, versions[0], 'bin') : undefined;
}

function ensurePostgresBinaries(): string {
	let binDir = postgresBinDir();
	if (!binDir) {
		aptInstall('postgresql', 'PostgreSQL (/usr/lib/postgresql/*/bin/postgres)');
		binDir = postgresBinDir();
	}
	if (!binDir) throw new Error('apt-get installed postgresql, yet no postgres binary was found');
	return binDir;
}

function ensureRedisBinary(): string {
	const which = () => spawnSync('which', ['redis-server'], { encoding: 'utf8' }).stdout.trim();
	let binary = which();
	if (!binary) {
		aptInstall('redis-server', 'Redis (redis-server on PATH)');
		binary = which();
	}
	if (!binary) throw new Error('apt-get installed redis-server, yet it is not on PATH');
	return binary;
}

/** PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user. */
function asDatabaseOwner(command: string, args: string[]): [string, string[]] {
	if (!isRoot()) return [command, args];
	return [
		'setpriv',
		['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args],
	];
}

function runOrThrow(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
	const [file, argv] = asDatabaseOwner(command, args);
	const result = spawnSync(file, argv, {
		encoding: 'utf8',
		env,
		cwd: os.tmpdir(),
	});
	if (result.status !== 0) {
		throw new Error(
			`${path.basename(command)} ${args.join(' ')} failed (${result.status}):\n` +
				`${result.stdout}\n${result.stderr}`,
		);
	}
	return result.stdout;
}

function startChild(file: string, args: string[], logFile: string, cwd: string): ChildProcess {
	const log = fs.openSync(logFile, 'a');
	const child = spawn(file, args, { cwd, stdio: ['ignore', log, log] });
	fs.closeSync(log);
	children.add(child);
	child.once('exit', () => children.delete(child));
	return child;
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	child.kill(signal);
	const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
	await exited;
	clearTimeout(killer);
}

async function waitUntil(
	what: string,
	child: ChildProcess,
	log: () => string,
	ready: () => Promise<boolean> | boolean,
): Promise<void> {
	const deadline = Date.now() + START_TIMEOUT_MS;
	while (Date.now() < deadline && child.exitCode === null) {
		if (await ready()) return;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	await stopChild(child, 'SIGKILL');
	const tail = log().trim().split('\n').slice(-20).join('\n');
	throw new Error(`${what} did not become ready within ${START_TIMEOUT_MS / 1000} s:\n${tail}`);
}

const readLog = (file: string) => () => {
	try {
		return fs.readFileSync(file, 'utf8');
	} catch {
		return '';
	}
};

/** A PostgreSQL cluster of its own: password login on 127.0.0.1 only, one database for n8n. */
export async function startPostgres(): Promise<Postgres> {
	const binDir = ensurePostgresBinaries();
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-postgres-'));
	const dataDir = path.join(folder, 'data');
	const passwordFile = path.join(folder, 'password');
	const logFile = path.join(folder, 'postgres.log');
	const user = 'n8n';
	const database = 'n8n';
	const password = `pw-${process.pid}-${Date.now()}`;
	fs.writeFileSync(passwordFile, password);
	fs.writeFileSync(logFile, '');
	if (isRoot()) runOrThrowAsRoot('chown', ['-R', 'postgres:postgres', folder]);
	runOrThrow(path.join(binDir, 'initdb'), [
		'-D',
		dataDir,
		'-U',
		user,
		`--pwfile=${passwordFile}`,
		'--auth=scram-sha-256',
		'--encoding=UTF8',
		'--no-instructions',
	]);
	const port = await freePort();
	const [file, args] = asDatabaseOwner(path.join(binDir, 'postgres'), [
		'-D',
		dataDir,
		'-h',
		'127.0.0.1',
		'-p',
		String(port),
		// The socket goes into the throw-away folder, not /var/run/postgresql (absent or shared).
		'-k',
		folder,
		// A test database: durability buys nothing here and costs seconds.
		'-c',
		'fsync=off',
		'-c',
		'synchronous_commit=off',
		'-c',
		'full_page_writes=off',
	]);
	const child = startChild(file, args, logFile, folder);
	const log = readLog(logFile);
	const clientEnv = {
		...process.env,
		PGPASSWORD: password,
		PGCONNECT_TIMEOUT: '5',
	};
	const pgArgs = ['-h', '127.0.0.1', '-p', String(port), '-U', user];
	await waitUntil('PostgreSQL', child, log, () => {
		const ready = spawnSync(path.join(binDir, 'pg_isready'), [...pgArgs, '-d', 'postgres'], {
			env: clientEnv,
		});
		return ready.status === 0;
	});
	const psql = (db: string, sql: string) => {
		const result = spawnSync(
			path.join(binDir, 'psql'),
			[...pgArgs, '-d', db, '-X', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
			{ env: clientEnv, encoding: 'utf8' },
		);
		if (result.status !== 0) throw new Error(`psql failed: ${sql}\n${result.stderr}`);
		return result.stdout.trim();
	};
	psql('postgres', `CREATE DATABASE ${database}`);
	return {
		port,
		user,
		password,
		database,
		log,
		query: (sql) => psql(database, sql),
		async stop() {
			// SIGINT: PostgreSQL's fast shutdown (ends sessions, no waiting for clients).
			await stopChild(child, 'SIGINT');
			fs.rmSync(folder, { recursive: true, force: true });
		},
	};
}

function runOrThrowAsRoot(command: string, args: string[]) {
	const result = spawnSync(command, args, { encoding: 'utf8' });
	if (result.status !== 0)
		throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
}

/** Answers true once the server at `port` replies +PONG to PING. */
function redisAnswers(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1');
		let answer = '';
		const done = (ok: boolean) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(1000, () => done(false));
		socket.once('error', () => done(false));
		socket.on('data', (chunk) => {
			answer += chunk.toString('utf8');
			if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
		});
		socket.once('connect', () => socket.write('PING\r\n'));
	});
}

/** A Redis of its own: loopback only, nothing persisted. */
export async function startRedis(): Promise<LocalServer> {
	const binary = ensureRedisBinary();
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-redis-'));
	const logFile = path.join(folder, 'redis.log');
	const port = await freePort();
	const child = startChild(
		binary,
		[
			'--port',
			String(port),
			'--bind',
			'127.0.0.1',
			'--save',
			'',
			'--appendonly',
			'no',
			'--dir',
			folder,
			'--daemonize',
			'no',
		],
		logFile,
		folder,
	);
	const log = readLog(logFile);
	await waitUntil('Redis', child, log, () => redisAnswers(port));
	return {
		port,
		log,
		async stop() {
			await stopChild(child, 'SIGTERM');
			fs.rmSync(folder, { recursive: true, force: true });
		},
	};
}
