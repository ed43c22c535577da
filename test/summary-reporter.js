/**
 * Ends a jest run with one plain line, "<suite>: N passed, N failed, N skipped", that CI and people
 * can read without knowing jest's own summary format.
 */
class SummaryReporter {
	constructor(_globalConfig, options = {}) {
		this.label = options.label ?? 'tests';
	}

	onRunComplete(_contexts, results) {
		const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
		process.stdout.write(
			`${this.label}: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`,
		);
	}
}

module.exports = SummaryReporter;
