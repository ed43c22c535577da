/**
 * `npm run lint`: exactly the rules n8n's verification scanner (@n8n/scan-community-package) applies
 * to a community package (n8n's community-nodes plugin plus eslint-plugin-n8n-nodes-base's package,
 * credential and node rulesets), with inline `eslint-disable` comments ignored as the scanner ignores
 * them. TypeScript itself is checked by tsc (npm run typecheck).
 *
 * Two findings are kept on purpose, and only these (see README → "Self-hosted only"):
 * - the runtime dependency `form-data` (no-runtime-dependencies, no-restricted-imports);
 * - imports of Node's `stream` (no-restricted-imports): uploads and downloads are streamed between
 *   n8n's binary store and the socket instead of being held in memory.
 * Everything else the scanner reports fails the lint.
 */
import { buildScanConfig } from '@n8n/scan-community-package/scanner/scanner.mjs';

import { allowDocumentedExceptions } from './scripts/lint-exceptions.mjs';

export default [
	{ ignores: ['dist/**', 'node_modules/**', '.cache/**'] },
	{ linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'off' } },
	...allowDocumentedExceptions(await buildScanConfig()),
];
