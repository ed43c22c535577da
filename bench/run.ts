/**
 * The benchmark: the Weixin Media node against the same jobs built from n8n's own HTTP Request nodes,
 * both inside the real n8n of the end-to-end tests, both talking to the local WeChat sandbox.
 * Run with `npm run bench`; prints a table and writes it to bench/results/latest.md.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {
	CREDENTIAL_TYPE,
	N8N_VERSION,
	createN8nInstance,
	ensureN8n,
	fillPlaceholders,
	type N8nInstance,
} from '../test/e2e/n8n';
import { jpeg, mp4 } from '../test/fixtures/media';
import { SANDBOX_APP, startSandbox, type RequestLogEntry, type Sandbox } from '../test/sandbox';
import {
	childrenOf,
	commandLine,
	mib,
	processTree,
	resetPeakRss,
	startSampling,
	steadyTreeRss,
} from './memory';

const WORKFLOWS = path.join(__dirname, 'workflows');
const RESULTS = path.join(__dirname, 'results');

const IMAGES = { count: 200, bytes: 100 * 1024, latencyMs: 30, repeats: 3 };
const TINY = { count: 300, bytes: 1024, latencyMs: 0, repeats: 3 };
const VIDEOS = { count: 20, bytes: 10 * 1024 * 1024 };
/** Concurrent Requests values tried besides the default (16) on the 200-image job. */
const SWEEP = { values: [32, 64, 100, 200], repeats: 2 };
const MEMORY_TARGET_MIB = 64;
const DEFAULT_CONCURRENCY = 16;

type Side = 'weixin' | 'http';
const SIDES: Side[] = ['weixin', 'http'];
/** The nodes whose time is the job's time; Read files (getting the inputs) is left out on both sides. */
const TIMED_NODES: Record<Side, string[]> = { weixin: ['Upload'], http: ['Get token', 'Upload'] };

interface UploadRun {
	side: Side;
	concurrency?: number;
	ms: number;
	tokenCalls: number;
	uploads: number;
}

function log(message: string) {
	process.stderr.write(`[bench] ${message}\n`);
}

const pad = (index: number, width: number) => String(index).padStart(width, '0');

/** Each Weixin run gets a credential of its own, so every run starts without a token, like HTTP's. */
class CredentialPool {
	private next = 0;
	readonly ids: string[];

	constructor(count: number) {
		this.ids = Array.from({ length: count }, (_unused, index) => `wxBenchCred${pad(index, 5)}`);
	}

	async importInto(n8n: N8nInstance): Promise<void> {
		const credentials = this.ids.map((id) => ({
			id,
			name: id,
			type: CREDENTIAL_TYPE,
			data: {
				appId: SANDBOX_APP.appId,
				appSecret: SANDBOX_APP.appSecret,
				grantEndpoint: 'stable',
				baseUrl: n8n.vars.SANDBOX_URL,
			},
		}));
		const file = path.join(n8n.userFolder, 'bench-credentials.json');
		fs.writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
		try {
			const result = await n8n.cli(['import:credentials', `--input=${file}`]);
			if (result.code !== 0) throw new Error(`credential import failed:\n${result.stderr}`);
		} finally {
			fs.rmSync(file, { force: true });
		}
	}

	take(): string {
		if (this.next >= this.ids.length) throw new Error('the bench planned too few credentials');
		return this.ids[this.next++];
	}
}

/** A fixture from bench/workflows with its placeholders filled and, for our node, its options set. */
function workflow(
	n8n: N8nInstance,
	file: string,
	vars: Record<string, string>,
	concurrency?: number,
): Record<string, unknown> {
	const source = JSON.parse(fs.readFileSync(path.join(WORKFLOWS, file), 'utf8'));
	const filled = fillPlaceholders(source, {
		...n8n.vars,
		APP_ID: SANDBOX_APP.appId,
		APP_SECRET: SANDBOX_APP.appSecret,
		CREDENTIAL_ID: '',
		...vars,
	}) as { name: string; nodes: Array<{ type: string; parameters: Record<string, unknown> }> };
	if (concurrency !== undefined) {
		for (const node of filled.nodes) {
			if (node.type.endsWith('.weixinMedia')) node.parameters.options = { concurrency };
		}
	}
	const suffix = [vars.CREDENTIAL_ID, concurrency && `c${concurrency}`].filter(Boolean).join(' ');
	return { ...filled, name: suffix ? `${filled.name} (${suffix})` : filled.name };
}

