/**
 * Temporary media through a real n8n: files enter and leave through n8n's own nodes (Read/Write
 * Files from Disk, HTTP Request), binary data lives on the filesystem, and every WeChat call lands
 * on the sandbox, whose request log is the second witness next to n8n's run data.
 */
import * as fs from 'fs';
import * as path from 'path';

import { jpeg, mp4 } from '../fixtures/media';
import { SANDBOX_APP, startSandbox, type RequestLogEntry, type Sandbox } from '../sandbox';
import { createN8nInstance, type N8nInstance, type RunResult } from './n8n';

const PHOTO = jpeg(40 * 1024);
const THUMB = jpeg(20 * 1024);
const CLIP = mp4(300 * 1024);

let sandbox: Sandbox;
let n8n: N8nInstance;
const workflowIds: Record<string, string> = {};

beforeAll(async () => {
	sandbox = await startSandbox();
	n8n = await createN8nInstance({ sandboxUrl: sandbox.url });
	fs.writeFileSync(path.join(n8n.filesDir, 'photo.jpg'), PHOTO);
	fs.writeFileSync(path.join(n8n.filesDir, 'thumb.jpg'), THUMB);
	fs.writeFileSync(path.join(n8n.filesDir, 'clip.mp4'), CLIP);
	await n8n.importCredential();
	const files = ['temporary-image-roundtrip', 'temporary-thumb-upload', 'temporary-video-get'];
	const ids = await n8n.importWorkflows(files.map((name) => `${name}.json`));
	files.forEach((name, index) => (workflowIds[name] = ids[index]));
});

afterAll(async () => {
	await n8n?.cleanup();
	await sandbox?.close();
});

/** Everything n8n printed must be free of the AppSecret and of every token the sandbox issued. */
function expectNoSecretsIn(result: RunResult & { output: { stdout: string; stderr: string } }) {
	const printed = `${result.output.stdout}\n${result.output.stderr}`;
	for (const secret of [SANDBOX_APP.appSecret, ...sandbox.issuedTokens()]) {
		expect(printed.includes(secret)).toBe(false);
	}
}

/** Executes a workflow (expected to fail or not) and returns its run and the requests it caused. */
async function execute(name: string) {
	const logged = sandbox.log().length;
	const result = await n8n.execute(workflowIds[name]);
	expectNoSecretsIn(result);
	return { result, requests: sandbox.log().slice(logged) };
}

async function run(name: string): Promise<{ result: RunResult; requests: RequestLogEntry[] }> {
	const outcome = await execute(name);
	if (outcome.result.error) {
		throw new Error(`workflow ${name} failed: ${JSON.stringify(outcome.result.error, null, 2)}`);
	}
	return outcome;
}

const apiCalls = (requests: RequestLogEntry[]) =>
	requests.filter((entry) => !entry.tokenCall).map((entry) => `${entry.method} ${entry.path}`);

/**
 * The credential (one for the whole file) keeps its token in n8n's database: whichever workflow
 * runs first fetches it, every later execution reuses it, in this process or the next.
 */
function expectOneTokenInTotal() {
	expect(sandbox.tokenCalls()).toBe(1);
}

describe('temporary media in n8n', () => {
	it('uploads an image read from disk and gets the same bytes back', async () => {
		const { result, requests } = await run('temporary-image-roundtrip');

		const uploaded = result.nodes['Upload image'].items;
		expect(uploaded).toHaveLength(1);
		expect(uploaded[0].json).toMatchObject({
			type: 'image',
			media_id: expect.any(String),
			created_at: expect.any(Number),
		});
		const mediaId = uploaded[0].json.media_id as string;
		expect(sandbox.stored('temporary', mediaId)).toBeTruthy();

		const fetched = result.nodes['Get image'].items[0].binary?.data;
		expect(fetched).toMatchObject({ mimeType: 'image/jpeg', fileSize: expect.any(String) });
		expect(fetched?.id).toMatch(/^filesystem/);
		expect(n8n.readBinary(fetched!).equals(PHOTO)).toBe(true);
		expect(fs.readFileSync(path.join(n8n.filesDir, 'photo-roundtrip.jpg')).equals(PHOTO)).toBe(
			true,
		);

		expect(apiCalls(requests)).toEqual(['POST /cgi-bin/media/upload', 'GET /cgi-bin/media/get']);
		const upload = requests.find((entry) => entry.path === '/cgi-bin/media/upload');
		expect(upload?.query.type).toBe('image');
		expect(upload?.body).toMatchObject({
			files: [
				{ field: 'media', filename: 'photo.jpg', contentType: 'image/jpeg', size: PHOTO.length },
			],
		});
		expectOneTokenInTotal();
	});

	it('runs the same workflow again in a new n8n process without fetching a token', async () => {
		await run('temporary-image-roundtrip');
		const { requests } = await run('temporary-image-roundtrip');

		expect(requests.filter((entry) => entry.tokenCall)).toEqual([]);
		expect(apiCalls(requests)).toEqual(['POST /cgi-bin/media/upload', 'GET /cgi-bin/media/get']);
		expectOneTokenInTotal();
	});

	it('uploads a thumb and reports its id as media_id, like every other type', async () => {
		const { result, requests } = await run('temporary-thumb-upload');

		const [item] = result.nodes['Upload thumb'].items;
		expect(item.json).toMatchObject({
			type: 'thumb',
			media_id: expect.any(String),
			created_at: expect.any(Number),
		});
		expect(item.json).not.toHaveProperty('thumb_media_id');
		expect(sandbox.stored('temporary', item.json.media_id as string)).toBeTruthy();
		expect(apiCalls(requests)).toEqual(['POST /cgi-bin/media/upload']);
		expect(requests[requests.length - 1].query.type).toBe('thumb');
		expectOneTokenInTotal();
	});

	it('gets a video both as a download and as a URL that HTTP Request can fetch', async () => {
		const { result, requests } = await run('temporary-video-get');

		const downloaded = result.nodes['Get video file'].items[0];
		expect(downloaded.binary?.data).toMatchObject({ mimeType: 'video/mp4' });
		expect(fs.readFileSync(path.join(n8n.filesDir, 'clip-downloaded.mp4')).equals(CLIP)).toBe(true);

		const linked = result.nodes['Get video URL'].items[0];
		expect(linked.binary).toBeUndefined();
		expect(linked.json.video_url).toEqual(expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//));
		const viaHttp = result.nodes['Fetch video URL'].items[0].binary?.data;
		expect(n8n.readBinary(viaHttp!).equals(CLIP)).toBe(true);

		const videoPath = new URL(linked.json.video_url as string).pathname;
		expect(apiCalls(requests)).toEqual([
			'POST /cgi-bin/media/upload',
			'GET /cgi-bin/media/get',
			`GET ${videoPath}`,
			'GET /cgi-bin/media/get',
			`GET ${videoPath}`,
		]);
		expectOneTokenInTotal();
	});

	it('stops the run at the node that met a WeChat error and says which error', async () => {
		sandbox.injectFault({ path: '/cgi-bin/media/get', kind: 'errcode', errcode: 40007 });
		const { result, requests } = await execute('temporary-image-roundtrip');

		expect(result.status).toBe('error');
		expect(result.lastNodeExecuted).toBe('Get image');
		expect(result.nodes['Upload image'].items).toHaveLength(1);
		expect(result.nodes['Get image'].error?.message).toEqual(expect.stringContaining('40007'));
		expect(result.nodes['Write copy']).toBeUndefined();
		expect(requests.filter((entry) => entry.errcode === 40007)).toHaveLength(1);
		expectOneTokenInTotal();
	});
});
