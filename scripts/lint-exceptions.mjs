/**
 * The package's deliberate departures from n8n's community-package rules, applied by wrapping the
 * scanner's own rules: a finding is dropped only when it is about one of these modules, so any other
 * restricted import or runtime dependency is still reported. Why each one is needed:
 * - `form-data` (the one runtime dependency) and Node's `stream`: uploads and downloads stream
 *   between n8n's binary store and the socket instead of being held in memory;
 * - Node's `dns`: the article-image fetch resolves a host itself and connects to the address it
 *   checked, so a name can't lead to an internal network (SSRF guard);
 * - Node's `async_hooks`: a token call made inside n8n's credential pre-authentication takes the
 *   Timeout option of the run whose request needed it (n8n passes the hook nothing of the run).
 * All are Node built-ins except `form-data`; n8n Cloud accepts none of them, so the package is for
 * self-hosted n8n (README → "Install it in your own n8n").
 */
export const RUNTIME_DEPENDENCY = 'form-data';
export const ALLOWED_IMPORTS = new Set([
	RUNTIME_DEPENDENCY,
	'stream',
	'node:stream',
	'dns',
	'node:dns',
	'async_hooks',
	'node:async_hooks',
]);

const PLUGIN = '@n8n/community-nodes';
const LOCAL = 'weixin-media-exceptions';

/** The module a no-restricted-imports finding is about. */
const importOf = (descriptor) => descriptor.data?.modulePath;

/** True when the package's dependencies are exactly the one documented runtime dependency. */
function onlyDocumentedDependency(sourceCode) {
	try {
		const manifest = JSON.parse(sourceCode.text);
		const names = Object.keys(manifest.dependencies ?? {});
		return names.every((name) => name === RUNTIME_DEPENDENCY);
	} catch {
		return false;
	}
}

function filtered(rule, keep) {
	return {
		...rule,
		create(context) {
			const narrowed = Object.create(context, {
				report: { value: (descriptor) => (keep(descriptor, context) ? context.report(descriptor) : undefined) },
			});
			return rule.create(narrowed);
		},
	};
}

/** The scanner's config with the two rules swapped for filtered copies of themselves. */
export function allowDocumentedExceptions(config) {
	const plugin = config.find((block) => block.plugins?.[PLUGIN])?.plugins[PLUGIN];
	if (!plugin) throw new Error(`the scanner config no longer registers ${PLUGIN}`);
	const local = {
		rules: {
			'no-restricted-imports': filtered(
				plugin.rules['no-restricted-imports'],
				(descriptor) => !ALLOWED_IMPORTS.has(importOf(descriptor)),
			),
			'no-runtime-dependencies': filtered(
				plugin.rules['no-runtime-dependencies'],
				(_descriptor, context) => !onlyDocumentedDependency(context.sourceCode),
			),
		},
	};
	const swap = (rules) => {
		if (!rules) return rules;
		const swapped = { ...rules };
		for (const name of Object.keys(local.rules)) {
			const original = `${PLUGIN}/${name}`;
			if (original in swapped) {
				swapped[`${LOCAL}/${name}`] = swapped[original];
				swapped[original] = 'off';
			}
		}
		return swapped;
	};
	return [
		{ plugins: { [LOCAL]: local } },
		...config.map((block) => (block.rules ? { ...block, rules: swap(block.rules) } : block)),
	];
}
