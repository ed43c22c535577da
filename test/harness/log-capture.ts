import type { Logger } from '@n8n/backend-common';
import type { LogMetadata } from 'n8n-workflow';
import { formatWithOptions } from 'node:util';

/**
 * Collects what n8n's logger and `console` print while runs are active, so tests can scan a
 * run's output for secrets. Each active run owns one sink; a line goes to every active sink
 * because the logger and `console` are process-wide and cannot tell concurrent runs apart.
 */
const activeSinks = new Set<string[]>();

type ConsoleMethod = 'log' | 'info' | 'warn' | 'error' | 'debug' | 'trace';
const CONSOLE_METHODS: ConsoleMethod[] = ['log', 'info', 'warn', 'error', 'debug', 'trace'];
let originalConsole: Partial<Record<ConsoleMethod, (...args: unknown[]) => void>> = {};

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
		originalConsole = {};
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
			const original = originalConsole[method];
			if (original) console[method] = original;
		}
	};
	return { logs, stop };
}
