import type { INodeProperties } from 'n8n-workflow';

import type { ResourceOperations } from '../node.type';
import * as add from './add.operation';
import * as deleteMaterial from './deleteMaterial.operation';
import * as get from './get.operation';
import * as getCount from './getCount.operation';
import * as getMany from './getMany.operation';

export const operations: ResourceOperations<'permanentMaterial'> = {
	add,
	get,
	deleteMaterial,
	getCount,
	getMany,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['permanentMaterial'] } },
		options: [
			{
				name: 'Add',
				value: 'add',
				description: 'Add an image, voice, video or thumb to the material library',
				action: 'Add a permanent material',
			},
			{
				name: 'Delete',
				value: 'deleteMaterial',
				description: 'Delete a material from the library',
				action: 'Delete a permanent material',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Download a material: the file, a video’s details or a news item’s articles',
				action: 'Get a permanent material',
			},
			{
				name: 'Get Count',
				value: 'getCount',
				description: 'Count the materials of each type in the library',
				action: 'Count permanent materials',
			},
			{
				name: 'Get Many',
				value: 'getMany',
				description: 'List the materials of one type, newest first',
				action: 'Get many permanent materials',
			},
		],
		default: 'add',
	},
	...add.description,
	...get.description,
	...deleteMaterial.description,
	...getCount.description,
	...getMany.description,
];
