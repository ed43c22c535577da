import type { INodeProperties } from 'n8n-workflow';

import type { ResourceOperations } from '../node.type';
import * as upload from './upload.operation';

export const operations: ResourceOperations<'articleImage'> = { upload };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['articleImage'] } },
		options: [
			{
				name: 'Upload',
				value: 'upload',
				description:
					'Upload an image for article content and get its URL (not kept in the material library)',
				action: 'Upload an article image',
			},
		],
		default: 'upload',
	},
	...upload.description,
];
