/**
 * Which network addresses a fetch on behalf of article content may reach. Article HTML comes from
 * feeds, CMSs and AI agents; without this, any `<img>` could make n8n read its own network (and
 * upload what it finds to a public WeChat URL).
 */
import { lookup as systemLookup } from 'dns';

import { settle } from './outcome';

/** An address as 16 bytes; IPv4 is stored as its IPv4-mapped IPv6 form (::ffff:a.b.c.d). */
type Address = Uint8Array;

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseIpv4(text: string): Address | undefined {
	// Only the dotted-decimal form: URL parsing has already turned 0x7f.1, 0177.0.0.1 and
	// 2130706433 into it, and DNS answers are always written this way.
	const parts = text.split('.');
	if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part))) return undefined;
	const bytes = parts.map(Number);
	if (bytes.some((byte) => byte > 255)) return undefined;
	return Uint8Array.from([...V4_MAPPED_PREFIX, ...bytes]);
}

function parseIpv6(text: string): Address | undefined {
	let body = text.replace(/%.*$/, ''); // a zone index (fe80::1%eth0) does not change the address
	const lastColon = body.lastIndexOf(':');
	if (body.includes('.', lastColon)) {
		// A trailing dotted IPv4 (::ffff:127.0.0.1) stands for the last two groups.
		const v4 = parseIpv4(body.slice(lastColon + 1));
		if (!v4) return undefined;
		const hex = (high: number, low: number) => ((high << 8) | low).toString(16);
		body = `${body.slice(0, lastColon + 1)}${hex(v4[12], v4[13])}:${hex(v4[14], v4[15])}`;
	}
	const halves = body.split('::');
	if (halves.length > 2) return undefined;
	const groups = (half: string) => (half === '' ? [] : half.split(':'));
	const head = groups(halves[0]);
	const rest = halves.length === 2 ? groups(halves[1]) : [];
	if (![...head, ...rest].every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
	const known = head.length + rest.length;
	if (halves.length === 1 ? known !== 8 : known > 7) return undefined;
	const words = [
		...head.map((group) => parseInt(group, 16)),
		...new Array<number>(8 - known).fill(0),
		...rest.map((group) => parseInt(group, 16)),
	];
	return Uint8Array.from(words.flatMap((word) => [word >> 8, word & 0xff]));
}

/** Parses an IPv4 or IPv6 literal (brackets allowed); undefined for anything else, host names included. */
export function parseAddress(text: string): Address | undefined {
	const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
	return bare.includes(':') ? parseIpv6(bare) : parseIpv4(bare);
}

interface Range {
	base: Address;
	bits: number;
}

function parseRange(text: string): Range | undefined {
	const [address, bitsText, ...extra] = text.split('/');
	const base = parseAddress(address);
	if (!base || extra.length > 0) return undefined;
	const isV4 = !address.includes(':');
	if (bitsText === undefined) return { base, bits: 128 };
	if (!/^\d{1,3}$/.test(bitsText)) return undefined;
	const bits = Number(bitsText) + (isV4 ? 96 : 0);
	return bits <= 128 ? { base, bits } : undefined;
}

function inRange(address: Address, { base, bits }: Range): boolean {
	for (let bit = 0; bit < bits; bit += 8) {
		const width = Math.min(8, bits - bit);
		const mask = (0xff << (8 - width)) & 0xff;
		if ((address[bit / 8] & mask) !== (base[bit / 8] & mask)) return false;
	}
	return true;
}

const ranges = (list: string[]) => list.map((text) => parseRange(text) as Range);

/** Not the public internet: refused unless the user allows them. */
const INTERNAL_RANGES = ranges([
	// IPv4 (matched in their IPv4-mapped form, so ::ffff:127.0.0.1 is caught too)
	'0.0.0.0/8', // "this network"; 0.0.0.0 reaches the local host
	'10.0.0.0/8', // private
	'100.64.0.0/10', // carrier-grade NAT; holds Alibaba Cloud's metadata service 100.100.100.200
	'127.0.0.0/8', // loopback
	'169.254.0.0/16', // link-local, holds the metadata service 169.254.169.254 of most clouds
	'172.16.0.0/12', // private
	'192.0.0.0/24', // protocol assignments (also Oracle Cloud's metadata 192.0.0.192)
	'192.168.0.0/16', // private
	'198.18.0.0/15', // benchmarking, used inside networks
	'224.0.0.0/4', // multicast
	'240.0.0.0/4', // reserved, 255.255.255.255 broadcast included
	// IPv6
	'::/128', // unspecified
	'::1/128', // loopback
	'100::/64', // discard-only
	'fc00::/7', // unique local (AWS's IPv6 metadata fd00:ec2::254 too)
	'fe80::/10', // link-local
	'fec0::/10', // site-local (deprecated, still routed inside some networks)
	'ff00::/8', // multicast
]);

/** IPv6 forms that carry an IPv4 address, which then decides: [prefix, byte offset of the IPv4]. */
const EMBEDDED_V4: Array<[Range, number]> = [
	[parseRange('::/96') as Range, 12], // IPv4-compatible (deprecated)
	[parseRange('64:ff9b::/96') as Range, 12], // NAT64
	[parseRange('64:ff9b:1::/48') as Range, 12], // local-use NAT64
	[parseRange('2002::/16') as Range, 2], // 6to4
];

export function isInternalAddress(address: Address): boolean {
	if (INTERNAL_RANGES.some((range) => inRange(address, range))) return true;
	for (const [prefix, offset] of EMBEDDED_V4) {
		if (!inRange(address, prefix)) continue;
		const v4 = Uint8Array.from([...V4_MAPPED_PREFIX, ...address.subarray(offset, offset + 4)]);
		if (INTERNAL_RANGES.some((range) => inRange(v4, range))) return true;
	}
	return false;
}

/** The user's "Allowed Internal Hosts": host names (`*.` for subdomains), addresses and CIDR ranges. */
export class InternalHostAllowance {
	private readonly names = new Set<string>();
	private readonly suffixes: string[] = [];
	private readonly ranges: Range[] = [];

	/** Throws with the entry that is neither a host name nor an address or range. */
	constructor(list: string) {
		for (const entry of list.split(/[\s,]+/).filter((text) => text !== '')) {
			const normal = normaliseHostName(entry);
			const range = parseRange(entry);
			if (range) this.ranges.push(range);
			else if (/^\*\.[a-z0-9.-]+$/.test(normal)) this.suffixes.push(normal.slice(1));
			else if (/^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/.test(normal)) this.names.add(normal);
			else throw new Error(`"${entry}" is not a host name, an IP address or a CIDR range`);
		}
	}

	allowsName(hostName: string): boolean {
		const normal = normaliseHostName(hostName);
		return this.names.has(normal) || this.suffixes.some((suffix) => normal.endsWith(suffix));
	}

	allowsAddress(address: Address): boolean {
		return this.ranges.some((range) => inRange(address, range));
	}
}

function normaliseHostName(name: string): string {
	const lower = name.toLowerCase();
	return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

export type HostResolver = (
	hostName: string,
) => Promise<Array<{ address: string; family: number }>>;

const systemResolver: HostResolver = async (hostName) =>
	await new Promise((resolve, reject) => {
		systemLookup(hostName, { all: true }, (error, addresses) =>
			error ? reject(error) : resolve(addresses),
		);
	});

let resolver: HostResolver = systemResolver;

/**
 * Replaces name resolution, so tests can give a name any address without a DNS server; returns the
 * function that restores the system's resolution.
 */
export function useHostResolver(replacement: HostResolver): () => void {
	resolver = replacement;
	return () => {
		resolver = systemResolver;
	};
}

/** A host that must not be fetched; the message says nothing about what is there. */
export class InternalAddressRefused extends Error {
	constructor() {
		super(
			'refused: the address is not on the public internet (a private, loopback, link-local or other internal network); list the host in "Allowed Internal Hosts" if it is meant to be fetched',
		);
		this.name = 'InternalAddressRefused';
	}
}

/** The host name could not be resolved at all. */
export class HostNotFound extends Error {
	constructor() {
		super('the host name does not resolve');
		this.name = 'HostNotFound';
	}
}

/**
 * The addresses a URL's host may be connected to, IPv4 first; throws InternalAddressRefused if any
 * address the name resolves to is internal and not allowed (one internal answer is enough to refuse:
 * a name that mixes them is not an ordinary image host).
 */
export async function addressesToConnect(
	hostName: string,
	allowance: InternalHostAllowance,
): Promise<string[]> {
	const bare = hostName.startsWith('[') ? hostName.slice(1, -1) : hostName;
	const literal = parseAddress(bare);
	const nameAllowed = allowance.allowsName(bare);
	let answers: Array<{ address: string; family: number }>;
	if (literal) {
		answers = [{ address: bare, family: bare.includes(':') ? 6 : 4 }];
	} else {
		const resolved = await settle(() => resolver(bare));
		if (!resolved.ok || resolved.value.length === 0) throw new HostNotFound();
		answers = resolved.value;
	}
	for (const { address } of answers) {
		const parsed = parseAddress(address);
		if (!parsed) throw new HostNotFound();
		if (nameAllowed || allowance.allowsAddress(parsed)) continue;
		if (isInternalAddress(parsed)) throw new InternalAddressRefused();
	}
	return [...answers]
		.sort((a, b) => a.family - b.family)
		.map(({ address }) => address);
}
