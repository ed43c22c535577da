/**
 * Re-hosting fetches what article HTML points at, and that HTML comes from feeds, CMSs and AI agents.
 * Hosts on internal networks are refused before any connection, whatever the URL's spelling, the
 * name's DNS answer or a redirect says. Only loopback servers exist here: every "target" below is
 * one, and a guard on the socket layer records (and blocks) any connection to another address, so
 * a broken check would show up as a recorded attempt rather than as traffic.
 */
import { createServer, type Server } from 'http';
import * as net from 'net';
import type { AddressInfo, Socket } from 'net';
import type { IDataObject } from 'n8n-workflow';

import {
	InternalAddressRefused,
	InternalHostAllowance,
	addressesToConnect,
	useHostResolver,
} from '../../nodes/WeixinMedia/transport/addresses';
import { jpeg } from '../fixtures/media';
import { runNode } from '../harness';
import { apiCalls, useSandbox } from '../support';
import { addPermanentImage, articleJson, imageSources } from './support';

const env = useSandbox();

const REFUSED =
	'could not be fetched: refused: the address is not on the public internet (a private, loopback, link-local or other internal network); list the host in "Allowed Internal Hosts" if it is meant to be fetched';

const IMAGE = jpeg(5_000);

/** A loopback server that counts connections and requests, and serves IMAGE or a redirect. */
interface Target {
	port: number;
	connections: number;
	requests: string[];
	/** Path → where it redirects to. */
	redirects: Map<string, string>;
	close(): Promise<void>;
}

async function startTarget(host: '127.0.0.1' | '::1'): Promise<Target> {
	const sockets = new Set<Socket>();
	const target = { connections: 0, requests: [] as string[], redirects: new Map<string, string>() };
	const server: Server = createServer((request, response) => {
		target.requests.push(request.url ?? '');
		const location = target.redirects.get(request.url ?? '');
		if (location) {
			response.writeHead(302, { Location: location });
			response.end();
			return;
		}
		response.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': IMAGE.length });
		response.end(IMAGE);
	});
	server.on('connection', (socket) => {
		target.connections++;
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, host, resolve));
	return Object.assign(target, {
		port: (server.address() as AddressInfo).port,
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	});
}

// ---------------------------------------------------------------------------------------------
// The socket guard: nothing in this file may connect anywhere but loopback.

const LOOPBACK_HOSTS = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost|0\.0\.0\.0|::)$/i;
const blockedAttempts: string[] = [];
const originalConnect = net.Socket.prototype.connect;

beforeAll(() => {
	net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
		type Options = { host?: string; port?: number };
		// net.createConnection passes its already-normalised [options, callback] as one argument.
		const first = (Array.isArray(args[0]) ? args[0][0] : args[0]) as Options | number | string;
		const options: Options =
			typeof first === 'object' && first !== null
				? first
				: { port: Number(first), host: typeof args[1] === 'string' ? args[1] : undefined };
		const host = options.host ?? 'localhost';
		// A TCP connection has a port (http passes its request path along too, so that tells nothing).
		if (options.port !== undefined && !LOOPBACK_HOSTS.test(host)) {
			blockedAttempts.push(`${host}:${options.port}`);
			process.nextTick(() => this.destroy(new Error('blocked by the test guard')));
			return this;
		}
		return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
	} as typeof net.Socket.prototype.connect;
});

afterAll(() => {
	net.Socket.prototype.connect = originalConnect;
});

let v4: Target;
let v6: Target;
let gateway: Target;

beforeAll(async () => {
	v4 = await startTarget('127.0.0.1');
	v6 = await startTarget('::1');
	gateway = await startTarget('127.0.0.1');
});

afterAll(async () => {
	await Promise.all([v4.close(), v6.close(), gateway.close()]);
});

let restoreResolver: (() => void) | undefined;
afterEach(() => {
	restoreResolver?.();
	restoreResolver = undefined;
});

