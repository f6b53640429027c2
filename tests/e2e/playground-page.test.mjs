// The docs page and its playground, served from dist/www by a plain static server, in Chromium:
// the rule table and worked example from the engine, paste and classify, details and remedies,
// the subject decoder, the error explainer, bad input, keyboard use and dark mode.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, screenshot, waitForFederate } from '../harness/browser.mjs';
import { root } from '../../scripts/lib.mjs';
import { serveStatic } from './playground-server.mjs';

const wwwDir = process.env.FEDERATE_WWW_DIR ?? join(root, 'dist', 'www');
const demo = JSON.parse(readFileSync(join(root, 'www', 'static', 'demo.json'), 'utf8'));
const ENTRA_SUBJECT =
  '/eid1/c/pub/t/MiSI_7AJe0O9IsoTwAN97Q/a/rISbSSETf0KqFyZ8ppdXmA/sc/0ca3ddd9-f0b0-4635-a98c-5866526961b6/64171687-7a59-4fce-b2c8-823278dcf176';

let server;
let browser;
const pageErrors = [];

before(async () => {
  assert.ok(existsSync(join(wwwDir, 'index.html')), `${wwwDir}/index.html is missing: run \`npm run build\` first`);
  server = await serveStatic(wwwDir);
  browser = await launchBrowser({ extension: false });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage({ colorScheme = 'light' } = {}) {
  const page = await browser.context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.emulateMedia({ colorScheme });
  await page.goto(server.url);
  await waitForFederate(page);
  return page;
}

test('the page loads offline from static files, with the rule table and the worked example from the engine', async () => {
  const page = await openPage();
  const problems = await page.evaluate(() => document.documentElement.dataset.federateError ?? '');
  assert.equal(problems, '', 'the engine rendered every generated part of the page');
  const ruleRows = await page.locator('#rules-table tbody tr').count();
  assert.ok(ruleRows >= 10, `the rule table has a row per rule (got ${ruleRows})`);
  const headers = await page.locator('#rules-table thead th').allTextContents();
  assert.ok(headers.length >= 3, `the rule table has columns (${headers.join(', ')})`);
  const example = await page.locator('#example-decoded').textContent();
  assert.match(example, /ff882432-09b0-437b-bd22-ca13c0037ded/, 'the tenant of the worked example is decoded little-endian');
  assert.match(example, /499b84ac-1321-427f-aa17-267ca6975798/, 'the Azure DevOps app id is decoded');
  const classic = await page.locator('#example-classic-decoded').textContent();
  assert.match(classic, /Web Shop/);
  // Only the page's own origin was asked for anything.
  assert.ok(server.requests.includes('/wasm/federate_wasm_bg.wasm'), 'the wasm came from dist/www/wasm');
  await page.close();
});

test('load the demo data: one row per connection, names as text, the summary counts', async () => {
  const page = await openPage();
  await page.getByRole('button', { name: 'Load demo data' }).click();
  const rows = page.locator('#verdicts-table tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), demo.value.length);
  const names = await page.locator('#verdicts-table tbody td.name').allTextContents();
  assert.deepEqual(
    names,
    demo.value.map((e) => e.name),
  );
  assert.equal(await page.locator('#verdicts-table tbody b').count(), 0, 'HTML-looking names are not parsed as HTML');
  const credentials = await rows.evaluateAll((trs) =>
    Object.fromEntries(trs.map((tr) => [tr.querySelector('td.name').textContent, tr.dataset.credential])),
  );
  assert.equal(credentials['prod-arm'], 'secret');
  assert.equal(credentials['prod-federated'], 'federated');
  assert.equal(credentials['aks-identity'], 'managedIdentity');
  // The credential badge is the engine's word and tone: a PAT to Azure DevOps is named so and bad,
  // a connection on the retiring Azure DevOps issuer warns.
  const badges = await rows.evaluateAll((trs) =>
    Object.fromEntries(
      trs.map((tr) => {
        const b = tr.querySelector('td:nth-child(3) .badge');
        return [tr.querySelector('td.name').textContent, `${b?.textContent} ${b?.className}`];
      }),
    ),
  );
  assert.equal(badges['shared-feed (PAT)'], 'Azure DevOps PAT badge bad');
  assert.equal(badges['web-prod (Azure DevOps issuer)'], 'Federated badge warn');
  assert.equal(badges['prod-federated'], 'Federated badge good');
  const summary = await page.locator('#summary').textContent();
  assert.match(summary, new RegExp(`^${demo.value.length} connections: \\d+ hold a secret, [1-9]\\d* draft`));
  await screenshot(page, 'playground-table');
  await page.close();
});

test('details of a connection: reasons, federation, remedies with a format switch and copy', async () => {
  const page = await openPage();
  await page.getByRole('button', { name: 'Load demo data' }).click();
  await page.getByRole('button', { name: 'Details of prod-arm' }).click();
  const details = page.locator('#details');
  await details.waitFor();
  assert.equal(await page.locator('#details-h').textContent(), 'prod-arm');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'details-h', 'focus moves to the details');
  assert.ok((await page.locator('#details-reasons li').count()) >= 1);
  const az = await page.locator('#remedy-output').textContent();
  assert.match(az, /az ad app federated-credential create/);
  await page.locator('#remedy-format').selectOption('terraform');
  const tf = await page.locator('#remedy-output').textContent();
  assert.notEqual(tf, az);
  assert.match(tf, /resource|terraform/i);
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url.replace(/\/$/, '') });
  await page.getByRole('button', { name: 'Copy' }).click();
  await page
    .locator('#copy-status')
    .filter({ hasText: /Copied|Selected/ })
    .waitFor();

  // Escape closes the details and gives focus back to the button that opened them.
  await page.keyboard.press('Escape');
  assert.equal(await details.isHidden(), true);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Details of prod-arm');

  // A draft, opened by keyboard: federation facts decoded, warnings listed.
  const draftButton = page.getByRole('button', { name: 'Details of new-env (draft)' });
  await draftButton.focus();
  await page.keyboard.press('Enter');
  await page.locator('#details-federation').waitFor();
  const facts = await page.locator('#federation-facts').textContent();
  assert.match(facts, /login\.microsoftonline\.com/);
  assert.match(facts, /ff882432-09b0-437b-bd22-ca13c0037ded/);
  await screenshot(page, 'playground-details');

  // A classic subject that no longer matches the renamed project is warned about.
  await page.getByRole('button', { name: 'Back to the table' }).click();
  await page.getByRole('button', { name: 'Details of renamed-connection' }).click();
  await page.locator('#details-federation').waitFor();
  assert.ok((await page.locator('#federation-warnings li').count()) >= 1, 'the rename is warned about');
  await page.close();
});

