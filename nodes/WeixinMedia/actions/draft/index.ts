import type { INodeProperties } from 'n8n-workflow';

import type { ResourceOperations } from '../node.type';
import * as create from './create.operation';
import * as get from './get.operation';

export const operations: ResourceOperations<'draft'> = { create, get };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['draft'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: 'Put 1 to 8 articles in the draft box, ready for Publish → Submit',
				action: 'Create a draft',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Read the articles of a draft',
				action: 'Get a draft',
			},
		],
		default: 'create',
	},
	...create.description,
	...get.description,
];
