import type { INodeProperties } from 'n8n-workflow';

import type { ResourceOperations } from '../node.type';
import * as create from './create.operation';
import * as deleteDraft from './deleteDraft.operation';
import * as get from './get.operation';
import * as getCount from './getCount.operation';
import * as getMany from './getMany.operation';
import * as update from './update.operation';

export const operations: ResourceOperations<'draft'> = {
	create,
	get,
	update,
	deleteDraft,
	getMany,
	getCount,
};

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
				name: 'Delete',
				value: 'deleteDraft',
				description: 'Delete a draft for good',
				action: 'Delete a draft',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Read the articles of a draft',
				action: 'Get a draft',
			},
			{
				name: 'Get Count',
				value: 'getCount',
				description: 'Count the drafts in the draft box',
				action: 'Count drafts',
			},
			{
				name: 'Get Many',
				value: 'getMany',
				description: 'List the drafts, newest first',
				action: 'Get many drafts',
			},
			{
				name: 'Update',
				value: 'update',
				description: 'Replace one article of a draft, e.g. to fix it after review',
				action: 'Update an article of a draft',
			},
		],
		default: 'create',
	},
	...create.description,
	...get.description,
	...update.description,
	...deleteDraft.description,
	...getMany.description,
	...getCount.description,
];
