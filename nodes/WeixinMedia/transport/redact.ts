/**
 * Secrets must never reach an error message, an output item or a log line. Everything the transport
 * turns into text passes through `redact`, which knows every AppSecret and access token this process
 * has handled, and also masks the query parameters that carry them (`access_token=`, `secret=`).
 */

const REDACTED = '***';

// Short values would mask ordinary words; real secrets and tokens are far longer than this.
const MIN_SECRET_LENGTH = 8;

/**
 * Only live secrets are kept: one not seen for this long (an access token lives 2 hours; an AppSecret is
 * seen again on every call that uses it) is dropped, and so is the least recently seen beyond the cap.
 * Redaction cost stays bounded however long the process runs.
 */
const SECRET_MEMORY_MS = 3 * 60 * 60 * 1000;
const MAX_KNOWN_SECRETS = 256;

/** Secret → when it was last seen; ordered oldest sighting first. */
const knownSecrets = new Map<string, number>();

export function rememberSecret(value: unknown): void {
	if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
	knownSecrets.delete(value);
	knownSecrets.set(value, Date.now());
	if (knownSecrets.size > MAX_KNOWN_SECRETS) {
		knownSecrets.delete(knownSecrets.keys().next().value as string);
	}
}

function forgetStaleSecrets(): void {
	const oldestKept = Date.now() - SECRET_MEMORY_MS;
	for (const [secret, lastSeen] of knownSecrets) {
		if (lastSeen >= oldestKept) break;
		knownSecrets.delete(secret);
	}
}

/** For tests: how many secrets redaction currently checks for. */
export function knownSecretCount(): number {
	forgetStaleSecrets();
	return knownSecrets.size;
}

const SECRET_PARAMETER = /\b(access_token|secret|appsecret)(=|%3D|":\s*")([^&\s"'#]+)/gi;

export function redact(text: string): string {
	let result = text.replace(SECRET_PARAMETER, (_match, name: string, separator: string) => {
		return `${name}${separator}${REDACTED}`;
	});
	forgetStaleSecrets();
	for (const secret of knownSecrets.keys()) {
		if (result.includes(secret)) result = result.split(secret).join(REDACTED);
	}
	return result;
}
