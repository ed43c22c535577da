import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

/** Every resource with its operations: the router's dispatch table must cover exactly these. */
export type WeixinMediaMap = {
	temporaryMedia: 'upload' | 'get' | 'getHdVoice';
	permanentMaterial: 'add' | 'get' | 'deleteMaterial' | 'getCount' | 'getMany';
	articleImage: 'upload';
	news: 'create';
	draft: 'create' | 'get' | 'update' | 'deleteDraft' | 'getMany' | 'getCount';
	publish: 'submit' | 'getStatus' | 'getMany' | 'getArticle' | 'deleteArticle';
};

export type WeixinMediaResource = keyof WeixinMediaMap;

/** One operation: its UI fields and what it does for one input item. */
export interface OperationModule {
	description: INodeProperties[];
	/**
	 * Operations that write to WeChat: checks one item (parameters, files, article HTML) without
	 * sending anything. The router checks every item this way before it sends any, and hands what the
	 * check prepared (the checked files) to `execute`, so nothing is read twice.
	 */
	validate?(this: IExecuteFunctions, itemIndex: number): Promise<unknown>;
	execute(this: IExecuteFunctions, itemIndex: number, prepared?: unknown): Promise<INodeExecutionData[]>;
}

export type ResourceOperations<R extends WeixinMediaResource> = Record<
	WeixinMediaMap[R],
	OperationModule
>;
