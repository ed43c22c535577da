/**
 * How long the Speex decoder takes for 60 s of HD voice (the longest JS-SDK recording), and what
 * it keeps in memory. Run with `npx tsx bench/speex.ts`; target ≤ 100 ms per 60 s.
 * The voice is the quality-7 speech fixtures' raw frames repeated to 3000 frames of 20 ms.
 */
import { readFileSync } from 'fs';
import { join } from 'path';

import { decodeSpeex, encodeWav } from '../nodes/WeixinMedia/media/speex';

const FIXTURES = join(__dirname, '../test/fixtures/speex');
const FRAME_BYTES = 60;
const FRAMES = 3000;
const RUNS = 20;

function sixtySecondsOfVoice(): Buffer {
	const speech = Buffer.concat(
		['english-q7.raw', 'chinese-q7.raw'].map((file) => readFileSync(join(FIXTURES, file))),
	);
	const out = Buffer.alloc(FRAMES * FRAME_BYTES);
	for (let at = 0; at < out.length; at += speech.length)
		speech.copy(out, at, 0, Math.min(speech.length, out.length - at));
	return out;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

const voice = sixtySecondsOfVoice();
decodeSpeex(voice); // warm up the JIT
const wall: number[] = [];
const cpu: number[] = [];
const heapBefore = process.memoryUsage().heapUsed;
let outputBytes = 0;
for (let run = 0; run < RUNS; run++) {
	const started = process.hrtime.bigint();
	const cpuStarted = process.cpuUsage();
	const decoded = decodeSpeex(voice);
	const used = process.cpuUsage(cpuStarted);
	wall.push(Number(process.hrtime.bigint() - started) / 1e6);
	cpu.push((used.user + used.system) / 1000);
	outputBytes = decoded.samples.byteLength;
	if (run === 0) {
		const seconds = decoded.samples.length / decoded.sampleRate;
		const wav = encodeWav(decoded.samples, decoded.sampleRate);
		console.log(
			`input: ${voice.length} bytes, ${decoded.frames} frames → ${seconds} s, WAV ${wav.length} bytes`,
		);
	}
}
const heapAfter = process.memoryUsage().heapUsed;
console.log(
	`decode 60 s of voice: median ${median(wall).toFixed(1)} ms wall, ${median(cpu).toFixed(
		1,
	)} ms CPU (best ${Math.min(...wall).toFixed(1)} ms; ${RUNS} runs)`,
);
console.log(
	`PCM output ${(outputBytes / 1024).toFixed(0)} KiB per run; heap change after ${RUNS} runs ${(
		(heapAfter - heapBefore) /
		1024
	).toFixed(0)} KiB`,
);
