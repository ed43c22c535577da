/**
 * What the reliability tests share: material seeded over plain HTTP (independently of the node), one
 * runnable case per operation, and ways to read what a run left behind.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { jpeg, mp4 } from '../fixtures/media';
import type { InputItem, RunResult } from '../harness';
import type { Sandbox } from '../sandbox';
import { classicToken, postJson, upload } from '../sandbox/helpers';

export interface Seeded {
	temporaryImage: string;
	temporaryVideo: string;
	permanentImage: string;
	/** Another permanent image, for a second delete. */
	spareImage: string;
	hdVoice: string;
	/** A draft nobody has published yet. */
	draft: string;
	/** The publish_id of another draft, already submitted. */
	publishId: string;
}

function expectField(answer: IDataObject, field: string, what: string): string {
	const value = answer[field];
	if (typeof value !== 'string' && typeof value !== 'number') {
		throw new Error(`seeding ${what} failed: ${JSON.stringify(answer)}`);
	}
	return String(value);
}

/** Puts one of everything the operations read in the sandbox, then empties its request log. */
export async function seed(sandbox: Sandbox): Promise<Seeded> {
	const token = await classicToken(sandbox);
	const send = async (path: string, bytes: Buffer, filename: string) =>
		(await upload(sandbox, path, token, bytes, { filename })) as IDataObject;
	const temporaryImage = expectField(
		await send('/cgi-bin/media/upload?type=image', jpeg(40_000), 'seed.jpg'),
		'media_id',
		'a temporary image',
	);
	const temporaryVideo = expectField(
		await send('/cgi-bin/media/upload?type=video', mp4(120_000), 'seed.mp4'),
		'media_id',
		'a temporary video',
	);
	const permanentImage = expectField(
		await send('/cgi-bin/material/add_material?type=image', jpeg(30_000), 'cover.jpg'),
		'media_id',
		'a permanent image',
	);
	const spareImage = expectField(
		await send('/cgi-bin/material/add_material?type=image', jpeg(20_000), 'spare.jpg'),
		'media_id',
		'a permanent image',
	);
	const draftOf = async (title: string) =>
		expectField(
			(await postJson(
				sandbox,
				'/cgi-bin/draft/add',
				{ articles: [{ title, content: `<p>${title}</p>`, thumb_media_id: permanentImage }] },
				token,
			)) as IDataObject,
			'media_id',
			'a draft',
		);
	const draft = await draftOf('Unpublished');
	const publishId = expectField(
		(await postJson(
			sandbox,
			'/cgi-bin/freepublish/submit',
			{ media_id: await draftOf('Published') },
			token,
		)) as IDataObject,
		'publish_id',
		'a publication',
	);
	const hdVoice = sandbox.seedHdVoice();
	sandbox.clearLog();
	return { temporaryImage, temporaryVideo, permanentImage, spareImage, hdVoice, draft, publishId };
}

export type Policy = 'read' | 'repeatableWrite' | 'write';

export interface OperationCase {
	/** "resource.operation" */
	name: string;
	/** The API path the operation calls (its last call, for those that make several). */
	path: string;
	policy: Policy;
	parameters(seeded: Seeded): INodeParameters;
	items?: InputItem[];
}

const file = (bytes: Buffer, fileName: string): InputItem => ({ files: [{ bytes, fileName }] });

const articles = (resource: 'news' | 'draft') => (seeded: Seeded) => ({
	resource,
	operation: 'create',
	articlesInput: 'json',
	articlesJson: JSON.stringify([
		{ title: '夜间发布', content: '<p>正文</p>', thumb_media_id: seeded.permanentImage },
	]),
	rehostImages: false,
});

