import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

import {
	DEFAULT_BASE_URL,
	normaliseCredentials,
	obtainToken,
	storedTokenIfUsable,
} from '../nodes/WeixinMedia/transport/token';

/**
 * AppID + AppSecret, exchanged for an access token that n8n keeps in the hidden `accessToken` field.
 *
 * n8n calls `preAuthentication` when that field is empty, or when a request answers HTTP 401. It then
 * saves the new token with the credential, so every execution and every queue-mode worker reads the
 * same token from n8n's database instead of fetching its own (which, with the classic endpoint, would
 * knock the others' tokens out).
 */
export class WeixinOfficialAccountApi implements ICredentialType {
	name = 'weixinOfficialAccountApi';

	displayName = 'Weixin Official Account API';

	documentationUrl =
		'https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html';

	icon = { light: 'file:weixin.svg', dark: 'file:weixin.dark.svg' } as const;

	properties: INodeProperties[] = [
		{
			displayName: 'AppID',
			name: 'appId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'wx0123456789abcdef',
			description:
				'From the WeChat Official Account admin: Settings and Development → Basic Configuration',
		},
		{
			displayName: 'AppSecret',
			name: 'appSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Token Endpoint',
			name: 'grantEndpoint',
			type: 'options',
			options: [
				{
					name: 'Stable Token (Recommended)',
					value: 'stable',
					description:
						'/cgi-bin/stable_token: every caller gets the same token, so several systems can share one AppID',
				},
				{
					name: 'Classic Token',
					value: 'classic',
					description:
						'/cgi-bin/token: by design every call issues a new token and invalidates the previous one within minutes, knocking out every other system (or n8n instance) that fetches tokens for this AppID. Use it only when nothing else does.',
				},
			],
			default: 'stable',
		},
		{
			displayName: 'API Base URL',
			name: 'baseUrl',
			type: 'string',
			default: DEFAULT_BASE_URL,
			description:
				'Change only to route calls through a reverse proxy with a whitelisted fixed IP (for n8n behind a dynamic IP)',
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
		{
			displayName: 'Access Token Expires At',
			name: 'accessTokenExpiresAt',
			type: 'hidden',
			typeOptions: { password: true },
			default: 0,
		},
		{
			// Which AppID, token endpoint and base URL the stored token was fetched for: after an edit of
			// any of them the stored token is not used.
			displayName: 'Access Token Fingerprint',
			name: 'accessTokenFingerprint',
			type: 'hidden',
			typeOptions: { password: true },
			default: '',
		},
	];

	async preAuthentication(this: IHttpRequestHelper, data: ICredentialDataDecryptedObject) {
		const credentials = normaliseCredentials(data);
		const issued = await obtainToken(credentials, async (options) => {
			return (await this.helpers.httpRequest(options)) as unknown;
		});
		return { ...issued } as IDataObject;
	}

	async authenticate(
		data: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		const credentials = normaliseCredentials(data);
		const token = storedTokenIfUsable(credentials);
		if (token === undefined) {
			// n8n's own refresh path: a 401 thrown here makes httpRequestWithAuthentication call
			// preAuthentication (which saves the new token for every worker) and authenticate again.
			// Nothing has been sent yet, so even a multipart body is still intact.
			throw Object.assign(new Error('The stored WeChat access token is spent; refreshing it'), {
				response: { status: 401 },
			});
		}
		// Mutated in place: the transport reads back which token a request carried, so that it can
		// mark exactly that token as rejected if WeChat answers 40001/40014/42001.
		requestOptions.qs ??= {};
		requestOptions.qs.access_token = token;
		return requestOptions;
	}

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '/cgi-bin/material/get_materialcount',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 48001,
					message:
						'The credentials work, but this account is not authorised for the material APIs (personal or unverified account)',
				},
			},
		],
	};
}
