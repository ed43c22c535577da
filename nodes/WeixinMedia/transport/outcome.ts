/**
 * A call's result or its failure, as a value. Inside the transport and the operations an error stays
 * a plain value until one boundary (errors.ts `toNodeError`, the router) turns it into n8n's
 * NodeApiError/NodeOperationError with its hint and redaction; retry loops and translations look at
 * the settled outcome and throw after the try/catch, never from inside it.
 */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `work` and reports how it ended instead of throwing. */
export async function settle<T>(work: () => Promise<T>): Promise<Outcome<T>> {
	try {
		return { ok: true, value: await work() };
	} catch (error) {
		return { ok: false, error };
	}
}

/** `settle` for synchronous work. */
export function settleSync<T>(work: () => T): Outcome<T> {
	try {
		return { ok: true, value: work() };
	} catch (error) {
		return { ok: false, error };
	}
}