test('the subject decoder: both formats, and a malformed subject names its bad segment', async () => {
  const page = await openPage();
  await page.getByLabel('Federation subject').fill(ENTRA_SUBJECT);
  await page.getByRole('button', { name: 'Decode' }).click();
  await page.locator('#decoded').waitFor();
  const decoded = await page.locator('#decoded').textContent();
  assert.match(decoded, /ff882432-09b0-437b-bd22-ca13c0037ded/);
  assert.match(decoded, /64171687-7a59-4fce-b2c8-823278dcf176/);
  await page.getByLabel('Federation subject').fill('sc://contoso/<img src=x onerror=alert(1)>/conn');
  await page.getByRole('button', { name: 'Decode' }).click();
  await page.locator('#decoded').filter({ hasText: 'onerror' }).waitFor();
  assert.equal(await page.locator('#decoded img').count(), 0, 'decoded text is not HTML');
  await page.getByLabel('Federation subject').fill('/eid1/c/pub/t/not-a-guid/a/rISbSSETf0KqFyZ8ppdXmA/sc/x/y');
  await page.getByRole('button', { name: 'Decode' }).click();
  const error = page.locator('#subject-error');
  await error.waitFor();
  assert.match(await error.textContent(), /malformed|segment|tenant|t\//i);
  assert.equal(await page.getByLabel('Federation subject').getAttribute('aria-invalid'), 'true');
  await page.close();
});

test('the error explainer: a known code inside a log, and unknown text', async () => {
  const page = await openPage();
  await page
    .getByLabel('Error message or pipeline log')
    .fill(
      "##[error]AADSTS700213: No matching federated identity record found for presented assertion subject 'sc://contoso/Web Shop/prod'.",
    );
  await page.getByRole('button', { name: 'Explain' }).click();
  await page.locator('#explanation').waitFor();
  assert.match(await page.locator('#explain-code').textContent(), /AADSTS700213/);
  assert.ok((await page.locator('#explain-fix').textContent()).length > 10);
  await page.getByLabel('Error message or pipeline log').fill('everything is fine');
  await page.getByRole('button', { name: 'Explain' }).click();
  await page.locator('#explain-empty').filter({ hasText: 'No known' }).waitFor();
  assert.equal(await page.locator('#explanation').isHidden(), true);
  await page.close();
});

test('bad input: invalid JSON names its line and column and selects it; a non-list says so', async () => {
  const page = await openPage();
  const input = page.getByLabel('Service connection list (JSON)');
  await input.fill('{\n  "count": 1,\n  "value": [ {"id": "a",, } ]\n}');
  await page.getByRole('button', { name: 'Classify' }).click();
  const error = page.getByRole('alert').filter({ hasText: 'JSON' });
  await error.waitFor();
  assert.match(await error.textContent(), /line 3, column \d+/);
  assert.equal(await input.getAttribute('aria-invalid'), 'true');
  const selected = await input.evaluate((t) => t.value.slice(t.selectionStart, t.selectionEnd));
  assert.match(selected, /"id": "a",,/, 'the bad line is selected');
  assert.equal(await page.locator('#results').isHidden(), true);
  await screenshot(page, 'playground-bad-input');

  await input.fill('{"hello": "world"}');
  await page.getByRole('button', { name: 'Classify' }).click();
  await page.getByRole('alert').filter({ hasText: 'not a service connection list' }).waitFor();

  await input.fill(JSON.stringify(demo.value.slice(0, 2)));
  await page.getByRole('button', { name: 'Classify' }).click();
  await page.locator('#verdicts-table tbody tr').nth(1).waitFor();
  assert.equal(await input.getAttribute('aria-invalid'), null, 'the error clears on good input');
  assert.equal(await page.locator('#input-error').isHidden(), true);
  await page.close();
});

/** The lowest contrast ratio of text against its effective background over the page's text elements. */
function lowestContrast(page) {
  return page.evaluate(() => {
    const parse = (c) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]) =>
      [r, g, b]
        .map((v) => v / 255)
        .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
        .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
    const background = (node) => {
      for (let n = node; n; n = n.parentElement) {
        const c = parse(getComputedStyle(n).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c;
      }
      return [255, 255, 255];
    };
    let worst = { ratio: 99, what: '' };
    for (const node of document.querySelectorAll('p, li, td, th, dt, dd, label, button, a, code, .badge, .help, .status, summary')) {
      if (!node.offsetParent || !node.textContent.trim()) continue;
      const s = getComputedStyle(node);
      if (Number(s.opacity) < 1) continue;
      const fg = lum(parse(s.color));
      const bg = lum(background(node));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < worst.ratio) worst = { ratio, what: `${node.tagName}.${node.className} "${node.textContent.trim().slice(0, 30)}"` };
    }
    return worst;
  });
}

