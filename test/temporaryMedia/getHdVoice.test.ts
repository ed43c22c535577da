import { amr, speex } from '../fixtures/media';
import { runNode } from '../harness';
import { classicToken, upload } from '../sandbox/helpers';
import { apiCalls, useSandbox } from '../support';

const env = useSandbox();

const getHdVoice = (mediaId: string, binaryPropertyName = 'data') => ({
	resource: 'temporaryMedia',
	operation: 'getHdVoice',
	mediaId,
	binaryPropertyName,
});

describe('Temporary Media → Get HD Voice', () => {
	it('downloads the speex recording into the chosen binary field, byte for byte', async () => {
		const recording = speex(6000);
		const mediaId = env.sandbox.seedHdVoice(recording);
		const result = await runNode({
			parameters: getHdVoice(mediaId, 'voice'),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json).toEqual({
			media_id: mediaId,
			file_name: `${mediaId}.speex`,
			mime_type: 'audio/speex',
			bytes: recording.length,
		});
		expect(result.items[0].binary?.voice).toMatchObject({
			fileName: `${mediaId}.speex`,
			mimeType: 'audio/speex',
		});
		expect(result.items[0].binary?.data).toBeUndefined();
		expect(Buffer.compare(await result.readBinary(0, 'voice'), recording)).toBe(0);
		expect(apiCalls(env.sandbox)).toEqual(['GET /cgi-bin/media/get/jssdk']);
		const call = env.sandbox.log().find((entry) => entry.path === '/cgi-bin/media/get/jssdk');
		expect(call?.query.media_id).toBe(mediaId);
	});

	it('answers each input item with its own recording, in order and paired', async () => {
		const recordings = [speex(3000), speex(4000), speex(5000)];
		const ids = recordings.map((bytes) => env.sandbox.seedHdVoice(bytes));
		const result = await runNode({
			parameters: { ...getHdVoice('={{ $json.id }}') },
			items: ids.map((id) => ({ json: { id } })),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.media_id)).toEqual(ids);
		expect(result.items.map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
		for (const [index, bytes] of recordings.entries()) {
			expect(Buffer.compare(await result.readBinary(index), bytes)).toBe(0);
		}
	});

	it('turns the JSON error for an unknown id into an error with a hint, never a file (40007)', async () => {
		const result = await runNode({
			parameters: getHdVoice('no-such-voice'),
			credentials: env.credentials(),
		});
		expect(result.items).toHaveLength(0);
		expect(result.error?.message).toContain('errcode 40007');
		expect(result.error?.description).toContain('expired temporary id');
	});

	it('refuses a voice that was not recorded with the JS-SDK (40007), keeping other items under continueOnFail', async () => {
		const token = await classicToken(env.sandbox);
		const plain = await upload(env.sandbox, '/cgi-bin/media/upload?type=voice', token, amr(2), {
			filename: 'memo.amr',
		});
		const recorded = env.sandbox.seedHdVoice(speex(2500));
		const result = await runNode({
			parameters: { ...getHdVoice('={{ $json.id }}'), options: { keepInputFields: true } },
			items: [{ json: { id: plain.media_id as string } }, { json: { id: recorded } }],
			credentials: env.credentials(),
			continueOnFail: true,
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(2);
		expect(result.items[0].json).toMatchObject({ errcode: 40007, id: plain.media_id });
		expect(result.items[0].json.error).toContain('errcode 40007');
		expect(result.items[0].binary).toBeUndefined();
		expect(result.items[1].json.media_id).toBe(recorded);
		expect(result.items[1].binary?.data.mimeType).toBe('audio/speex');
	});

	it('reads an HD voice again after a dropped connection, as reads may be', async () => {
		const recording = speex(4000);
		const mediaId = env.sandbox.seedHdVoice(recording);
		env.sandbox.injectFault({ path: '/cgi-bin/media/get/jssdk', kind: 'drop' });
		const result = await runNode({
			parameters: getHdVoice(mediaId),
			credentials: env.credentials(),
		});
		expect(result.error).toBeUndefined();
		expect(Buffer.compare(await result.readBinary(0), recording)).toBe(0);
		expect(apiCalls(env.sandbox)).toEqual([
			'GET /cgi-bin/media/get/jssdk',
			'GET /cgi-bin/media/get/jssdk',
		]);
	});

	it('refuses a blank media id or output field (mapped from the input) before any request', async () => {
		const blankId = await runNode({ parameters: getHdVoice(' '), credentials: env.credentials() });
		expect(blankId.error?.message).toBe('item 0, field `Media ID`: is empty');
		const blankField = await runNode({
			parameters: getHdVoice('some-id', '={{ $json.field }}'),
			items: [{ json: { field: '' } }],
			credentials: env.credentials(),
		});
		expect(blankField.error?.message).toBe('item 0, field `Put Output File in Field`: is empty');
		expect(env.sandbox.log()).toHaveLength(0);
	});
});
