/**
 * Calls one of the node's list search methods (`methods.listSearch`) the way n8n's editor backend
 * does for a resource locator: in n8n-core's LoadOptionsContext, with the node's current parameters
 * and the saved credential, through the same credentials helper as a run.
 */
import { ExecutionLifecycleHooks, LoadOptionsContext } from 'n8n-core';
import { UnexpectedError } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	INode,
	INodeListSearchResult,
	INodeParameters,
	INodeTypes,
} from 'n8n-workflow';

import { WeixinOfficialAccountApi } from '../../credentials/WeixinOfficialAccountApi.credentials';
import { WeixinMedia } from '../../nodes/WeixinMedia/WeixinMedia.node';
import { HarnessCredentialsHelper, toCredentialStore, type CredentialStore } from './credentials';
import { createAdditionalData, singleNodeWorkflow } from './run-node';

export interface ListSearchOptions {
	/** The name under `methods.listSearch`, as a mode's `searchListMethod` gives it. */
	method: string;
	/** The node's parameters as the editor currently has them (resource, operation, ...). */
	parameters: INodeParameters;
	credentials: ICredentialDataDecryptedObject | CredentialStore;
	/** The token of the previous page, when the user scrolls on. */
	paginationToken?: string;
	filter?: string;
}

const NODE_TYPE = 'n8n-nodes-weixin-media.weixinMedia';
const CREDENTIAL_DETAILS = { id: 'harness-credential', name: 'Harness credential' };
let searchCount = 0;

export async function searchList(options: ListSearchOptions): Promise<INodeListSearchResult> {
	const nodeType = new WeixinMedia();
	const credentialType = new WeixinOfficialAccountApi();
	const search =
		nodeType.methods.listSearch[options.method as keyof typeof nodeType.methods.listSearch];
	if (typeof search !== 'function') {
		throw new UnexpectedError(`The node has no list search method "${options.method}"`);
	}
	const nodeTypes: INodeTypes = {
		getByName: () => nodeType,
		getByNameAndVersion: () => nodeType,
		getKnownTypes: () => ({}),
	};
	const node: INode = {
		id: 'node-list-search',
		name: 'Weixin Media',
		type: NODE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: structuredClone(options.parameters),
		credentials: { [credentialType.name]: CREDENTIAL_DETAILS },
	};
	const { workflowData, workflow } = singleNodeWorkflow(
		'weixin-media-list-search',
		'Weixin Media list search',
		node,
		nodeTypes,
	);
	const searchId = `list-search-${++searchCount}`;
	const additionalData = createAdditionalData(
		searchId,
		new ExecutionLifecycleHooks('internal', searchId, workflowData),
		new HarnessCredentialsHelper(
			new Map([[credentialType.name, credentialType]]),
			toCredentialStore(options.credentials),
		),
	);
	// As the editor backend does: the parameters being edited, read by getCurrentNodeParameter.
	additionalData.currentNodeParameters = node.parameters;
	const context = new LoadOptionsContext(workflow, node, additionalData, 'parameters.mediaId');
	return await search.call(context, options.filter, options.paginationToken);
}
