import { randomUUID } from 'crypto';
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
 * Builds the multipart body: WeChat reads the file from the part named `media`, whose filename
 * extension must match the bytes. Each attempt gets a new form over a new stream. Streams that were
 * not sent to the end (an attempt that failed early, the last one included) are closed here, so no
 * file handle waits for garbage collection.
 */
class MediaForm {
	private readonly opened: Readable[] = [];

	constructor(
		private readonly source: UploadSource,
		private readonly fields: Record<string, string>,
	) {}

	async build(): Promise<FormData> {
		this.closeAll();
		const content = await this.source.open();
		if (content instanceof Readable) this.opened.push(content);
		const form = new FormData();
		// form-data draws its own boundary from crypto.randomBytes, a synchronous call that cost more
		// CPU per upload than the rest of building the form; randomUUID serves from a cached pool.
		form.setBoundary(`WeixinMediaBoundary${randomUUID().replace(/-/g, '')}`);
		form.append('media', content, {
			filename: this.source.fileName,
			contentType: this.source.mimeType,
			knownLength: this.source.size,
		});
		for (const [name, value] of Object.entries(this.fields)) {
			// Buffer so that the text (Chinese titles included) is sent as UTF-8 bytes, as WeChat expects.
			form.append(name, Buffer.from(value, 'utf8'), { contentType: 'text/plain; charset=utf-8' });
		}
		return form;
	}

	closeAll(): void {
		for (const stream of this.opened.splice(0)) stream.destroy();
	}
}

export async function uploadMedia(
	ctx: IExecuteFunctions,
	itemIndex: number,
	upload: MediaUpload,
): Promise<IDataObject> {
	const form = new MediaForm(upload.source, upload.fields ?? {});
	const request: WeixinRequest = {
		method: 'POST',
		path: upload.path,
		qs: upload.qs,
		form: async () => await form.build(),
		policy: upload.policy,
	};
	try {
		return await weixinRequest(ctx, itemIndex, request);
	} finally {
		form.closeAll();
	}
}