const succeeded = (entry: RequestLogEntry) => entry.status === 200 && !entry.errcode;

interface RawTask {
	startTime: number;
	executionTime: number;
}

function nodeTime(raw: Record<string, unknown>, node: string): number {
	const runData = (raw as { data: { resultData: { runData: Record<string, RawTask[]> } } }).data
		.resultData.runData;
	const tasks = runData[node];
	if (!tasks?.length) throw new Error(`the run has no data for node ${node}`);
	return tasks.reduce((total, task) => total + task.executionTime, 0);
}

/** Runs one upload workflow with `n8n execute` and checks that every file reached the sandbox. */
async function runUpload(
	n8n: N8nInstance,
	sandbox: Sandbox,
	workflowId: string,
	side: Side,
	expected: number,
	concurrency?: number,
): Promise<UploadRun> {
	sandbox.clearLog();
	const result = await n8n.execute(workflowId);
	if (result.error) {
		throw new Error(`${side} upload run failed: ${JSON.stringify(result.error).slice(0, 2000)}`);
	}
	const requests = sandbox.log();
	const uploads = requests.filter(
		(entry) => entry.path === '/cgi-bin/media/upload' && succeeded(entry),
	).length;
	const items = result.nodes.Upload.items.filter((item) => typeof item.json.media_id === 'string');
	if (uploads !== expected || items.length !== expected) {
		throw new Error(`${side}: ${uploads} uploads, ${items.length} media_ids; ${expected} expected`);
	}
	const ms = TIMED_NODES[side].reduce((total, node) => total + nodeTime(result.raw, node), 0);
	const run = {
		side,
		concurrency,
		ms,
		tokenCalls: requests.filter((entry) => entry.tokenCall).length,
		uploads,
	};
	log(
		`  ${side}${concurrency ? ` c=${concurrency}` : ''}: ${ms} ms, ${run.tokenCalls} token call(s)`,
	);
	return run;
}

const best = (runs: UploadRun[]) => runs.reduce((a, b) => (b.ms < a.ms ? b : a));

function writeFiles(dir: string, count: number, make: (index: number) => Buffer, ext: string) {
	fs.mkdirSync(dir, { recursive: true });
	for (let index = 0; index < count; index++) {
		fs.writeFileSync(path.join(dir, `file-${pad(index, 3)}.${ext}`), make(index));
	}
}

/** Distinct bytes per file, so that no layer can get away with caching one answer. */
function stamped(bytes: Buffer, index: number): Buffer {
	const copy = Buffer.from(bytes);
	copy.writeUInt32BE(index, copy.length - 4);
	return copy;
}

/** n8n processes on the machine that are not ours: another user of the shared machine. */
function foreignN8nProcesses(): string[] {
	const ours = new Set(processTree(process.pid));
	const found: string[] = [];
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry) || ours.has(Number(entry))) continue;
		const command = commandLine(Number(entry));
		if (/\bn8n\b/.test(command) && /\bnode\b/.test(command)) found.push(`${entry} ${command}`);
	}
	return found;
}

interface MemoryRun {
	side: Side;
	idle: number;
	/** Seconds from ready to a steady RSS, and whether it got steady at all. */
	idleAfter: string;
	sampledPeak: number;
	hwmPeak: number;
	seconds: number;
	processes: number;
}

