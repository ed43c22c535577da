import type { IExecuteFunctions } from 'n8n-workflow';

/** Whether a raw parameter value (as saved in the workflow) is, or holds, an expression. */
export function holdsExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (Array.isArray(value)) return value.some(holdsExpression);
	if (value !== null && typeof value === 'object') return Object.values(value).some(holdsExpression);
	return false;
}

/** The parameter as saved in the workflow, before n8n resolves it: `options.timeout` walks into options. */
function rawParameter(ctx: IExecuteFunctions, path: string): unknown {
	let value: unknown = ctx.getNode().parameters;
	for (const key of path.split('.')) {
		if (value === null || typeof value !== 'object') return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

/** Whether a parameter (and everything inside it) is the same for every item of the run. */
export function sameForEveryItem(ctx: IExecuteFunctions, path: string): boolean {
	return !holdsExpression(rawParameter(ctx, path));
}

type Scalar = string | number | boolean;
const readOnce = new WeakMap<IExecuteFunctions, Map<string, Scalar>>();

/**
 * getNodeParameter for a scalar read for every item. n8n resolves a parameter anew on each call, tens
 * of microseconds even without an expression; one without an expression is the same for every item,
 * so it is read once per node run.
 */
export function itemParameter<T extends Scalar>(
	ctx: IExecuteFunctions,
	path: string,
	itemIndex: number,
	fallback?: T,
): T {
	let values = readOnce.get(ctx);
	if (!values) {
		values = new Map();
		readOnce.set(ctx, values);
	}
	if (values.has(path)) return values.get(path) as T;
	const value = (
		fallback === undefined
			? ctx.getNodeParameter(path, itemIndex)
			: ctx.getNodeParameter(path, itemIndex, fallback)
	) as T;
	if (sameForEveryItem(ctx, path)) values.set(path, value);
	return value;
}

/** `={{ $json.media_id }}`: how a per-item value is usually mapped (dragged in from the input panel). */
const ITEM_FIELD_EXPRESSION = /^=\{\{\s*\$json\.([A-Za-z_$][\w$]*)\s*\}\}$/;

/**
 * The text of a parameter that is nothing but `{{ $json.<field> }}`, read from the item's JSON
 * directly; undefined for any other parameter, or when the field is not text (n8n then resolves it).
 * n8n's expression engine parses and prints the expression again for every item, about 1 ms of CPU,
 * more than the rest of a 100 KB download; for a text field its answer is that same text.
 */
export function textFromItemField(
	ctx: IExecuteFunctions,
	path: string,
	itemIndex: number,
): string | undefined {
	// a plain parameter only: how n8n reads a resource locator depends on the property's declared type
	const expression = rawParameter(ctx, path);
	if (typeof expression !== 'string') return undefined;
	const field = ITEM_FIELD_EXPRESSION.exec(expression)?.[1];
	if (field === undefined) return undefined;
	const value: unknown = ctx.getInputData()[itemIndex]?.json[field];
	return typeof value === 'string' ? value : undefined;
}