/** Every operation of the node, with parameters that succeed against freshly seeded material. */
export const OPERATIONS: OperationCase[] = [
	{
		name: 'temporaryMedia.upload',
		path: '/cgi-bin/media/upload',
		policy: 'repeatableWrite',
		parameters: () => ({
			resource: 'temporaryMedia',
			operation: 'upload',
			mediaType: 'image',
			binaryPropertyName: 'data',
		}),
		items: [file(jpeg(5000), 'photo.jpg')],
	},
	{
		name: 'temporaryMedia.get',
		path: '/cgi-bin/media/get',
		policy: 'read',
		parameters: (seeded) => ({
			resource: 'temporaryMedia',
			operation: 'get',
			mediaId: seeded.temporaryImage,
			binaryPropertyName: 'data',
		}),
	},
	{
		name: 'temporaryMedia.getHdVoice',
		path: '/cgi-bin/media/get/jssdk',
		policy: 'read',
		parameters: (seeded) => ({
			resource: 'temporaryMedia',
			operation: 'getHdVoice',
			mediaId: seeded.hdVoice,
			binaryPropertyName: 'data',
		}),
	},
	{
		name: 'permanentMaterial.add',
		path: '/cgi-bin/material/add_material',
		policy: 'write',
		parameters: () => ({
			resource: 'permanentMaterial',
			operation: 'add',
			mediaType: 'image',
			binaryPropertyName: 'data',
		}),
		items: [file(jpeg(6000), 'library.jpg')],
	},
	{
		name: 'permanentMaterial.get',
		path: '/cgi-bin/material/get_material',
		policy: 'read',
		parameters: (seeded) => ({
			resource: 'permanentMaterial',
			operation: 'get',
			mediaId: seeded.permanentImage,
			binaryPropertyName: 'data',
		}),
	},
	{
		name: 'permanentMaterial.deleteMaterial',
		path: '/cgi-bin/material/del_material',
		policy: 'write',
		parameters: (seeded) => ({
			resource: 'permanentMaterial',
			operation: 'deleteMaterial',
			mediaId: seeded.permanentImage,
		}),
	},
	{
		name: 'permanentMaterial.getCount',
		path: '/cgi-bin/material/get_materialcount',
		policy: 'read',
		parameters: () => ({ resource: 'permanentMaterial', operation: 'getCount' }),
	},
	{
		name: 'permanentMaterial.getMany',
		path: '/cgi-bin/material/batchget_material',
		policy: 'read',
		parameters: () => ({
			resource: 'permanentMaterial',
			operation: 'getMany',
			materialType: 'image',
			returnAll: true,
		}),
	},
	{
		name: 'articleImage.upload',
		path: '/cgi-bin/media/uploadimg',
		policy: 'repeatableWrite',
		parameters: () => ({
			resource: 'articleImage',
			operation: 'upload',
			binaryPropertyName: 'data',
		}),
		items: [file(jpeg(7000), 'inline.jpg')],
	},
	{
		name: 'news.create',
		path: '/cgi-bin/material/add_news',
		policy: 'write',
		parameters: articles('news'),
	},
	{
		name: 'draft.create',
		path: '/cgi-bin/draft/add',
		policy: 'write',
		parameters: articles('draft'),
	},
	{
		name: 'draft.get',
		path: '/cgi-bin/draft/get',
		policy: 'read',
		parameters: (seeded) => ({ resource: 'draft', operation: 'get', mediaId: seeded.draft }),
	},
	{
		name: 'publish.submit',
		path: '/cgi-bin/freepublish/submit',
		policy: 'write',
		parameters: (seeded) => ({ resource: 'publish', operation: 'submit', mediaId: seeded.draft }),
	},
	{
		name: 'publish.getStatus',
		path: '/cgi-bin/freepublish/get',
		policy: 'read',
		parameters: (seeded) => ({
			resource: 'publish',
			operation: 'getStatus',
			publishId: seeded.publishId,
		}),
	},
];

export const byPolicy = (...policies: Policy[]) =>
	OPERATIONS.filter((operation) => policies.includes(operation.policy));

export function operation(name: string): OperationCase {
	const found = OPERATIONS.find((candidate) => candidate.name === name);
	if (!found) throw new Error(`no operation case ${name}`);
	return found;
}

/** The node parameters of `operationCase` with the run options added. */
export function withOptions(parameters: INodeParameters, options: IDataObject): INodeParameters {
	const merged: IDataObject = { ...(parameters.options as IDataObject | undefined), ...options };
	return { ...parameters, options: merged as INodeParameters };
}

/** How many requests reached `path` (token calls never match an API path). */
export function callsTo(sandbox: Sandbox, path: string): number {
	return sandbox.log().filter((entry) => entry.path === path).length;
}

/**
 * Every string a run left behind, for a secret scan: output items (JSON and binary metadata), the
 * run error with all its own properties (not only the enumerable ones) and its causes, and the logs.
 */
export function textsOf(result: RunResult): string[] {
	const texts: string[] = [JSON.stringify(result.items), ...result.logs];
	const seen = new Set<unknown>();
	const walk = (value: unknown, depth: number) => {
		if (typeof value === 'string') {
			texts.push(value);
			return;
		}
		if (!value || typeof value !== 'object' || seen.has(value) || depth > 8) return;
		seen.add(value);
		for (const key of Object.getOwnPropertyNames(value)) {
			walk((value as Record<string, unknown>)[key], depth + 1);
		}
	};
	walk(result.error, 0);
	for (const item of result.items) walk(item, 0);
	return texts;
}
