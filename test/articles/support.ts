/** What the article tests share: a local image host, a permanent cover, and node parameters. */
import { createServer, type IncomingMessage, type ServerResponse } from 'http';
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { jpeg } from '../fixtures/media';
import { listenOnLoopback } from '../localServer';
import { SANDBOX_APP, type Sandbox } from '../sandbox';

export type ImageRoute = (request: IncomingMessage, response: ServerResponse) => void;

export interface ImageServer {
	url: string;
	/** How many requests each path received. */
	hits(path: string): number;
	close(): Promise<void>;
}

/** Serves `bytes` with a Content-Length, as an ordinary web server would. */
export function serveBytes(bytes: Buffer, contentType = 'image/jpeg'): ImageRoute {
	return (_request, response) => {
		response.writeHead(200, { 'Content-Type': contentType, 'Content-Length': bytes.length });
		response.end(bytes);
	};
}

/** A local stand-in for the web servers articles link images from; closes every socket on close. */
export async function startImageServer(routes: Record<string, ImageRoute>): Promise<ImageServer> {
	const hits = new Map<string, number>();
	const server = createServer((request, response) => {
		const path = new URL(request.url ?? '/', 'http://localhost').pathname;
		hits.set(path, (hits.get(path) ?? 0) + 1);
		const route = routes[path];
		if (route) return route(request, response);
		response.writeHead(404, { 'Content-Type': 'text/plain' });
		response.end('Not Found');
	});
	const listening = await listenOnLoopback(server);
	return { ...listening, hits: (path) => hits.get(path) ?? 0 };
}

/** Puts an image in the sandbox's material library over its API and returns its media_id. */
export async function addPermanentImage(sandbox: Sandbox, bytes = jpeg(3000)): Promise<string> {
	const tokenResponse = await fetch(`${sandbox.url}/cgi-bin/stable_token`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({
			grant_type: 'client_credential',
			appid: SANDBOX_APP.appId,
			secret: SANDBOX_APP.appSecret,
		}),
	});
	const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
	const form = new FormData();
	form.append('media', new Blob([bytes], { type: 'image/jpeg' }), 'cover.jpg');
	const response = await fetch(
		`${sandbox.url}/cgi-bin/material/add_material?type=image&access_token=${token}`,
		{ method: 'POST', body: form },
	);
	const answer = (await response.json()) as { media_id?: string; errcode?: number };
	if (!answer.media_id) throw new Error(`add_material failed: ${JSON.stringify(answer)}`);
	return answer.media_id;
}

/**
 * The image servers of these tests run on loopback, which re-hosting refuses unless the user allows
 * it; the article helpers allow it, as a user with an intranet CMS would. Tests of the refusal
 * itself override it.
 */
export const LOOPBACK_ALLOWED: INodeParameters = { allowedInternalHosts: '127.0.0.1' };

/** Node parameters for News → Create or Draft → Create with articles entered as fields. */
export function articleFields(
	resource: 'news' | 'draft',
	articles: IDataObject[],
	extra: INodeParameters = {},
): INodeParameters {
	return {
		resource,
		operation: 'create',
		articlesInput: 'fields',
		articles: { article: articles },
		...LOOPBACK_ALLOWED,
		...extra,
	} as INodeParameters;
}

/** Node parameters for News → Create or Draft → Create with articles given as JSON. */
export function articleJson(
	resource: 'news' | 'draft',
	articles: unknown,
	extra: INodeParameters = {},
): INodeParameters {
	return {
		resource,
		operation: 'create',
		articlesInput: 'json',
		articlesJson: typeof articles === 'string' ? articles : JSON.stringify(articles),
		...LOOPBACK_ALLOWED,
		...extra,
	};
}

/** The `src` of every `<img>` in `html`, in order. */
export function imageSources(html: string): string[] {
	return [...html.matchAll(/<img\b[^>]*?\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)].map(
		(match) => match[1] ?? match[2] ?? match[3],
	);
}
