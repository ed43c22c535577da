import { Credentials } from 'n8n-core';
import {
	getCredentialOwnRequestAllowedDomains,
	ICredentialsHelper,
	isExpression,
	NodeHelpers,
	UnexpectedError,
	UserError,
} from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeParameters,
	INodeProperties,
	IRequestOptionsSimplified,
	IWorkflowExecuteAdditionalData,
	Workflow,
} from 'n8n-workflow';

/** The harness's stand-in for n8n's credentials table: one saved credential, owned by the test. */
export interface CredentialStore {
	/** The data as currently saved (what `updateCredentials` last wrote). */
	readonly data: ICredentialDataDecryptedObject;
	/** How many times n8n saved this credential (`updateCredentials` calls). */
	readonly updates: number;
}

/**
 * Marks a store across module registries: a test that models a second n8n process loads another copy
 * of the harness (jest.isolateModules), and both copies must write to the one "database".
 */
const STORE_MARK = Symbol.for('weixin-media-harness.credential-store');

class SavedCredential implements CredentialStore {
	readonly [STORE_MARK] = true;

	data: ICredentialDataDecryptedObject;

	updates = 0;

	constructor(data: ICredentialDataDecryptedObject) {
		this.data = structuredClone(data);
	}

	/** A fresh copy each time, as a database read would give. */
	read(): ICredentialDataDecryptedObject {
		return structuredClone(this.data);
	}

	write(data: ICredentialDataDecryptedObject): void {
		this.data = structuredClone(data);
		this.updates++;
	}
}

export function createCredentialStore(data: ICredentialDataDecryptedObject): CredentialStore {
	return new SavedCredential(data);
}

/**
 * The user editing the saved credential in n8n's UI: the changed fields are written, the hidden
 * token fields stay as they were (n8n keeps them).
 */
export function editCredential(
	store: CredentialStore,
	changes: ICredentialDataDecryptedObject,
): void {
	const saved = toCredentialStore(store);
	saved.write({ ...saved.read(), ...changes });
}

/** Uses the given store, or saves plain data into a new one. */
export function toCredentialStore(
	credentials: ICredentialDataDecryptedObject | CredentialStore,
): SavedCredential {
	if ((credentials as Partial<SavedCredential>)[STORE_MARK] === true) {
		return credentials as SavedCredential;
	}
	return new SavedCredential(credentials as ICredentialDataDecryptedObject);
}

/**
 * Gives a credential's `preAuthentication` hook only `httpRequest`, honouring the credential's
 * own domain allowlist, exactly as n8n's CLI does before calling the hook.
 */
function restrictToCredentialDomains(
	helpers: IHttpRequestHelper,
	credentials: ICredentialDataDecryptedObject,
): IHttpRequestHelper {
	return {
		helpers: {
			httpRequest: async (requestOptions: IHttpRequestOptions) => {
				const allowedDomains = getCredentialOwnRequestAllowedDomains(credentials);
				if (allowedDomains === undefined) return await helpers.helpers.httpRequest(requestOptions);
				if (requestOptions.allowedDomains !== undefined) {
					// Two allowlists on one request: n8n refuses rather than pick one of them.
					throw new UserError(
						'The credential limits its requests to certain domains; its token request may not set its own',
					);
				}
				return await helpers.helpers.httpRequest({ ...requestOptions, allowedDomains });
			},
		},
	};
}

/**
 * Follows n8n's CLI `CredentialsHelper` for what a node's run depends on: defaults applied on
 * read, `preAuthentication` with the expirable-field rule and persistence, and `authenticate`
 * for function and generic credential types. The database is the run's `SavedCredential`.
 */
