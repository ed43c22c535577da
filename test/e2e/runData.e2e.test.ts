/** The parser of `n8n execute` output, on text shaped like n8n's (no n8n needed). */
import { jsonObjectsIn, parseExecuteOutput } from './runData';

const run = {
	status: 'success',
	finished: true,
	data: {
		resultData: {
			lastNodeExecuted: 'Upload',
			runData: {
				Start: [{ data: { main: [[{ json: {} }]] } }],
				Upload: [
					{
						data: {
							main: [
								[
									{
										json: { media_id: 'abc', note: 'a } brace and a "quote" {' },
										binary: { data: { mimeType: 'image/jpeg', id: 'filesystem-v2:x' } },
										pairedItem: { item: 0 },
									},
								],
								null,
							],
						},
					},
				],
			},
		},
	},
};

describe('parseExecuteOutput', () => {
	it('finds the run between log lines, braces inside strings included', () => {
		const output = [
			'Initializing n8n process',
			'{"level":"info","message":"a JSON log line that is no run"}',
			'Loaded {2} packages',
			JSON.stringify(run, null, 2),
			'Execution finished',
		].join('\n');

		const parsed = parseExecuteOutput(output);

		expect(parsed.status).toBe('success');
		expect(parsed.lastNodeExecuted).toBe('Upload');
		expect(parsed.nodes.Upload.items).toEqual([
			{
				json: { media_id: 'abc', note: 'a } brace and a "quote" {' },
				binary: { data: { mimeType: 'image/jpeg', id: 'filesystem-v2:x' } },
				pairedItem: { item: 0 },
			},
		]);
		expect(parsed.nodes.Upload.outputs).toHaveLength(2);
		expect(parsed.nodes.Upload.outputs[1]).toEqual([]);
		expect(parsed.nodes.Start.items).toEqual([{ json: {} }]);
	});

	it('reads a failed run and the failing node error', () => {
		const failed = {
			status: 'error',
			finished: false,
			data: {
				resultData: {
					lastNodeExecuted: 'Get',
					error: { message: 'WeChat error 40007' },
					runData: { Get: [{ error: { message: 'WeChat error 40007' } }] },
				},
			},
		};
		const output = `Execution was NOT successful.\n${JSON.stringify(
			failed,
			null,
			2,
		)}\nError executing workflow.`;

		const parsed = parseExecuteOutput(output);

		expect(parsed.error?.message).toBe('WeChat error 40007');
		expect(parsed.nodes.Get).toEqual({
			items: [],
			outputs: [],
			error: { message: 'WeChat error 40007' },
		});
	});

	it('says what n8n printed when there is no run in it', () => {
		expect(() => parseExecuteOutput('The workflow with the id "x" does not exist.')).toThrow(
			/no run data.*does not exist/s,
		);
	});

	it('skips an unfinished object instead of failing on it', () => {
		expect(jsonObjectsIn('{"a": 1}\n{"b": [1, 2')).toEqual([{ a: 1 }]);
	});
});
