import { NodeOperationError } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import {
	binaryOutputProperty,
	forOperation,
	mediaIdProperty,
} from '../../descriptions/common.description';
import { downloadByMediaId, fileItem, queryByMediaId } from '../shared/mediaFiles';

export const description: INodeProperties[] = forOperation('temporaryMedia', 'getHdVoice', [
	mediaIdProperty(
		'The serverId the JS-SDK’s uploadVoice returned for the recording (valid for 3 days)',
	),
	binaryOutputProperty,
]);

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_temporary_materials.html (HD voice appendix) */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { mediaId, target, answer } = await downloadByMediaId(
		this,
		itemIndex,
		queryByMediaId('/cgi-bin/media/get/jssdk'),
	);
	if (answer.kind === 'json') {
		// Errors are thrown by the transport; any other JSON is not a recording.
		throw new NodeOperationError(
			this.getNode(),
			`item ${itemIndex}: WeChat media/get/jssdk answered with JSON instead of the voice file`,
			{ itemIndex, description: `Keys in the answer: ${Object.keys(answer.json).join(', ')}` },
		);
	}
	return [fileItem({ media_id: mediaId }, answer, target)];
}
