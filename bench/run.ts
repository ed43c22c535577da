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
import { jpeg, mp4, stamped } from '../test/fixtures/media';
import { randomUUID } from 'crypto';
import { SANDBOX_APP, startSandbox, type RequestLogEntry, type Sandbox } from '../test/sandbox';
import { DEFAULT_CONCURRENCY } from '../nodes/WeixinMedia/descriptions/common.description';
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

type Job = 'images' | 'downloads' | 'tiny' | 'tinyDatabase';
interface JobSettings {
	count: number;
	bytes: number;
	latencyMs: number;
	repeats: number;
}
const JOBS: Record<Job, JobSettings> = {
	images: { count: 200, bytes: 100 * 1024, latencyMs: 30, repeats: 3 },
	downloads: { count: 200, bytes: 100 * 1024, latencyMs: 30, repeats: 3 },
	tiny: { count: 300, bytes: 1024, latencyMs: 0, repeats: 3 },
	tinyDatabase: { count: 300, bytes: 1024, latencyMs: 0, repeats: 3 },
};
/** 20 videos of each size; the 1 MB set (our node only) shows whether memory follows file size. */
const VIDEOS = { count: 20, sizes: { large: 10 * 1024 * 1024, small: 1024 * 1024 } };
/** Concurrent Requests values tried besides the default on the 200-image job. */
const SWEEP = { values: [16, 32, 64, 200].filter((value) => value !== DEFAULT_CONCURRENCY), repeats: 1 };
const RATIO_TARGET = 0.85;
const MEMORY_TARGET_MIB = 48;
const FLAT_TARGET_MIB = 16;

type Side = 'weixin' | 'http';
const SIDES: Side[] = ['weixin', 'http'];
/** The nodes whose time is the job's time; getting the inputs (Read files, Split) is left out on both sides. */
const TIMED_NODES: Record<Job, Record<Side, string[]>> = {
	images: { weixin: ['Upload'], http: ['Get token', 'Upload'] },
	tiny: { weixin: ['Upload'], http: ['Get token', 'Upload'] },
	tinyDatabase: { weixin: ['Upload'], http: ['Get token', 'Upload'] },
	downloads: { weixin: ['Download'], http: ['Get token', 'Download'] },
};

