/**
 * The permanent material library through a real n8n, in one workflow that reads like a user's:
 * add a folder of images and a video from disk, get them back, count, list everything, delete what
 * was listed, count again. The sandbox's library and request log witness each step.
 */
import * as fs from 'fs';
import * as path from 'path';

import { jpeg, mp4, png } from '../fixtures/media';
import type { MultipartLogBody } from '../sandbox/types';
import { apiCalls, useN8n, type E2eRun } from './session';

/** One more than a batchget_material page (20), so Return All has to fetch a second page. */
const LIBRARY: Record<string, Buffer> = {
	...Object.fromEntries(
		Array.from({ length: 20 }, (_, index) => [
			`photo-${String(index + 1).padStart(2, '0')}.jpg`,
			jpeg(4096 + index * 512),
		]),
	),
	'春天的花.png': png(9000),
};
const CLIP = mp4(256 * 1024);
const VIDEO_TITLE = '春天的视频：花开了';
const VIDEO_INTRODUCTION = '在公园里拍的一段短片，约 30 秒';

const e2e = useN8n({
	workflows: ['permanent-material-library'],
	files: {
		...Object.fromEntries(
			Object.entries(LIBRARY).map(([name, bytes]) => [`library/${name}`, bytes]),
		),
		'clip.mp4': CLIP,
	},
});

describe('permanent material in n8n', () => {
	// One execution of the workflow; each test below reads a part of it.
	let run: E2eRun;
	let imageIds: string[];
	const imageCount = Object.keys(LIBRARY).length;
	const nodeItems = (name: string) => run.result.nodes[name].items;
	const requestsTo = (path: string) => run.requests.filter((entry) => entry.path === path);

	beforeAll(async () => {
		run = await e2e.run('permanent-material-library');
		imageIds = nodeItems('Add images').map((item) => item.json.media_id as string);
	});

	it('adds every image read from disk, one output item per input item, paired', () => {
		const read = nodeItems('Read library');
		const added = nodeItems('Add images');
		expect(added).toHaveLength(imageCount);
		added.forEach((item, index) => {
			expect(item.json).toMatchObject({
				type: 'image',
				media_id: expect.any(String),
				url: expect.stringMatching(/^http:\/\/mmbiz\.qpic\.cn\//),
				file_name: read[index].json.fileName,
			});
			expect(item.pairedItem).toEqual({ item: index });
		});
		const uploads = requestsTo('/cgi-bin/material/add_material')
			.filter((entry) => entry.query.type === 'image')
			.map((entry) => (entry.body as MultipartLogBody).files);
		// Uploads run concurrently: compare them as a set of files, not in order.
		expect(uploads.map(([file]) => `${file.filename} ${file.size}`).sort()).toEqual(
			Object.entries(LIBRARY)
				.map(([name, bytes]) => `${name} ${bytes.length}`)
				.sort(),
		);
	});

	it('gets each image back into n8n with the same bytes and the name it was added with', () => {
		const read = nodeItems('Read library');
		const fetched = nodeItems('Get images');
		expect(fetched.map((item) => item.json.media_id)).toEqual(imageIds);
		fetched.forEach((item, index) => {
			const fileName = read[index].json.fileName as string;
			expect(item.binary?.data).toMatchObject({
				fileName,
				id: expect.stringMatching(/^filesystem/),
			});
			expect(e2e.n8n.readBinary(item.binary!.data).equals(LIBRARY[fileName])).toBe(true);
		});
	});

	it('adds a video with a Chinese title and gets title, introduction and file back', () => {
		const [video] = nodeItems('Add video');
		expect(video.json).toMatchObject({ type: 'video', media_id: expect.any(String) });
		expect(video.json).not.toHaveProperty('url');
		const upload = requestsTo('/cgi-bin/material/add_material').find(
			(entry) => entry.query.type === 'video',
		);
		expect(JSON.parse((upload?.body as MultipartLogBody).fields.description)).toEqual({
			title: VIDEO_TITLE,
			introduction: VIDEO_INTRODUCTION,
		});
		expect(nodeItems('Get video')[0].json).toMatchObject({
			media_id: video.json.media_id,
			title: VIDEO_TITLE,
			description: VIDEO_INTRODUCTION,
			down_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//),
			mime_type: 'video/mp4',
			bytes: CLIP.length,
		});
		const written = fs.readFileSync(path.join(e2e.n8n.filesDir, 'clip-from-library.mp4'));
		expect(written.equals(CLIP)).toBe(true);
	});

	it('counts, lists every image with Return All across two pages, and deletes them', () => {
		expect(nodeItems('Count').map((item) => item.json)).toEqual([
			{ voice_count: 0, video_count: 1, image_count: imageCount, news_count: 0 },
		]);
		const listed = nodeItems('List images').map((item) => item.json.media_id);
		// Newest first by arrival, and the uploads ran concurrently: the same ids, in some order.
		expect([...listed].sort()).toEqual([...imageIds].sort());
		expect(requestsTo('/cgi-bin/material/batchget_material').map((entry) => entry.body)).toEqual([
			{ type: 'image', offset: 0, count: 20 },
			{ type: 'image', offset: 20, count: 20 },
		]);
		expect(nodeItems('Delete images').map((item) => item.json)).toEqual(
			listed.map((media_id) => ({ media_id, deleted: true })),
		);
		for (const mediaId of imageIds) {
			expect(e2e.sandbox.stored('permanent', mediaId)).toBeUndefined();
		}
		expect(nodeItems('Count after delete').map((item) => item.json)).toEqual([
			{ voice_count: 0, video_count: 1, image_count: 0, news_count: 0 },
		]);
	});

	it('makes each WeChat call once per item and fetches one token for the whole workflow', () => {
		const calls = apiCalls(run.requests);
		const times = (call: string) => calls.filter((made) => made === call).length;
		expect(times('POST /cgi-bin/material/add_material')).toBe(imageCount + 1);
		expect(times('POST /cgi-bin/material/get_material')).toBe(imageCount + 1);
		expect(times('POST /cgi-bin/material/del_material')).toBe(imageCount);
		expect(times('GET /cgi-bin/material/get_materialcount')).toBe(2);
		expect(run.requests.filter((entry) => entry.tokenCall)).toHaveLength(1);
	});
});
