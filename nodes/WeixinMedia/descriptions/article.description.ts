import type { INodeProperties } from 'n8n-workflow';

import { describeLimit } from '../media';

/** The `src` form that points an article image at a binary property of the input item. */
export const BINARY_IMAGE_PREFIX = 'binary:';

const onlyInDrafts = { show: { '/resource': ['draft'] } };
const onlyForNewsArticles = { hide: { articleType: ['newspic'] } };

/** One article as entered in the UI; `articles.ts` turns it into WeChat's snake_case fields. */
const articleFields: INodeProperties[] = [
	{
		displayName: 'Article Type',
		name: 'articleType',
		type: 'options',
		options: [
			{ name: 'News', value: 'news', description: 'An article with HTML content and a cover' },
			{
				name: 'Picture Post (Newspic)',
				value: 'newspic',
				description: 'A post made of permanent images with a short text',
			},
		],
		default: 'news',
		displayOptions: onlyInDrafts,
	},
	{
		displayName: 'Title',
		name: 'title',
		type: 'string',
		default: '',
		required: true,
	},
	{
		displayName: 'Author',
		name: 'author',
		type: 'string',
		default: '',
	},
	{
		displayName: 'Digest',
		name: 'digest',
		type: 'string',
		default: '',
		description:
			'The summary shown in the message list. Left empty, WeChat takes the start of the text (single-article posts only).',
	},
	{
		displayName: 'Content',
		name: 'content',
		type: 'string',
		typeOptions: { rows: 8 },
		default: '',
		description: `The article as HTML, under 20,000 characters of text and under 1 MB. An image may be an http(s) URL, a data: URI, or src="${BINARY_IMAGE_PREFIX}photo" for the binary property "photo" of the input item; with Re-Host Images on, each is uploaded to WeChat.`,
	},
	{
		displayName: 'Content Source URL',
		name: 'contentSourceUrl',
		type: 'string',
		default: '',
		description: 'Where “Read more” at the bottom of the article leads',
	},
	{
		displayName: 'Cover From',
		name: 'coverSource',
		type: 'options',
		options: [
			{
				name: 'Permanent Media ID',
				value: 'mediaId',
				description: 'An image already in the material library',
			},
			{
				name: 'Binary Field',
				value: 'binary',
				description: `A file of the input item, uploaded as permanent image material first (${describeLimit(
					'permanent',
					'image',
				)})`,
			},
		],
		default: 'mediaId',
		displayOptions: onlyForNewsArticles,
	},
	{
		displayName: 'Cover Media ID',
		name: 'thumbMediaId',
		type: 'string',
		default: '',
		description: 'The media_id of a permanent image (Permanent Material → Add)',
		displayOptions: { show: { coverSource: ['mediaId'] }, hide: { articleType: ['newspic'] } },
	},
	{
		displayName: 'Cover Binary Field',
		name: 'coverBinaryField',
		type: 'string',
		default: 'cover',
		description: 'The binary property of the input item that holds the cover image',
		displayOptions: { show: { coverSource: ['binary'] }, hide: { articleType: ['newspic'] } },
	},
	{
		displayName: 'Image Media IDs',
		name: 'imageMediaIds',
		type: 'string',
		default: '',
		description: 'The media_ids of the permanent images of the post, separated by commas',
		displayOptions: { show: { articleType: ['newspic'] } },
	},
	{
		displayName: 'Show Cover in Article',
		name: 'showCoverPic',
		type: 'boolean',
		default: false,
		description: 'Whether the cover image is shown at the top of the article body',
		displayOptions: onlyForNewsArticles,
	},
	{
		displayName: 'Open Comments',
		name: 'needOpenComment',
		type: 'boolean',
		default: false,
		description: 'Whether readers can comment',
	},
	{
		displayName: 'Only Followers Can Comment',
		name: 'onlyFansCanComment',
		type: 'boolean',
		default: false,
		description: 'Whether only followers of the account can comment',
	},
];

/** What News → Create and Draft → Create both ask for: the articles and how their images are treated. */
export const articleProperties: INodeProperties[] = [
	{
		displayName: 'Articles From',
		name: 'articlesInput',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Fields Below', value: 'fields' },
			{
				name: 'JSON',
				value: 'json',
				description: 'An array of articles with WeChat’s field names, e.g. from an earlier node',
			},
		],
		default: 'fields',
	},
	{
		displayName: 'Articles',
		name: 'articles',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Article',
		default: {},
		description: 'One to eight articles, published together as one post',
		displayOptions: { show: { articlesInput: ['fields'] } },
		options: [{ displayName: 'Article', name: 'article', values: articleFields }],
	},
	{
		displayName: 'Articles (JSON)',
		name: 'articlesJson',
		type: 'json',
		default: '[\n  {\n    "title": "",\n    "thumb_media_id": "",\n    "content": ""\n  }\n]',
		description: `One to eight articles: title, thumb_media_id (or cover_binary: a binary property of the item to upload as cover), author, digest, content, content_source_url, show_cover_pic, need_open_comment, only_fans_can_comment (0 or 1); in drafts also article_type (news or newspic) with image_info, pic_crop_235_1 and pic_crop_1_1. An image in content may be src="${BINARY_IMAGE_PREFIX}photo" for the binary property "photo" of the item.`,
		displayOptions: { show: { articlesInput: ['json'] } },
	},
	{
		displayName: 'Re-Host Images',
		name: 'rehostImages',
		type: 'boolean',
		default: true,
		description: `Whether to upload every image of the content that is not on WeChat yet (${describeLimit(
			'articleImage',
			'image',
		)}) and point it at WeChat's copy. WeChat removes images hosted anywhere else.`,
	},
	{
		displayName: 'Image That Cannot Be Re-Hosted',
		name: 'unhostableImages',
		type: 'options',
		options: [
			{
				name: 'Stop With an Error',
				value: 'error',
				description: 'Nothing is created; the error names the image and why',
			},
			{
				name: 'Skip It',
				value: 'skip',
				description:
					'The image is left as it is (WeChat will remove it) and listed in skipped_images',
			},
		],
		default: 'error',
		description:
			'What to do with an image that cannot be fetched, is not jpg or png, or is 1 MB or more',
		displayOptions: { show: { rehostImages: [true] } },
	},
	{
		displayName: 'Allowed Internal Hosts',
		name: 'allowedInternalHosts',
		type: 'string',
		default: '',
		placeholder: 'e.g. cms.intranet.example, *.corp.example, 10.20.0.0/16',
		description:
			'Images are only fetched from the public internet: hosts whose address is private, loopback, link-local, cloud metadata or otherwise internal are refused, also when a redirect leads there, so article HTML cannot make n8n read its own network. List here, separated by commas, the host names (*.example.com for subdomains), IP addresses or CIDR ranges of internal image servers to allow, e.g. an intranet CMS. The tests and the demo list 127.0.0.1 here, because their image server runs on loopback.',
		displayOptions: { show: { rehostImages: [true] } },
	},
];
