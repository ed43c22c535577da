import { NodeOperationError } from 'n8n-workflow';
import type { IBinaryData, IExecuteFunctions } from 'n8n-workflow';
import type { Readable } from 'stream';

import { settleSync } from '../transport/outcome';

import { FORMATS, SNIFF_BYTES } from './formats';
import type { MediaStore, MediaType } from './rules';
import { MediaRuleViolation, checkMedia, needsWholeFile, type CheckedMedia } from './validate';

/** An input file that passed the media rules, ready to be sent (as often as a retry needs). */
export interface UploadSource {
	/** The name sent to WeChat: the input's name with the extension of the detected format. */
	fileName: string;
	mimeType: string;
	size: number;
	checked: CheckedMedia;
	binaryPropertyName: string;
	/** A fresh stream (n8n's file or database store) or the bytes (in-memory binary data). */
	open(): Promise<Readable | Buffer>;
}

/** Files up to this size are held in memory while sent; larger ones are streamed from n8n's store. */
const READ_WHOLE_UP_TO_BYTES = 1024 * 1024;

/**
 * A write-check reads every file of the batch before any is sent. What it read is kept for sending up
 * to this much per node run (200 images of 100 KB fit), so such a file is read once; files beyond it
 * are read again when sent, so a large batch never holds all its files at once.
 */
export const KEPT_FOR_SENDING_PER_RUN = 32 * 1024 * 1024;
const keptPerRun = new WeakMap<IExecuteFunctions, { bytes: number }>();

function mayKeepForSending(ctx: IExecuteFunctions, bytes: number): boolean {
	let kept = keptPerRun.get(ctx);
	if (!kept) {
		kept = { bytes: 0 };
		keptPerRun.set(ctx, kept);
	}
	if (kept.bytes + bytes > KEPT_FOR_SENDING_PER_RUN) return false;
	kept.bytes += bytes;
	return true;
}

/** "item 3, property `data`: ..." — every media error names where the user has to look. */
export function inputError(
	ctx: IExecuteFunctions,
	itemIndex: number,
	binaryPropertyName: string,
	message: string,
	description?: string,
): NodeOperationError {
	return new NodeOperationError(
		ctx.getNode(),
		`item ${itemIndex}, property \`${binaryPropertyName}\`: ${message}`,
		{ itemIndex, description },
	);
}

/** Several files per item are allowed: "data, cover, attachment_1". */
export function parseBinaryPropertyNames(value: string): string[] {
	return value
		.split(',')
		.map((name) => name.trim())
		.filter((name) => name !== '');
}

function findBinary(ctx: IExecuteFunctions, itemIndex: number, name: string): IBinaryData {
	const binaries = ctx.getInputData()[itemIndex]?.binary ?? {};
	const binary = binaries[name];
	if (binary) return binary;
	const available = Object.keys(binaries);
	throw inputError(
		ctx,
		itemIndex,
		name,
		available.length === 0
			? 'the item has no binary data'
			: `the item has no binary property with this name (it has: ${available.join(', ')})`,
		'Set the binary property name to the one the previous node writes the file to (often "data").',
	);
}

async function readHead(stream: Readable): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let length = 0;
	for await (const chunk of stream) {
		chunks.push(chunk as Buffer);
		length += (chunk as Buffer).length;
		if (length >= SNIFF_BYTES) break;
	}
	stream.destroy();
	return Buffer.concat(chunks).subarray(0, SNIFF_BYTES);
}

/*
 * The readers an UploadSource keeps are made here, outside prepareUpload: a closure made inside it
 * would share its scope and keep the bytes read for checking alive until the file is sent.
 */
function bytesOf(
	ctx: IExecuteFunctions,
	itemIndex: number,
	binaryPropertyName: string,
	binary: IBinaryData,
): () => Promise<Buffer> {
	const storedId = binary.id;
	return async () =>
		storedId
			? await ctx.helpers.getBinaryDataBuffer(itemIndex, binaryPropertyName)
			: Buffer.from(binary.data, 'base64');
}

