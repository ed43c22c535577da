/** Which failures count as the network's: only those are retried, or reported as outcome unknown. */
import { describeTransportFailure } from '../../nodes/WeixinMedia/transport/retry';

const wrapped = (inner: object) => ({ message: 'outer', cause: inner });

describe('describeTransportFailure', () => {
	it('does not take a local error carrying a code (ENOENT from the binary store) for a network one', () => {
		const missing = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), {
			code: 'ENOENT',
		});
		expect(describeTransportFailure(missing)).toBeUndefined();
		expect(describeTransportFailure(wrapped(missing))).toBeUndefined();
	});

	it('takes a JSON answer cut after a 200 status for a dropped connection', () => {
		const cut = { message: 'stream has been aborted', code: 'ERR_BAD_RESPONSE', response: { status: 200 } };
		expect(describeTransportFailure(wrapped(cut))).toEqual({
			notSent: false,
			description: 'the connection was dropped (stream has been aborted)',
		});
	});

	it('knows refused connections (nothing sent), resets, timeouts and 5xx; not 4xx', () => {
		expect(describeTransportFailure({ code: 'ECONNREFUSED' })?.notSent).toBe(true);
		expect(describeTransportFailure({ code: 'ECONNRESET' })?.notSent).toBe(false);
		expect(describeTransportFailure({ code: 'ECONNABORTED', message: 'timeout of 1000ms exceeded' })?.description).toBe(
			'no answer within the request timeout',
		);
		expect(describeTransportFailure({ response: { status: 502 } })?.httpCode).toBe(502);
		expect(describeTransportFailure({ response: { status: 404 } })).toBeUndefined();
	});

	it('does not take a stopped execution for a network failure', () => {
		expect(describeTransportFailure({ code: 'ERR_CANCELED', message: 'canceled' })).toBeUndefined();
	});
});