test('text contrast is at least 4.5:1 in light mode, with the table and details open', async () => {
  const page = await openPage({ colorScheme: 'light' });
  await page.getByRole('button', { name: 'Load demo data' }).click();
  await page.getByRole('button', { name: 'Details of new-env (draft)' }).click();
  await page.locator('#details-federation').waitFor();
  const worst = await lowestContrast(page);
  assert.ok(worst.ratio >= 4.5, `lowest contrast ${worst.ratio.toFixed(2)}:1 at ${worst.what}`);
  await page.close();
});

test('dark mode follows prefers-color-scheme, and no script error happened on any page', async () => {
  const page = await openPage({ colorScheme: 'dark' });
  await page.getByRole('button', { name: 'Load demo data' }).click();
  await page.locator('#verdicts-table tbody tr').first().waitFor();
  const [bg, fg] = await page.evaluate(() => {
    const s = getComputedStyle(document.body);
    return [s.backgroundColor, s.color];
  });
  const lum = (rgb) => {
    const [r, g, b] = rgb
      .match(/\d+/g)
      .slice(0, 3)
      .map((n) => Number(n) / 255)
      .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  assert.ok(lum(bg) < 0.05, `dark background (${bg})`);
  const contrast = (lum(fg) + 0.05) / (lum(bg) + 0.05);
  assert.ok(contrast >= 7, `text contrast ${contrast.toFixed(1)}:1 in dark mode`);
  await page.getByRole('button', { name: 'Details of new-env (draft)' }).click();
  await page.locator('#details-federation').waitFor();
  const worst = await lowestContrast(page);
  assert.ok(worst.ratio >= 4.5, `lowest contrast ${worst.ratio.toFixed(2)}:1 at ${worst.what} in dark mode`);
  await screenshot(page, 'playground-dark');
  await page.close();
  assert.deepEqual(pageErrors, [], 'no uncaught error in the page');
});
