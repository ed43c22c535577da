/**
 * Where the CPU of benchmark 1 goes, independent of wall time (so it can be read on a busy machine):
 * each job runs once in `n8n execute` under `--cpu-prof`, and the profile's samples inside the timed
 * node's window are split by the code they were in (our package, n8n, form-data, axios, Node itself,
 * garbage collection). Run with `npm run bench:profile [-- weixin http weixin:200 download ...]`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {
	CREDENTIAL_TYPE,
	createN8nInstance,
	ensureN8n,
	fillPlaceholders,
	type N8nInstance,
} from '../test/e2e/n8n';
import { jpeg, stamped } from '../test/fixtures/media';
import { SANDBOX_APP, startSandbox } from '../test/sandbox';

const WORKFLOWS = path.join(__dirname, 'workflows');
const ITEMS = 200;
const BYTES = 100 * 1024;
const LATENCY_MS = 30;

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string };
	children?: number[];
}
interface CpuProfile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
}

/** Which code a frame belongs to, by its script URL. */
function category(frame: ProfileNode['callFrame']): string {
	const { url, functionName } = frame;
	if (url === '') {
		if (/^\((garbage collector|idle|program)\)$/.test(functionName)) return functionName;
		return 'native (V8 builtins, C++)';
	}
	if (url.includes('/n8n-nodes-weixin-media/')) return 'ours (n8n-nodes-weixin-media)';
	if (/node_modules\/(form-data|combined-stream|delayed-stream|asynckit|mime-types|mime-db)\//.test(url)) return 'form-data';
	if (/node_modules\/(axios|follow-redirects|proxy-from-env)\//.test(url)) return 'axios';
	if (url.includes('/n8n-nodes-base/')) return 'n8n-nodes-base (HTTP Request etc.)';
	if (/node_modules\/(n8n-core|n8n-workflow|@n8n\/[^/]+|n8n)\//.test(url)) return 'n8n (core, workflow, cli)';
	if (/node_modules\/(typeorm|sqlite3|@sentry)/.test(url)) return 'database/sentry';
	if (url.startsWith('node:')) return 'Node.js (node:*)';
	const module = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
	return module ? `other: ${module[1]}` : `other: ${path.basename(url)}`;
}

/** Frames of a node's run (not of loading its module: top-level code and description builders). */
export interface Markers {
	node: (frame: ProfileNode['callFrame']) => boolean;
	/** The node that reads the files, which runs just before the timed node. */
	before: (frame: ProfileNode['callFrame']) => boolean;
	/** The timed node also ran once before the reading node (HTTP Request's Get token). */
	alsoBefore?: boolean;
}

/**
 * Sums the samples of the timed node's window by category: from the last sample of the reading node
 * to the last sample with the timed node on the stack (plus, for the HTTP job, from its first sample
 * to the reading node's first: the Get token call).
 */
export function splitProfile(profile: CpuProfile, markers: Markers) {
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const parent = new Map<number, number>();
	for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
	const onStack = (test: (frame: ProfileNode['callFrame']) => boolean) => {
		const memo = new Map<number, boolean>();
		const check = (id: number): boolean => {
			const known = memo.get(id);
			if (known !== undefined) return known;
			const result = test(byId.get(id)!.callFrame) || (parent.has(id) && check(parent.get(id)!));
			memo.set(id, result);
			return result;
		};
		return profile.samples.map((id) => check(id));
	};
	const inNode = onStack(markers.node);
	const inBefore = onStack(markers.before);
	const end = inNode.lastIndexOf(true);
	const start = inBefore.lastIndexOf(true, end);
	const ranges: Array<[number, number]> = [[start + 1, end]];
	if (markers.alsoBefore) {
		const first = inNode.indexOf(true);
		ranges.push([first, inBefore.indexOf(true, first) - 1]);
	}
	const totals = new Map<string, number>();
	let windowUs = 0;
	for (const [from, to] of ranges) {
		for (let index = from; index <= to; index++) {
			const delta = profile.timeDeltas[index + 1] ?? 0;
			windowUs += delta;
			const name = category(byId.get(profile.samples[index])!.callFrame);
			totals.set(name, (totals.get(name) ?? 0) + delta);
		}
	}
	return { windowUs, totals };
}

const RUNTIME = /^(router|videoItem|fileItem|worker|forEachConcurrently|execute|callWeixin|send|uploadMedia|prepareUpload|uploadEachFile|weixinRequest|weixinDownload|readDownload|classifyDownload|storeDownload|downloadByMediaId|guardedChunks|build|closeAll|checkMedia)$/;
const MARKERS: Record<'weixin' | 'http', Markers> = {
	weixin: {
		node: (frame) => frame.url.includes('/n8n-nodes-weixin-media/dist/') && RUNTIME.test(frame.functionName),
		before: (frame) => /\/(ReadWriteFile|SplitOut)\//.test(frame.url) && frame.functionName !== '',
	},
	http: {
		node: (frame) => /\/HttpRequest\//.test(frame.url) && frame.functionName === 'execute',
		before: (frame) => /\/(ReadWriteFile|SplitOut)\//.test(frame.url) && frame.functionName !== '',
		alsoBefore: true,
	},
};

function newestProfile(dir: string, before: Set<string>): CpuProfile {
	const fresh = fs
		.readdirSync(dir)
		.filter((name) => name.endsWith('.cpuprofile') && !before.has(name))
		.map((name) => path.join(dir, name));
	// The execute process is the one that ran the workflow (the task runner's profile is tiny).
	const largest = fresh.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
	if (!largest) throw new Error('no CPU profile was written');
	return JSON.parse(fs.readFileSync(largest, 'utf8')) as CpuProfile;
}

function printSplit(title: string, profile: CpuProfile, job: string) {
	const { windowUs, totals } = splitProfile(profile, MARKERS[job.startsWith('http') ? 'http' : 'weixin']);
	const busy = [...totals].filter(([name]) => name !== '(idle)').reduce((t, [, us]) => t + us, 0);
	process.stdout.write(
		`\n${title}; node window ${(windowUs / 1000).toFixed(0)} ms, CPU in it ${(busy / 1000).toFixed(0)} ms = ${(busy / ITEMS).toFixed(0)} µs per item\n`,
	);
	for (const [name, us] of [...totals].sort((x, y) => y[1] - x[1])) {
		if (us < 0.002 * windowUs) continue;
		process.stdout.write(
			`  ${name.padEnd(36)} ${(us / 1000).toFixed(1).padStart(8)} ms ${(us / ITEMS).toFixed(0).padStart(6)} µs/item ${((100 * us) / windowUs).toFixed(1).padStart(5)} %\n`,
		);
	}
}

/** The download jobs' input: images uploaded straight to the sandbox. */
async function seedImages(url: string, image: Buffer): Promise<string[]> {
	const answer = await fetch(`${url}/cgi-bin/stable_token`, {
		method: 'POST',
		body: JSON.stringify({ grant_type: 'client_credential', appid: SANDBOX_APP.appId, secret: SANDBOX_APP.appSecret }),
	});
	const { access_token: token } = (await answer.json()) as { access_token: string };
	const ids: string[] = [];
	for (let index = 0; index < ITEMS; index++) {
		const form = new FormData();
		form.append('media', new Blob([image], { type: 'image/jpeg' }), `seed-${index}.jpg`);
		const upload = await fetch(`${url}/cgi-bin/media/upload?type=image&access_token=${token}`, { method: 'POST', body: form });
		ids.push(((await upload.json()) as { media_id: string }).media_id);
	}
	return ids;
}

async function main() {
	if (process.argv[2] === '--analyse') {
		for (const file of process.argv.slice(4)) {
			printSplit(path.basename(file), JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile, process.argv[3]);
		}
		return;
	}
	const jobs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['weixin', 'http'];
	ensureN8n();
	const sandbox = await startSandbox();
	sandbox.setLatency(LATENCY_MS);
	const n8n: N8nInstance = await createN8nInstance({ sandboxUrl: sandbox.url });
	const profiles = fs.mkdtempSync(path.join(os.tmpdir(), 'wx-cpuprof-'));
	try {
		const images = path.join(n8n.filesDir, 'images');
		fs.mkdirSync(images, { recursive: true });
		const image = jpeg(BYTES);
		for (let index = 0; index < ITEMS; index++) {
			fs.writeFileSync(path.join(images, `file-${String(index).padStart(3, '0')}.jpg`), stamped(image, index));
		}
		const credentials = jobs.map((_job, index) => ({
			id: `wxProfCred${String(index).padStart(6, '0')}`,
			name: `profile ${index}`,
			type: CREDENTIAL_TYPE,
			data: {
				appId: SANDBOX_APP.appId,
				appSecret: SANDBOX_APP.appSecret,
				tokenEndpoint: 'stable',
				baseUrl: sandbox.url,
			},
		}));
		const file = path.join(n8n.userFolder, 'credentials.json');
		fs.writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
		await n8n.cli(['import:credentials', `--input=${file}`]);
		fs.rmSync(file);
		const mediaIds = jobs.some((job) => job.startsWith('download')) ? await seedImages(sandbox.url, image) : [];
		const workflows = jobs.map((job, index) => {
			const [name, concurrency] = job.split(':');
			const [kind, side] = name.startsWith('download') ? ['download', name.split('-')[1]] : ['upload', name];
			const source = JSON.parse(fs.readFileSync(path.join(WORKFLOWS, `${kind}-${side}.json`), 'utf8'));
			const filled = fillPlaceholders(source, {
				...n8n.vars,
				APP_ID: SANDBOX_APP.appId,
				APP_SECRET: SANDBOX_APP.appSecret,
				CREDENTIAL_ID: credentials[index].id,
				FILE_GLOB: path.join(images, '*.jpg'),
				MEDIA_IDS: JSON.stringify({ ids: mediaIds.map((id) => ({ media_id: id })) }),
			}) as { name: string; nodes: Array<{ type: string; parameters: Record<string, unknown> }> };
			if (concurrency) {
				for (const node of filled.nodes) {
					if (node.type.endsWith('.weixinMedia')) node.parameters.options = { concurrency: Number(concurrency) };
				}
			}
			return { ...filled, name: `${filled.name} ${job} ${index}` };
		});
		const ids = await n8n.importWorkflows(workflows);
		n8n.env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${profiles} --cpu-prof-interval=250`;
		for (const [index, job] of jobs.entries()) {
			const before = new Set(fs.readdirSync(profiles));
			sandbox.clearLog();
			const result = await n8n.execute(ids[index]);
			if (result.error) throw new Error(`${job} failed: ${JSON.stringify(result.error).slice(0, 500)}`);
			const path_ = job.startsWith('download') ? '/cgi-bin/media/get' : '/cgi-bin/media/upload';
			const uploads = sandbox.log().filter((entry) => entry.path === path_ && entry.status === 200).length;
			const profile = newestProfile(profiles, before);
			printSplit(`${job}: ${uploads} uploads, ${sandbox.tokenCalls()} token call(s)`, profile, job);
		}
	} finally {
		if (!process.env.KEEP_PROFILES) fs.rmSync(profiles, { recursive: true, force: true });
		else process.stdout.write(`profiles kept in ${profiles}\n`);
		await n8n.cleanup();
		await sandbox.close();
	}
}

if (require.main === module) {
	main().catch((error: unknown) => {
		process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
		process.exit(1);
	});
}
