/**
 * Preloaded into the n8n server by benchmark 2 (NODE_OPTIONS=--require): every 50 ms, the main
 * thread's V8 heap spaces and ArrayBuffer bytes, one JSON line each, to BENCH_MEMWATCH_FILE. This is
 * how the bench tells where a run's memory goes (young generation, old heap, file chunks) instead of
 * guessing from RSS alone.
 */
'use strict';
const file = process.env.BENCH_MEMWATCH_FILE;
const { isMainThread } = require('worker_threads');
if (file && isMainThread) {
	const fs = require('fs');
	const v8 = require('v8');
	const sample = () => {
		const usage = process.memoryUsage();
		const spaces = {};
		for (const space of v8.getHeapSpaceStatistics()) spaces[space.space_name] = space.space_size;
		fs.appendFileSync(
			file,
			`${JSON.stringify({ t: Date.now(), pid: process.pid, rss: usage.rss, heapUsed: usage.heapUsed, arrayBuffers: usage.arrayBuffers, spaces })}\n`,
		);
	};
	setInterval(sample, 50).unref();
}
