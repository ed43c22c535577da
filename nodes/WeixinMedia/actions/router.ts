import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { DEFAULT_CONCURRENCY, type RunOptions } from '../descriptions/common.description';
import { itemParameter, sameForEveryItem } from '../descriptions/parameters';
import { fieldError } from '../descriptions/validation';
import {
	DEFAULT_TIMEOUT_MS,
	ExecutionCancelled,
	cancelSignalOf,
	configureTransport,
	markMayHaveWritten,
	mayHaveWritten,
	redact,
	settle,
} from '../transport';
import * as articleImage from './articleImage';
import * as draft from './draft';
import * as news from './news';
import type { OperationModule, ResourceOperations, WeixinMediaResource } from './node.type';
import * as permanentMaterial from './permanentMaterial';
import * as publish from './publish';
import * as temporaryMedia from './temporaryMedia';

const operationsByResource: { [R in WeixinMediaResource]: ResourceOperations<R> } = {
	temporaryMedia: temporaryMedia.operations,
	permanentMaterial: permanentMaterial.operations,
	articleImage: articleImage.operations,
	news: news.operations,
	draft: draft.operations,
	publish: publish.operations,
};

function findOperation(ctx: IExecuteFunctions): OperationModule {
	const resource = ctx.getNodeParameter('resource', 0) as WeixinMediaResource;
	const operation = ctx.getNodeParameter('operation', 0) as string;
	const operations = operationsByResource[resource] as Record<string, OperationModule> | undefined;
	const found = operations?.[operation];
	if (!found) {
		throw new NodeOperationError(
			ctx.getNode(),
			`The operation "${operation}" of resource "${resource}" is not supported`,
		);
	}
	return found;
}

type NodeError = NodeApiError | NodeOperationError;

/**
 * Concurrent Requests and Timeout apply to the whole node run (one pool of requests, one timeout for
 * the token calls it shares): when the options hold an expression they are read for every item and
 * must agree, so one that varies per item is refused rather than silently read from item 0. Keep
 * Input Fields may differ per item.
 */
function nodeWideOptions(ctx: IExecuteFunctions, itemCount: number): Omit<RunOptions, 'keepInputFields'> {
	const read = (itemIndex: number) => {
		const options = ctx.getNodeParameter('options', itemIndex, {}) as Partial<RunOptions>;
		return {
			concurrency: Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY)),
			timeout: options.timeout ?? DEFAULT_TIMEOUT_MS,
		};
	};
	const first = read(0);
	if (sameForEveryItem(ctx, 'options')) return first;
	for (let itemIndex = 1; itemIndex < itemCount; itemIndex++) {
		const options = read(itemIndex);
		for (const [key, label] of [
			['concurrency', 'Concurrent Requests'],
			['timeout', 'Timeout (Ms)'],
		] as const) {
			if (options[key] !== first[key]) {
				throw fieldError(
					ctx,
					itemIndex,
					label,
					`is ${options[key]} here but ${first[key]} for item 0`,
					`${label} applies to the whole node, so it must be the same for every item.`,
				);
			}
		}
	}
	return first;
}

const keepInputFieldsFor = (ctx: IExecuteFunctions, itemIndex: number) =>
	itemParameter(ctx, 'options.keepInputFields', itemIndex, false);

/**
 * Runs `work` for each of `indexes`, at most `limit` at once. Once `stop()` is true no new index
 * starts; those in flight finish.
 */
async function forEachConcurrently(
	indexes: number[],
	limit: number,
	stop: () => boolean,
	work: (index: number) => Promise<void>,
): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < indexes.length && !stop()) {
			await work(indexes[next++]);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, indexes.length) }, worker));
}

function asNodeError(ctx: IExecuteFunctions, caught: unknown, itemIndex: number): NodeError {
	if (caught instanceof NodeOperationError || caught instanceof NodeApiError) return caught;
	const error = caught instanceof Error ? caught : new Error(String(caught));
	const nodeError = new NodeOperationError(ctx.getNode(), error, { itemIndex });
	if (mayHaveWritten(caught)) markMayHaveWritten(nodeError);
	return nodeError;
}

