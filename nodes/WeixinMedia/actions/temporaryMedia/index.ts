import type { INodeProperties } from 'n8n-workflow';

import type { ResourceOperations } from '../node.type';
import * as get from './get.operation';
import * as getHdVoice from './getHdVoice.operation';
import * as upload from './upload.operation';

export const operations: ResourceOperations<'temporaryMedia'> = { upload, get, getHdVoice };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['temporaryMedia'] } },
		options: [
			{
				name: 'Get',
				value: 'get',
				description: 'Download a temporary file (a video answers with its URL)',
				action: 'Get a temporary media file',
			},
			{
				name: 'Get HD Voice',
				value: 'getHdVoice',
				description: 'Download a voice recorded with the JS-SDK, decoded to 16 kHz WAV or as Speex',
				action: 'Get an HD voice recording',
			},
			{
				name: 'Upload',
				value: 'upload',
				description: 'Upload a file WeChat keeps for 3 days',
				action: 'Upload a temporary media file',
			},
		],
		default: 'upload',
	},
	...upload.description,
	...get.description,
	...getHdVoice.description,
];
