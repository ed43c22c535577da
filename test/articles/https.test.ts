/**
 * Re-hosting connects to the address it checked, not to the host name, so https must still speak to
 * the URL's host: SNI, the Host header and the certificate check all use the name in the URL. The
 * image server is an https server on loopback with certificates made by openssl for this test; the
 * test trusts its own CA by handing it to TLS connections for the test names only.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { createServer, type Server } from 'https';
import type { AddressInfo, Socket } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import * as tls from 'tls';

// The module object itself (an import namespace is read-only), so tls.connect can be wrapped.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tlsModule = require('tls') as { connect: typeof tls.connect };

import { useHostResolver } from '../../nodes/WeixinMedia/transport/addresses';
import { jpeg } from '../fixtures/media';
import { runNode } from '../harness';
import { useSandbox } from '../support';
import { addPermanentImage, articleJson } from './support';

const env = useSandbox();
const IMAGE = jpeg(4_000);
const TEST_NAMES = new Set(['images.test', 'other.test']);

let directory: string;
let ca: Buffer;
let server: Server;
let port: number;
const seen: Array<{ servername: string | undefined; host: string | undefined; path: string }> = [];
const sockets = new Set<Socket>();
const originalConnect = tlsModule.connect;
let restoreResolver: () => void;

function openssl(args: string[]): void {
	try {
		execFileSync('openssl', args, { cwd: directory, stdio: 'pipe' });
	} catch (error) {
		const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
		throw new Error(
			missing
				? 'openssl is missing: install it (apt-get install openssl) to run the https tests'
				: `openssl ${args.join(' ')} failed: ${String((error as { stderr?: Buffer }).stderr)}`,
		);
	}
}

/** A certificate for `name`, signed by the test CA. */
function certificateFor(name: string): { key: Buffer; cert: Buffer } {
	openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
	openssl([
		'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
		'-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`,
	]);
	return { key: readFileSync(join(directory, `${name}.key`)), cert: readFileSync(join(directory, `${name}.pem`)) };
}

beforeAll(async () => {
	directory = mkdtempSync(join(tmpdir(), 'weixin-https-'));
	openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=weixin-media test CA']);
	ca = readFileSync(join(directory, 'ca.pem'));
	const names = ['images.test', 'other.test'];
	for (const name of names) {
		writeFileSync(join(directory, `${name}.ext`), `subjectAltName=DNS:${name}\n`);
	}
	const contexts = Object.fromEntries(names.map((name) => [name, tls.createSecureContext(certificateFor(name))]));
	// images.test answers with its own certificate; any other name gets other.test's.
	server = createServer(
		{
			...certificateFor('other.test'),
			SNICallback: (servername, done) => done(null, contexts[servername] ?? contexts['other.test']),
		},
		(request, response) => {
			seen.push({
				servername: (request.socket as tls.TLSSocket).servername || undefined,
				host: request.headers.host,
				path: request.url ?? '',
			});
			response.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': IMAGE.length });
			response.end(IMAGE);
		},
	);
	server.on('connection', (socket: Socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	server.on('tlsClientError', () => undefined);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	port = (server.address() as AddressInfo).port;

	// Trust the test CA for the test names only; every other TLS connection is left as it is.
	tlsModule.connect = ((...args: Parameters<typeof tls.connect>) => {
		const options = args.find((arg) => typeof arg === 'object' && arg !== null) as tls.ConnectionOptions | undefined;
		if (options?.servername && TEST_NAMES.has(options.servername)) options.ca = ca;
		return (originalConnect as (...a: unknown[]) => tls.TLSSocket)(...args);
	}) as typeof tls.connect;
	restoreResolver = useHostResolver(async (name) => {
		if (!TEST_NAMES.has(name)) throw Object.assign(new Error(`not found: ${name}`), { code: 'ENOTFOUND' });
		return [{ address: '127.0.0.1', family: 4 }];
	});
});

afterAll(async () => {
	restoreResolver?.();
	tlsModule.connect = originalConnect;
	for (const socket of sockets) socket.destroy();
	await new Promise<void>((resolve) => server.close(() => resolve()));
	rmSync(directory, { recursive: true, force: true });
});

async function rehost(url: string) {
	const cover = await addPermanentImage(env.sandbox);
	return await runNode({
		parameters: articleJson('draft', [{ title: 'T', thumb_media_id: cover, content: `<img src="${url}">` }], {
			allowedInternalHosts: 'images.test, other.test, wrong.test',
			unhostableImages: 'skip',
		}),
		credentials: env.credentials(),
	});
}

describe('Re-hosting over https, connected by address', () => {
	it('speaks to the URL host: SNI and Host name it, and its certificate is accepted', async () => {
		const url = `https://images.test:${port}/photo.jpg?w=640`;
		const result = await rehost(url);

		expect(result.error).toBeUndefined();
		expect(result.items[0].json.skipped_images).toEqual([]);
		expect((result.items[0].json.rehosted_images as Array<{ source: string }>).map((image) => image.source)).toEqual([url]);
		expect(seen).toEqual([{ servername: 'images.test', host: `images.test:${port}`, path: '/photo.jpg?w=640' }]);
	});

	it('still checks the certificate against the URL host: a certificate for another name is refused', async () => {
		seen.length = 0;
		// The server answers "wrong.test" (unknown to it) with other.test's certificate.
		TEST_NAMES.add('wrong.test');
		try {
			const result = await rehost(`https://wrong.test:${port}/photo.jpg`);
			const skipped = result.items[0].json.skipped_images as Array<{ reason: string }>;
			expect(skipped).toHaveLength(1);
			expect(skipped[0].reason).toMatch(/^could not be fetched: .*(ERR_TLS_CERT_ALTNAME_INVALID|not in the cert's altnames)/);
			expect(seen).toEqual([]);
		} finally {
			TEST_NAMES.delete('wrong.test');
		}
	});
});
