/** Real n8n end-to-end runs: `npx jest -c test/e2e/jest.config.js` (installs n8n on first use). */
const path = require('path');

module.exports = {
	rootDir: path.resolve(__dirname, '..', '..'),
	testEnvironment: 'node',
	reporters: ['default', ['<rootDir>/test/summary-reporter.js', { label: 'e2e' }]],
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.e2e.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
	},
	globalSetup: '<rootDir>/test/e2e/globalSetup.ts',
	// Each n8n CLI call starts a fresh process (seconds); a cold install takes minutes (globalSetup).
	testTimeout: 300000,
	// One n8n at a time: two cores, and every n8n start is CPU-bound.
	maxWorkers: 1,
};
