import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import { BinaryDataConfig, BinaryDataService, ErrorReporter } from 'n8n-core';
import { LoggerProxy } from 'n8n-workflow';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { capturingLogger } from './log-capture';

export type BinaryMode = 'filesystem' | 'default';

/**
 * n8n-core reads its configuration from the environment and its services from the DI container.
 * Both are set up once per test file (jest gives each file its own module registry and its own
 * copy of `process.env`); a run only picks which binary-data service the container hands out.
 */
const userFolder = mkdtempSync(path.join(tmpdir(), 'weixin-media-harness-'));
const removeUserFolder = () => rmSync(userFolder, { recursive: true, force: true });
// Registered while the test file loads its imports: jest refuses new hooks once tests run.
if (typeof afterAll === 'function') afterAll(removeUserFolder);
else process.once('exit', removeUserFolder);

// Set before any n8n config class is built, so every later read sees them. The isolate-based
// expression engines need native modules that are not built here, hence 'legacy'.
Object.assign(process.env, {
	N8N_EXPRESSION_ENGINE: 'legacy',
	N8N_USER_FOLDER: userFolder,
	N8N_ENCRYPTION_KEY: 'weixin-media-harness-encryption-key',
	N8N_BINARY_DATA_STORAGE_PATH: path.join(userFolder, 'binary-data'),
	N8N_BINARY_DATA_SIGNING_SECRET: 'weixin-media-harness-signing-secret',
	N8N_DIAGNOSTICS_ENABLED: 'false',
});

let binaryDataServices: Promise<Record<BinaryMode, BinaryDataService>> | undefined;

async function createBinaryDataService(mode: BinaryMode): Promise<BinaryDataService> {
	const service = new BinaryDataService(
		// Each service gets its own copy of the config so the two modes can live side by side.
		{ ...Container.get(BinaryDataConfig), mode } as BinaryDataConfig,
		Container.get(ErrorReporter),
		capturingLogger,
	);
	// Registers the filesystem manager in both modes, so ids from either stay readable.
	await service.init();
	return service;
}

async function createServices(): Promise<Record<BinaryMode, BinaryDataService>> {
	Container.set(Logger, capturingLogger);
	LoggerProxy.init(capturingLogger);
	const [filesystem, inMemory] = await Promise.all([
		createBinaryDataService('filesystem'),
		createBinaryDataService('default'),
	]);
	return { filesystem, default: inMemory };
}

/**
 * Sets the services up on first use and makes `mode` the binary-data mode n8n sees. The choice
 * is process-wide: concurrent runs (`test.concurrent`) must use the same mode.
 */
export async function useEnvironment(mode: BinaryMode): Promise<BinaryDataService> {
	binaryDataServices ??= createServices();
	const service = (await binaryDataServices)[mode];
	Container.set(BinaryDataService, service);
	return service;
}
