import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import { createCredentialStore, HarnessCredentialsHelper, toCredentialStore } from './credentials';
import { createNodeRunner } from './run-node';

/**
 * A throwaway node and credential shaped like the Weixin ones: the credential exchanges its app
 * secret for a token in `preAuthentication` and stores it in a hidden expirable field; the node
 * uploads an input binary with `httpRequestWithAuthentication` and returns the server's answer
 * as a new binary.
 */
const SECRET = 'harness-app-secret-5f1c';

class HarnessTokenApi implements ICredentialType {
	name = 'harnessTokenApi';

	displayName = 'Harness Token API';

	properties: ICredentialType['properties'] = [
		{ displayName: 'App ID', name: 'appId', type: 'string', default: '' },
		{
			displayName: 'App Secret',
			name: 'appSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true },
			default: '',
		},
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		const answer = (await this.helpers.httpRequest({
			method: 'GET',
			url: `${credentials.baseUrl as string}/token`,
			qs: { appid: credentials.appId, secret: credentials.appSecret },
			json: true,
		})) as { access_token: string };
		return { accessToken: answer.access_token };
	}

	authenticate: ICredentialType['authenticate'] = {
		type: 'generic',
		properties: { qs: { access_token: '={{$credentials.accessToken}}' } },
	};
}

const nodeDescription: INodeTypeDescription = {
	displayName: 'Harness Upload',
	name: 'harnessUpload',
	group: ['transform'],
	version: [1, 2],
	description: 'Uploads a binary for the harness test',
	defaults: { name: 'Harness Upload' },
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	credentials: [{ name: 'harnessTokenApi', required: true }],
	properties: [
		{ displayName: 'Endpoint', name: 'endpoint', type: 'string', default: 'upload' },
		{ displayName: 'Binary Property', name: 'binaryProperty', type: 'string', default: 'data' },
	],
};

class HarnessUpload implements INodeType {
	description = nodeDescription;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const returnData: INodeExecutionData[] = [];
		const items = this.getInputData();
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const credentials = await this.getCredentials<{ baseUrl: string }>('harnessTokenApi');
				const property = this.getNodeParameter('binaryProperty', itemIndex) as string;
				const endpoint = this.getNodeParameter('endpoint', itemIndex) as string;
				const binary = this.helpers.assertBinaryData(itemIndex, property);
				const bytes = await this.helpers.getBinaryDataBuffer(itemIndex, property);
				const metadata = binary.id ? await this.helpers.getBinaryMetadata(binary.id) : undefined;
				const streamed = binary.id ? await streamLength(this, binary.id) : undefined;
				this.logger.info(`uploading ${bytes.length} bytes`, { itemIndex });
				console.log('console line from the node');
				const response = (await this.helpers.httpRequestWithAuthentication.call(
					this,
					'harnessTokenApi',
					{
						method: 'POST',
						url: `${credentials.baseUrl}/${endpoint}`,
						body: bytes,
						headers: { 'content-type': binary.mimeType },
						encoding: 'arraybuffer',
						returnFullResponse: true,
					},
				)) as { body: ArrayBuffer; headers: IDataObject };
				const reply = Buffer.from(response.body);
				const json: IDataObject = {
					size: reply.length,
					storedAs: binary.id ? 'id' : 'inline',
					metadataFileName: metadata?.fileName,
					streamedBytes: streamed,
					inputFileName: binary.fileName,
					inputMimeType: binary.mimeType,
				};
				const outputBinary = await this.helpers.prepareBinaryData(
					reply,
					'reversed.bin',
					'application/octet-stream',
				);
				const executionData = this.helpers.constructExecutionMetaData(
					this.helpers.returnJsonArray(json).map((item) => ({
						...item,
						binary: { reversed: outputBinary },
					})),
					{ itemData: { item: itemIndex } },
				);
				returnData.push(...executionData);
			} catch (error) {
				if (this.continueOnFail()) {
					returnData.push({
						json: { error: (error as Error).message },
						pairedItem: { item: itemIndex },
					});
					continue;
				}
				if (error instanceof NodeApiError) throw error;
				throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
			}
		}
		return [returnData];
	}
}

async function streamLength(context: IExecuteFunctions, binaryId: string): Promise<number> {
	let length = 0;
	for await (const chunk of await context.helpers.getBinaryStream(binaryId)) {
		length += (chunk as Buffer).length;
	}
	return length;
}

