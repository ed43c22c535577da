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

/**
 * A media_id the user picks from a list of the account's library ("From List", filled by the list
 * search method `searchListMethod`) or pastes ("By ID"). Expressions work in both modes, and a plain
 * string saved by an older workflow is still read (see requiredText's `extractValue`).
 */
export function mediaIdLocator(
	displayName: string,
	searchListMethod: string,
	description: string,
): INodeProperties {
	return {
		displayName,
		name: 'mediaId',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select…',
				typeOptions: { searchListMethod, searchable: false },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. Xk3fT9mQ2vR8pL1wZ7yB4nC6dH0sJ5aE9gU2iO7kM1q',
			},
		],
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
				'How many items are sent to WeChat at the same time. Results keep the order of the input items. Applies to the whole node: it must be the same for every item. After a failure (without Continue On Fail) no new item starts; set 1 to stop right at the failing item.',
		},
		{
			displayName: 'Keep Input Fields',
			name: 'keepInputFields',
			type: 'boolean',
			default: false,
			description:
				'Whether to copy the input item’s JSON fields into the output item (error items under "Continue" too), so results can be matched back to their rows. Read per item. On the error output n8n adds the input fields itself.',
		},
		{
			displayName: 'Timeout (Ms)',
			name: 'timeout',
			type: 'number',
			typeOptions: { minValue: 1000 },
			default: DEFAULT_TIMEOUT_MS,
			description:
				'How long to wait for an answer from WeChat before giving up on a request (reads are retried). Applies to the whole node: it must be the same for every item.',
		},
	],
};
