import { NodeOperationError } from 'n8n-workflow';
import type {
	IBinaryData,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import {
	binaryOutputProperty,
	forOperation,
	mediaIdProperty,
} from '../../descriptions/common.description';
import {
	SpeexDecodeError,
	decodeSpeex,
	encodeWav,
	toOggSpeex,
	type DecodedSpeex,
} from '../../media/speex';
import { settleSync } from '../../transport';
import { downloadByMediaId, fileItem, queryByMediaId } from '../shared/mediaFiles';

type OutputFormat = 'wav' | 'oggSpeex' | 'original';

export const description: INodeProperties[] = forOperation('temporaryMedia', 'getHdVoice', [
	mediaIdProperty(
		'The serverId the JS-SDK’s uploadVoice returned for the recording (valid for 3 days)',
	),
	binaryOutputProperty,
	{
		displayName: 'Output Format',
		name: 'outputFormat',
		type: 'options',
		default: 'wav',
		options: [
			{
				name: 'WAV',
				value: 'wav',
				description:
					'16 kHz, 16-bit PCM, mono: plays in browsers and n8n’s preview, accepted by speech-to-text services',
			},
			{
				name: 'Ogg Speex',
				value: 'oggSpeex',
				description: 'The recording in the standard .spx container (VLC, ffmpeg, Audacity)',
			},
			{
				name: 'Original',
				value: 'original',
				description: 'The bytes as WeChat sent them (Speex frames, usually without a container)',
			},
		],
		description: 'What to turn the Speex recording into',
	},
	{
		displayName: 'Return Original If Decoding Fails',
		name: 'originalOnDecodeFailure',
		type: 'boolean',
		default: false,
		displayOptions: { show: { outputFormat: ['wav', 'oggSpeex'] } },
		description:
			'Whether a recording that does not decode is output as WeChat sent it (with the reason in `decode_error`) instead of failing the item',
	},
]);

async function bytesOf(ctx: IExecuteFunctions, binary: IBinaryData): Promise<Buffer> {
	if (binary.id)
		return await ctx.helpers.binaryToBuffer(await ctx.helpers.getBinaryStream(binary.id));
	return Buffer.from(binary.data, 'base64');
}

function stemOf(fileName: string | undefined, mediaId: string): string {
	const name = fileName ?? mediaId;
	const dot = name.lastIndexOf('.');
	return dot > 0 ? name.slice(0, dot) : name;
}

const durationOf = (decoded: DecodedSpeex) =>
	Math.round((decoded.samples.length / decoded.sampleRate) * 1000) / 1000;

/** https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_temporary_materials.html (HD voice appendix) */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const format = this.getNodeParameter('outputFormat', itemIndex, 'wav') as OutputFormat;
	const { mediaId, target, answer } = await downloadByMediaId(
		this,
		itemIndex,
		queryByMediaId('/cgi-bin/media/get/jssdk'),
	);
	if (answer.kind === 'json') {
		// Errors are thrown by the transport; any other JSON is not a recording.
		throw new NodeOperationError(
			this.getNode(),
			`item ${itemIndex}: WeChat media/get/jssdk answered with JSON instead of the voice file`,
			{ itemIndex, description: `Keys in the answer: ${Object.keys(answer.json).join(', ')}` },
		);
	}

	const original = await bytesOf(this, answer.binary);
	const decoding = settleSync(() => decodeSpeex(original));
	if (!decoding.ok) {
		const { error } = decoding;
		if (!(error instanceof SpeexDecodeError)) throw error;
		const message = `the HD voice ${mediaId} is not Speex wideband this node can decode (${error.message})`;
		if (
			format === 'original' ||
			this.getNodeParameter('originalOnDecodeFailure', itemIndex, false)
		) {
			return [
				fileItem(
					{ media_id: mediaId, output_format: 'original', decode_error: message },
					answer,
					target,
				),
			];
		}
		throw new NodeOperationError(this.getNode(), `item ${itemIndex}: ${message}`, {
			itemIndex,
			description:
				'Turn on “Return Original If Decoding Fails” to get the bytes WeChat sent, or set Output Format to Original.',
		});
	}
	const decoded = decoding.value;

	const json = {
		media_id: mediaId,
		output_format: format,
		duration_seconds: durationOf(decoded),
		source_layout: decoded.layout,
	};
	if (format === 'original') return [fileItem(json, answer, target)];

	const stem = stemOf(answer.binary.fileName, mediaId);
	const file =
		format === 'wav'
			? {
					bytes: encodeWav(decoded.samples, decoded.sampleRate),
					fileName: `${stem}.wav`,
					mimeType: 'audio/wav',
			  }
			: { bytes: toOggSpeex(original, decoded), fileName: `${stem}.spx`, mimeType: 'audio/ogg' };
	const binary = await this.helpers.prepareBinaryData(file.bytes, file.fileName, file.mimeType);
	return [fileItem(json, { kind: 'file', binary, bytes: file.bytes.length }, target)];
}
