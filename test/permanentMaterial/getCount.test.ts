import { amr, jpeg, mp4, png } from '../fixtures/media';
import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import { addMaterials, addNews } from './library';

const env = useSandbox();

const getCount = { resource: 'permanentMaterial', operation: 'getCount' };

describe('Permanent Material → Get Count', () => {
	it('counts each library as WeChat does (thumbs among the images)', async () => {
		const [thumb] = await addMaterials(env.sandbox, [
			{ type: 'thumb', bytes: jpeg(), filename: 't.jpg' },
			{ type: 'image', bytes: png(), filename: 'a.png' },
			{ type: 'voice', bytes: amr(1), filename: 'v.amr' },
			{ type: 'voice', bytes: amr(2), filename: 'w.amr' },
			{ type: 'video', bytes: mp4(), filename: 'v.mp4', video: { title: 't', introduction: '' } },
		]);
		await addNews(env.sandbox, thumb, ['One']);
		env.sandbox.clearLog();
		const result = await runNode({ parameters: getCount, credentials: env.credentials() });
		expect(result.error).toBeUndefined();
		expect(result.items).toEqual([
			expect.objectContaining({
				json: { image_count: 2, voice_count: 2, video_count: 1, news_count: 1 },
				pairedItem: { item: 0 },
			}),
		]);
		expect(apiCalls(env.sandbox)).toEqual(['GET /cgi-bin/material/get_materialcount']);
	});

	it('answers zeros for an empty library', async () => {
		const result = await runNode({ parameters: getCount, credentials: env.credentials() });
		expect(result.items[0].json).toEqual({
			image_count: 0,
			voice_count: 0,
			video_count: 0,
			news_count: 0,
		});
	});

	it('asks again after an HTTP 500, and reports a refusal with its hint', async () => {
		env.sandbox.injectFault({
			path: '/cgi-bin/material/get_materialcount',
			kind: 'http',
			status: 500,
		});
		const retried = await runNode({ parameters: getCount, credentials: env.credentials() });
		expect(retried.error).toBeUndefined();
		expect(apiCalls(env.sandbox)).toEqual([
			'GET /cgi-bin/material/get_materialcount',
			'GET /cgi-bin/material/get_materialcount',
		]);

		env.sandbox.injectFault({
			path: '/cgi-bin/material/get_materialcount',
			kind: 'errcode',
			errcode: 48001,
		});
		const refused = await runNode({ parameters: getCount, credentials: env.credentials() });
		expect(refused.error?.message).toContain('errcode 48001');
		expect(refused.error?.description).toContain('not authorised');
	});
});