/** Names a test gives an address, without any DNS server: cms.test and the like. */
function resolveNames(names: Record<string, string[] | (() => string[])>): { calls: string[] } {
	const calls: string[] = [];
	restoreResolver = useHostResolver(async (name) => {
		calls.push(name);
		const entry = names[name];
		if (entry === undefined) throw Object.assign(new Error(`not found: ${name}`), { code: 'ENOTFOUND' });
		const addresses = typeof entry === 'function' ? entry() : entry;
		return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
	});
	return { calls };
}

async function rehost(content: string, extra: IDataObject = {}) {
	const cover = await addPermanentImage(env.sandbox);
	return await runNode({
		parameters: articleJson('draft', [{ title: 'T', thumb_media_id: cover, content }], {
			allowedInternalHosts: '',
			unhostableImages: 'skip',
			...extra,
		}),
		credentials: env.credentials(),
	});
}

const skippedOf = (json: IDataObject) => json.skipped_images as Array<{ source: string; reason: string }>;

describe('Re-hosting refuses internal addresses', () => {
	it.each([
		['IPv4 loopback', () => `http://127.0.0.1:${v4.port}/a.jpg`],
		['another 127/8 address', () => `http://127.9.8.7:${v4.port}/a.jpg`],
		['IPv4 loopback written as a decimal number', () => `http://2130706433:${v4.port}/a.jpg`],
		['IPv4 loopback in hex', () => `http://0x7f.1:${v4.port}/a.jpg`],
		['IPv4 loopback in octal', () => `http://0177.0.0.1:${v4.port}/a.jpg`],
		['IPv4 loopback, short form', () => `http://127.1:${v4.port}/a.jpg`],
		['the unspecified IPv4 address (reaches the local host)', () => `http://0.0.0.0:${v4.port}/a.jpg`],
		['IPv6 loopback', () => `http://[::1]:${v6.port}/a.jpg`],
		['the unspecified IPv6 address', () => `http://[::]:${v6.port}/a.jpg`],
		['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${v4.port}/a.jpg`],
		['IPv4-mapped IPv6 loopback in hex', () => `http://[::ffff:7f00:1]:${v4.port}/a.jpg`],
		['localhost (a name the system resolves to loopback)', () => `http://localhost:${v4.port}/a.jpg`],
		['https to loopback', () => `https://127.0.0.1:${v4.port}/a.jpg`],
	])('%s: refused, and the target sees no connection', async (_case, url) => {
		const before = [v4.connections, v6.connections];
		const result = await rehost(`<p>x</p><img src="${url()}">`);

		expect(result.error).toBeUndefined();
		expect(skippedOf(result.items[0].json)).toEqual([
			{ source: url(), reason: REFUSED },
		]);
		expect([v4.connections, v6.connections]).toEqual(before);
		expect(blockedAttempts).toEqual([]);
	});

	it('a DNS name that resolves to loopback (or to a private address) is refused before connecting', async () => {
		const { calls } = resolveNames({
			'images.cms.test': ['127.0.0.1'],
			'mapped.cms.test': ['::ffff:127.0.0.1'],
			'nas.home.test': ['192.168.1.20'],
			'metadata.cloud.test': ['169.254.169.254'],
			'metadata6.cloud.test': ['fd00:ec2::254'],
			// One internal answer among public ones is enough: the connection could go to either.
			'mixed.cdn.test': ['93.184.216.34', '10.0.0.7'],
		});
		const urls = [
			`http://images.cms.test:${v4.port}/a.jpg`,
			`http://mapped.cms.test:${v4.port}/b.jpg`,
			'http://nas.home.test/c.jpg',
			'http://metadata.cloud.test/latest/meta-data/iam/security-credentials/',
			'http://metadata6.cloud.test/latest/meta-data/',
			'http://mixed.cdn.test/d.jpg',
		];
		const before = v4.connections;
		const result = await rehost(urls.map((url) => `<img src="${url}">`).join(''));

		expect(skippedOf(result.items[0].json)).toEqual(urls.map((source) => ({ source, reason: REFUSED })));
		expect(calls.sort()).toEqual(
			['images.cms.test', 'mapped.cms.test', 'nas.home.test', 'metadata.cloud.test', 'metadata6.cloud.test', 'mixed.cdn.test'].sort(),
		);
		expect(v4.connections).toBe(before);
		expect(blockedAttempts).toEqual([]);
	});

	it('says the same whatever the target is: a served image, a 404, a closed port', async () => {
		v4.redirects.delete('/a.jpg');
		const urls = [
			`http://127.0.0.1:${v4.port}/a.jpg`,
			`http://127.0.0.1:${v4.port}/missing.jpg`,
			'http://127.0.0.1:1/closed.jpg',
		];
		const result = await rehost(urls.map((url) => `<img src="${url}">`).join(''));
		const reasons = skippedOf(result.items[0].json).map((skipped) => skipped.reason);
		expect(reasons).toEqual([REFUSED, REFUSED, REFUSED]);
	});

	it('in "error" mode the item stops with the same reason and WeChat is not called', async () => {
		const cover = await addPermanentImage(env.sandbox);
		env.sandbox.clearLog();
		const url = `http://[::1]:${v6.port}/a.jpg`;
		const before = v6.connections;
		const result = await runNode({
			parameters: articleJson('draft', [{ title: 'T', thumb_media_id: cover, content: `<img src="${url}">` }], {
				allowedInternalHosts: '',
				unhostableImages: 'error',
			}),
			credentials: env.credentials(),
		});
		expect(result.error?.message).toBe(
			`item 0, field \`Articles (JSON)\`: article 1: image ${url}: ${REFUSED}`,
		);
		expect(apiCalls(env.sandbox)).toEqual([]);
		expect(v6.connections).toBe(before);
	});

	it('checks every redirect hop: an allowed host that redirects to a refused one', async () => {
		resolveNames({ 'media.intranet.test': ['127.0.0.1'], localhost: ['127.0.0.1'] });
		gateway.redirects.set('/to-ip.jpg', `http://127.0.0.1:${v4.port}/a.jpg`);
		gateway.redirects.set('/to-localhost.jpg', `http://localhost:${v4.port}/a.jpg`);
		gateway.redirects.set('/to-v6.jpg', `http://[::1]:${v6.port}/a.jpg`);
		gateway.redirects.set('/relative.jpg', '/to-ip.jpg');
		const paths = ['/to-ip.jpg', '/to-localhost.jpg', '/to-v6.jpg', '/relative.jpg'];
		const urls = paths.map((path) => `http://media.intranet.test:${gateway.port}${path}`);
		const before = [v4.connections, v6.connections, gateway.requests.length];

		// The allowance names the gateway host only, not the addresses it redirects to.
		const result = await rehost(urls.map((url) => `<img src="${url}">`).join(''), {
			allowedInternalHosts: 'media.intranet.test',
		});

		expect(skippedOf(result.items[0].json)).toEqual(urls.map((source) => ({ source, reason: REFUSED })));
		expect([v4.connections, v6.connections]).toEqual(before.slice(0, 2));
		// The gateway was asked (it is allowed): once per URL, twice for the relative redirect.
		expect(gateway.requests.length - before[2]).toBe(5);
		expect(blockedAttempts).toEqual([]);
	});

	it('connects to the address it checked: a DNS answer that changes afterwards (rebinding) is not used', async () => {
		// The first answer is public, every later one loopback. The guard blocks the public address
		// (there is no internet here); what matters is that the loopback target is never reached.
		let lookups = 0;
		resolveNames({ 'rebind.test': () => (++lookups === 1 ? ['93.184.216.34'] : ['127.0.0.1']) });
		const before = v4.connections;
		const result = await rehost(`<img src="http://rebind.test:${v4.port}/a.jpg">`);

		const [skipped] = skippedOf(result.items[0].json);
		expect(skipped.source).toBe(`http://rebind.test:${v4.port}/a.jpg`);
		expect(v4.connections).toBe(before);
		expect(blockedAttempts.splice(0)).toEqual([`93.184.216.34:${v4.port}`]);
	});
});

describe('Allowed Internal Hosts', () => {
	it('a listed name lets that name through, not other names or addresses of the same host', async () => {
		resolveNames({ 'cms.intranet.test': ['127.0.0.1'], 'other.intranet.test': ['127.0.0.1'] });
		const byName = `http://cms.intranet.test:${v4.port}/by-name.jpg`;
		const otherName = `http://other.intranet.test:${v4.port}/other-name.jpg`;
		const byAddress = `http://127.0.0.1:${v4.port}/by-address.jpg`;

		const result = await rehost([byName, otherName, byAddress].map((url) => `<img src="${url}">`).join(''), {
			allowedInternalHosts: 'CMS.intranet.test.',
		});

		const json = result.items[0].json;
		const rehosted = json.rehosted_images as Array<{ source: string; url: string }>;
		expect(rehosted.map((image) => image.source)).toEqual([byName]);
		expect(skippedOf(json)).toEqual([
			{ source: otherName, reason: REFUSED },
			{ source: byAddress, reason: REFUSED },
		]);
		expect(v4.requests).toContain('/by-name.jpg');
		expect(v4.requests).not.toContain('/other-name.jpg');
		expect(v4.requests).not.toContain('/by-address.jpg');
		const [stored] = (
			await runNode({
				parameters: { resource: 'draft', operation: 'get', mediaId: json.media_id as string },
				credentials: env.credentials(),
			})
		).items[0].json.news_item as IDataObject[];
		expect(imageSources(stored.content as string)).toEqual([rehosted[0].url]);
	});

	it('a listed address or range lets every spelling and name of it through, and nothing else', async () => {
		resolveNames({
			'cms.intranet.test': ['127.0.0.1'],
			'nas.intranet.test': ['10.0.0.9'],
			localhost: ['127.0.0.1'],
		});
		const urls = [
			`http://127.0.0.1:${v4.port}/by-address.jpg`,
			`http://0x7f.0.0.1:${v4.port}/hex.jpg`,
			`http://localhost:${v4.port}/localhost.jpg`,
			`http://cms.intranet.test:${v4.port}/name.jpg`,
			`http://[::1]:${v6.port}/v6.jpg`,
		];
		const outside = 'http://nas.intranet.test/photo.jpg';

		const result = await rehost([...urls, outside].map((url) => `<img src="${url}">`).join(''), {
			allowedInternalHosts: '127.0.0.0/8, ::1',
		});

		const json = result.items[0].json;
		expect((json.rehosted_images as IDataObject[]).map((image) => image.source)).toEqual(urls);
		expect(skippedOf(json)).toEqual([{ source: outside, reason: REFUSED }]);
		expect(v4.requests).toEqual(
			expect.arrayContaining(['/by-address.jpg', '/hex.jpg', '/localhost.jpg', '/name.jpg']),
		);
		expect(v6.requests).toContain('/v6.jpg');
		expect(blockedAttempts).toEqual([]);
	});

	it('a subdomain wildcard and a CIDR range', async () => {
		resolveNames({ 'img.corp.test': ['127.0.0.1'], 'corp.test': ['127.0.0.1'] });
		const result = await rehost(
			[
				`<img src="http://img.corp.test:${v4.port}/wild.jpg">`,
				`<img src="http://corp.test:${v4.port}/apex.jpg">`,
				`<img src="http://[::1]:${v6.port}/v6-range.jpg">`,
			].join(''),
			{ allowedInternalHosts: '*.corp.test ::/127' },
		);
		const json = result.items[0].json;
		expect((json.rehosted_images as IDataObject[]).map((image) => image.source)).toEqual([
			`http://img.corp.test:${v4.port}/wild.jpg`,
			`http://[::1]:${v6.port}/v6-range.jpg`,
		]);
		expect(skippedOf(json)).toEqual([{ source: `http://corp.test:${v4.port}/apex.jpg`, reason: REFUSED }]);
	});

	it('an entry that is neither a name, an address nor a range is an error naming the field', async () => {
		const result = await rehost(`<img src="http://127.0.0.1:${v4.port}/a.jpg">`, {
			allowedInternalHosts: '127.0.0.1, http://cms.intranet/',
		});
		expect(result.error?.message).toBe(
			'item 0, field `Allowed Internal Hosts`: "http://cms.intranet/" is not a host name, an IP address or a CIDR range',
		);
	});
});

describe('which addresses are internal (the check itself, no connection made)', () => {
	const refused = [
		'0.0.0.0', '0.1.2.3', '10.0.0.1', '10.255.255.255', '100.64.0.1', '100.100.100.200', '127.0.0.1',
		'127.255.255.254', '169.254.0.1', '169.254.169.254', '172.16.0.1', '172.31.255.255', '192.0.0.192',
		'192.168.0.1', '198.18.0.1', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
		'::', '::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::127.0.0.1',
		'64:ff9b::a9fe:a9fe', '2002:c0a8:0101::1', 'fc00::1', 'fd00:ec2::254', 'fe80::1', 'fe80::1%eth0',
		'febf:ffff::1', 'fec0::1', 'ff02::1', 'ff0e::1', '100::1',
	];
	const publicAddresses = [
		'1.1.1.1', '8.8.8.8', '93.184.216.34', '100.63.255.255', '100.128.0.1', '172.15.255.255',
		'172.32.0.1', '169.253.1.1', '192.169.0.1', '223.255.255.255', '2606:4700:4700::1111',
		'2400:3200::1', '::ffff:8.8.8.8', '2002:0808:0808::1', '64:ff9b::808:808',
	];
	const none = new InternalHostAllowance('');

	it.each(refused)('%s is refused', async (address) => {
		const hostName = address.includes(':') ? `[${address}]` : address;
		await expect(addressesToConnect(hostName, none)).rejects.toBeInstanceOf(InternalAddressRefused);
		resolveNames({ 'name.test': [address.replace(/%.*$/, '')] });
		await expect(addressesToConnect('name.test', none)).rejects.toBeInstanceOf(InternalAddressRefused);
	});

	it.each(publicAddresses)('%s is public', async (address) => {
		const hostName = address.includes(':') ? `[${address}]` : address;
		await expect(addressesToConnect(hostName, none)).resolves.toEqual([address]);
	});

	it.each([
		['http://2130706433/', '127.0.0.1'],
		['http://0x7f000001/', '127.0.0.1'],
		['http://0x7f.1/', '127.0.0.1'],
		['http://0177.0.0.1/', '127.0.0.1'],
		['http://017700000001/', '127.0.0.1'],
		['http://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254'],
		['http://2852039166/', '169.254.169.254'],
		['http://012.1/', '10.0.0.1'],
		['http://[0:0:0:0:0:ffff:7f00:1]/', '[::ffff:7f00:1]'],
		['http://[::ffff:a9fe:a9fe]/', '[::ffff:a9fe:a9fe]'],
	])('%s (URL parsing makes it %s) is refused', async (url, hostName) => {
		expect(new URL(url).hostname).toBe(hostName);
		await expect(addressesToConnect(new URL(url).hostname, none)).rejects.toBeInstanceOf(
			InternalAddressRefused,
		);
	});

	it('a name that does not resolve says so without any address', async () => {
		resolveNames({});
		await expect(addressesToConnect('nowhere.test', none)).rejects.toThrow('the host name does not resolve');
	});
});
