import type { INodeProperties } from 'n8n-workflow';

import { runOptionsProperty } from '../descriptions/common.description';
import * as articleImage from './articleImage';
import * as draft from './draft';
import * as news from './news';
import * as permanentMaterial from './permanentMaterial';
import * as publish from './publish';
import * as temporaryMedia from './temporaryMedia';

/** The node's parameters: the resource selector, then each resource's operations and fields. */
export const nodeProperties: INodeProperties[] = [
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Article Image', value: 'articleImage' },
			{ name: 'Draft', value: 'draft' },
			{ name: 'News', value: 'news' },
			{ name: 'Permanent Material', value: 'permanentMaterial' },
			{ name: 'Publish', value: 'publish' },
			{ name: 'Temporary Media', value: 'temporaryMedia' },
		],
		default: 'temporaryMedia',
	},
	...temporaryMedia.description,
	...permanentMaterial.description,
	...articleImage.description,
	...news.description,
	...draft.description,
	...publish.description,
	runOptionsProperty,
];
