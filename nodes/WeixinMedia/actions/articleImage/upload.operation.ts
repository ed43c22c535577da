import { NodeOperationError } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { binaryInputProperty, forOperation } from '../../descriptions/common.description';
import type { UploadSource } from '../../media/source';
import { uploadMedia } from '../../transport';
import { prepareEachFile, uploadEachFile } from '../shared/mediaFiles';

export const description: INodeProperties[] = forOperation('articleImage', 'upload', [
	{
		...binaryInputProperty,
		description: 'A jpg or png image under 1 MB',
	},
]);

/**
 * Uploads an image for use inside article HTML and returns its URL (WeChat drops `<img>` whose src
 * did not come from here). `source` must come from `prepareUpload(..., 'articleImage', 'image')`,
 * which applies the jpg/png and under-1 MB rules.
 */
export async function uploadArticleImage(
	ctx: IExecuteFunctions,
	itemIndex: number,
	source: UploadSource,
): Promise<string> {
	const answer = await uploadMedia(ctx, itemIndex, {
		path: '/cgi-bin/media/uploadimg',
		source,
		// A repeat only leaves an unused copy: these images do not count against the material library.
		policy: 'repeatableWrite',
	});
	if (typeof answer.url !== 'string' || answer.url === '') {
		throw new NodeOperationError(
			ctx.getNode(),
			`item ${itemIndex}, property \`${source.binaryPropertyName}\`: WeChat media/uploadimg answered without an image URL`,
			{ itemIndex },
		);
	}
	return answer.url;
}

/** Checks the item's files; nothing is sent. */
export async function validate(this: IExecuteFunctions, itemIndex: number): Promise<UploadSource[]> {
	return await prepareEachFile(this, itemIndex, 'articleImage', 'image', { forLater: true });
}

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html (uploadimg) */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	checked?: UploadSource[],
): Promise<INodeExecutionData[]> {
	const files = { store: 'articleImage', type: 'image', checked } as const;
	return await uploadEachFile(this, itemIndex, files, async (source) => ({
		url: await uploadArticleImage(this, itemIndex, source),
	}));
}
