/** Reads what `n8n execute` prints: log lines around one pretty-printed JSON run. */

export interface BinaryMeta {
	mimeType?: string;
	fileName?: string;
	fileExtension?: string;
	fileSize?: string;
	/** In filesystem mode: `filesystem-v2:<path inside the storage folder>`. */
	id?: string;
	[key: string]: unknown;
}

/** Which input item(s) an output item came from, as n8n records it. */
export type PairedItem = { item: number; input?: number } | Array<{ item: number; input?: number }>;

export interface OutputItem {
	json: Record<string, unknown>;
	binary?: Record<string, BinaryMeta>;
	pairedItem?: PairedItem;
}

export interface NodeRun {
	/** Items of the node's first output (the one the next node reads), from its last run. */
	items: OutputItem[];
	/** Every output of the last run, for nodes with several (IF, Switch). */
	outputs: OutputItem[][];
	error?: { message: string; description?: string; [key: string]: unknown };
}

export interface RunResult {
	status: string;
	finished: boolean;
	lastNodeExecuted?: string;
	/** The workflow-level error, set when the run failed. */
	error?: {
		message: string;
		description?: string;
		node?: { name?: string };
		[key: string]: unknown;
	};
	nodes: Record<string, NodeRun>;
	/** The whole object n8n printed, for anything the summary leaves out. */
	raw: Record<string, unknown>;
}

/** Index just past the JSON value opening at `start`, or -1 when the text ends first. */
function endOfJsonValue(text: string, start: number): number {
	let depth = 0;
	let inString = false;
	for (let index = start; index < text.length; index++) {
		const char = text[index];
		if (inString) {
			if (char === '\\') index++;
			else if (char === '"') inString = false;
		} else if (char === '"') {
			inString = true;
		} else if (char === '{' || char === '[') {
			depth++;
		} else if (char === '}' || char === ']') {
			depth--;
			if (depth === 0) return index + 1;
		}
	}
	return -1;
}

/** Every top-level JSON object in the text that starts a line; log lines in between are skipped. */
export function jsonObjectsIn(text: string): unknown[] {
	const found: unknown[] = [];
	let searchFrom = 0;
	for (;;) {
		const match = /^[ \t]*\{/m.exec(text.slice(searchFrom));
		if (!match) return found;
		const start = searchFrom + match.index + match[0].length - 1;
		const end = endOfJsonValue(text, start);
		if (end === -1) return found;
		try {
			found.push(JSON.parse(text.slice(start, end)));
			searchFrom = end;
		} catch {
			searchFrom = start + 1;
		}
	}
}

interface RawTaskData {
	data?: { main?: Array<OutputItem[] | null> };
	error?: NodeRun['error'];
}

interface RawRun {
	status?: string;
	finished?: boolean;
	data?: {
		resultData?: {
			runData?: Record<string, RawTaskData[]>;
			lastNodeExecuted?: string;
			error?: RunResult['error'];
		};
	};
}

function isRun(value: unknown): value is RawRun {
	return typeof (value as RawRun)?.data?.resultData === 'object';
}

function summariseItem({ json, binary, pairedItem }: OutputItem): OutputItem {
	return {
		json,
		...(binary ? { binary } : {}),
		...(pairedItem !== undefined ? { pairedItem } : {}),
	};
}

/** Finds the run in the output of `n8n execute` and reduces it to each node's items and error. */
export function parseExecuteOutput(output: string): RunResult {
	const run = jsonObjectsIn(output).filter(isRun).pop();
	if (!run) {
		const tail = output.trim().split('\n').slice(-30).join('\n');
		throw new Error(`n8n printed no run data; its output ends with:\n${tail}`);
	}
	const resultData = run.data!.resultData!;
	const nodes: Record<string, NodeRun> = {};
	for (const [name, runs] of Object.entries(resultData.runData ?? {})) {
		const last = runs[runs.length - 1];
		const outputs = (last?.data?.main ?? []).map((items) => (items ?? []).map(summariseItem));
		nodes[name] = {
			items: outputs[0] ?? [],
			outputs,
			...(last?.error ? { error: last.error } : {}),
		};
	}
	return {
		status: run.status ?? 'unknown',
		finished: run.finished ?? false,
		lastNodeExecuted: resultData.lastNodeExecuted,
		error: resultData.error,
		nodes,
		raw: run as Record<string, unknown>,
	};
}