/** The `n8n start` process this bench spawned (the only child whose command line says so). */
function serverPid(): number {
	const pid = childrenOf(process.pid).find((child) => / start$/.test(commandLine(child)));
	if (!pid) throw new Error('cannot find the n8n server process');
	return pid;
}

/**
 * Starts the server afresh, lets it settle, then triggers the video workflow by its webhook and
 * watches the memory of the server and its children until the answer comes back.
 */
async function runVideos(n8n: N8nInstance, sandbox: Sandbox, side: Side): Promise<MemoryRun> {
	await n8n.start();
	try {
		const root = serverPid();
		const steady = await steadyTreeRss(root);
		const idle = steady.bytes;
		const tree = processTree(root);
		tree.forEach(resetPeakRss);
		sandbox.clearLog();
		const sampler = startSampling(root);
		const started = Date.now();
		const response = await fetch(`${n8n.url}/webhook/bench-video-${side}`, { method: 'POST' });
		const answer = await response.text();
		const seconds = (Date.now() - started) / 1000;
		const trace = sampler.stop();
		if (!response.ok) throw new Error(`${side} video run answered ${response.status}: ${answer}`);
		const requests = sandbox.log();
		const count = (match: (entry: RequestLogEntry) => boolean) =>
			requests.filter((entry) => match(entry) && succeeded(entry)).length;
		const added = count((entry) => entry.path === '/cgi-bin/material/add_material');
		const described = count((entry) => entry.path === '/cgi-bin/material/get_material');
		const downloaded = count(
			(entry) => !entry.path.startsWith('/cgi-bin/') && entry.method === 'GET' && !entry.tokenCall,
		);
		if ([added, described, downloaded].some((value) => value !== VIDEOS.count)) {
			throw new Error(
				`${side}: ${added} added, ${described} get_material, ${downloaded} downloads; ${VIDEOS.count} each expected`,
			);
		}
		const hwmPeak = [...trace.peaks.values()].reduce((total, peak) => total + peak, 0);
		const run = {
			side,
			idle,
			idleAfter: `${(steady.afterMs / 1000).toFixed(0)} s${
				steady.settled ? '' : ' (still moving)'
			}`,
			sampledPeak: trace.sampledPeak,
			hwmPeak,
			seconds,
			processes: trace.peaks.size,
		};
		log(
			`  ${side}: idle ${mib(idle).toFixed(0)} MiB, peak ${mib(trace.sampledPeak).toFixed(
				0,
			)} MiB sampled (${trace.samples} samples), ${mib(hwmPeak).toFixed(0)} MiB by VmHWM, ${
				trace.peaks.size
			} process(es), ${seconds.toFixed(1)} s`,
		);
		return run;
	} finally {
		await n8n.stop();
	}
}

