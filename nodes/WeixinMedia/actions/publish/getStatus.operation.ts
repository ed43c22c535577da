import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { forOperation } from '../../descriptions/common.description';
import { fieldError, requiredText } from '../../descriptions/validation';
import { weixinRequest } from '../../transport';

const publishIdProperty: INodeProperties = {
	displayName: 'Publish ID',
	name: 'publishId',
	type: 'string',
	default: '',
	required: true,
	description: 'The publish_id Publish → Submit returned (digits)',
};

export const description: INodeProperties[] = forOperation('publish', 'getStatus', [
	publishIdProperty,
]);

/** freepublish/get's publish_status as a word, with what it means. */
const STATUSES: Record<number, { status: string; description: string }> = {
	0: { status: 'published', description: 'published' },
	1: { status: 'publishing', description: 'still publishing' },
	2: { status: 'original_check_failed', description: 'the original-content check failed' },
	3: { status: 'failed', description: 'publishing failed' },
	4: { status: 'rejected', description: 'rejected by review' },
	5: { status: 'deleted', description: 'deleted after publishing' },
	6: { status: 'banned', description: 'banned after publishing' },
};

export const PUBLISHING_STATUS = 1;

/** Reads where a publication stands, its status also as a word and its article URLs listed. */
export async function getPublishStatus(
	ctx: IExecuteFunctions,
	itemIndex: number,
	publishId: string,
): Promise<IDataObject> {
	const { errcode, errmsg, ...answer } = await weixinRequest(ctx, itemIndex, {
		method: 'POST',
		path: '/cgi-bin/freepublish/get',
		body: { publish_id: publishId },
		policy: 'read',
	});
	const code = Number(answer.publish_status);
	const known = STATUSES[code] ?? { status: 'unknown', description: `status ${code}` };
	const items = ((answer.article_detail as IDataObject | undefined)?.item ?? []) as IDataObject[];
	return {
		...answer,
		status: known.status,
		status_description: known.description,
		final: code !== PUBLISHING_STATUS,
		article_urls: items.map((item) => item.article_url),
	};
}

/** A publish_id is a number; anything else would only earn an errcode from WeChat. */
function readPublishId(ctx: IExecuteFunctions, itemIndex: number): string {
	const publishId = requiredText(ctx, itemIndex, 'publishId', 'Publish ID');
	if (!/^\d+$/.test(publishId)) {
		throw fieldError(
			ctx,
			itemIndex,
			'Publish ID',
			`"${publishId}" is not a publish_id (those are digits)`,
			'Use the publish_id that Publish → Submit returned.',
		);
	}
	return publishId;
}

/** https://developers.weixin.qq.com/doc/offiaccount/Publish/Get_status.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	return [{ json: await getPublishStatus(this, itemIndex, readPublishId(this, itemIndex)) }];
}
