/**
 * In-process n8n harness: runs the Weixin Media node as the single node of a real `Workflow`
 * through n8n-core's `WorkflowExecute`, with n8n's own helpers (HTTP, binary data, paired items,
 * continueOnFail), n8n's BinaryDataService and a credentials helper that behaves like n8n's CLI.
 */
import { WeixinOfficialAccountApi } from '../../credentials/WeixinOfficialAccountApi.credentials';
import { WeixinMedia } from '../../nodes/WeixinMedia/WeixinMedia.node';
import { createNodeRunner } from './run-node';
import type { NodeRunner, RunOptions, RunResult } from './run-node';

export { createCredentialStore, editCredential } from './credentials';
export type { CredentialStore } from './credentials';
export type { BinaryMode } from './environment';
export { createNodeRunner } from './run-node';
export type {
	InputFile,
	InputItem,
	NodeRunner,
	NodeUnderTest,
	OutputItem,
	RunError,
	RunOptions,
	RunResult,
} from './run-node';

let weixinMediaRunner: NodeRunner | undefined;

/** Runs the Weixin Media node once; each call is a new execution with its own id. */
export async function runNode(options: RunOptions): Promise<RunResult> {
	weixinMediaRunner ??= createNodeRunner({
		node: new WeixinMedia(),
		credentialTypes: [new WeixinOfficialAccountApi()],
	});
	return await weixinMediaRunner(options);
}