/** "0-3, 7, 9-15": item lists stay short in error texts. */
function describeIndexes(indexes: number[]): string {
	const ranges: string[] = [];
	for (let start = 0; start < indexes.length; ) {
		let end = start;
		while (end + 1 < indexes.length && indexes[end + 1] === indexes[end] + 1) end++;
		ranges.push(end === start ? `${indexes[start]}` : `${indexes[start]}-${indexes[end]}`);
		start = end + 1;
	}
	return ranges.join(', ');
}

/**
 * A failed item. Under "Continue (using error output)" n8n sends an item to the error output only when
 * its JSON holds nothing but `error`, `message` and `details` (it adds the paired input item's fields
 * there itself); an item with `error` set on it would have its JSON replaced by the bare message. So:
 * - error output: `{ error, details: { errorDescription, errcode } }`;
 * - regular output ("Continue"): `{ error, errorDescription, errcode }`, after the input fields when
 *   Keep Input Fields is on.
 */
function errorItem(
	error: NodeError,
	input: INodeExecutionData,
	itemIndex: number,
	toErrorOutput: boolean,
	keepInputFields: boolean,
): INodeExecutionData {
	const details: IDataObject = {};
	if (error.description) details.errorDescription = redact(error.description);
	if (error.context?.errcode !== undefined) details.errcode = error.context.errcode;
	const message = redact(error.message);
	const json: IDataObject = toErrorOutput
		? { error: message, details }
		: { ...(keepInputFields ? input.json : {}), error: message, ...details };
	return { json, pairedItem: { item: itemIndex } };
}

/**
 * What an output item says WeChat now holds: "publish_id …" for a submitted post (its media_id is the
 * draft it came from), otherwise "media_id …" and "url …".
 */
function writtenIds(item: INodeExecutionData): string {
	const keys = item.json.publish_id !== undefined ? ['publish_id'] : ['media_id', 'url'];
	return keys
		.filter((key) => typeof item.json[key] === 'string' || typeof item.json[key] === 'number')
		.map((key) => `${key} ${String(item.json[key])}`)
		.join(', ');
}

const ownDescriptions = new WeakMap<NodeError, string | null | undefined>();

/**
 * The error that ends a write batch, with every write of the batch that did happen, so a rerun can be
 * made safe: items written, items that failed besides this one, items never sent.
 */
function batchFailure(
	failures: Array<{ index: number; error: NodeError }>,
	written: Map<number, ItemRecord>,
	notSent: number[],
): NodeError {
	failures.sort((a, b) => a.index - b.index);
	const [{ error }, ...others] = failures;
	const notes: string[] = [];
	const writes = [...written.entries()]
		.sort(([a], [b]) => a - b)
		.flatMap(([index, record]) =>
			(Array.isArray(record) ? record : [])
				.map(writtenIds).filter((ids) => ids !== '').map((ids) => `item ${index} → ${ids}`),
		);
	notes.push(
		writes.length > 0
			? `Written by other items before the node stopped (do not send them again): ${writes.join('; ')}.`
			: 'No other item was written.',
	);
	for (const other of others) {
		notes.push(
			`Item ${other.index} failed too: ${redact(other.error.message)}${
				other.error.description ? ` (${redact(other.error.description)})` : ''
			}`,
		);
	}
	if (notSent.length > 0) {
		notes.push(`Not sent: item${notSent.length > 1 ? 's' : ''} ${describeIndexes(notSent)}.`);
	}
	const note = notes.join(' ');
	// The same error object comes back in a later try (it may have written): its own text stays.
	const own = ownDescriptions.has(error) ? ownDescriptions.get(error) : error.description;
	ownDescriptions.set(error, own);
	error.description = own ? `${own} ${note}` : note;
	return error;
}

/** A write item's end in an earlier try: its output, or an error after which it may have written. */
type ItemRecord = INodeExecutionData[] | NodeError;

/**
 * Write items that succeeded or may have written, per node input and run. n8n's Retry On Fail runs the
 * node again on the same input array: such an item is output (or failed) again, never sent again.
 */
const writtenInEarlierTries = new WeakMap<INodeExecutionData[], Map<string, Map<number, ItemRecord>>>();