function machine(nodeBin: string): Record<string, string> {
	const cpus = os.cpus();
	return {
		date: new Date().toISOString(),
		nproc: execFileSync('nproc', { encoding: 'utf8' }).trim(),
		cpu: `${cpus[0]?.model ?? 'unknown'} (${cpus.length} logical)`,
		memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB total, ${(
			os.freemem() /
			1024 ** 3
		).toFixed(1)} GiB free at start`,
		'load average at start': os
			.loadavg()
			.map((load) => load.toFixed(2))
			.join(' '),
		'n8n Node.js': execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim(),
		n8n: N8N_VERSION,
		'bench runner Node.js': process.version,
	};
}

async function main() {
	const startedAt = Date.now();
	const runtime = ensureN8n();
	const info = machine(runtime.nodeBin);
	const foreignAtStart = foreignN8nProcesses();
	const sandbox = await startSandbox();
	const n8n = await createN8nInstance({ sandboxUrl: sandbox.url });
	const foreignSeen = new Set(foreignAtStart);
	const watchForeign = setInterval(
		() => foreignN8nProcesses().forEach((p) => foreignSeen.add(p)),
		2000,
	);
	try {
		log(`n8n user folder ${n8n.userFolder}; writing input files`);
		const jpegImage = jpeg(IMAGES.bytes);
		const jpegTiny = jpeg(TINY.bytes);
		const video = mp4(VIDEOS.bytes);
		writeFiles(
			path.join(n8n.filesDir, 'images'),
			IMAGES.count,
			(i) => stamped(jpegImage, i),
			'jpg',
		);
		writeFiles(path.join(n8n.filesDir, 'tiny'), TINY.count, (i) => stamped(jpegTiny, i), 'jpg');
		writeFiles(path.join(n8n.filesDir, 'videos'), VIDEOS.count, (i) => stamped(video, i), 'mp4');
		const globs = {
			images: path.join(n8n.filesDir, 'images', '*.jpg'),
			tiny: path.join(n8n.filesDir, 'tiny', '*.jpg'),
			videos: path.join(n8n.filesDir, 'videos', '*.mp4'),
		};

		// Every run of our node gets its own credential: planned here, imported in one n8n process.
		const pool = new CredentialPool(
			IMAGES.repeats + SWEEP.values.length * SWEEP.repeats + TINY.repeats + 1,
		);
		log(`importing ${pool.ids.length} credentials and the workflows`);
		await pool.importInto(n8n);

		type Planned = { side: Side; set: 'images' | 'tiny'; concurrency?: number; id?: string };
		const plan: Planned[] = [];
		// Interleaved, the side going first alternating: drift of a shared machine hits both alike.
		for (let repeat = 0; repeat < IMAGES.repeats; repeat++) {
			const order = repeat % 2 === 0 ? SIDES : [...SIDES].reverse();
			order.forEach((side) => plan.push({ side, set: 'images' }));
		}
		for (let repeat = 0; repeat < SWEEP.repeats; repeat++) {
			SWEEP.values.forEach((concurrency) =>
				plan.push({ side: 'weixin', set: 'images', concurrency }),
			);
		}
		for (let repeat = 0; repeat < TINY.repeats; repeat++) {
			const order = repeat % 2 === 0 ? SIDES : [...SIDES].reverse();
			order.forEach((side) => plan.push({ side, set: 'tiny' }));
		}
		const uploadWorkflows = plan.map((run) =>
			run.side === 'weixin'
				? workflow(
						n8n,
						'upload-weixin.json',
						{ FILE_GLOB: globs[run.set], CREDENTIAL_ID: pool.take() },
						run.concurrency,
				  )
				: workflow(n8n, 'upload-http.json', { FILE_GLOB: globs[run.set] }),
		);
		const videoCredential = pool.take();
		const videoWorkflows = {
			weixin: workflow(n8n, 'video-weixin.json', {
				FILE_GLOB: globs.videos,
				CREDENTIAL_ID: videoCredential,
			}),
			http: workflow(n8n, 'video-http.json', { FILE_GLOB: globs.videos }),
		};
		const ids = await n8n.importWorkflows([
			...uploadWorkflows,
			videoWorkflows.weixin,
			videoWorkflows.http,
		]);
		plan.forEach((run, index) => (run.id = ids[index]));
		const videoIds = ids.slice(plan.length);
		for (const id of videoIds) {
			const published = await n8n.cli(['publish:workflow', `--id=${id}`]);
			if (published.code !== 0) throw new Error(`publish:workflow failed:\n${published.stderr}`);
		}

		const runs: Record<'images' | 'tiny', UploadRun[]> = { images: [], tiny: [] };
		for (const run of plan) {
			const settings = run.set === 'images' ? IMAGES : TINY;
			sandbox.setLatency(settings.latencyMs);
			if (run.concurrency === undefined) {
				log(
					`${run.set}: ${settings.count} × ${settings.bytes} B at ${settings.latencyMs} ms, ${run.side}`,
				);
			}
			runs[run.set].push(
				await runUpload(n8n, sandbox, run.id!, run.side, settings.count, run.concurrency),
			);
		}

		sandbox.setLatency(0);
		const memory: MemoryRun[] = [];
		for (const side of SIDES) {
			log(`videos: ${VIDEOS.count} × 10 MB add + get, ${side}, n8n server mode`);
			sandbox.reset();
			memory.push(await runVideos(n8n, sandbox, side));
		}

		const seconds = (Date.now() - startedAt) / 1000;
		const report = buildReport(info, runs, memory, seconds, [...foreignSeen]);
		fs.mkdirSync(RESULTS, { recursive: true });
		fs.writeFileSync(path.join(RESULTS, 'latest.md'), report);
		process.stdout.write(`${report}\n`);
	} finally {
		clearInterval(watchForeign);
		await n8n.cleanup();
		await sandbox.close();
	}
}

const SIDE_NAMES: Record<Side, string> = { weixin: 'Weixin Media', http: 'HTTP Request' };

function memoryLine(run: MemoryRun): string {
	const peaks = [
		`peak ${mib(run.sampledPeak).toFixed(1)} MiB sampled every 50 ms`,
		`${mib(run.hwmPeak).toFixed(1)} MiB by VmHWM (summed over ${run.processes} process(es))`,
	];
	const idle = `idle ${mib(run.idle).toFixed(1)} MiB (steady ${run.idleAfter} after ready)`;
	return `- 2, ${SIDE_NAMES[run.side]}: ${idle}, ${peaks.join(', ')}, ${run.seconds.toFixed(1)} s`;
}

const yesNo = (met: boolean) => (met ? 'yes' : '**no**');

function buildReport(
	info: Record<string, string>,
	runs: Record<'images' | 'tiny', UploadRun[]>,
	memory: MemoryRun[],
	seconds: number,
	foreign: string[],
): string {
	const sideRuns = (set: 'images' | 'tiny', side: Side) =>
		runs[set].filter((run) => run.side === side && run.concurrency === undefined);
	const images = {
		weixin: best(sideRuns('images', 'weixin')),
		http: best(sideRuns('images', 'http')),
	};
	const tiny = { weixin: best(sideRuns('tiny', 'weixin')), http: best(sideRuns('tiny', 'http')) };
	const imageRatio = images.weixin.ms / images.http.ms;
	const tokenCalls = (side: Side) => [
		...new Set(sideRuns('images', side).map((run) => run.tokenCalls)),
	];
	const ourTokenCalls = tokenCalls('weixin');
	const perSecond = (run: UploadRun) => (TINY.count / run.ms) * 1000;
	const tinyRatio = perSecond(tiny.weixin) / perSecond(tiny.http);
	const growth = (run: MemoryRun) => mib(Math.max(run.sampledPeak, run.hwmPeak) - run.idle);
	const [ourMemory, httpMemory] = SIDES.map((side) => memory.find((run) => run.side === side)!);

	const lines = [
		'# Benchmark: Weixin Media node vs n8n HTTP Request nodes',
		'',
		...Object.entries(info).map(([key, value]) => `- ${key}: ${value}`),
		`- whole bench: ${seconds.toFixed(0)} s`,
		`- other n8n processes seen during the bench: ${
			foreign.length === 0 ? 'none (machine otherwise idle)' : foreign.length
		}`,
		...foreign.slice(0, 5).map((line) => `  - ${line.slice(0, 160)}`),
		'',
		'| benchmark | Weixin Media | HTTP Request nodes | ratio / target | met? |',
		'|---|---|---|---|---|',
		`| 1. ${IMAGES.count} × 100 KB image uploads, ${IMAGES.latencyMs} ms latency, best of ${
			IMAGES.repeats
		} | ${images.weixin.ms} ms (Concurrent Requests ${DEFAULT_CONCURRENCY}) | ${
			images.http.ms
		} ms | ${imageRatio.toFixed(2)} / ≤ 1.0 | ${yesNo(imageRatio <= 1)} |`,
		`| 1. token calls per run | ${ourTokenCalls.join(', ')} | ${tokenCalls('http').join(
			', ',
		)} | ours / = 1 | ${yesNo(ourTokenCalls.length === 1 && ourTokenCalls[0] === 1)} |`,
		`| 2. ${VIDEOS.count} × 10 MB video add + get (download), peak RSS above idle | ${growth(
			ourMemory,
		).toFixed(1)} MiB | ${growth(httpMemory).toFixed(
			1,
		)} MiB | ours / < ${MEMORY_TARGET_MIB} MiB | ${yesNo(growth(ourMemory) < MEMORY_TARGET_MIB)} |`,
		`| 3. ${TINY.count} × 1 KB uploads, 0 ms latency, best of ${TINY.repeats} | ${perSecond(
			tiny.weixin,
		).toFixed(0)} items/s (${tiny.weixin.ms} ms) | ${perSecond(tiny.http).toFixed(0)} items/s (${
			tiny.http.ms
		} ms) | ${tinyRatio.toFixed(2)} (ours / theirs) / no target | — |`,
		'',
		'## Concurrent Requests on benchmark 1',
		'',
		`| Concurrent Requests | best ms (of ${IMAGES.repeats} at 16, ${SWEEP.repeats} otherwise) | all runs (ms) | ratio to HTTP Request best (${images.http.ms} ms) |`,
		'|---|---|---|---|',
		...[DEFAULT_CONCURRENCY, ...SWEEP.values].map((concurrency) => {
			const atValue = runs.images.filter(
				(run) => run.side === 'weixin' && (run.concurrency ?? DEFAULT_CONCURRENCY) === concurrency,
			);
			const fastest = best(atValue);
			return `| ${concurrency} | ${fastest.ms} | ${atValue.map((run) => run.ms).join(', ')} | ${(
				fastest.ms / images.http.ms
			).toFixed(2)} |`;
		}),
		'',
		'## Every run',
		'',
		...(['images', 'tiny'] as const).flatMap((set) =>
			SIDES.map((side) => {
				const times = sideRuns(set, side).map((run) => run.ms);
				return `- ${set === 'images' ? 1 : 3}, ${SIDE_NAMES[side]}: ${times.join(', ')} ms`;
			}),
		),
		...memory.map(memoryLine),
		'',
		'## Method',
		'',
		'- Real n8n (the e2e harness: Node 24, filesystem binary mode) against the local WeChat sandbox on 127.0.0.1.',
		'- 1 and 3: one `n8n execute` process per run. Time = the per-node `executionTime` from the run data:',
		'  ours = the Weixin Media node; theirs = `Get token` + `Upload`. Reading the files (Read/Write Files',
		'  from Disk, the same on both sides) is not timed. Runs interleave, the first side alternating, and the',
		'  best run per side counts. Each run of our node uses a fresh credential, so it fetches its token',
		"  like the HTTP Request job does (the token is otherwise kept in n8n's credential store).",
		'- 2: `n8n start`, started afresh for each side; idle = summed VmRSS of the server and its',
		'  children once steady (within 2 MiB for 10 s: n8n gives back ~300 MiB some 20 s after ready);',
		'  VmHWM reset (clear_refs 5) just before the run, which is started by its webhook.',
		'  Peak = max(summed VmRSS sampled every 50 ms, summed VmHWM); growth = peak − idle.',
		'- Token calls and uploads are counted in the sandbox request log; every run is checked for all files.',
		`- Latency alone would cost ours ${Math.ceil(IMAGES.count / DEFAULT_CONCURRENCY)} rounds × ${
			IMAGES.latencyMs
		} ms = ${
			Math.ceil(IMAGES.count / DEFAULT_CONCURRENCY) * IMAGES.latencyMs
		} ms in benchmark 1 (HTTP Request sends all ${
			IMAGES.count
		} at once); time above that is CPU, on ${info.nproc} cores shared by n8n and the sandbox.`,
	];
	return `${lines.join('\n')}\n`;
}

main().catch((error: unknown) => {
	process.stderr.write(
		`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`,
	);
	process.exit(1);
});
