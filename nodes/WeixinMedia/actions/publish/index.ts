import type { INodeProperties } from 'n8n-workflow';

import type { ResourceOperations } from '../node.type';
import * as deleteArticle from './deleteArticle.operation';
import * as getArticle from './getArticle.operation';
import * as getMany from './getMany.operation';
import * as getStatus from './getStatus.operation';
import * as submit from './submit.operation';

export const operations: ResourceOperations<'publish'> = {
	submit,
	getStatus,
	getMany,
	getArticle,
	deleteArticle,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['publish'] } },
		options: [
			{
				name: 'Delete',
				value: 'deleteArticle',
				description: 'Take a published post, or one article of it, down. This cannot be undone.',
				action: 'Delete a published article',
			},
			{
				name: 'Get Article',
				value: 'getArticle',
				description: 'Read a published post by its article_id, deleted articles flagged',
				action: 'Get a published article',
			},
			{
				name: 'Get Many',
				value: 'getMany',
				description: 'List the published posts, newest first',
				action: 'Get many published articles',
			},
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
	...getMany.description,
	...getArticle.description,
	...deleteArticle.description,
];
