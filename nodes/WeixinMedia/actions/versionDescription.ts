import { NodeConnectionTypes } from 'n8n-workflow';
import type { INodeTypeDescription } from 'n8n-workflow';

import { runOptionsProperty } from '../descriptions/common.description';
import * as articleImage from './articleImage';
import * as draft from './draft';
import * as news from './news';
import * as permanentMaterial from './permanentMaterial';
import * as publish from './publish';
import * as temporaryMedia from './temporaryMedia';

export const versionDescription: INodeTypeDescription = {
	displayName: 'Weixin Media',
	name: 'weixinMedia',
	icon: 'file:weixin.svg',
	group: ['output'],
	version: 1,
	subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
	description: 'Upload, fetch and publish media of a WeChat (Weixin) Official Account',
	defaults: { name: 'Weixin Media' },
	usableAsTool: true,
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	credentials: [{ name: 'weixinOfficialAccountApi', required: true }],
	properties: [
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
	],
};
