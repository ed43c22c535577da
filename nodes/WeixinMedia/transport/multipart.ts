import FormData from 'form-data';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { Readable } from 'stream';

import type { UploadSource } from '../media/source';
import { type WeixinRequest, weixinRequest } from './client';
import type { RetryPolicy } from './retry';

export interface MediaUpload {
	path: string;
	qs?: IDataObject;
	source: UploadSource;
	/** Extra text fields (e.g. the video `description` JSON). */
	fields?: Record<string, string>;
	policy: RetryPolicy;
}

/**
 * A factory for the multipart body: WeChat reads the file from the part named `media`, whose filename
 * extension must match the bytes. Each attempt gets a new form over a new stream; the stream of an
 * attempt that was never sent is closed so no file handle is left open.
 */
function mediaForm(source: UploadSource, fields: Record<string, string>): () => Promise<FormData> {
	let previous: Readable | undefined;
	return async () => {
		previous?.destroy();
		const content = await source.open();
		previous = content instanceof Readable ? content : undefined;
		const form = new FormData();
		form.append('media', content, {
			filename: source.fileName,
			contentType: source.mimeType,
			knownLength: source.size,
		});
		for (const [name, value] of Object.entries(fields)) {
			// Buffer so that the text (Chinese titles included) is sent as UTF-8 bytes, as WeChat expects.
			form.append(name, Buffer.from(value, 'utf8'), { contentType: 'text/plain; charset=utf-8' });
		}
		return form;
	};
}

export async function uploadMedia(
	ctx: IExecuteFunctions,
	itemIndex: number,
	upload: MediaUpload,
): Promise<IDataObject> {
	const request: WeixinRequest = {
		method: 'POST',
		path: upload.path,
		qs: upload.qs,
		form: mediaForm(upload.source, upload.fields ?? {}),
		policy: upload.policy,
	};
	return await weixinRequest(ctx, itemIndex, request);
}
