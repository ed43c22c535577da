/**
 * Secrets must never reach an error message, an output item or a log line. Everything the transport
 * turns into text passes through `redact`, which knows every AppSecret and access token this process
 * has handled, and also masks the query parameters that carry them (`access_token=`, `secret=`).
 */

const REDACTED = '***';

// Short values would mask ordinary words; real secrets and tokens are far longer than this.
const MIN_SECRET_LENGTH = 8;

const knownSecrets = new Set<string>();

export function rememberSecret(value: unknown): void {
	if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) knownSecrets.add(value);
}

const SECRET_PARAMETER = /\b(access_token|secret|appsecret)(=|%3D|":\s*")([^&\s"'#]+)/gi;

export function redact(text: string): string {
	let result = text.replace(SECRET_PARAMETER, (_match, name: string, separator: string) => {
		return `${name}${separator}${REDACTED}`;
	});
	for (const secret of knownSecrets) {
		if (result.includes(secret)) result = result.split(secret).join(REDACTED);
	}
	return result;
}
