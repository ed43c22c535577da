import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { nodeProperties } from './actions/nodeProperties';
import { router } from './actions/router';
import { listSearch } from './methods';

export class WeixinMedia implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Weixin Media',
		name: 'weixinMedia',
		icon: { light: 'file:weixin.svg', dark: 'file:weixin.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Upload, fetch and publish media of a WeChat (Weixin) Official Account',
		defaults: { name: 'Weixin Media' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'weixinOfficialAccountApi', required: true }],
		properties: nodeProperties,
	};

	methods = { listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
