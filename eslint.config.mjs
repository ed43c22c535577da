/**
 * `npm run lint`: exactly the rules n8n's verification scanner (@n8n/scan-community-package) applies
 * to a community package (n8n's community-nodes plugin plus eslint-plugin-n8n-nodes-base's package,
 * credential and node rulesets), with inline `eslint-disable` comments ignored as the scanner ignores
 * them. TypeScript itself is checked by tsc (npm run typecheck).
 *
 * Kept on purpose, and only these: the runtime dependency `form-data` and imports of Node's
 * `stream`, `dns` and `async_hooks` (scripts/lint-exceptions.mjs says why each is needed). Everything
 * else the scanner reports fails the lint.
 */
import { buildScanConfig } from '@n8n/scan-community-package/scanner/scanner.mjs';

import { allowDocumentedExceptions } from './scripts/lint-exceptions.mjs';

export default [
	{ ignores: ['dist/**', 'node_modules/**', '.cache/**'] },
	{ linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'off' } },
	...allowDocumentedExceptions(await buildScanConfig()),
];