export class HarnessCredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly credentialTypes: Map<string, ICredentialType>,
		private readonly saved: SavedCredential,
	) {
		super();
	}

	private getType(typeName: string): ICredentialType {
		const credentialType = this.credentialTypes.get(typeName);
		if (!credentialType) {
			throw new UnexpectedError(`Unknown credential type "${typeName}" in the test harness`);
		}
		return credentialType;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		incomingRequestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		// n8n hands the caller's options object on, so a function authenticate may mutate it.
		const requestOptions = incomingRequestOptions as IHttpRequestOptions;
		const { authenticate } = this.getType(typeName);
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions);
		}
		if (typeof authenticate === 'object') {
			if (!workflow || !node) {
				throw new UnexpectedError(
					'Workflow and node are required for declarative credential authentication',
				);
			}
			requestOptions.headers ??= {};
			if (authenticate.type === 'generic') {
				const resolve = (value: string) => {
					if (!isExpression(value)) return value;
					const resolved = workflow.expression.getSimpleParameterValue(
						node,
						value,
						'internal',
						{ $credentials: credentials },
						undefined,
						'',
					);
					return resolved ? String(resolved) : '';
				};
				const target = requestOptions as unknown as Record<string, Record<string, string>>;
				for (const [section, entries] of Object.entries(authenticate.properties)) {
					for (const [key, value] of Object.entries(entries as Record<string, string>)) {
						target[section] ??= {};
						target[section][resolve(key)] = resolve(value);
					}
				}
			}
		}
		return requestOptions;
	}

	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const credentialType = this.getType(typeName);
		const expirableProperty = credentialType.properties.find(
			(property) => property.type === 'hidden' && property.typeOptions?.expirable === true,
		);
		if (expirableProperty?.name === undefined) return undefined;
		if (typeof credentialType.preAuthentication !== 'function') return undefined;

		// n8n's credential test runs through a mock NoOp node and always refreshes.
		const isTestingCredentials =
			node?.parameters?.temp === '' && node?.type === 'n8n-nodes-base.noOp';
		const expirableName = expirableProperty.name;
		if (credentials[expirableName] !== '' && !credentialsExpired && !isTestingCredentials) {
			return undefined;
		}

		const output = (await credentialType.preAuthentication.call(
			restrictToCredentialDomains(helpers, credentials),
			credentials,
		)) as ICredentialDataDecryptedObject;
		// Without the expirable field in the output n8n saves nothing.
		if (output[expirableName] === undefined || !node.credentials) return undefined;

		const nodeCredentials = node.credentials[credentialType.name];
		// A field saved as an expression keeps its expression; only the token is always written.
		const storedData = this.saved.read();
		const dataToPersist: ICredentialDataDecryptedObject = { ...storedData };
		for (const [key, value] of Object.entries(output)) {
			if (key === expirableName || !isExpression(storedData[key])) dataToPersist[key] = value;
		}
		await this.updateCredentials(nodeCredentials, credentialType.name, dataToPersist);
		return Object.assign(credentials, output);
	}

	async runPreAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const { preAuthentication } = this.getType(typeName);
		if (typeof preAuthentication !== 'function') return undefined;
		const output = await preAuthentication.call(
			restrictToCredentialDomains(helpers, credentials),
			credentials,
		);
		return (output as ICredentialDataDecryptedObject) ?? undefined;
	}

	getParentTypes(typeName: string): string[] {
		const parents = this.getType(typeName).extends ?? [];
		// Parents outside the harness (oAuth2Api, ...) are named but not followed further.
		return parents.flatMap((parent) => [
			parent,
			...(this.credentialTypes.has(parent) ? this.getParentTypes(parent) : []),
		]);
	}

	isCredentialUsableByNode(credentialType: string, nodeType: string): boolean {
		const typeDefinition = this.credentialTypes.get(credentialType);
		if (!typeDefinition?.restrictToSupportedNodes) return true;
		return (typeDefinition.supportedNodes ?? []).includes(nodeType);
	}

	async getCredentials(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
	): Promise<Credentials> {
		const credentials = new Credentials(
			{ id: nodeCredentials.id, name: nodeCredentials.name },
			type,
		);
		await credentials.setData(this.saved.read());
		return credentials;
	}

	/** Like n8n: the saved data with the type's defaults filled in, read afresh on every call. */
	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		const storedData = this.saved.read();
		const withDefaults = NodeHelpers.getNodeParameters(
			this.getCredentialsProperties(type),
			storedData as INodeParameters,
			true,
			false,
			null,
			null,
		) as ICredentialDataDecryptedObject;
		return withDefaults;
	}

	async updateCredentials(
		_nodeCredentials: INodeCredentialsDetails,
		_type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.saved.write(data);
	}

	async updateCredentialsOauthTokenData(
		_nodeCredentials: INodeCredentialsDetails,
		_type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.saved.write({ ...this.saved.read(), oauthTokenData: data.oauthTokenData });
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.getType(type).properties;
	}
}
