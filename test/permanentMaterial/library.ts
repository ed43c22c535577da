/** Fills the sandbox's material library over plain HTTP, independently of the node under test. */
import { classicToken, postJson, upload } from '../sandbox/helpers';
import type { Sandbox } from '../sandbox';

export interface MaterialToAdd {
	type: 'image' | 'voice' | 'video' | 'thumb';
	bytes: Buffer;
	filename: string;
	/** For a video: its title and introduction. */
	video?: { title: string; introduction: string };
}

/** Adds the materials one after the other (so "newest first" is defined); returns their media_ids. */
export async function addMaterials(
	sandbox: Sandbox,
	materials: MaterialToAdd[],
): Promise<string[]> {
	const token = await classicToken(sandbox);
	const ids: string[] = [];
	for (const { type, bytes, filename, video } of materials) {
		const fields = video ? { description: JSON.stringify(video) } : undefined;
		const answer = await upload(
			sandbox,
			`/cgi-bin/material/add_material?type=${type}`,
			token,
			bytes,
			{
				filename,
				fields,
			},
		);
		if (typeof answer.media_id !== 'string')
			throw new Error(`seeding failed: ${JSON.stringify(answer)}`);
		ids.push(answer.media_id);
	}
	return ids;
}

/** Adds a permanent news material (add_news) whose articles use `thumbMediaId` as cover. */
export async function addNews(
	sandbox: Sandbox,
	thumbMediaId: string,
	titles: string[],
): Promise<string> {
	const token = await classicToken(sandbox);
	const articles = titles.map((title) => ({
		title,
		thumb_media_id: thumbMediaId,
		content: `<p>${title}</p>`,
		content_source_url: '',
		show_cover_pic: 0,
	}));
	const answer = await postJson(sandbox, '/cgi-bin/material/add_news', { articles }, token);
	if (typeof answer.media_id !== 'string')
		throw new Error(`seeding failed: ${JSON.stringify(answer)}`);
	return answer.media_id;
}
