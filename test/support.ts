/** What most node tests share: one sandbox per test file, reset (and the node's token cache emptied) per test. */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { forgetAllTokens } from '../nodes/WeixinMedia/transport/token';
import { SANDBOX_APP, startSandbox, type Sandbox } from './sandbox';

export interface SandboxFixture {
	/** The running sandbox (set in beforeAll). */
	readonly sandbox: Sandbox;
	/** Credential data pointing at the sandbox. */
	credentials(overrides?: ICredentialDataDecryptedObject): ICredentialDataDecryptedObject;
}

export function useSandbox(): SandboxFixture {
	let sandbox: Sandbox | undefined;
	beforeAll(async () => {
		sandbox = await startSandbox();
	});
	afterAll(async () => {
		await sandbox?.close();
	});
	beforeEach(() => {
		sandbox?.reset();
		forgetAllTokens();
	});
	return {
		get sandbox() {
			if (!sandbox) throw new Error('the sandbox is not started yet');
			return sandbox;
		},
		credentials(overrides = {}) {
			return {
				appId: SANDBOX_APP.appId,
				appSecret: SANDBOX_APP.appSecret,
				grantEndpoint: 'stable',
				baseUrl: this.sandbox.url,
				...overrides,
			};
		},
	};
}

/** The API calls (not token calls) the sandbox saw, as "METHOD /path". */
export function apiCalls(sandbox: Sandbox): string[] {
	return sandbox
		.log()
		.filter((entry) => !entry.tokenCall)
		.map((entry) => `${entry.method} ${entry.path}`);
}
