/** The Weixin sandbox: a local stand-in for api.weixin.qq.com, used by tests, e2e, bench and demo. */
export { startSandbox } from './server';
export { SandboxClient } from './client';
export {
	SANDBOX_APP,
	SANDBOX_SECOND_APP,
	DEFAULT_CONFIG,
	type AnswerModes,
	type FaultSpec,
	type RequestLogEntry,
	type Sandbox,
	type SandboxConfig,
	type SandboxOptions,
	type StoredKind,
} from './types';