function earlierTries(ctx: IExecuteFunctions, items: INodeExecutionData[]) {
	let byRun = writtenInEarlierTries.get(items);
	if (!byRun) {
		byRun = new Map();
		writtenInEarlierTries.set(items, byRun);
	}
	// A loop can hand this node the same (pinned) array again: each run keeps its own record.
	const runIndex = items.length > 0 ? ctx.getWorkflowDataProxy(0).$runIndex : 0;
	const key = `${ctx.getNode().name}#${String(runIndex)}`;
	let written = byRun.get(key);
	if (!written) {
		written = new Map();
		byRun.set(key, written);
	}
	return written;
}

/**
 * The one place that loops over items: dispatch, bounded concurrency, input order, pairedItem, the
 * Keep Input Fields option and continueOnFail. Operations return results or throw.
 *
 * Writes: every item is checked before any is sent. Without Continue On Fail, the first failure stops
 * new items from starting, the ones in flight finish, and the error lists every write that happened.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const operation = findOperation(this);
	const options = nodeWideOptions(this, items.length);
	configureTransport(this, { timeout: options.timeout });
	const continueOnFail = this.continueOnFail();
	const toErrorOutput = this.getNode().onError === 'continueErrorOutput';
	const signal = cancelSignalOf(this);
	const writes = operation.validate !== undefined;
	const earlier = writes ? earlierTries(this, items) : new Map<number, ItemRecord>();

	const results: INodeExecutionData[][] = new Array(items.length);
	const failures: Array<{ index: number; error: NodeError }> = [];
	const fail = (itemIndex: number, caught: unknown) => {
		const error = asNodeError(this, caught, itemIndex);
		if (writes && mayHaveWritten(error)) earlier.set(itemIndex, error);
		if (continueOnFail) {
			results[itemIndex] = [
				errorItem(
					error,
					items[itemIndex],
					itemIndex,
					toErrorOutput,
					keepInputFieldsFor(this, itemIndex),
				),
			];
		} else {
			failures.push({ index: itemIndex, error });
		}
	};

	let toSend = items.map((_item, itemIndex) => itemIndex).filter((index) => !earlier.has(index));
	for (const [index, record] of earlier) {
		if (Array.isArray(record)) results[index] = record;
		else fail(index, record);
	}
	// What each item's write-check prepared for sending (its checked files), until the item starts.
	const prepared: unknown[] = new Array(items.length);
	if (operation.validate) {
		const validate = operation.validate;
		// The checks read files: as many at once as requests may be, so the reads overlap.
		await forEachConcurrently(toSend, options.concurrency, () => false, async (itemIndex) => {
			const checked = await settle(async () => await validate.call(this, itemIndex));
			if (checked.ok) prepared[itemIndex] = checked.value;
			else fail(itemIndex, checked.error);
		});
		if (failures.length > 0 && items.length === 1) throw failures[0].error;
		if (failures.length > 0) {
			const failed = new Set(failures.map(({ index }) => index));
			throw batchFailure(
				failures,
				earlier,
				toSend.filter((index) => !failed.has(index)),
			);
		}
		toSend = toSend.filter((index) => results[index] === undefined);
	}

	const started = new Set<number>();
	await forEachConcurrently(
		toSend,
		options.concurrency,
		() => failures.length > 0 || signal?.aborted === true,
		async (itemIndex) => {
			started.add(itemIndex);
			const checked = prepared[itemIndex];
			// held only until sent: a kept file is freed as soon as its item is done
			prepared[itemIndex] = undefined;
			try {
				const produced = await operation.execute.call(this, itemIndex, checked);
				const withInput = keepInputFieldsFor(this, itemIndex)
					? produced.map((item) => ({ ...item, json: { ...items[itemIndex].json, ...item.json } }))
					: produced;
				results[itemIndex] = this.helpers.constructExecutionMetaData(withInput, {
					itemData: { item: itemIndex },
				});
				if (writes) earlier.set(itemIndex, results[itemIndex]);
			} catch (caught) {
				fail(itemIndex, caught);
			}
		},
	);
	if (failures.length > 0) {
		// a lone item has no other writes to report
		if (!writes || items.length === 1) {
			failures.sort((a, b) => a.index - b.index);
			throw failures[0].error;
		}
		throw batchFailure(failures, earlier, toSend.filter((index) => !started.has(index)));
	}
	if (signal?.aborted) throw new ExecutionCancelled();
	return [results.flat()];
}