function streamOf(ctx: IExecuteFunctions, storedId: string): () => Promise<Readable> {
	return async () => await ctx.helpers.getBinaryStream(storedId);
}

function sentFileName(original: string | undefined, checked: CheckedMedia): string {
	const stem = (original ?? '')
		.replace(/\.[^.]*$/, '')
		.replace(/[\\/"\r\n\u0000-\u001f]/g, '_')
		.trim();
	return `${stem || 'media'}.${checked.extension}`;
}

/**
 * Reads an item's binary property and applies the media rules of `store` and `type` before anything is
 * sent. Only the first bytes are read (and the whole file for voice, whose duration is checked), so a
 * 10 MB video in n8n's filesystem store is never held in memory. `forLater`: the file is sent after the
 * whole batch was checked (see KEPT_FOR_SENDING_PER_RUN).
 */
export async function prepareUpload(
	ctx: IExecuteFunctions,
	itemIndex: number,
	binaryPropertyName: string,
	store: MediaStore,
	type: MediaType,
	forLater = false,
): Promise<UploadSource> {
	const binary = findBinary(ctx, itemIndex, binaryPropertyName);
	const storedId = binary.id;
	let size: number;
	let head: Buffer;
	let whole: Buffer | undefined;
	let open: () => Promise<Readable | Buffer>;
	const storedSize = storedId
		? (binary.bytes ?? (await ctx.helpers.getBinaryMetadata(storedId)).fileSize)
		: undefined;
	if (storedId && storedSize !== undefined && storedSize > READ_WHOLE_UP_TO_BYTES) {
		size = storedSize;
		open = streamOf(ctx, storedId);
		head = await readHead(await ctx.helpers.getBinaryStream(storedId));
	} else {
		// Small files (and in-memory binary data) are read once and sent from memory, as n8n's HTTP
		// Request node does: one read instead of a sniffing read plus a streaming one.
		const read = bytesOf(ctx, itemIndex, binaryPropertyName, binary);
		const bytes = await read();
		size = bytes.length;
		head = bytes.subarray(0, SNIFF_BYTES);
		open = !forLater || mayKeepForSending(ctx, size) ? async () => bytes : read;
		whole = bytes;
	}
	const check = (wholeFile: Buffer | undefined) => {
		const verdict = settleSync(() => checkMedia({ store, type, size, head, whole: wholeFile }));
		if (verdict.ok) return verdict.value;
		if (verdict.error instanceof MediaRuleViolation) {
			throw inputError(ctx, itemIndex, binaryPropertyName, verdict.error.message);
		}
		throw verdict.error;
	};
	// Size and format first: a file that breaks them is refused before it is read in full.
	let checked = check(whole);
	if (needsWholeFile(store, type) && whole === undefined) {
		whole = await ctx.helpers.getBinaryDataBuffer(itemIndex, binaryPropertyName);
		checked = check(whole);
	}
	return {
		fileName: sentFileName(binary.fileName, checked),
		mimeType: FORMATS[checked.format].mimeType,
		size,
		checked,
		binaryPropertyName,
		open,
	};
}

/**
 * The media rules for bytes already in memory (an image fetched from a URL or decoded from a data: URI).
 * Throws MediaRuleViolation, for the caller to word with where the bytes came from.
 */
export function prepareUploadFromBuffer(
	bytes: Buffer,
	fileName: string,
	store: MediaStore,
	type: MediaType,
	sourceLabel: string,
): UploadSource {
	const checked = checkMedia({
		store,
		type,
		size: bytes.length,
		head: bytes.subarray(0, SNIFF_BYTES),
		whole: bytes,
	});
	return {
		fileName: sentFileName(fileName, checked),
		mimeType: FORMATS[checked.format].mimeType,
		size: bytes.length,
		checked,
		binaryPropertyName: sourceLabel,
		open: async () => bytes,
	};
}
