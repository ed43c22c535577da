/** Drives a sandbox in another process (n8n e2e runs, the demo) through its /__sandbox routes. */
import type {
	AnswerModes,
	FaultSpec,
	HdVoiceLayout,
	RequestLogEntry,
	SandboxConfig,
	StoredKind,
} from './types';

export class SandboxClient {
	private readonly baseUrl: string;

	constructor(url: string) {
		this.baseUrl = url.replace(/\/+$/, '');
	}

	async reset(): Promise<void> {
		await this.call('POST', 'reset');
	}

	async injectFault(fault: FaultSpec): Promise<void> {
		await this.call('POST', 'faults', fault);
	}

	async clearFaults(): Promise<void> {
		await this.call('DELETE', 'faults');
	}

	async setLatency(ms: number): Promise<void> {
		await this.call('PUT', 'latency', { ms });
	}

	async invalidateTokens(): Promise<void> {
		await this.call('POST', 'tokens/invalidate');
	}

	async issuedTokens(): Promise<string[]> {
		return ((await this.call('GET', 'tokens')) as { tokens: string[] }).tokens;
	}

	async advanceClock(seconds: number): Promise<void> {
		await this.call('POST', 'clock/advance', { seconds });
	}

	async now(): Promise<number> {
		return ((await this.call('GET', 'clock')) as { now: number }).now;
	}

	async log(): Promise<RequestLogEntry[]> {
		return (await this.call('GET', 'log')) as RequestLogEntry[];
	}

	async tokenCalls(): Promise<number> {
		return ((await this.call('GET', 'token-calls')) as { count: number }).count;
	}

	async clearLog(): Promise<void> {
		await this.call('DELETE', 'log');
	}

	async configure(config: Partial<SandboxConfig>): Promise<SandboxConfig> {
		return (await this.call('PATCH', 'config', config)) as SandboxConfig;
	}

	async setAnswerModes(modes: AnswerModes): Promise<void> {
		await this.call('PUT', 'answer-modes', modes);
	}

	async seedHdVoice(recording?: Buffer | HdVoiceLayout): Promise<string> {
		const path = recording === 'ogg' ? 'hd-voice?layout=ogg' : 'hd-voice';
		const bytes = Buffer.isBuffer(recording) ? recording : undefined;
		return ((await this.call('POST', path, bytes)) as { media_id: string }).media_id;
	}

	/** The stored record with every Buffer as a base64 string; undefined when unknown. */
	async stored(kind: StoredKind, mediaId: string): Promise<unknown> {
		const path = `stored/${kind}/${encodeURIComponent(mediaId)}`;
		const response = await fetch(`${this.baseUrl}/__sandbox/${path}`);
		if (response.status === 404) return undefined;
		return this.parse(response, path);
	}

	private async call(method: string, path: string, body?: unknown): Promise<unknown> {
		// Raw bytes (an HD voice to seed) travel as they are; everything else as JSON.
		const raw = Buffer.isBuffer(body);
		const response = await fetch(`${this.baseUrl}/__sandbox/${path}`, {
			method,
			headers: { 'Content-Type': raw ? 'application/octet-stream' : 'application/json' },
			body: raw || body === undefined ? (body as Buffer | undefined) : JSON.stringify(body),
		});
		return this.parse(response, path);
	}

	private async parse(response: Response, path: string): Promise<unknown> {
		const text = await response.text();
		if (!response.ok) {
			throw new Error(`sandbox control ${path} failed (${response.status}): ${text}`);
		}
		return JSON.parse(text);
	}
}
