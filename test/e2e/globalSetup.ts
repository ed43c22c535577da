/** Once per e2e run: n8n + Node 24 installed, the project built and packed as users receive it. */
import { spawnSync } from 'child_process';

import { ensureN8n, ensurePackage, PROJECT_ROOT } from './install';

export default function globalSetup(): void {
	ensureN8n();
	process.stderr.write('[e2e] npm run build\n');
	const build = spawnSync('npm', ['run', 'build'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
	if (build.status !== 0) {
		throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
	}
	ensurePackage();
}