interface JobRun {
	job: Job;
	side: Side;
	concurrency?: number;
	ms: number;
	tokenCalls: number;
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
	const suffix = [vars.SET, vars.CREDENTIAL_ID, concurrency && `c${concurrency}`].filter(Boolean).join(' ');
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

/** What each job must leave in the sandbox's log: every file uploaded, or every file fetched. */
const JOB_PATH: Record<Job, string> = {
	images: '/cgi-bin/media/upload',
	tiny: '/cgi-bin/media/upload',
	tinyDatabase: '/cgi-bin/media/upload',
	downloads: '/cgi-bin/media/get',
};
const JOB_OUTPUT_NODE: Record<Job, string> = {
	images: 'Upload',
	tiny: 'Upload',
	tinyDatabase: 'Upload',
	downloads: 'Download',
};

/** Runs one workflow with `n8n execute` and checks that every file was sent, or fetched and stored. */
async function runJob(
	n8n: N8nInstance,
	sandbox: Sandbox,
	workflowId: string,
	job: Job,
	side: Side,
	concurrency?: number,
): Promise<JobRun> {
	const expected = JOBS[job].count;
	sandbox.clearLog();
	const result = await n8n.execute(workflowId);
	if (result.error) {
		throw new Error(`${job}, ${side}: run failed: ${JSON.stringify(result.error).slice(0, 2000)}`);
	}
	const requests = sandbox.log();
	const calls = requests.filter((entry) => entry.path === JOB_PATH[job] && succeeded(entry)).length;
	const items = result.nodes[JOB_OUTPUT_NODE[job]].items.filter((item) =>
		job === 'downloads'
			? (item.binary?.data?.fileSize !== undefined || item.binary?.data?.id !== undefined) &&
				item.binary.data.mimeType === 'image/jpeg'
			: typeof item.json.media_id === 'string',
	);
	if (calls !== expected || items.length !== expected) {
		throw new Error(`${job}, ${side}: ${calls} calls, ${items.length} good items; ${expected} expected`);
	}
	const ms = TIMED_NODES[job][side].reduce((total, node) => total + nodeTime(result.raw, node), 0);
	const run = {
		job,
		side,
		concurrency,
		ms,
		tokenCalls: requests.filter((entry) => entry.tokenCall).length,
	};
	log(`  ${job} ${side}${concurrency ? ` c=${concurrency}` : ''}: ${ms} ms, ${run.tokenCalls} token call(s)`);
	return run;
}

const median = (values: number[]) => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * Uploads `count` images straight to the sandbox (not through n8n) and returns their media_ids: the
 * input of the download job.
 */
async function seedTemporaryImages(sandbox: Sandbox, count: number, image: Buffer): Promise<string[]> {
	const tokenAnswer = await fetch(`${sandbox.url}/cgi-bin/stable_token`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({
			grant_type: 'client_credential',
			appid: SANDBOX_APP.appId,
			secret: SANDBOX_APP.appSecret,
		}),
	});
	const { access_token: token } = (await tokenAnswer.json()) as { access_token: string };
	const ids: string[] = [];
	for (let index = 0; index < count; index++) {
		const form = new FormData();
		form.append('media', new Blob([stamped(image, index)], { type: 'image/jpeg' }), `seed-${index}.jpg`);
		const answer = await fetch(
			`${sandbox.url}/cgi-bin/media/upload?type=image&access_token=${encodeURIComponent(token)}`,
			{ method: 'POST', body: form },
		);
		const json = (await answer.json()) as { media_id?: string; errcode?: number };
		if (!json.media_id) throw new Error(`seeding image ${index} failed: ${JSON.stringify(json)}`);
		ids.push(json.media_id);
	}
	return ids;
}

