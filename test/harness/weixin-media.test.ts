import { jpeg } from '../fixtures/media';
import { SANDBOX_APP, startSandbox } from '../sandbox';
import type { Sandbox } from '../sandbox';
import { createCredentialStore, runNode } from './index';

/** `runNode` drives the real Weixin Media node and credential against the sandbox. */
describe('runNode with the Weixin Media node', () => {
	let sandbox: Sandbox;

	beforeAll(async () => {
		sandbox = await startSandbox();
	});

	afterAll(async () => await sandbox.close());

	beforeEach(() => sandbox.reset());

	const uploadImage = {
		resource: 'temporaryMedia',
		operation: 'upload',
		mediaType: 'image',
		binaryPropertyName: 'data',
	};

	it('uploads an input binary and shares the saved token with the next execution', async () => {
		const store = createCredentialStore({ ...SANDBOX_APP, baseUrl: sandbox.url });
		const image = { bytes: jpeg(), fileName: 'cover.jpg' };

		const first = await runNode({
			parameters: uploadImage,
			credentials: store,
			items: [{ files: [image] }],
		});
		const second = await runNode({
			parameters: uploadImage,
			credentials: store,
			items: [{ files: [image] }],
		});

		expect(first.error).toBeUndefined();
		expect(second.error).toBeUndefined();
		expect(first.items[0].json).toMatchObject({ type: 'image', media_id: expect.any(String) });
		expect(first.items[0].pairedItem).toEqual({ item: 0 });
		expect(sandbox.tokenCalls()).toBe(1);
		expect(store.updates).toBe(1);
		expect(store.data.accessToken).toBe(sandbox.issuedTokens()[0]);

		const output = [...first.logs, ...second.logs].join('\n');
		expect(output).not.toContain(SANDBOX_APP.appSecret);
		expect(output).not.toContain(store.data.accessToken as string);
	});
});
