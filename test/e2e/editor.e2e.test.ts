/**
 * The node in n8n's editor, driven by headless Chromium (Debian's `chromium` package through
 * playwright-core, no browser download): sign in, open every example workflow, check the Weixin
 * Media parameters render, run each workflow from the editor, read binary output in the node's
 * output panel, pick media and drafts from the resource locator lists, and test the credential
 * before and after its AppSecret is changed. Screenshots of each step: test/e2e/screenshots/editor/.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, selectors, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { DEMO_OWNER, startDemo, type Demo } from '../../examples/demo';
import { nodeProperties } from '../../nodes/WeixinMedia/actions/nodeProperties';
import { jpeg } from '../fixtures/media';
import { addMaterials } from '../permanentMaterial/library';
import { classicToken, postJson } from '../sandbox/helpers';

const SCREENSHOTS_DIR = path.join(__dirname, 'screenshots', 'editor');
const EXAMPLES_DIR = path.join(__dirname, '..', '..', 'examples', 'workflows');
const NODE_TYPE = 'n8n-nodes-weixin-media.weixinMedia';
/** The machine may be busy (two cores shared by several n8n): generous, but every wait is bounded. */
const UI_TIMEOUT_MS = 60_000;
const RUN_TIMEOUT_MS = 120_000;
/** Debian's binary and its wrapper script; CHROMIUM_PATH overrides. */
const CHROMIUM_CANDIDATES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];
const CHROMIUM_FLAGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

/** n8n's editor marks its elements with data-test-id. */
selectors.setTestIdAttribute('data-test-id');

function findChromium(): string | undefined {
	const candidates = process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : CHROMIUM_CANDIDATES;
	return candidates.find((candidate) => fs.existsSync(candidate));
}