function writeFiles(dir: string, count: number, make: (index: number) => Buffer, ext: string) {
	fs.mkdirSync(dir, { recursive: true });
	for (let index = 0; index < count; index++) {
		fs.writeFileSync(path.join(dir, `file-${pad(index, 3)}.${ext}`), make(index));
	}
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

type VideoSet = keyof typeof VIDEOS.sizes;
/** `alone`: n8n without either node (Webhook → Read Files → No-op), its own share of a run. */
type MemorySide = Side | 'alone';
/** The earliest idle baseline after `n8n start` (seen giving memory back 10–30 s after ready). */
const FIRST_IDLE_AFTER_MS = 40_000;
/** Each memory workflow runs twice on one fresh server: right after start, and once more. */
type Pass = 'first' | 'second';
const PASSES: Pass[] = ['first', 'second'];

/** Where a run's memory went, from the server's own V8 figures (bench/memwatch.cjs), above idle. */
interface Breakdown {
	youngGeneration: number;
	otherHeap: number;
	arrayBuffers: number;
}

interface MemoryRun {
	side: MemorySide;
	set: VideoSet;
	pass: Pass;
	breakdown?: Breakdown;
	idle: number;
	/** Seconds from ready to a steady RSS, and whether it got steady at all. */
	idleAfter: string;
	sampledPeak: number;
	hwmPeak: number;
	seconds: number;
	processes: number;
}

const growth = (run: MemoryRun) => mib(Math.max(run.sampledPeak, run.hwmPeak) - run.idle);

/** The `n8n start` process this bench spawned (the only child whose command line says so). */
function serverPid(): number {
	const pid = childrenOf(process.pid).find((child) => / start$/.test(commandLine(child)));
	if (!pid) throw new Error('cannot find the n8n server process');
	return pid;
}

const webhookPath = (side: MemorySide, set: VideoSet) => `bench-video-${set}-${side}`;

interface MemwatchSample {
	t: number;
	pid: number;
	rss: number;
	arrayBuffers: number;
	spaces: Record<string, number>;
}

function readMemwatch(file: string, pid: number): MemwatchSample[] {
	if (!fs.existsSync(file)) return [];
	return fs
		.readFileSync(file, 'utf8')
		.split('\n')
		.filter((line) => line !== '')
		.map((line) => JSON.parse(line) as MemwatchSample)
		.filter((sample) => sample.pid === pid);
}

/** Peak above the last sample before `from`, per part: the young generation, the rest of the heap, ArrayBuffers. */
function breakdownOf(samples: MemwatchSample[], from: number, to: number): Breakdown | undefined {
	const before = samples.filter((sample) => sample.t < from).pop();
	const during = samples.filter((sample) => sample.t >= from && sample.t <= to + 100);
	if (!before || during.length === 0) return undefined;
	const young = (sample: MemwatchSample) => sample.spaces.new_space ?? 0;
	const other = (sample: MemwatchSample) =>
		Object.entries(sample.spaces).reduce((total, [name, size]) => (name === 'new_space' ? total : total + size), 0);
	const peakAbove = (part: (sample: MemwatchSample) => number) =>
		Math.max(0, Math.max(...during.map(part)) - part(before));
	return {
		youngGeneration: peakAbove(young),
		otherHeap: peakAbove(other),
		arrayBuffers: peakAbove((sample) => sample.arrayBuffers),
	};
}

/**
 * Starts the server afresh, lets it settle, then triggers the video workflow by its webhook and
 * watches the memory of the server and its children until the answer comes back; twice, letting the
 * server settle in between (the first run after start also pays n8n's and V8's one-off costs).
 */
async function runVideos(
	n8n: N8nInstance,
	sandbox: Sandbox,
	side: MemorySide,
	set: VideoSet,
): Promise<MemoryRun[]> {
	const memwatchFile = path.join(n8n.userFolder, `memwatch-${side}-${set}.jsonl`);
	const previousOptions = n8n.env.NODE_OPTIONS;
	n8n.env.NODE_OPTIONS = `--require ${path.join(__dirname, 'memwatch.cjs')}`;
	n8n.env.BENCH_MEMWATCH_FILE = memwatchFile;
	try {
		await n8n.start();
	} finally {
		n8n.env.NODE_OPTIONS = previousOptions;
		delete n8n.env.BENCH_MEMWATCH_FILE;
	}
	const runs: MemoryRun[] = [];
	try {
		const root = serverPid();
		for (const pass of PASSES) runs.push(await runVideosOnce(n8n, sandbox, root, side, set, pass, memwatchFile));
		return runs;
	} finally {
		await n8n.stop();
	}
}

async function runVideosOnce(
	n8n: N8nInstance,
	sandbox: Sandbox,
	root: number,
	side: MemorySide,
	set: VideoSet,
	pass: Pass,
	memwatchFile: string,
): Promise<MemoryRun> {
	// After start, n8n gives back ~300 MiB at some point in its first half minute: a calm before
	// that is no idle.
	const steady = await steadyTreeRss(root, { minMs: pass === 'first' ? FIRST_IDLE_AFTER_MS : 0 });
	const idle = steady.bytes;
	const tree = processTree(root);
	tree.forEach(resetPeakRss);
	sandbox.clearLog();
	const sampler = startSampling(root);
	const started = Date.now();
	const response = await fetch(`${n8n.url}/webhook/${webhookPath(side, set)}`, { method: 'POST' });
	const answer = await response.text();
	const ended = Date.now();
	const seconds = (ended - started) / 1000;
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
	const expected = side === 'alone' ? 0 : VIDEOS.count;
	if ([added, described, downloaded].some((value) => value !== expected)) {
		throw new Error(
			`${side}: ${added} added, ${described} get_material, ${downloaded} downloads; ${expected} each expected`,
		);
	}
	const hwmPeak = [...trace.peaks.values()].reduce((total, peak) => total + peak, 0);
	const run = {
		side,
		set,
		pass,
		breakdown: breakdownOf(readMemwatch(memwatchFile, root), started, ended),
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
		`  ${side}, ${set}, ${pass} run: idle ${mib(idle).toFixed(0)} MiB, peak ${mib(trace.sampledPeak).toFixed(
			0,
		)} MiB sampled (${trace.samples} samples), ${mib(hwmPeak).toFixed(0)} MiB by VmHWM, ${
			trace.peaks.size
		} process(es), ${seconds.toFixed(1)} s, growth ${growth(run).toFixed(1)} MiB`,
	);
	return run;
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

interface PlannedRun {
	job: Job;
	side: Side;
	concurrency?: number;
	id?: string;
	/** Run once before the timed runs and left out of the results. */
	warmUp?: boolean;
}

/**
 * One untimed run per side before the timed ones: the first `n8n execute` on an instance meets cold
 * caches (n8n's modules, the database, the files), and it always fell to the side going first.
 */
function warmUps(job: Job): PlannedRun[] {
	return SIDES.map((side) => ({ job, side, warmUp: true }));
}

/** Interleaved, the side going first alternating: drift of a shared machine hits both alike. */
function interleaved(job: Job): PlannedRun[] {
	const runs: PlannedRun[] = [];
	for (let repeat = 0; repeat < JOBS[job].repeats; repeat++) {
		const order = repeat % 2 === 0 ? SIDES : [...SIDES].reverse();
		order.forEach((side) => runs.push({ job, side }));
	}
	return runs;
}

const JOB_FILES: Record<Job, string> = {
	images: 'upload',
	tiny: 'upload',
	tinyDatabase: 'upload',
	downloads: 'download',
};

async function main() {
	const startedAt = Date.now();
	const runtime = ensureN8n();
	const info = machine(runtime.nodeBin);
	const foreignAtStart = foreignN8nProcesses();
	const sandbox = await startSandbox();
	const n8n = await createN8nInstance({ sandboxUrl: sandbox.url });
	// Queue-mode users keep binary data in the database: the per-item job once more in that mode.
	const n8nDatabase = await createN8nInstance({
		sandboxUrl: sandbox.url,
		env: { N8N_DEFAULT_BINARY_DATA_MODE: 'database' },
	});
	const foreignSeen = new Set(foreignAtStart);
	const watchForeign = setInterval(
		() => foreignN8nProcesses().forEach((p) => foreignSeen.add(p)),
		2000,
	);
	try {
		log(`n8n user folders ${n8n.userFolder}, ${n8nDatabase.userFolder}; writing input files`);
		const jpegImage = jpeg(JOBS.images.bytes);
		const jpegTiny = jpeg(JOBS.tiny.bytes);
		writeFiles(path.join(n8n.filesDir, 'images'), JOBS.images.count, (i) => stamped(jpegImage, i), 'jpg');
		for (const instance of [n8n, n8nDatabase]) {
			writeFiles(path.join(instance.filesDir, 'tiny'), JOBS.tiny.count, (i) => stamped(jpegTiny, i), 'jpg');
		}
		for (const [set, bytes] of Object.entries(VIDEOS.sizes)) {
			const video = mp4(bytes);
			writeFiles(path.join(n8n.filesDir, `videos-${set}`), VIDEOS.count, (i) => stamped(video, i), 'mp4');
		}
		const globs: Record<Job, string> = {
			images: path.join(n8n.filesDir, 'images', '*.jpg'),
			tiny: path.join(n8n.filesDir, 'tiny', '*.jpg'),
			tinyDatabase: path.join(n8nDatabase.filesDir, 'tiny', '*.jpg'),
			downloads: '',
		};
		sandbox.setLatency(0);
		const mediaIds = await seedTemporaryImages(
			sandbox,
			JOBS.downloads.count,
			jpeg(JOBS.downloads.bytes),
		);
		const mediaIdsJson = JSON.stringify({ ids: mediaIds.map((id) => ({ media_id: id })) });

		const plan: PlannedRun[] = [...warmUps('images'), ...interleaved('images')];
		for (let repeat = 0; repeat < SWEEP.repeats; repeat++) {
			SWEEP.values.forEach((concurrency) => plan.push({ job: 'images', side: 'weixin', concurrency }));
		}
		plan.push(...interleaved('downloads'), ...interleaved('tiny'));
		const databasePlan = [...warmUps('tinyDatabase'), ...interleaved('tinyDatabase')];

		// Every run of our node gets its own credential, so it starts without a token, like HTTP's job.
		const videoSets = Object.keys(VIDEOS.sizes) as VideoSet[];
		const pool = new CredentialPool(
			plan.filter((run) => run.side === 'weixin').length + videoSets.length,
		);
		const databasePool = new CredentialPool(databasePlan.filter((run) => run.side === 'weixin').length);
		log(`importing credentials and workflows`);
		await pool.importInto(n8n);
		await databasePool.importInto(n8nDatabase);
		const fill = (instance: N8nInstance, run: PlannedRun, credentials: CredentialPool) =>
			workflow(
				instance,
				`${JOB_FILES[run.job]}-${run.side}.json`,
				{
					FILE_GLOB: globs[run.job],
					MEDIA_IDS: mediaIdsJson,
					CREDENTIAL_ID: run.side === 'weixin' ? credentials.take() : '',
				},
				run.concurrency,
			);
		const jobWorkflows = plan.map((run) => fill(n8n, run, pool));
		// Our node at its default settings in both sets; HTTP Request's job for the 10 MB set.
		const videoRuns: Array<{ side: MemorySide; set: VideoSet }> = [
			{ side: 'weixin', set: 'large' },
			{ side: 'http', set: 'large' },
			{ side: 'weixin', set: 'small' },
			{ side: 'alone', set: 'large' },
		];
		const videoWorkflows = videoRuns.map(({ side, set }) =>
			workflow(n8n, `video-${side}.json`, {
				FILE_GLOB: path.join(n8n.filesDir, `videos-${set}`, '*.mp4'),
				CREDENTIAL_ID: side === 'weixin' ? pool.take() : '',
				WEBHOOK_PATH: webhookPath(side, set),
				WEBHOOK_ID: randomUUID(),
				SET: set,
			}),
		);
		const ids = await n8n.importWorkflows([...jobWorkflows, ...videoWorkflows]);
		plan.forEach((run, index) => (run.id = ids[index]));
		for (const id of ids.slice(plan.length)) {
			const published = await n8n.cli(['publish:workflow', `--id=${id}`]);
			if (published.code !== 0) throw new Error(`publish:workflow failed:\n${published.stderr}`);
		}
		const databaseIds = await n8nDatabase.importWorkflows(
			databasePlan.map((run) => fill(n8nDatabase, run, databasePool)),
		);
		databasePlan.forEach((run, index) => (run.id = databaseIds[index]));

		const runs: JobRun[] = [];
		for (const [instance, runPlan] of [
			[n8n, plan],
			[n8nDatabase, databasePlan],
		] as const) {
			for (const run of runPlan) {
				const settings = JOBS[run.job];
				sandbox.setLatency(settings.latencyMs);
				if (run.concurrency === undefined) {
					log(`${run.job}: ${settings.count} × ${settings.bytes} B at ${settings.latencyMs} ms, ${run.side}${run.warmUp ? ' (warm-up, untimed)' : ''}`);
				}
				const done = await runJob(instance, sandbox, run.id!, run.job, run.side, run.concurrency);
				if (!run.warmUp) runs.push(done);
			}
		}

		sandbox.setLatency(0);
		const memory: MemoryRun[] = [];
		for (const { side, set } of videoRuns) {
			log(`videos: ${VIDEOS.count} × ${mib(VIDEOS.sizes[set])} MiB add + get, ${side}, n8n server mode`);
			sandbox.reset();
			memory.push(...(await runVideos(n8n, sandbox, side, set)));
		}

		const seconds = (Date.now() - startedAt) / 1000;
		const report = buildReport(info, runs, memory, seconds, [...foreignSeen]);
		fs.mkdirSync(RESULTS, { recursive: true });
		fs.writeFileSync(path.join(RESULTS, 'latest.md'), report);
		process.stdout.write(`${report}\n`);
	} finally {
		clearInterval(watchForeign);
		await n8n.cleanup();
		await n8nDatabase.cleanup();
		await sandbox.close();
	}
}

const SIDE_NAMES: Record<MemorySide, string> = {
	weixin: 'Weixin Media',
	http: 'HTTP Request',
	alone: 'n8n alone (Webhook → Read Files → No-op)',
};

function breakdownText(breakdown: Breakdown | undefined): string {
	if (!breakdown) return '';
	return `; server's main thread above idle at its peak: young generation +${mib(breakdown.youngGeneration).toFixed(
		1,
	)} MiB, rest of the V8 heap +${mib(breakdown.otherHeap).toFixed(1)} MiB, ArrayBuffers (file chunks, live or awaiting GC) +${mib(
		breakdown.arrayBuffers,
	).toFixed(1)} MiB`;
}

function memoryLine(run: MemoryRun): string {
	const peaks = [
		`peak ${mib(run.sampledPeak).toFixed(1)} MiB sampled every 50 ms`,
		`${mib(run.hwmPeak).toFixed(1)} MiB by VmHWM (summed over ${run.processes} process(es))`,
	];
	const idle = `idle ${mib(run.idle).toFixed(1)} MiB (steady ${run.idleAfter} after ready)`;
	return `- 2. ${SIDE_NAMES[run.side]}, ${VIDEOS.count} × ${mib(VIDEOS.sizes[run.set])} MiB, ${run.pass} run: ${idle}, ${peaks.join(', ')}, growth ${growth(run).toFixed(1)} MiB, ${run.seconds.toFixed(1)} s${breakdownText(run.breakdown)}`;
}

const yesNo = (met: boolean) => (met ? 'yes' : '**no**');

const JOB_TITLES: Record<Job, string> = {
	images: `1. ${JOBS.images.count} × 100 KB image uploads (Temporary Media → Upload), ${JOBS.images.latencyMs} ms latency`,
	downloads: `3. ${JOBS.downloads.count} × 100 KB downloads (Temporary Media → Get), ${JOBS.downloads.latencyMs} ms latency`,
	tiny: `4. ${JOBS.tiny.count} × 1 KB uploads, 0 ms latency, filesystem binary mode`,
	tinyDatabase: `4. ${JOBS.tinyDatabase.count} × 1 KB uploads, 0 ms latency, database binary mode`,
};

const JOB_LABELS: Record<Job, string> = {
	images: '1. uploads',
	downloads: '3. downloads',
	tiny: '4. 1 KB uploads, filesystem mode',
	tinyDatabase: '4. 1 KB uploads, database mode',
};

function buildReport(
	info: Record<string, string>,
	runs: JobRun[],
	memory: MemoryRun[],
	seconds: number,
	foreign: string[],
): string {
	const sideRuns = (job: Job, side: Side) =>
		runs.filter((run) => run.job === job && run.side === side && run.concurrency === undefined);
	const times = (job: Job, side: Side) => sideRuns(job, side).map((run) => run.ms);
	const medianMs = (job: Job, side: Side) => median(times(job, side));
	/** Ours / theirs for each interleaved pair, and for the medians. */
	const ratios = (job: Job) => {
		const ours = times(job, 'weixin');
		const theirs = times(job, 'http');
		const pairs = ours.map((ms, index) => ms / theirs[index]);
		return { median: medianMs(job, 'weixin') / medianMs(job, 'http'), worst: Math.max(...pairs) };
	};
	const tokenCalls = (job: Job, side: Side) => [...new Set(sideRuns(job, side).map((run) => run.tokenCalls))];
	const oneTokenCall = (job: Job) => {
		const calls = tokenCalls(job, 'weixin');
		return calls.length === 1 && calls[0] === 1;
	};
	const msCell = (job: Job, side: Side) =>
		`${medianMs(job, side).toFixed(0)} ms median (${times(job, side).join(', ')})`;
	const ratioRow = (job: Job) => {
		const ratio = ratios(job);
		const met = ratio.median <= RATIO_TARGET && ratio.worst <= RATIO_TARGET;
		return `| ${JOB_TITLES[job]}, ${JOBS[job].repeats} runs each | ${msCell(job, 'weixin')} | ${msCell(
			job,
			'http',
		)} | ${ratio.median.toFixed(2)} (worst pair ${ratio.worst.toFixed(2)}) / ≤ ${RATIO_TARGET} | ${yesNo(met)} |`;
	};
	const tokenRow = (job: Job, label: string) =>
		`| ${label} token calls per run | ${tokenCalls(job, 'weixin').join(', ')} | ${tokenCalls(job, 'http').join(
			', ',
		)} | ours = 1 | ${yesNo(oneTokenCall(job))} |`;
	const perSecond = (job: Job, side: Side) => (JOBS[job].count / medianMs(job, side)) * 1000;
	const rateRow = (job: Job) =>
		`| ${JOB_TITLES[job]}, ${JOBS[job].repeats} runs each | ${perSecond(job, 'weixin').toFixed(0)} items/s (${msCell(
			job,
			'weixin',
		)}) | ${perSecond(job, 'http').toFixed(0)} items/s (${msCell(job, 'http')}) | ${(
			perSecond(job, 'weixin') / perSecond(job, 'http')
		).toFixed(2)} (ours / theirs) / no target | — |`;
	const grown = (side: MemorySide, set: VideoSet, pass: Pass) =>
		growth(memory.find((run) => run.side === side && run.set === set && run.pass === pass)!);
	const ourLarge = grown('weixin', 'large', 'second');
	const ourSmall = grown('weixin', 'small', 'second');
	const theirLarge = grown('http', 'large', 'second');
	const firstRun = (side: MemorySide, set: VideoSet) =>
		`${grown(side, set, 'first').toFixed(1)} MiB`;
	const defaultRuns = times('images', 'weixin');

	const lines = [
		'# Benchmark: Weixin Media node vs n8n HTTP Request nodes',
		'',
		...Object.entries(info).map(([key, value]) => `- ${key}: ${value}`),
		`- whole bench: ${seconds.toFixed(0)} s`,
		`- other n8n processes seen during the bench: ${
			foreign.length === 0 ? 'none' : foreign.length
		}`,
		...foreign.slice(0, 5).map((line) => `  - ${line.slice(0, 160)}`),
		'',
		`Our node at its defaults (Concurrent Requests ${DEFAULT_CONCURRENCY}); HTTP Request nodes at theirs.`,
		'',
		'| benchmark | Weixin Media | HTTP Request nodes | ratio / target | met? |',
		'|---|---|---|---|---|',
		ratioRow('images'),
		tokenRow('images', '1.'),
		`| 2. ${VIDEOS.count} × 10 MB video add + get (download), peak RSS above idle: second run on the server (first run after start) | ${ourLarge.toFixed(
			1,
		)} MiB (${firstRun('weixin', 'large')}) | ${theirLarge.toFixed(1)} MiB (${firstRun(
			'http',
			'large',
		)}) | ours ≤ ${MEMORY_TARGET_MIB} MiB, second run | ${yesNo(ourLarge <= MEMORY_TARGET_MIB)} |`,
		`| 2. the same with ${VIDEOS.count} × 1 MB: growth, and 10 MB minus 1 MB, second runs (first runs) | ${ourSmall.toFixed(
			1,
		)} MiB (${firstRun('weixin', 'small')}); difference ${(ourLarge - ourSmall).toFixed(1)} MiB (${(
			grown('weixin', 'large', 'first') - grown('weixin', 'small', 'first')
		).toFixed(1)} MiB) | — | difference ≤ ${FLAT_TARGET_MIB} MiB, second runs | ${yesNo(
			ourLarge - ourSmall <= FLAT_TARGET_MIB,
		)} |`,
		`| 2. n8n alone: the same Webhook and Read Files of the ${VIDEOS.count} × 10 MB, then a No-op: second run (first run) | ${grown('alone', 'large', 'second').toFixed(1)} MiB (${firstRun('alone', 'large')}) | — | no target: n8n's own share | — |`,
		ratioRow('downloads'),
		tokenRow('downloads', '3.'),
		rateRow('tiny'),
		rateRow('tinyDatabase'),
		'',
		'## Concurrent Requests on benchmark 1',
		'',
		`| Concurrent Requests | median ms | all runs (ms) | ratio to HTTP Request median (${medianMs(
			'images',
			'http',
		).toFixed(0)} ms) |`,
		'|---|---|---|---|',
		...[DEFAULT_CONCURRENCY, ...SWEEP.values]
			.sort((a, b) => a - b)
			.map((concurrency) => {
				const atValue =
					concurrency === DEFAULT_CONCURRENCY
						? defaultRuns
						: runs
								.filter((run) => run.job === 'images' && run.concurrency === concurrency)
								.map((run) => run.ms);
				const label = concurrency === DEFAULT_CONCURRENCY ? `${concurrency} (default)` : `${concurrency}`;
				return `| ${label} | ${median(atValue).toFixed(0)} | ${atValue.join(', ')} | ${(
					median(atValue) / medianMs('images', 'http')
				).toFixed(2)} |`;
			}),
		'',
		'## Every run',
		'',
		...(['images', 'downloads', 'tiny', 'tinyDatabase'] as const).flatMap((job) =>
			SIDES.map((side) => `- ${JOB_LABELS[job]}, ${SIDE_NAMES[side]}: ${times(job, side).join(', ')} ms`),
		),
		...memory.map(memoryLine),
		'',
		'## Method',
		'',
		'- Real n8n (the e2e harness: Node 24, filesystem binary mode unless said) against the local WeChat sandbox on 127.0.0.1.',
		'- 1, 3 and 4: one `n8n execute` process per run. Time = the per-node `executionTime` from the run data:',
		'  ours = the Weixin Media node; theirs = `Get token` + the HTTP Request node doing the job. Getting the',
		'  inputs (Read/Write Files from Disk, or Edit Fields + Split Out of the media_ids; the same on both',
		'  sides) is not timed. Runs interleave, the first side alternating; the table gives the median of the',
		'  runs per side and the worst interleaved pair, and every run is listed. Each run of our node uses a',
		"  fresh credential, so it fetches its token like the HTTP Request job does (the token is otherwise kept",
		"  in n8n's credential store). Before the timed runs of benchmark 1 and of the database-mode job, each",
		'  side runs once untimed: the first `n8n execute` on an instance meets cold caches.',
		'- 3: the 200 images are uploaded to the sandbox beforehand; both sides GET `media/get` per media_id and',
		'  store the file as binary data (HTTP Request: Response Format File).',
		'- 2: `n8n start`, started afresh for each workflow, which then runs twice by its webhook: the first run',
		"  after start also pays one-off costs (n8n's first execution, V8 growing its young generation, code",
		'  compiled on first use); the second run is what a server that has been up a while needs. Idle =',
		'  summed VmRSS of the server and its children once steady (within 2 MiB for 10 s, and not before',
		`  ${FIRST_IDLE_AFTER_MS / 1000} s after ready: n8n gives back ~300 MiB 10–30 s after ready), before each run; VmHWM reset`,
		'  (clear_refs 5) just before each run.',
		'  Peak = max(summed VmRSS sampled every 50 ms, summed VmHWM); growth = peak − idle. The breakdown',
		"  comes from the server's own V8 figures every 50 ms (bench/memwatch.cjs, preloaded): parts need not",
		'  add up to the RSS growth (freed memory is reused before the process grows).',
		'- Token calls and files are counted in the sandbox request log; every run is checked for all files.',
		`- Latency alone costs ours ${Math.ceil(JOBS.images.count / DEFAULT_CONCURRENCY)} round(s) × ${
			JOBS.images.latencyMs
		} ms in benchmark 1 (HTTP Request sends all ${
			JOBS.images.count
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
