import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { NodeOperationError } from 'n8n-workflow';

import { forOperation, mediaIdLocator } from '../../descriptions/common.description';
import { cancelSignalOf, markMayHaveWritten, settle, waitUnlessCancelled } from '../../transport';
import { postMediaId } from '../shared/mediaFiles';
import { getPublishStatus } from './getStatus.operation';

/** Polls no faster than this (WeChat publishes in seconds) and no slower than once a minute. */
const MIN_POLL_INTERVAL_MS = 100;
const MAX_POLL_INTERVAL_MS = 60_000;
const DEFAULT_POLL_INTERVAL_MS = 2_000;
const DEFAULT_MAX_WAIT_SECONDS = 300;

const whenWaiting = { show: { waitForCompletion: [true] } };

export const description: INodeProperties[] = forOperation('publish', 'submit', [
	mediaIdLocator(
		'Media ID',
		'searchDrafts',
		'The draft to publish: pick it by its titles, or give its media_id (Draft → Create)',
	),
	{
		displayName: 'Wait for Completion',
		name: 'waitForCompletion',
		type: 'boolean',
		default: false,
		description:
			'Whether to wait until WeChat has published (or refused) the post and output its article URLs or why it failed. Otherwise only the publish_id is output; check it later with Get Status.',
	},
	{
		displayName: 'Poll Interval (Ms)',
		name: 'pollInterval',
		type: 'number',
		typeOptions: { minValue: MIN_POLL_INTERVAL_MS, maxValue: MAX_POLL_INTERVAL_MS },
		default: DEFAULT_POLL_INTERVAL_MS,
		description: 'How long to wait between two status checks',
		displayOptions: whenWaiting,
	},
	{
		displayName: 'Max Wait (Seconds)',
		name: 'maxWait',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: DEFAULT_MAX_WAIT_SECONDS,
		description:
			'How long to wait for the outcome. If WeChat is still publishing by then, the item is output with status "publishing" and wait_timed_out set; the post keeps publishing.',
		displayOptions: whenWaiting,
	},
]);

function clamp(value: number, min: number, max: number): number {
	return Math.min(max, Math.max(min, Number.isFinite(value) ? value : min));
}

/** Checks the status every `intervalMs` until it is final or `maxWaitMs` has passed. */
async function waitForOutcome(
	ctx: IExecuteFunctions,
	itemIndex: number,
	publishId: string,
	intervalMs: number,
	maxWaitMs: number,
): Promise<IDataObject> {
	const deadline = Date.now() + maxWaitMs;
	const signal = cancelSignalOf(ctx);
	for (;;) {
		// A stop of the execution ends the wait at once.
		await waitUnlessCancelled(Math.min(intervalMs, Math.max(0, deadline - Date.now())), signal);
		const { final, ...status } = await getPublishStatus(ctx, itemIndex, publishId);
		if (final) return status;
		if (Date.now() >= deadline) return { ...status, wait_timed_out: true };
	}
}

function withSubmittedNote(error: unknown, publishId: string): unknown {
	if (!(error instanceof Error)) return error;
	const note = `The draft WAS submitted (publish_id ${publishId}); only waiting for the outcome failed. Check it with Publish → Get Status instead of submitting again, which would publish twice.`;
	const described = error as Error & { description?: string | null };
	described.description = described.description ? `${note} ${described.description}` : note;
	markMayHaveWritten(error);
	return error;
}

export { validateMediaId as validate } from '../shared/mediaFiles';

/** https://developers.weixin.qq.com/doc/offiaccount/Publish/Publish.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	// Publishing twice would post twice: a lost answer is reported, never resent.
	const { mediaId, answer } = await postMediaId(
		this,
		itemIndex,
		'/cgi-bin/freepublish/submit',
		'write',
	);
	const publishId = answer.publish_id;
	if ((typeof publishId !== 'string' && typeof publishId !== 'number') || String(publishId) === '') {
		// WeChat took the draft (errcode 0) but named no publication: it must not be submitted again.
		const error = new NodeOperationError(
			this.getNode(),
			`item ${itemIndex}: WeChat freepublish/submit accepted the draft but answered without a publish_id`,
			{
				itemIndex,
				description:
					'The draft was probably submitted. Look at the publishing records in the WeChat admin before submitting again; a second submit would publish the post twice.',
			},
		);
		markMayHaveWritten(error);
		throw error;
	}
	return await outputFor(this, itemIndex, mediaId, String(publishId));
}

/** The submitted item's output: its publish_id, and the outcome when asked to wait for it. */
async function outputFor(
	ctx: IExecuteFunctions,
	itemIndex: number,
	mediaId: string,
	publishId: string,
): Promise<INodeExecutionData[]> {
	if (!ctx.getNodeParameter('waitForCompletion', itemIndex, false)) {
		return [{ json: { media_id: mediaId, publish_id: publishId } }];
	}
	const intervalMs = clamp(
		ctx.getNodeParameter('pollInterval', itemIndex, DEFAULT_POLL_INTERVAL_MS) as number,
		MIN_POLL_INTERVAL_MS,
		MAX_POLL_INTERVAL_MS,
	);
	const maxWaitSeconds = ctx.getNodeParameter(
		'maxWait',
		itemIndex,
		DEFAULT_MAX_WAIT_SECONDS,
	) as number;
	const status = await settle(
		async () =>
			await waitForOutcome(ctx, itemIndex, publishId, intervalMs, Math.max(1, maxWaitSeconds) * 1000),
	);
	// The post is submitted: running the item again would publish it twice.
	if (!status.ok) throw withSubmittedNote(status.error, publishId);
	return [{ json: { media_id: mediaId, ...status.value, publish_id: publishId } }];
}