/** Debian's chromium, installed with apt-get when missing and running as root; never skipped. */
function ensureChromium(): string {
	const found = findChromium();
	if (found) return found;
	if (process.getuid?.() !== 0) {
		throw new Error(
			"Chromium is missing. Install Debian's chromium package (as root: apt-get update && apt-get install -y chromium), or set CHROMIUM_PATH to a Chromium binary.",
		);
	}
	process.stderr.write('[e2e] installing Debian chromium with apt-get\n');
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
		const result = spawnSync('apt-get', args, { env, encoding: 'utf8', timeout: 600_000 });
		if (result.status !== 0) {
			throw new Error(`apt-get ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
		}
	}
	const installed = findChromium();
	if (!installed) throw new Error('apt-get installed chromium, but no binary was found');
	return installed;
}

interface ExampleNode {
	name: string;
	type: string;
	parameters: Record<string, unknown>;
}

interface Example {
	file: string;
	/** The workflow's nodes as the canvas shows them (sticky notes are no nodes there). */
	nodes: ExampleNode[];
	/**
	 * "Execute workflow" in the editor runs a workflow with one trigger; example 4 has two (its
	 * schedule and "Run now"), and its run is covered by test/e2e/lifecycle.e2e.test.ts.
	 */
	runsFromEditor: boolean;
}

const isTrigger = (node: ExampleNode) => /Trigger$/.test(node.type);

const EXAMPLES: Example[] = fs
	.readdirSync(EXAMPLES_DIR)
	.filter((name) => name.endsWith('.json'))
	.sort()
	.map((name) => {
		const nodes = (
			JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, name), 'utf8')).nodes as ExampleNode[]
		).filter((node) => node.type !== 'n8n-nodes-base.stickyNote');
		return {
			file: path.basename(name, '.json'),
			nodes,
			runsFromEditor: nodes.filter(isTrigger).length === 1,
		};
	});

/** What the editor should list, from the node's own description. */
function optionNames(name: string, resource?: string): string[] {
	const property = nodeProperties.find(
		(candidate: INodeProperties) =>
			candidate.name === name &&
			(resource === undefined || candidate.displayOptions?.show?.resource?.includes(resource)),
	);
	if (!property?.options) throw new Error(`no options parameter ${name} for ${resource}`);
	return (property.options as INodePropertyOptions[]).map((option) => option.name);
}

function optionName(name: string, value: string, resource?: string): string {
	const property = nodeProperties.find(
		(candidate: INodeProperties) =>
			candidate.name === name &&
			(resource === undefined || candidate.displayOptions?.show?.resource?.includes(resource)),
	);
	const option = (property?.options as INodePropertyOptions[] | undefined)?.find(
		(candidate) => candidate.value === value,
	);
	if (!option) throw new Error(`no option ${value} of ${name}`);
	return option.name;
}

/** "name · 2026-11-27 10:53", as the list search methods show an entry. */
const listEntry = (label: string) =>
	new RegExp(
		`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} · \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}$`,
	);

async function waitUntil(what: string, check: () => Promise<boolean>, timeout = UI_TIMEOUT_MS) {
	const deadline = Date.now() + timeout;
	while (!(await check())) {
		if (Date.now() > deadline)
			throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

describe("n8n's editor in headless Chromium", () => {
	let demo: Demo;
	let context: BrowserContext;
	let page: Page;
	let profileDir: string;
	let userFolder: string;
	let shots = 0;
	const workflowsRun = new Set<string>();
	const started = Date.now();

	async function screenshot(name: string): Promise<void> {
		const file = path.join(SCREENSHOTS_DIR, `${String(++shots).padStart(2, '0')}-${name}.png`);
		await page.screenshot({ path: file });
	}

	const canvasNode = (name: string): Locator =>
		page.getByTestId('canvas-node').filter({ has: page.getByText(name, { exact: true }) });

	async function openWorkflow(example: Example): Promise<void> {
		await page.goto(`${demo.n8n.url}/workflow/${demo.workflows[example.file]}`);
		await waitUntil(
			`the ${example.nodes.length} nodes of ${example.file} on the canvas`,
			async () => (await page.getByTestId('canvas-node').count()) === example.nodes.length,
		);
	}

	async function openNode(name: string): Promise<Locator> {
		await canvasNode(name).dblclick();
		const ndv = page.getByTestId('ndv');
		await ndv.waitFor();
		await ndv.getByTestId('node-parameters').waitFor();
		return ndv;
	}

	async function closeNode(): Promise<void> {
		await page.getByTestId('ndv-close-button').click();
		await page.getByTestId('ndv').waitFor({ state: 'hidden' });
	}

	/** Opens a select, reads its option names and picks `choice` (the current one when omitted). */
	async function selectOptions(parameter: string, choice?: string): Promise<string[]> {
		const input = page.getByTestId(`parameter-input-${parameter}`).locator('input').first();
		await input.click();
		const dropdown = page.locator('.el-select-dropdown:visible');
		const headlines = dropdown.locator('.option-headline');
		await headlines.first().waitFor();
		const names = await headlines.allInnerTexts();
		const pick = choice
			? dropdown
					.getByTestId('parameter-input-item')
					.filter({ has: page.locator('.option-headline', { hasText: new RegExp(`^${choice}$`) }) })
			: dropdown.locator('[data-test-id="parameter-input-item"][aria-selected="true"]');
		await pick.click();
		await dropdown.waitFor({ state: 'hidden' });
		return names;
	}

	async function selectedValue(parameter: string): Promise<string> {
		return await page
			.getByTestId(`parameter-input-${parameter}`)
			.locator('input')
			.first()
			.inputValue();
	}

	/** Opens the resource locator's "From List" dropdown and returns the entries shown. */
	async function resourceLocatorEntries(parameter: string): Promise<Locator> {
		const input = page.getByTestId(`resource-locator-${parameter}`).getByTestId('rlc-input');
		const items = page.getByTestId('rlc-item');
		const error = page.getByTestId('rlc-error-container');
		// A click while the component is still settling may not open it: try a few times.
		for (let attempt = 1; attempt <= 3; attempt++) {
			await input.click();
			try {
				await items
					.or(error)
					.first()
					.waitFor({ timeout: UI_TIMEOUT_MS / 3 });
				break;
			} catch (timeout) {
				if (attempt === 3) throw timeout;
			}
		}
		if (await error.isVisible()) {
			throw new Error(`the list search failed: ${await error.innerText()}`);
		}
		return items;
	}

	/** The first binary entry of the node's output (once there is one), in the output's Binary view. */
	async function binaryOutput(): Promise<Locator> {
		// Only the output pane offers a Binary view here: the inputs carry no files.
		const binary = page.getByTestId('ndv-binary-data_0');
		const binaryView = page
			.getByTestId('ndv-run-data-display-mode')
			.getByText('Binary', { exact: true });
		await binary.or(binaryView).first().waitFor({ timeout: RUN_TIMEOUT_MS });
		if (!(await binary.isVisible())) await binaryView.click();
		await binary.waitFor();
		return binary;
	}

	async function runFromEditor(example: Example): Promise<void> {
		await page.getByTestId('execute-workflow-button').click();
		await waitUntil(
			`every node of ${example.file} to finish successfully`,
			async () =>
				(await page.getByTestId('canvas-node-status-success').count()) === example.nodes.length,
			RUN_TIMEOUT_MS,
		);
		workflowsRun.add(example.file);
	}

	/** The demo's sandbox (the demo always starts one unless given an account of the user's). */
	function sandbox() {
		if (!demo.sandbox) throw new Error('the demo runs without its sandbox');
		return demo.sandbox;
	}

	/** Puts a one-article draft with a permanent cover into the sandbox's draft box. */
	async function seedDraft(title: string): Promise<void> {
		const [cover] = await addMaterials(sandbox(), [
			{ type: 'image', bytes: jpeg(2000), filename: 'review-cover.jpg' },
		]);
		const answer = await postJson(
			sandbox(),
			'/cgi-bin/draft/add',
			{ articles: [{ title, content: '<p>Waiting.</p>', thumb_media_id: cover }] },
			await classicToken(sandbox()),
		);
		expect(answer.media_id).toEqual(expect.any(String));
	}

	/** Image names in the sandbox's library, newest first, read over plain HTTP. */
	async function libraryImages(): Promise<string[]> {
		const token = await classicToken(sandbox());
		const page = await postJson(
			sandbox(),
			'/cgi-bin/material/batchget_material',
			{ type: 'image', offset: 0, count: 20 },
			token,
		);
		return (page.item as Array<{ name: string }>).map((item) => item.name);
	}

	beforeAll(async () => {
		const executablePath = ensureChromium();
		fs.rmSync(SCREENSHOTS_DIR, { recursive: true, force: true });
		fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
		userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-editor-e2e-'));
		demo = await startDemo({ n8nPort: 0, sandboxPort: 0, userFolder });
		// Already in the library before any workflow runs: the list must show them too.
		await addMaterials(sandbox(), [
			{ type: 'image', bytes: jpeg(3000), filename: 'spring-menu.jpg' },
			{ type: 'image', bytes: jpeg(3100), filename: 'shop-front.jpg' },
		]);
		profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
		// A persistent context on a new, empty profile folder: the --user-data-dir of the flags above.
		context = await chromium.launchPersistentContext(profileDir, {
			executablePath,
			headless: true,
			args: CHROMIUM_FLAGS,
			viewport: { width: 1440, height: 900 },
		});
		context.setDefaultTimeout(UI_TIMEOUT_MS);
		page = context.pages()[0] ?? (await context.newPage());
		// Leaving a workflow with unsaved edits asks before unloading; the test never saves them.
		page.on('dialog', (dialog) => void dialog.accept());
	}, 900_000);

	afterAll(async () => {
		await context?.close();
		await demo?.stop();
		for (const folder of [profileDir, userFolder]) {
			if (folder) fs.rmSync(folder, { recursive: true, force: true });
		}
		process.stderr.write(
			`[e2e] editor test: ${((Date.now() - started) / 1000).toFixed(
				0,
			)} s, ${shots} screenshots in ${SCREENSHOTS_DIR}\n`,
		);
	});

	/** Runs a step; on failure, keeps a screenshot of what the browser showed. */
	async function step(name: string, body: () => Promise<void>): Promise<void> {
		try {
			await body();
		} catch (error) {
			await screenshot(`FAILED-${name}`).catch(() => undefined);
			throw error;
		}
	}

	/** Checks made right after an example ran, on the same page (reloading would drop the run). */
	const afterRun: Record<string, () => Promise<void>> = {
		'1-temporary-media-from-url': async () => {
			await openNode('Fetch it back');
			const binary = await binaryOutput();
			const text = await binary.innerText();
			expect(text).toContain('image/jpeg');
			expect(text).toMatch(/File Name:\s*\S+\.jpg/);
			expect(text).toMatch(/File Size:\s*[\d.]+ kB/);
			await screenshot('temporary-get-binary-output');
			await closeNode();
		},
		'2-permanent-material-library': async () => {
			await openNode('List images');
			await selectOptions('operation', 'Get');
			expect(await selectedValue('materialType')).toBe('Image');
			const items = await resourceLocatorEntries('mediaId');
			const library = await libraryImages();
			// The two seeded images and the photo the workflow added, newest first.
			expect(library).toEqual(['photo.jpg', 'shop-front.jpg', 'spring-menu.jpg']);
			const shown = (await items.allInnerTexts()).map((text) => text.trim());
			expect(shown).toHaveLength(library.length);
			shown.forEach((text, index) => expect(text).toMatch(listEntry(library[index])));
			await screenshot('material-locator-list');

			await items.filter({ hasText: 'shop-front.jpg' }).click();
			await page.getByTestId('ndv').getByTestId('node-execute-button').click();
			const binary = await binaryOutput();
			await waitUntil('the picked image in the output', async () =>
				(await binary.innerText()).includes('shop-front.jpg'),
			);
			await screenshot('material-locator-picked-and-run');
			await closeNode();
		},
		'3-article-draft-publish': async () => {
			await openNode('Publish draft');
			const locator = page.getByTestId('resource-locator-mediaId');
			await locator.waitFor();
			// The example maps the draft by expression; the list needs a fixed value.
			await locator.hover();
			await page
				.getByTestId('mediaId-parameter-input-options-container')
				.getByTestId('radio-button-fixed')
				.click();
			// The published draft has left the draft box, as on WeChat: the list shows another one.
			await seedDraft('A draft waiting for review');
			await locator.getByTestId('rlc-mode-selector').locator('input').click();
			await page.getByTestId('mode-list').click();
			const items = await resourceLocatorEntries('mediaId');
			const shown = (await items.allInnerTexts()).map((text) => text.trim());
			expect(shown).toHaveLength(1);
			expect(shown[0]).toMatch(listEntry('A draft waiting for review'));
			await screenshot('draft-locator-list');
			await page.keyboard.press('Escape');
			await closeNode();
		},
	};

	it('signs in as the owner', async () => {
		await step('sign-in', async () => {
			await page.goto(`${demo.n8n.url}/signin`);
			await page.getByTestId('emailOrLdapLoginId').locator('input').fill(DEMO_OWNER.email);
			await page.getByTestId('password').locator('input').fill(DEMO_OWNER.password);
			await page.getByTestId('form-submit-button').click();
			await page.waitForURL(/\/workflows/);
			await screenshot('signed-in');
		});
	});

	it.each(EXAMPLES)(
		'$file: opens, lists the node parameters, runs from the editor, shows its results',
		async (example) => {
			await step(example.file, async () => {
				await openWorkflow(example);
				await screenshot(`${example.file}-canvas`);

				const [first] = example.nodes.filter((node) => node.type === NODE_TYPE);
				const resource = first.parameters.resource as string;
				const operation = first.parameters.operation as string;
				await openNode(first.name);
				expect(await selectedValue('resource')).toBe(optionName('resource', resource));
				expect(await selectedValue('operation')).toBe(optionName('operation', operation, resource));
				expect(await selectOptions('resource')).toEqual(optionNames('resource'));
				expect(await selectOptions('operation')).toEqual(optionNames('operation', resource));
				await screenshot(`${example.file}-parameters`);
				await closeNode();

				if (example.runsFromEditor) {
					await runFromEditor(example);
					await screenshot(`${example.file}-run`);
					await afterRun[example.file]?.();
				}
			});
		},
	);

	it('tests the credential: success with the sandbox AppSecret, a clear failure with a wrong one', async () => {
		await step('credential', async () => {
			await page.goto(`${demo.n8n.url}/home/credentials`);
			await page.getByText('WeChat sandbox', { exact: true }).first().click();
			const dialog = page.getByTestId('credential-edit-dialog');
			await dialog.waitFor();
			await dialog.getByTestId('credentials-config-container-test-success').waitFor();

			// Retry runs n8n's credential test again: a real token check and API call to the sandbox.
			const retry = dialog.getByRole('button', { name: 'Retry', exact: true });
			const before = sandbox().log().length;
			await retry.click();
			await waitUntil('the credential test to reach the sandbox', async () =>
				sandbox()
					.log()
					.slice(before)
					.some((entry) => entry.path === '/cgi-bin/material/get_materialcount' && !entry.errcode),
			);
			await retry.waitFor();
			await dialog.getByTestId('credentials-config-container-test-success').waitFor();
			await screenshot('credential-test-success');

			await dialog.getByTestId('parameter-input-appSecret').locator('input').fill('f'.repeat(32));
			const beforeSave = sandbox().log().length;
			// The Save button sits in the dialog's header, outside the tagged body.
			await page.getByTestId('credential-save-button').click();
			await dialog.getByText(/Couldn.t connect with these settings/).waitFor();
			expect(await dialog.innerText()).not.toContain('Connection tested successfully');
			// n8n shows the credential test's message behind "More details".
			await dialog.getByText('More details', { exact: true }).click();
			const message = page.getByText(/errcode 40125/).first();
			await message.waitFor();
			expect(await message.innerText()).toContain('The AppSecret is wrong');
			expect(
				sandbox()
					.log()
					.slice(beforeSave)
					.some((entry) => entry.path === '/cgi-bin/stable_token' && entry.errcode === 40125),
			).toBe(true);
			await screenshot('credential-test-wrong-appsecret');
		});
	});
});
