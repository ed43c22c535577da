/** Unit and sandbox tests: the node's code driven through n8n-core, over HTTP against the sandbox. */
module.exports = {
	testEnvironment: 'node',
	reporters: ['default', ['<rootDir>/test/summary-reporter.js', { label: 'unit' }]],
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
	},
	testTimeout: 30000,
};
