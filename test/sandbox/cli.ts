/**
 * Starts the sandbox on its own: `npx tsx test/sandbox/cli.ts [--port 8711] [--latency 30]`.
 * Stops on SIGINT/SIGTERM.
 */
import { startSandbox } from './server';
import { SANDBOX_APP } from './types';

function option(name: string, fallback: number): number {
	const at = process.argv.indexOf(`--${name}`);
	if (at < 0) return fallback;
	const value = Number(process.argv[at + 1]);
	if (!Number.isInteger(value) || value < 0) {
		throw new Error(`--${name} needs a whole number, got ${process.argv[at + 1]}`);
	}
	return value;
}

async function main(): Promise<void> {
	const sandbox = await startSandbox({ port: option('port', 8711) });
	sandbox.setLatency(option('latency', 0));
	console.log(`Weixin sandbox listening on ${sandbox.url} (AppID ${SANDBOX_APP.appId})`);
	console.log(`AppSecret: ${SANDBOX_APP.appSecret}`);
	const stop = () => {
		void sandbox.close().then(() => process.exit(0));
	};
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
