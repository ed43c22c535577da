/** What the operations that send files to WeChat, or fetch files from it, have in common. */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { itemParameter } from '../../descriptions/parameters';
import { fieldError, requiredText } from '../../descriptions/validation';
import type { MediaStore, MediaType } from '../../media';
import { parseBinaryPropertyNames, prepareUpload, type UploadSource } from '../../media/source';
import {
	downloadFromUrl,
	markMayHaveWritten,
	settle,
	weixinDownload,
	weixinRequest,
	type RetryPolicy,
	type DownloadResult,
	type DownloadTarget,
	type WeixinRequest,
} from '../../transport';

/**
 * Reads and checks every file named in the item's Input Binary Field ("data, cover": one file each)
 * against the media rules of `store` and `type`; nothing is sent. `forLater`: a write-check before the
 * batch is sent, which keeps what it read for sending within a budget (see prepareUpload).
 */
export async function prepareEachFile(
	ctx: IExecuteFunctions,
	itemIndex: number,
	store: MediaStore,
	type: MediaType,
	{ forLater = false } = {},
): Promise<UploadSource[]> {
	const propertyNames = parseBinaryPropertyNames(
		itemParameter(ctx, 'binaryPropertyName', itemIndex, ''),
	);
	if (propertyNames.length === 0) {
		throw fieldError(
			ctx,
			itemIndex,
			'Input Binary Field',
			'is empty',
			'Name the binary field holding the file, often "data".',
		);
	}
	const sources: UploadSource[] = [];
	for (const name of propertyNames) {
		sources.push(await prepareUpload(ctx, itemIndex, name, store, type, forLater));
	}
	return sources;
}

/** The files an upload sends: where to, as what, and the write-check's result when there was one. */
export interface FilesToUpload {
	store: MediaStore;
	type: MediaType;
	checked?: UploadSource[];
}

/**
 * Uploads every file named in the item's Input Binary Field with `send`, after checking all of them
 * (prepareEachFile, unless the write-check did): a bad file fails the item before anything is sent.
 * One output item per file, in the order named.
 */
export async function uploadEachFile(
	ctx: IExecuteFunctions,
	itemIndex: number,
	{ store, type, checked }: FilesToUpload,
	send: (source: UploadSource) => Promise<IDataObject>,
): Promise<INodeExecutionData[]> {
	const sources = checked ?? (await prepareEachFile(ctx, itemIndex, store, type));
	const results: INodeExecutionData[] = [];
	for (const source of sources) {
		const sent = await settle(() => send(source));
		if (!sent.ok) {
			// Temporary media and article images may be sent again; permanent material would be doubled.
			if (store === 'permanent' && results.length > 0) markMayHaveWritten(sent.error);
			throw withFilesAlreadySent(sent.error, results);
		}
		results.push({
			json: { ...sent.value, file_name: source.fileName, binary_property: source.binaryPropertyName },
		});
	}
	return results;
}

/**
 * A later file of the item failed after earlier ones reached WeChat: the error says which, so the
 * user does not send them again (a permanent material would then exist twice).
 */
function withFilesAlreadySent(error: unknown, sent: INodeExecutionData[]): unknown {
	if (sent.length === 0 || !(error instanceof Error)) return error;
	const list = sent
		.map(({ json }) => `\`${String(json.binary_property)}\` → ${String(json.media_id ?? json.url)}`)
		.join(', ');
	const note = `Files of this item sent before the failure: ${list}.`;
	const described = error as Error & { description?: string | null };
	described.description = described.description ? `${described.description} ${note}` : note;
	return error;
}

/** Where a downloaded file goes: the output binary field, named after the media_id by default. */
export function downloadTarget(
	ctx: IExecuteFunctions,
	itemIndex: number,
	mediaId: string,
): DownloadTarget {
	const binaryPropertyName = requiredText(
		ctx,
		itemIndex,
		'binaryPropertyName',
		'Put Output File in Field',
	);
	return { binaryPropertyName, fallbackFileName: mediaId };
}

/**
 * The shape every "get a file by media_id" operation shares: read the Media ID and output field,
 * call WeChat (which answers with the file, or with JSON for some types), say where the file went.
 */
export async function downloadByMediaId(
	ctx: IExecuteFunctions,
	itemIndex: number,
	request: (mediaId: string) => WeixinRequest,
): Promise<{ mediaId: string; target: DownloadTarget; answer: DownloadResult }> {
	const mediaId = requiredText(ctx, itemIndex, 'mediaId', 'Media ID');
	const target = downloadTarget(ctx, itemIndex, mediaId);
	const answer = await weixinDownload(ctx, itemIndex, request(mediaId), target);
	return { mediaId, target, answer };
}

/** A read that carries the media_id in the query string (media/get, media/get/jssdk). */
export function queryByMediaId(path: string): (mediaId: string) => WeixinRequest {
	return (mediaId) => ({ method: 'GET', path, qs: { media_id: mediaId }, policy: 'read' });
}

/** A call that sends the item's Media ID as `{ media_id }` in a JSON body and answers with JSON. */
export async function postMediaId(
	ctx: IExecuteFunctions,
	itemIndex: number,
	path: string,
	policy: RetryPolicy,
): Promise<{ mediaId: string; answer: IDataObject }> {
	const mediaId = requiredText(ctx, itemIndex, 'mediaId', 'Media ID');
	const answer = await weixinRequest(ctx, itemIndex, {
		method: 'POST',
		path,
		body: { media_id: mediaId },
		policy,
	});
	return { mediaId, answer };
}

type DownloadedFile = Extract<DownloadResult, { kind: 'file' }>;

/** An output item holding a downloaded file, described in its JSON. */
export function fileItem(
	json: IDataObject,
	file: DownloadedFile,
	target: DownloadTarget,
): INodeExecutionData {
	return {
		json: {
			...json,
			file_name: file.binary.fileName,
			mime_type: file.binary.mimeType,
			bytes: file.bytes,
		},
		binary: { [target.binaryPropertyName]: file.binary },
	};
}

/**
 * WeChat answers a video with JSON holding a plain-http URL to it (`video_url`, `down_url`): the JSON
 * is the output, with the file fetched from `url` too when the user turned Download Video on.
 */
export async function videoItem(
	ctx: IExecuteFunctions,
	itemIndex: number,
	json: IDataObject,
	url: unknown,
	target: DownloadTarget,
): Promise<INodeExecutionData> {
	if (!itemParameter(ctx, 'downloadVideo', itemIndex, false) || typeof url !== 'string') {
		return { json };
	}
	return fileItem(json, await downloadFromUrl(ctx, itemIndex, url, target), target);
}

/** The write-check of operations that send one Media ID (deletes, Submit): it is there; nothing is sent. */
export async function validateMediaId(this: IExecuteFunctions, itemIndex: number): Promise<void> {
	requiredText(this, itemIndex, 'mediaId', 'Media ID');
}
