/**
 * `npm run scan`: n8n's verification scan of this package, run locally. Verification lints the
 * package's sources and the files of the published tarball with the rules of
 * @n8n/scan-community-package, ignoring inline `eslint-disable` comments. This does the same with the
 * scanner's own config on `npm pack`'s tarball (and the sources), prints every finding, marks the two
 * documented exceptions (scripts/lint-exceptions.mjs) as kept, and fails on anything else.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

interface Finding {
	file: string;
	line: number;
	ruleId: string;
	message: string;
	kept: boolean;
}

const ROOT = path.resolve(__dirname, '..');
const SOURCE_PATTERNS = ['package.json', 'nodes/**/*.ts', 'credentials/**/*.ts', 'nodes/**/*.json'];
const PACKED_PATTERNS = ['**/*.js', 'package.json'];

function packTarball(into: string): string {
	if (!fs.existsSync(path.join(ROOT, 'dist', 'nodes'))) {
		throw new Error('dist/ is missing: run npm run build first');
	}
	const env = Object.fromEntries(
		Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
	);
	const [packed] = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--pack-destination', into], { cwd: ROOT, env, encoding: 'utf8' }),
	) as Array<{ filename: string }>;
	const unpacked = path.join(into, 'package');
	execFileSync('tar', ['-xzf', path.join(into, packed.filename), '-C', into]);
	return unpacked;
}

async function lint(dir: string, patterns: string[]): Promise<Finding[]> {
	const { ESLint } = await import('eslint');
	const glob = (await import('fast-glob')).default;
	const { buildScanConfig } = await import('@n8n/scan-community-package/scanner/scanner.mjs');
	const { ALLOWED_IMPORTS, RUNTIME_DEPENDENCY } = await import('./lint-exceptions.mjs');
	const eslint = new ESLint({
		cwd: dir,
		allowInlineConfig: false,
		overrideConfigFile: true,
		overrideConfig: await buildScanConfig(),
	});
	const files = glob.sync(patterns, { cwd: dir, absolute: true, ignore: ['node_modules/**', 'dist/**'] });
	const results = await eslint.lintFiles(files);
	return results.flatMap((result) =>
		result.messages
			.filter((message) => message.severity === 2)
			.map((message) => {
				const ruleId = message.ruleId ?? '(parse error)';
				const kept =
					(ruleId === '@n8n/community-nodes/no-restricted-imports' &&
						[...ALLOWED_IMPORTS].some((name) => message.message.includes(`'${name}'`))) ||
					(ruleId === '@n8n/community-nodes/no-runtime-dependencies' &&
						onlyDependencyIs(result.filePath, RUNTIME_DEPENDENCY));
				return {
					file: path.relative(dir, result.filePath),
					line: message.line,
					ruleId,
					message: message.message,
					kept,
				};
			}),
	);
}

function onlyDependencyIs(manifestPath: string, name: string): boolean {
	const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
	return Object.keys(manifest.dependencies ?? {}).every((dependency) => dependency === name);
}

function report(label: string, findings: Finding[]): number {
	const failing = findings.filter((finding) => !finding.kept);
	console.log(
		`${label}: ${findings.length} finding(s), ${findings.length - failing.length} documented exception(s), ${failing.length} other`,
	);
	for (const finding of findings) {
		const mark = finding.kept ? 'kept ' : 'ERROR';
		console.log(`  ${mark} ${finding.file}:${finding.line} ${finding.ruleId}: ${finding.message}`);
	}
	return failing.length;
}

async function main() {
	const temporary = fs.mkdtempSync(path.join(os.tmpdir(), 'weixin-scan-'));
	try {
		let failing = report('sources', await lint(ROOT, SOURCE_PATTERNS));
		failing += report('packed tarball', await lint(packTarball(temporary), PACKED_PATTERNS));
		if (failing > 0) {
			console.error(`scan: ${failing} finding(s) beyond the documented exceptions`);
			process.exitCode = 1;
		}
	} finally {
		fs.rmSync(temporary, { recursive: true, force: true });
	}
}

void main();
