import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { DEFAULT_CONCURRENCY, type RunOptions } from '../descriptions/common.description';
import { DEFAULT_TIMEOUT_MS, configureTransport, redact } from '../transport';
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

function runOptions(ctx: IExecuteFunctions): RunOptions {
	const options = ctx.getNodeParameter('options', 0, {}) as Partial<RunOptions>;
	return {
		concurrency: Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY)),
		timeout: options.timeout ?? DEFAULT_TIMEOUT_MS,
		keepInputFields: options.keepInputFields ?? false,
	};
}

/** Runs `work` for indexes 0..count-1, at most `limit` at once; stops starting new ones after a failure. */
async function forEachConcurrently(
	count: number,
	limit: number,
	work: (index: number) => Promise<void>,
): Promise<void> {
	let next = 0;
	const failures: Array<{ index: number; error: unknown }> = [];
	const worker = async () => {
		while (next < count && failures.length === 0) {
			const index = next++;
			try {
				await work(index);
			} catch (error) {
				failures.push({ index, error });
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
	if (failures.length > 0) {
		failures.sort((a, b) => a.index - b.index);
		throw failures[0].error;
	}
}

function errorItem(
	ctx: IExecuteFunctions,
	error: Error & { description?: string | null; context?: IDataObject },
	input: INodeExecutionData,
	itemIndex: number,
): INodeExecutionData {
	const json: IDataObject = { ...input.json, error: redact(error.message) };
	if (error.description) json.errorDescription = redact(error.description);
	if (error.context?.errcode !== undefined) json.errcode = error.context.errcode;
	return { json, pairedItem: { item: itemIndex } };
}

/**
 * The one place that loops over items: dispatch, bounded concurrency, input order, pairedItem, the
 * Keep Input Fields option and continueOnFail. Operations return results or throw.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const operation = findOperation(this);
	const options = runOptions(this);
	configureTransport(this, { timeout: options.timeout });

	const results: INodeExecutionData[][] = new Array(items.length);
	await forEachConcurrently(items.length, options.concurrency, async (itemIndex) => {
		try {
			const produced = await operation.execute.call(this, itemIndex);
			const withInput = options.keepInputFields
				? produced.map((item) => ({ ...item, json: { ...items[itemIndex].json, ...item.json } }))
				: produced;
			results[itemIndex] = this.helpers.constructExecutionMetaData(withInput, {
				itemData: { item: itemIndex },
			});
		} catch (caught) {
			const error =
				caught instanceof Error
					? caught
					: new NodeOperationError(this.getNode(), String(caught), { itemIndex });
			if (!this.continueOnFail()) {
				if (error instanceof NodeOperationError || error instanceof NodeApiError) throw error;
				throw new NodeOperationError(this.getNode(), error, { itemIndex });
			}
			results[itemIndex] = [errorItem(this, error, items[itemIndex], itemIndex)];
		}
	});
	return [results.flat()];
}