/** The local API: hands out numbered tokens, accepts only the newest, echoes uploads reversed. */
interface FakeApi {
	baseUrl: string;
	tokenRequests: string[];
	uploads: Array<{ token: string | null; bytes: Buffer }>;
	revokeTokens(): void;
	close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

async function startFakeApi(): Promise<FakeApi> {
	const tokenRequests: string[] = [];
	const uploads: FakeApi['uploads'] = [];
	const validTokens = new Set<string>();
	const server: Server = createServer((request, response) => {
		void (async () => {
			const url = new URL(request.url ?? '/', 'http://127.0.0.1');
			const body = await readBody(request);
			if (url.pathname === '/token') {
				tokenRequests.push(url.searchParams.get('secret') ?? '');
				const token = `token-${tokenRequests.length}`;
				validTokens.add(token);
				response.setHeader('content-type', 'application/json');
				response.end(JSON.stringify({ access_token: token, expires_in: 7200 }));
				return;
			}
			const token = url.searchParams.get('access_token');
			if (url.pathname === '/upload') {
				uploads.push({ token, bytes: body });
				if (token === null || !validTokens.has(token)) {
					response.statusCode = 401;
					response.end(JSON.stringify({ errcode: 40001, errmsg: 'invalid credential' }));
					return;
				}
				response.setHeader('content-type', 'application/octet-stream');
				response.end(Buffer.from(body).reverse());
				return;
			}
			response.statusCode = 500;
			response.end(JSON.stringify({ errcode: -1, errmsg: 'system error' }));
		})();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		baseUrl: `http://127.0.0.1:${port}`,
		tokenRequests,
		uploads,
		revokeTokens: () => validTokens.clear(),
		close: async () => await new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

const runNode = createNodeRunner({
	node: new HarnessUpload(),
	credentialTypes: [new HarnessTokenApi()],
});

const PNG_BYTES = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5]);

describe('test harness', () => {
	let api: FakeApi;
	let credentials: ICredentialDataDecryptedObject;

	beforeEach(async () => {
		api = await startFakeApi();
		credentials = { appId: 'wx-harness', appSecret: SECRET, baseUrl: api.baseUrl };
	});

	afterEach(async () => await api.close());

	it('stores input files through BinaryDataService and reads output binaries back', async () => {
		const result = await runNode({
			parameters: {},
			credentials,
			items: [{ json: { n: 1 }, files: [{ bytes: PNG_BYTES, fileName: 'cover.png' }] }],
		});

		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		const [item] = result.items;
		expect(item.json).toEqual({
			size: PNG_BYTES.length,
			storedAs: 'id',
			metadataFileName: 'cover.png',
			streamedBytes: PNG_BYTES.length,
			inputFileName: 'cover.png',
			inputMimeType: 'image/png',
		});
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.binary?.reversed.id).toMatch(/^filesystem(-v2)?:/);
		expect(await result.readBinary(0, 'reversed')).toEqual(Buffer.from(PNG_BYTES).reverse());
		expect(api.uploads.map((upload) => upload.bytes)).toEqual([PNG_BYTES]);
	});

	it("keeps binaries inline in n8n's in-memory 'default' mode", async () => {
		// The property parameter is an expression, resolved per item by n8n's legacy engine.
		const withProperty = await runNode({
			parameters: { binaryProperty: '={{ "me" + "dia" }}' },
			credentials,
			binaryMode: 'default',
			items: [
				{ files: [{ property: 'media', bytes: Buffer.from('abc'), mimeType: 'text/plain' }] },
			],
		});
		expect(withProperty.error).toBeUndefined();
		expect(withProperty.items[0].json.storedAs).toBe('inline');
		expect(withProperty.items[0].binary?.reversed.id).toBeUndefined();
		expect(await withProperty.readBinary(0, 'reversed')).toEqual(Buffer.from('cba'));
	});

	it('returns the node error when an item fails without continueOnFail', async () => {
		const result = await runNode({
			parameters: { endpoint: 'broken' },
			credentials,
			items: [{ files: [{ bytes: PNG_BYTES, fileName: 'a.png' }] }],
		});

		expect(result.items).toEqual([]);
		// What n8n saves for the run: a copy of the NodeApiError's fields, not the instance.
		expect(result.error).toMatchObject({
			name: 'NodeApiError',
			httpCode: '500',
			description: 'Request failed with status code 500',
		});
	});

	it('turns failures into error items with continueOnFail and keeps pairedItem', async () => {
		const result = await runNode({
			parameters: { endpoint: '={{ $json.endpoint ?? "upload" }}' },
			credentials,
			continueOnFail: true,
			items: [
				{ files: [{ bytes: PNG_BYTES, fileName: 'a.png' }] },
				{ json: { endpoint: 'broken' }, files: [{ bytes: PNG_BYTES, fileName: 'b.png' }] },
				{ json: { endpoint: 'upload' } },
			],
		});

		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(3);
		expect(result.items[0].json.size).toBe(PNG_BYTES.length);
		expect(result.items.map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
		expect(result.items[1].json.error).toEqual(expect.any(String));
		expect(result.items[2].json.error).toMatch(/binary file 'data', but none was found/);
	});

	it('calls preAuthentication once, saves the token, and the next run reuses it', async () => {
		const store = createCredentialStore(credentials);

		const first = await runNode({
			parameters: {},
			credentials: store,
			items: [
				{ files: [{ bytes: PNG_BYTES, fileName: 'a.png' }] },
				{ files: [{ bytes: PNG_BYTES, fileName: 'b.png' }] },
			],
		});

		expect(first.error).toBeUndefined();
		expect(api.tokenRequests).toEqual([SECRET]);
		expect(store.updates).toBe(1);
		expect(store.data).toEqual({ ...credentials, accessToken: 'token-1' });
		expect(api.uploads.map((upload) => upload.token)).toEqual(['token-1', 'token-1']);

		const second = await runNode({
			parameters: {},
			credentials: store,
			items: [{ files: [{ bytes: PNG_BYTES, fileName: 'c.png' }] }],
		});

		expect(second.error).toBeUndefined();
		expect(api.tokenRequests).toHaveLength(1);
		expect(store.updates).toBe(1);
		expect(api.uploads.map((upload) => upload.token)).toEqual(['token-1', 'token-1', 'token-1']);
	});

	it('refreshes an expired token after a 401 and retries the request', async () => {
		const store = createCredentialStore({ ...credentials, accessToken: 'stale-token' });

		const result = await runNode({
			parameters: {},
			credentials: store,
			items: [{ files: [{ bytes: PNG_BYTES, fileName: 'a.png' }] }],
		});

		expect(result.error).toBeUndefined();
		expect(api.uploads.map((upload) => upload.token)).toEqual(['stale-token', 'token-1']);
		expect(api.tokenRequests).toHaveLength(1);
		expect(store.data.accessToken).toBe('token-1');
		expect(store.updates).toBe(1);
	});

	it("collects n8n's logger and console output per run", async () => {
		const result = await runNode({
			parameters: {},
			credentials,
			items: [{ files: [{ bytes: PNG_BYTES, fileName: 'a.png' }] }],
		});

		expect(result.logs).toEqual(
			expect.arrayContaining([
				expect.stringMatching(/^info: uploading 13 bytes/),
				'console.log: console line from the node',
			]),
		);
		expect(result.logs.join('\n')).not.toContain(SECRET);
	});
});

describe('HarnessCredentialsHelper', () => {
	const node = { name: 'n', credentials: {} } as unknown as INode;
	const helpers: IHttpRequestHelper = {
		helpers: { httpRequest: async () => ({ access_token: 'unused' }) },
	};

	function helperFor(type: ICredentialType, data: ICredentialDataDecryptedObject) {
		const store = toCredentialStore(data);
		return { store, helper: new HarnessCredentialsHelper(new Map([[type.name, type]]), store) };
	}

	it("passes the caller's request options object to a function authenticate", async () => {
		const seen: IHttpRequestOptions[] = [];
		const type: ICredentialType = {
			name: 'functionAuth',
			displayName: 'Function auth',
			properties: [],
			authenticate: async (_credentials, requestOptions) => {
				seen.push(requestOptions);
				requestOptions.qs = { ...requestOptions.qs, signed: 'yes' };
				return requestOptions;
			},
		};
		const { helper } = helperFor(type, {});
		const requestOptions: IHttpRequestOptions = { url: 'http://127.0.0.1/x' };

		const returned = await helper.authenticate({}, 'functionAuth', requestOptions);

		expect(seen[0]).toBe(requestOptions);
		expect(returned).toBe(requestOptions);
		expect(requestOptions.qs).toEqual({ signed: 'yes' });
	});

	it('hands out a fresh copy of the saved data with defaults on every read', async () => {
		const { store, helper } = helperFor(new HarnessTokenApi(), { appId: 'a' });
		const additionalData = {} as never;
		const details = { id: '1', name: 'c' };

		const first = await helper.getDecrypted(additionalData, details, 'harnessTokenApi');
		first.appId = 'changed';
		const second = await helper.getDecrypted(additionalData, details, 'harnessTokenApi');

		expect(second).toEqual({ appId: 'a', appSecret: '', baseUrl: '', accessToken: '' });
		expect(store.data).toEqual({ appId: 'a' });
	});

	it('does not call preAuthentication while the expirable field holds a value', async () => {
		let calls = 0;
		const type: ICredentialType = new HarnessTokenApi();
		type.preAuthentication = async () => {
			calls++;
			return { accessToken: 'new' };
		};
		const { store, helper } = helperFor(type, { accessToken: 'kept' });

		const skipped = await helper.preAuthentication(
			helpers,
			{ accessToken: 'kept' },
			type.name,
			node,
			false,
		);
		const expired = await helper.preAuthentication(
			helpers,
			{ accessToken: 'kept' },
			type.name,
			{ ...node, credentials: { [type.name]: { id: '1', name: 'c' } } },
			true,
		);

		expect(skipped).toBeUndefined();
		expect(expired).toEqual({ accessToken: 'new' });
		expect(calls).toBe(1);
		expect(store.data).toEqual({ accessToken: 'new' });
	});

	it('saves nothing when the hook returns no expirable field', async () => {
		const type: ICredentialType = new HarnessTokenApi();
		type.preAuthentication = async () => ({ other: 'x' });
		const { store, helper } = helperFor(type, { accessToken: '' });

		const output = await helper.preAuthentication(
			helpers,
			{ accessToken: '' },
			type.name,
			{ ...node, credentials: { [type.name]: { id: '1', name: 'c' } } },
			false,
		);

		expect(output).toBeUndefined();
		expect(store.updates).toBe(0);
	});
});
