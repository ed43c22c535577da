import type { INodeProperties } from 'n8n-workflow';

import { DEFAULT_TIMEOUT_MS } from '../transport';

/**
 * Items sent to WeChat at the same time unless the user says otherwise. n8n's HTTP Request node sends
 * every item at once; at 16 a 200-item run spent 13 round trips on latency alone. WeChat documents no
 * limit on parallel calls, only daily quotas, and answers errcode -1 when busy: reads and temporary
 * uploads retry it with backoff, permanent writes report it as an unknown outcome. 64 keeps 200 items
 * to 4 round trips while staying a bounded burst (files up to 1 MB are held in memory while sent).
 */
export const DEFAULT_CONCURRENCY = 64;

/** Shows `properties` only for the given resource and operation(s). */
export function forOperation(
	resource: string,
	operation: string | string[],
	properties: INodeProperties[],
): INodeProperties[] {
	const operations = Array.isArray(operation) ? operation : [operation];
	return properties.map((property) => ({
		...property,
		displayOptions: {
			...property.displayOptions,
			show: {
				...property.displayOptions?.show,
				resource: [resource],
				operation: operations,
			},
		},
	}));
}

export const binaryInputProperty: INodeProperties = {
	displayName: 'Input Binary Field',
	name: 'binaryPropertyName',
	type: 'string',
	default: 'data',
	required: true,
	placeholder: 'data',
	hint: 'The binary field holding the file. Several fields, separated by commas, upload one file each.',
};

export const binaryOutputProperty: INodeProperties = {
	displayName: 'Put Output File in Field',
	name: 'binaryPropertyName',
	type: 'string',
	default: 'data',
	required: true,
	hint: 'The name of the output binary field to put the file in',
};

export function mediaIdProperty(description: string): INodeProperties {
	return {
		displayName: 'Media ID',
		name: 'mediaId',
		type: 'string',
		default: '',
		required: true,
		description,
	};
}

export interface RunOptions {
	concurrency: number;
	timeout: number;
	keepInputFields: boolean;
}

/** Options every operation has; the router reads them. */
export const runOptionsProperty: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add option',
	default: {},
	options: [
		{
			displayName: 'Concurrent Requests',
			name: 'concurrency',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 100 },
			default: DEFAULT_CONCURRENCY,
			description:
				'How many items are sent to WeChat at the same time. Results keep the order of the input items.',
		},
		{
			displayName: 'Keep Input Fields',
			name: 'keepInputFields',
			type: 'boolean',
			default: false,
			description:
				'Whether to copy the input item’s JSON fields into the output item, so results can be matched back to their rows',
		},
		{
			displayName: 'Timeout (Ms)',
			name: 'timeout',
			type: 'number',
			typeOptions: { minValue: 1000 },
			default: DEFAULT_TIMEOUT_MS,
			description:
				'How long to wait for an answer from WeChat before giving up on a request (reads are retried)',
		},
	],
};
