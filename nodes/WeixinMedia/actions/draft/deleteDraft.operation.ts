import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forOperation, mediaIdProperty } from '../../descriptions/common.description';
import { postMediaId } from '../shared/mediaFiles';

export const description: INodeProperties[] = forOperation('draft', 'deleteDraft', [
	mediaIdProperty('The media_id of the draft to delete (Draft → Create or Draft → Get Many)'),
	{
		displayName: 'A deleted draft cannot be restored',
		name: 'deleteDraftNotice',
		type: 'notice',
		default: '',
	},
]);

export { validateMediaId as validate } from '../shared/mediaFiles';

/** https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Delete_draft.html */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	// Never resent after a lost answer: the user is told to check instead (see transport/errors.ts).
	const { mediaId } = await postMediaId(this, itemIndex, '/cgi-bin/draft/delete', 'write');
	return [{ json: { media_id: mediaId, deleted: true } }];
}
