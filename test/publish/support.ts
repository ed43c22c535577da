import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { runNode } from '../harness';
import type { Sandbox } from '../sandbox';
import { addPermanentImage, articleJson } from '../articles/support';

/** A draft of `count` articles in the sandbox, made through the node; returns its media_id. */
export async function createDraft(
	sandbox: Sandbox,
	credentials: ICredentialDataDecryptedObject,
	count = 2,
): Promise<string> {
	const cover = await addPermanentImage(sandbox);
	const articles = Array.from({ length: count }, (_, index) => ({
		title: `Article ${index + 1}`,
		content: `<p>Text ${index + 1}</p>`,
		thumb_media_id: cover,
	}));
	const result = await runNode({ parameters: articleJson('draft', articles), credentials });
	if (result.error) throw result.error;
	return result.items[0].json.media_id as string;
}

/** Publishes a draft through the node (Submit, waiting for the outcome) and returns its article_id. */
export async function publishDraft(
	credentials: ICredentialDataDecryptedObject,
	mediaId: string,
): Promise<string> {
	const result = await runNode({
		parameters: {
			resource: 'publish',
			operation: 'submit',
			mediaId,
			waitForCompletion: true,
			pollInterval: 100,
			maxWait: 10,
		},
		credentials,
	});
	if (result.error) throw result.error;
	return result.items[0].json.article_id as string;
}
