const path = require('path');
const { src, dest } = require('gulp');

// tsc emits only JavaScript; n8n also needs the node's icon next to the compiled node file.
function copyIcons() {
	const nodeIcons = src('nodes/**/*.{png,svg}', { encoding: false });
	const nodeDestination = path.resolve('dist', 'nodes');
	nodeIcons.pipe(dest(nodeDestination));
	// Licences of third-party data shipped in the package (the Speex codebook tables).
	src('nodes/**/LICENSE-*').pipe(dest(nodeDestination));

	const credentialIcons = src('credentials/**/*.{png,svg}', { encoding: false });
	const credentialDestination = path.resolve('dist', 'credentials');
	return credentialIcons.pipe(dest(credentialDestination));
}

exports['build:icons'] = copyIcons;
