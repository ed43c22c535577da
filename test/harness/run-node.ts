import {
	BinaryDataService,
	ExecutionLifecycleHooks,
	ExternalSecretsProxy,
	prepareBinaryData,
	WorkflowExecute,
} from 'n8n-core';
import { createRunExecutionData, UnexpectedError, Workflow } from 'n8n-workflow';
import type {
	IBinaryData,
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	INodeTypes,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';

import { HarnessCredentialsHelper, toCredentialStore } from './credentials';
import type { CredentialStore } from './credentials';
import { useEnvironment } from './environment';
import type { BinaryMode } from './environment';
import { startLogCapture } from './log-capture';

export interface InputFile {
	/** Binary property name on the item; 'data' when omitted. */
	property?: string;
	bytes: Buffer;
	fileName?: string;
	mimeType?: string;
}

export interface InputItem {
	json?: IDataObject;
	files?: InputFile[];
}

export interface RunOptions {
	/** The node's parameters (resource, operation, ...). */
	parameters: INodeParameters;
	/** The node's input; one empty item when omitted. */
	items?: InputItem[];
	/** Plain data (saved into a fresh store) or a store shared with other runs. */
	credentials: ICredentialDataDecryptedObject | CredentialStore;
	/** Sets the node's "On Error" setting to "Continue" (onError: 'continueRegularOutput'). */
	continueOnFail?: boolean;
	/**
	 * The node's "On Error" setting as n8n stores it; wins over `continueOnFail`. With
	 * 'continueErrorOutput' n8n adds a second output and routes failed items to it (see `outputs`).
	 */
	onError?: 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';
	/** The node's "Retry On Fail" settings; n8n runs the node again on the same input. */
	retryOnFail?: { maxTries: number; waitBetweenTries?: number };
	/** Stops the execution this many milliseconds after it started, as n8n's stop button does. */
	stopAfterMs?: number;
	/** 'filesystem' (default) stores binaries as files with ids; 'default' keeps them inline. */
	binaryMode?: BinaryMode;
}

export interface OutputItem {
	json: IDataObject;
	binary?: Record<string, IBinaryData>;
	pairedItem?: unknown;
	error?: unknown;
}

export type RunError = Error & { description?: string; context?: unknown };

export interface RunResult {
	/** The node's first output. */
	items: OutputItem[];
	/** Every output of the node: [success, error] under "Continue (using error output)". */
	outputs: OutputItem[][];
	/** Milliseconds from the start of the run until WorkflowExecute returned. */
	durationMs: number;
	/**
	 * The node's execution error, when the run failed, as n8n saves it with the execution: a plain
	 * copy of the error's fields (name, message, description, context, httpCode, stack, ...), so
	 * compare `error.name` rather than using `instanceof`.
	 */
	error?: RunError;
	/** Bytes of an output binary, read through n8n's BinaryDataService. */
	readBinary(item: number, property?: string): Promise<Buffer>;
	/** Everything n8n's logger and `console` printed during the run. */
	logs: string[];
}

export interface NodeUnderTest {
	node: INodeType;
	credentialTypes: ICredentialType[];
}

export type NodeRunner = (options: RunOptions) => Promise<RunResult>;

/** Community nodes are registered as `<package name>.<node name>`. */
const PACKAGE_NAME = 'n8n-nodes-weixin-media';
const WORKFLOW_ID = 'weixin-media-harness';
const NODE_NAME = 'Weixin Media';
const DEFAULT_BINARY_PROPERTY = 'data';
const LOCAL_BASE_URL = 'http://127.0.0.1:5678';
const CREDENTIAL_DETAILS = { id: 'harness-credential', name: 'Harness credential' };

let executionCount = 0;

function notInHarness(feature: string) {
	return () => {
		throw new UnexpectedError(`${feature} is not available in the test harness`);
	};
}

/** What WorkflowExecute and the node helpers read from `additionalData` on a one-node run. */
export function createAdditionalData(
	executionId: string,
	hooks: ExecutionLifecycleHooks,
	credentialsHelper: HarnessCredentialsHelper,
): IWorkflowExecuteAdditionalData {
	return {
		credentialsHelper,
		hooks,
		executionId,
		workflowId: WORKFLOW_ID,
		userId: 'harness-user',
		currentNodeExecutionIndex: 0,
		currentNodeParameters: undefined,
		variables: {},
		externalSecretsProxy: new ExternalSecretsProxy(),
		restApiUrl: `${LOCAL_BASE_URL}/rest`,
		instanceBaseUrl: `${LOCAL_BASE_URL}/`,
		formBaseUrl: `${LOCAL_BASE_URL}/form`,
		formWaitingBaseUrl: `${LOCAL_BASE_URL}/form-waiting`,
		formTestBaseUrl: `${LOCAL_BASE_URL}/form-test`,
		webhookBaseUrl: `${LOCAL_BASE_URL}/webhook`,
		webhookWaitingBaseUrl: `${LOCAL_BASE_URL}/webhook-waiting`,
		webhookTestBaseUrl: `${LOCAL_BASE_URL}/webhook-test`,
		mcpBaseUrl: `${LOCAL_BASE_URL}/mcp`,
		mcpTestBaseUrl: `${LOCAL_BASE_URL}/mcp-test`,
		logAiEvent: () => {},
		executeWorkflow: notInHarness('executeWorkflow'),
		getRunExecutionData: notInHarness('getRunExecutionData'),
		getRuntimeCredential: notInHarness('getRuntimeCredential'),
		startRunnerTask: notInHarness('startRunnerTask'),
	};
}

/** Builds input items the way n8n's Read Files node does: bytes go through prepareBinaryData. */
async function prepareInputItems(
	items: InputItem[],
	executionId: string,
): Promise<INodeExecutionData[]> {
	return await Promise.all(
		items.map(async (item) => {
			const inputItem: INodeExecutionData = { json: item.json ?? {} };
			for (const file of item.files ?? []) {
				inputItem.binary ??= {};
				inputItem.binary[file.property ?? DEFAULT_BINARY_PROPERTY] = await prepareBinaryData(
					file.bytes,
					executionId,
					WORKFLOW_ID,
					file.fileName,
					// n8n-core sniffs a missing type with an ESM import jest cannot load; a file that
					// arrives without name or type is labelled as n8n labels unknown bytes.
					file.mimeType ?? (file.fileName ? undefined : 'application/octet-stream'),
				);
			}
			return inputItem;
		}),
	);
}

function highestVersion(nodeType: INodeType): number {
	const { version } = nodeType.description;
	return Array.isArray(version) ? Math.max(...version) : version;
}

/** Creates a `runNode` for one node type and the credential types it may use. */
/** A workflow of one node, as n8n builds one for a run (also used for the editor's list methods). */
export function singleNodeWorkflow(
	id: string,
	name: string,
	node: INode,
	nodeTypes: INodeTypes,
): { workflowData: IWorkflowBase; workflow: Workflow } {
	const workflowData: IWorkflowBase = {
		id,
		name,
		active: false,
		isArchived: false,
		nodes: [node],
		connections: {},
		settings: { executionOrder: 'v1' },
		createdAt: new Date(),
		updatedAt: new Date(),
		activeVersionId: null,
	};
	const workflow = new Workflow({
		id,
		name,
		nodes: workflowData.nodes,
		connections: {},
		active: false,
		nodeTypes,
		settings: workflowData.settings,
	});
	return { workflowData, workflow };
}

export function createNodeRunner({ node: nodeType, credentialTypes }: NodeUnderTest): NodeRunner {
	const nodeTypeName = `${PACKAGE_NAME}.${nodeType.description.name}`;
	const getNodeType = (name: string) => {
		if (name !== nodeTypeName) {
			throw new UnexpectedError(`Unknown node type "${name}" in the test harness`);
		}
		return nodeType;
	};
	const nodeTypes: INodeTypes = {
		getByName: getNodeType,
		getByNameAndVersion: getNodeType,
		getKnownTypes: () => ({}),
	};
	const credentialTypesByName = new Map(credentialTypes.map((type) => [type.name, type]));
	const credentialName = nodeType.description.credentials?.find((credential) =>
		credentialTypesByName.has(credential.name),
	)?.name;
	if (credentialName === undefined) {
		throw new UnexpectedError(`No credential type given for node "${nodeTypeName}"`);
	}

	return async function runNode(options: RunOptions): Promise<RunResult> {
		const binaryDataService = await useEnvironment(options.binaryMode ?? 'filesystem');
		const executionId = String(++executionCount);
		const credentialStore = toCredentialStore(options.credentials);
		const node: INode = {
			id: `node-${executionId}`,
			name: NODE_NAME,
			type: nodeTypeName,
			typeVersion: highestVersion(nodeType),
			position: [0, 0],
			// A copy, so neither n8n nor the node can change the test's object.
			parameters: structuredClone(options.parameters),
			credentials: { [credentialName]: CREDENTIAL_DETAILS },
			...(options.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
			...(options.onError ? { onError: options.onError } : {}),
			...(options.retryOnFail
				? {
						retryOnFail: true,
						maxTries: options.retryOnFail.maxTries,
						waitBetweenTries: options.retryOnFail.waitBetweenTries ?? 0,
					}
				: {}),
		};
		const { workflowData, workflow } = singleNodeWorkflow(WORKFLOW_ID, 'Weixin Media harness', node, nodeTypes);

		const capture = startLogCapture();
		try {
			const inputItems = await prepareInputItems(options.items ?? [{}], executionId);
			const hooks = new ExecutionLifecycleHooks('manual', executionId, workflowData);
			const additionalData = createAdditionalData(
				executionId,
				hooks,
				new HarnessCredentialsHelper(credentialTypesByName, credentialStore),
			);
			const runExecutionData = createRunExecutionData({
				executionData: {
					nodeExecutionStack: [
						{ node: workflow.getNode(NODE_NAME)!, data: { main: [inputItems] }, source: null },
					],
				},
			});
			const startedAt = Date.now();
			const running = new WorkflowExecute(
				additionalData,
				'manual',
				runExecutionData,
			).processRunExecutionData(workflow);
			const stopTimer =
				options.stopAfterMs === undefined
					? undefined
					: setTimeout(() => running.cancel(), options.stopAfterMs);
			// A stopped run settles once the node returns: n8n does not wait for it, the test does.
			const run = await running.finally(() => clearTimeout(stopTimer));
			const durationMs = Date.now() - startedAt;

			const taskData = run.data.resultData.runData[NODE_NAME]?.[0];
			const outputs = (taskData?.data?.main ?? []).map((output) => (output ?? []) as OutputItem[]);
			const items = outputs[0] ?? [];
			const error = (taskData?.error ?? run.data.resultData.error) as RunError | undefined;
			return {
				items,
				outputs,
				durationMs,
				error,
				logs: capture.logs,
				readBinary: async (item, property = DEFAULT_BINARY_PROPERTY) =>
					await readOutputBinary(binaryDataService, items, item, property),
			};
		} finally {
			capture.stop();
		}
	};
}

async function readOutputBinary(
	binaryDataService: BinaryDataService,
	items: OutputItem[],
	item: number,
	property: string,
): Promise<Buffer> {
	const binary = items[item]?.binary?.[property];
	if (!binary) {
		throw new UnexpectedError(`Output item ${item} has no binary property "${property}"`);
	}
	return await binaryDataService.getAsBuffer(binary);
}
