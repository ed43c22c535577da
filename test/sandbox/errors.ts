/** The errcodes the sandbox answers, with the errmsg the live service sends for each. */

const ERROR_MESSAGES: Record<number, string> = {
	[-1]: 'system error',
	40001: 'invalid credential, access_token is invalid or not latest',
	40002: 'invalid grant_type',
	40004: 'invalid media type',
	40005: 'invalid file type',
	// The live service really spells it "meida".
	40006: 'invalid meida size',
	40007: 'invalid media_id',
	40013: 'invalid appid',
	40014: 'invalid access_token',
	40097: 'invalid args',
	40113: 'unsupported file type',
	40125: 'invalid appsecret',
	41001: 'access_token missing',
	41002: 'appid missing',
	41004: 'appsecret missing',
	41005: 'media data missing',
	42001: 'access_token expired',
	43002: 'require POST method',
	44001: 'empty media data',
	44002: 'empty post data',
	44003: 'empty news data',
	45002: 'content size out of limit',
	45004: 'description size out of limit',
	45007: 'playtime out of limit',
	45008: 'article size out of limit',
	45009: 'reach max api daily quota limit',
	45011: 'api minute-quota reach limit mustslower retry next minute',
	45106: 'This API has been unsupported',
	47001: 'data format error',
};

export function errorMessage(errcode: number): string {
	return ERROR_MESSAGES[errcode] ?? 'system error';
}

/** Thrown by route handlers; the server turns it into HTTP 200 `{errcode, errmsg}`. */
export class WeixinError extends Error {
	readonly errcode: number;

	constructor(errcode: number, errmsg = errorMessage(errcode)) {
		super(errmsg);
		this.errcode = errcode;
	}
}
