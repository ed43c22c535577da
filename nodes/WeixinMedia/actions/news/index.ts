import type { INodeProperties } from 'n8n-workflow';

import type { ResourceOperations } from '../node.type';
import * as create from './create.operation';

export const operations: ResourceOperations<'news'> = { create };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['news'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: 'Create a permanent news post of 1 to 8 articles (material/add_news)',
				action: 'Create a news post',
			},
		],
		default: 'create',
	},
	...create.description,
];
