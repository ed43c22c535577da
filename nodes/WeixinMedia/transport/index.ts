/** The only code that knows the wire: tokens, errcodes, retries, multipart and downloads. */
export {
	DEFAULT_TIMEOUT_MS,
	cancelSignalOf,
	configureTransport,
	downloadFromUrl,
	weixinDownload,
	weixinRequest,
	type DownloadResult,
	type JsonCallContext,
	type WeixinRequest,
} from './client';
export { InternalHostAllowance } from './addresses';
export type { DownloadTarget } from './download';
export {
	ExternalFetchError,
	fetchExternalFile,
	type ExternalFetchLimits,
	type ExternalFile,
} from './fetch';
export { API_RETIRED_ERRCODE, hintFor, markMayHaveWritten, mayHaveWritten } from './errors';
export { uploadMedia, type MediaUpload } from './multipart';
export { settle, settleSync, type Outcome } from './outcome';
export { redact } from './redact';
export { ExecutionCancelled, isCancellation, waitUnlessCancelled, type RetryPolicy } from './retry';
export { CREDENTIAL_TYPE } from './token';
