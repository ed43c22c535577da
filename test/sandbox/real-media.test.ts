/**
 * The sandbox takes what real encoders make, as WeChat does (it must not refuse what WeChat takes,
 * nor take what WeChat refuses): the real-encoder fixtures of test/fixtures/real/.
 */
import { realFixture, type RealFixture } from '../fixtures/real';
import { sandboxPerTest, upload } from './helpers';
import type { Sandbox } from './index';

let sandbox: Sandbox;
let token: string;

sandboxPerTest((started, freshToken) => {
	sandbox = started;
	token = freshToken;
});

const add = (store: 'temporary' | 'permanent', type: string, name: RealFixture, filename: string) => {
	const path = store === 'temporary' ? '/cgi-bin/media/upload' : '/cgi-bin/material/add_material';
	const fields = type === 'video' ? { description: JSON.stringify({ title: 'clip', introduction: '' }) } : undefined;
	return upload(sandbox, `${path}?type=${type}`, token, realFixture(name), { filename, fields });
};

describe('real encoder files', () => {
	it.each([
		['temporary', 'vbr-lame-info.mp3', 'a.mp3'],
		['temporary', 'crc-protected.mp3', 'a.mp3'],
		['temporary', 'id3v24-footer.mp3', 'a.mp3'],
		['temporary', 'cut-stream.mp3', 'a.mp3'],
		['temporary', 'speech-nb.amr', 'a.amr'],
		['temporary', 'speech-wb.amr', 'a.amr'],
		['permanent', 'speech.wav', 'a.wav'],
		['temporary', 'lame-vbr-60.00s.mp3', 'a.mp3'],
		['permanent', 'lame-vbr-60.00s.mp3', 'a.mp3'],
		['temporary', 'lame-cbr-untagged-60.00s.mp3', 'a.mp3'],
		['temporary', 'amr-nb-60.00s.amr', 'a.amr'],
	] as Array<['temporary' | 'permanent', RealFixture, string]>)('takes %s voice %s', async (store, name, filename) => {
		const answer = await add(store, 'voice', name, filename);
		expect(answer.errcode).toBeUndefined();
		expect(typeof answer.media_id).toBe('string');
	});

	it('refuses a 61.00 s LAME mp3 with 45007', async () => {
		expect((await add('temporary', 'voice', 'lame-vbr-61.00s.mp3', 'a.mp3')).errcode).toBe(45007);
		expect((await add('permanent', 'voice', 'lame-vbr-61.00s.mp3', 'a.mp3')).errcode).toBe(45007);
	});

	it('takes a BMP with bfSize 0 and a QuickTime video opening with wide/free', async () => {
		expect((await add('permanent', 'image', 'bfsize-zero.bmp', 'a.bmp')).errcode).toBeUndefined();
		expect((await add('temporary', 'video', 'quicktime-wide-first.mov', 'a.mp4')).errcode).toBeUndefined();
		expect((await add('permanent', 'video', 'quicktime-wide-first.mov', 'a.mp4')).errcode).toBeUndefined();
	});

	it('still refuses junk and names that do not match the bytes', async () => {
		expect((await add('temporary', 'voice', 'speech-nb.amr', 'a.mp3')).errcode).toBe(40113);
		const junk = Buffer.alloc(6000, 0x20);
		const answer = await upload(sandbox, '/cgi-bin/media/upload?type=voice', token, junk, { filename: 'a.mp3' });
		expect(answer.errcode).toBe(40004);
	});
});
