import type { Logger } from '@n8n/backend-common';
import type { LogMetadata } from 'n8n-workflow';
import { formatWithOptions } from 'node:util';

/**
 * Collects what n8n's logger and `console` print while runs are active, so tests can scan a
 * run's output for secrets. Each active run owns one sink; a line goes to every active sink
 * because the logger and `console` are process-wide and cannot tell concurrent runs apart.
 */
type ConsoleMethod = 'log' | 'info' | 'warn' | 'error' | 'debug' | 'trace';
const CONSOLE_METHODS: ConsoleMethod[] = ['log', 'info', 'warn', 'error', 'debug', 'trace'];

interface CaptureState {
	activeSinks: Set<string[]>;
	originalConsole: Partial<Record<ConsoleMethod, (...args: unknown[]) => void>>;
}

// Process-wide like `console` itself: a test that models a second n8n process loads another copy of
// the harness (jest.isolateModules), and both copies must patch and restore `console` together.
const CAPTURE_STATE = Symbol.for('weixin-media-harness.log-capture');
const shared = globalThis as unknown as Record<symbol, CaptureState | undefined>;
const captureState = (shared[CAPTURE_STATE] ??= { activeSinks: new Set(), originalConsole: {} });
const activeSinks = captureState.activeSinks;

function record(line: string): void {
	for (const sink of activeSinks) sink.push(line);
}

/** Prints values in full (no depth or length limit) so no detail of a log call escapes a scan. */
const FULL_DEPTH = {
	depth: null,
	maxArrayLength: null,
	maxStringLength: null,
	breakLength: Infinity,
};

function describeMetadata(metadata: LogMetadata | undefined): string {
	if (metadata === undefined || Object.keys(metadata).length === 0) return '';
	return ' ' + formatWithOptions(FULL_DEPTH, '%O', metadata);
}

/** Stands in for n8n's winston-backed `Logger`: same methods, output goes to the run's log. */
function createCapturingLogger(scopes: string[] = []): Logger {
	const prefix = scopes.length > 0 ? `[${scopes.join(',')}] ` : '';
	const write =
		(level: string) =>
		(message: string, metadata?: LogMetadata): void =>
			record(`${level}: ${prefix}${message}${describeMetadata(metadata)}`);
	const logger = {
		error: write('error'),
		warn: write('warn'),
		info: write('info'),
		debug: write('debug'),
		scoped: (scope: string | string[]) =>
			createCapturingLogger([...scopes, ...(Array.isArray(scope) ? scope : [scope])]),
	};
	return logger as unknown as Logger;
}

export const capturingLogger = createCapturingLogger();

/** Starts collecting into a new log; returns it with the function that stops collecting. */
export function startLogCapture(): { logs: string[]; stop: () => void } {
	const logs: string[] = [];
	if (activeSinks.size === 0) {
		const originalConsole: CaptureState['originalConsole'] = {};
		captureState.originalConsole = originalConsole;
		for (const method of CONSOLE_METHODS) {
			originalConsole[method] = console[method];
			console[method] = (...args: unknown[]) =>
				record(`console.${method}: ${formatWithOptions(FULL_DEPTH, ...args)}`);
		}
	}
	activeSinks.add(logs);
	const stop = () => {
		if (!activeSinks.delete(logs) || activeSinks.size > 0) return;
		for (const method of CONSOLE_METHODS) {
			const original = captureState.originalConsole[method];
			if (original) console[method] = original;
		}
	};
	return { logs, stop };
}
