import type { INodeProperties } from 'n8n-workflow';

import type { ResourceOperations } from '../node.type';
import * as getStatus from './getStatus.operation';
import * as submit from './submit.operation';

export const operations: ResourceOperations<'publish'> = { submit, getStatus };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['publish'] } },
		options: [
			{
				name: 'Get Status',
				value: 'getStatus',
				description: 'Find out whether a submitted post is published, and its article URLs',
				action: 'Get the status of a publication',
			},
			{
				name: 'Submit',
				value: 'submit',
				description: 'Publish a draft; WeChat publishes it in the background',
				action: 'Publish a draft',
			},
		],
		default: 'submit',
	},
	...submit.description,
	...getStatus.description,
];
