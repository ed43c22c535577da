import { request } from 'http';
import { gunzipSync } from 'zlib';

import { realFixture } from '../fixtures/real';
import { SandboxClient } from './client';
import { classicToken, sandboxPerTest, upload, withToken } from './helpers';
import type { Sandbox } from './types';

let sandbox: Sandbox;
let token: string;
let voiceId: string;

sandboxPerTest(async (started, freshToken) => {
	sandbox = started;
	token = freshToken;
	const answer = await upload(sandbox, '/cgi-bin/media/upload?type=voice', token, realFixture('speech-nb.amr'), {
		filename: 'speech.amr',
	});
	voiceId = answer.media_id as string;
});

interface RawAnswer {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: Buffer;
}

/** A GET that shows the bytes as sent (fetch would decode gzip and hide Content-Encoding). */
function rawGet(url: string, acceptEncoding?: string): Promise<RawAnswer> {
	return new Promise((resolve, reject) => {
		const headers = acceptEncoding ? { 'Accept-Encoding': acceptEncoding } : {};
		request(url, { headers }, (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () =>
				resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
			);
			response.on('error', reject);
		})
			.on('error', reject)
			.end();
	});
}

const getVoice = (mediaId = voiceId, acceptEncoding?: string) =>
	rawGet(withToken(sandbox, `/cgi-bin/media/get?media_id=${encodeURIComponent(mediaId)}`, token), acceptEncoding);

describe('answer modes', () => {
	it('by default labels a file truly and names it', async () => {
		const answer = await getVoice(voiceId, 'gzip');
		expect(answer.headers['content-type']).toBe('audio/amr');
		expect(answer.headers['content-disposition']).toBe(`attachment; filename="${voiceId}.amr"`);
		expect(answer.headers['content-encoding']).toBeUndefined();
		expect(answer.body.equals(realFixture('speech-nb.amr'))).toBe(true);
	});

	it('relabels files (text/plain, as get_material is reported to) and JSON answers of download endpoints', async () => {
		sandbox.setAnswerModes({ fileContentType: 'text/plain', jsonContentType: 'application/octet-stream' });
		const file = await getVoice();
		expect(file.headers['content-type']).toBe('text/plain');
		expect(file.body.equals(realFixture('speech-nb.amr'))).toBe(true);
		const error = await getVoice('unknown');
		expect(error.headers['content-type']).toBe('application/octet-stream');
		expect(JSON.parse(error.body.toString('utf8'))).toMatchObject({ errcode: 40007 });
	});

	it('leaves out Content-Disposition', async () => {
		sandbox.setAnswerModes({ omitFilename: true });
		const answer = await getVoice();
		expect(answer.headers['content-disposition']).toBeUndefined();
		expect(answer.body.equals(realFixture('speech-nb.amr'))).toBe(true);
	});

	it('gzips for clients that accept it, Content-Length being the compressed size', async () => {
		sandbox.setAnswerModes({ gzip: true });
		const answer = await getVoice(voiceId, 'gzip, deflate, br');
		expect(answer.headers['content-encoding']).toBe('gzip');
		expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
		expect(gunzipSync(answer.body).equals(realFixture('speech-nb.amr'))).toBe(true);
		const plain = await getVoice(voiceId, 'identity');
		expect(plain.headers['content-encoding']).toBeUndefined();
		expect(plain.body.equals(realFixture('speech-nb.amr'))).toBe(true);
		const refused = await getVoice(voiceId, 'gzip;q=0');
		expect(refused.headers['content-encoding']).toBeUndefined();
	});

	it('gzips JSON answers too, and a truncated gzip file is cut in its compressed form', async () => {
		sandbox.setAnswerModes({ gzip: true });
		const error = await getVoice('unknown', 'gzip');
		expect(JSON.parse(gunzipSync(error.body).toString('utf8'))).toMatchObject({ errcode: 40007 });
		sandbox.injectFault({ path: '/cgi-bin/media/get', kind: 'truncate' });
		const cut = await getVoice(voiceId, 'gzip').catch((failure: Error) => failure);
		// The socket closes after half the compressed bytes: the client sees an aborted answer.
		expect(cut).toMatchObject({ message: expect.stringMatching(/aborted/) });
	});

	it('applies to one path only when told', async () => {
		sandbox.setAnswerModes({ path: '/cgi-bin/material/get_material', fileContentType: 'text/plain' });
		expect((await getVoice()).headers['content-type']).toBe('audio/amr');
	});

	it('refuses unknown switches, is settable over HTTP and is cleared by reset', async () => {
		expect(() => sandbox.setAnswerModes({ compress: true } as never)).toThrow('unknown answer mode compress');
		const client = new SandboxClient(sandbox.url);
		await client.setAnswerModes({ omitFilename: true });
		expect((await getVoice()).headers['content-disposition']).toBeUndefined();
		sandbox.reset();
		expect(sandbox.log()).toEqual([]);
		token = await classicToken(sandbox);
		const again = await upload(sandbox, '/cgi-bin/media/upload?type=voice', token, realFixture('speech-nb.amr'), {
			filename: 'speech.amr',
		});
		const answer = await getVoice(again.media_id as string);
		expect(answer.headers['content-disposition']).toBeDefined();
	});
});
