/**
 * Resident memory of a process and everything it spawned (n8n's task runners), read from /proc.
 * Linux only, like the rest of the bench.
 */
import * as fs from 'fs';

const KIB = 1024;

/** pid → parent pid for every process visible now. */
function parentsByPid(): Map<number, number> {
	const parents = new Map<number, number>();
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
			// The command name is in parentheses and may hold spaces: fields start after the last ')'.
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			parents.set(Number(entry), Number(fields[1]));
		} catch {
			// The process ended while the list was read.
		}
	}
	return parents;
}

/** `root` and all its descendants that are alive now. */
export function processTree(root: number): number[] {
	const parents = parentsByPid();
	const tree = [root];
	for (let index = 0; index < tree.length; index++) {
		for (const [pid, parent] of parents) if (parent === tree[index]) tree.push(pid);
	}
	return tree.filter((pid) => parents.has(pid));
}

export function childrenOf(parent: number): number[] {
	return [...parentsByPid()].filter(([, ppid]) => ppid === parent).map(([pid]) => pid);
}

export function commandLine(pid: number): string {
	try {
		return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
	} catch {
		return '';
	}
}

/** A field of /proc/<pid>/status in bytes (VmRSS, VmHWM), 0 when the process is gone. */
function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
	try {
		const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
		const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
		return match ? Number(match[1]) * KIB : 0;
	} catch {
		return 0;
	}
}

export const rssOf = (pid: number) => statusBytes(pid, 'VmRSS');
export const peakRssOf = (pid: number) => statusBytes(pid, 'VmHWM');

export function treeRss(root: number): number {
	return processTree(root).reduce((total, pid) => total + rssOf(pid), 0);
}

/** Sets VmHWM back to the current RSS (Linux clear_refs "5"), so the peak covers only what follows. */
export function resetPeakRss(pid: number): void {
	fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

export interface MemoryTrace {
	/** Highest sum of VmRSS over the tree seen by the sampler. */
	sampledPeak: number;
	samples: number;
	/** Every pid seen in the tree while sampling, with its VmHWM at the end (0 if it ended). */
	peaks: Map<number, number>;
}

/**
 * Samples the tree's summed VmRSS every `intervalMs` until `stop()`. A sample can miss a short spike
 * (and the timer slips when the event loop is busy), which is why the VmHWM per process is read too.
 */
export function startSampling(root: number, intervalMs = 50): { stop(): MemoryTrace } {
	let sampledPeak = 0;
	let samples = 0;
	const seen = new Set<number>();
	const sample = () => {
		const tree = processTree(root);
		tree.forEach((pid) => seen.add(pid));
		sampledPeak = Math.max(
			sampledPeak,
			tree.reduce((total, pid) => total + rssOf(pid), 0),
		);
		samples++;
	};
	sample();
	const timer = setInterval(sample, intervalMs);
	return {
		stop() {
			clearInterval(timer);
			sample();
			return {
				sampledPeak,
				samples,
				peaks: new Map([...seen].map((pid) => [pid, peakRssOf(pid)])),
			};
		},
	};
}

export const mib = (bytes: number) => bytes / (KIB * KIB);

export interface SteadyRss {
	bytes: number;
	/** How long it took to settle; `settled` false when `maxMs` ran out first. */
	afterMs: number;
	settled: boolean;
}

/**
 * Waits until the tree's summed VmRSS stops moving: n8n keeps allocating and then gives hundreds of
 * MiB back for some 20 s after it reports ready, so an earlier "idle" is no baseline at all.
 */
export async function steadyTreeRss(
	root: number,
	{ quietMs = 10_000, toleranceBytes = 2 * KIB * KIB, maxMs = 120_000, stepMs = 1000, minMs = 0 } = {},
): Promise<SteadyRss> {
	const started = Date.now();
	let reference = treeRss(root);
	let quietSince = started;
	for (;;) {
		await new Promise((resolve) => setTimeout(resolve, stepMs));
		const now = Date.now();
		const current = treeRss(root);
		if (Math.abs(current - reference) > toleranceBytes) {
			reference = current;
			quietSince = now;
		}
		if (now - quietSince >= quietMs && now - started >= minMs) {
			return { bytes: current, afterMs: now - started, settled: true };
		}
		if (now - started >= maxMs) return { bytes: current, afterMs: now - started, settled: false };
	}
}
