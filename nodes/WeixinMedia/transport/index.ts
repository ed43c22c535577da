/** The only code that knows the wire: tokens, errcodes, retries, multipart and downloads. */
export {
	DEFAULT_TIMEOUT_MS,
	configureTransport,
	downloadFromUrl,
	weixinDownload,
	weixinRequest,
	type DownloadResult,
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
export { API_RETIRED_ERRCODE, hintFor } from './errors';
export { uploadMedia, type MediaUpload } from './multipart';
export { redact } from './redact';
export type { RetryPolicy } from './retry';
export { CREDENTIAL_TYPE } from './token';
