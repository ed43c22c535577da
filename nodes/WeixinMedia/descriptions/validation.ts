import { NodeOperationError } from 'n8n-workflow';
import type { IExecuteFunctions } from 'n8n-workflow';

import { textFromItemField } from './parameters';

/** "item 2, field `Media ID`: ..." — input errors name the item and the field the user has to fix. */
export function fieldError(
	ctx: IExecuteFunctions,
	itemIndex: number,
	fieldLabel: string,
	problem: string,
	description?: string,
): NodeOperationError {
	return new NodeOperationError(ctx.getNode(), `item ${itemIndex}, field \`${fieldLabel}\`: ${problem}`, {
		itemIndex,
		description,
	});
}

/** A text parameter that must not be blank; returned trimmed. */
export function requiredText(
	ctx: IExecuteFunctions,
	itemIndex: number,
	parameterName: string,
	fieldLabel: string,
): string {
	// extractValue: a resource locator's value, or the plain string an older workflow saved.
	const value =
		textFromItemField(ctx, parameterName, itemIndex) ??
		(ctx.getNodeParameter(parameterName, itemIndex, '', { extractValue: true }) as unknown);
	const text = typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '';
	if (text === '') {
		throw fieldError(ctx, itemIndex, fieldLabel, 'is empty', 'Map the field to a value from an earlier node, or type it in.');
	}
	return text;
}

/**
 * A number parameter that must be a whole number of at least `minimum` (a limit, an article position);
 * `fallback` when the parameter is not set. `hint` says what the numbers mean.
 */
export function wholeNumber(
	ctx: IExecuteFunctions,
	itemIndex: number,
	parameter: { name: string; label: string; minimum: number; fallback: number; hint?: string },
): number {
	const value = Number(ctx.getNodeParameter(parameter.name, itemIndex, parameter.fallback));
	if (!Number.isInteger(value) || value < parameter.minimum) {
		throw fieldError(
			ctx,
			itemIndex,
			parameter.label,
			`must be a whole number of at least ${parameter.minimum}, not ${value}`,
			parameter.hint,
		);
	}
	return value;
}
