// What a page can frame and load, checked from the page's own scripts (the main world, as an
// attacker's script on an Azure DevOps origin runs): only panel.html of the extension; a panel
// framed by the page (not by Federate's overlay) refuses to act, whatever its URL says, and
// sends nothing that changes anything; the panel opened as a tab refuses too; a writing
// button works only once the panel has been seen for a moment; an organization the options
// turned off gets nothing relayed; the journal's CSV export is the engine's; a secret value the
// service returns by mistake is dropped.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateScenario, startMock } from '../mock/server.mjs';
import { extensionDir, launchBrowser, waitForFederate } from '../harness/browser.mjs';
import { addAutomaticArm, convertible, planInPanel, waitState } from './convert-helpers.mjs';
import { listPath, openPanel, scanState, scannedPanel } from './panel-helpers.mjs';

let mock;
let browser;
let project;

before(async () => {
  const scenario = addAutomaticArm(generateScenario({ seed: 41, projects: 2, connectionsPerProject: 6 }), {
    count: 3,
    name: (i) => `frames-arm-${i}`,
    seed: 4,
  });
  mock = await startMock({ scenario, autoSignIn: true });
  project = mock.state.projects[0].name;
  browser = await launchBrowser({ port: mock.port });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

const WRITES = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);
const writes = (since) => mock.requests.slice(since).filter((r) => WRITES.has(r.method) && r.path.includes('/_apis/'));

/** The project's list page, with Federate ready on it. */
async function adoPage() {
  const page = await browser.context.newPage();
  await page.goto(mock.signInUrl(listPath(mock, project)));
  await waitForFederate(page);
  return page;
}

let framed = 0;
/** Frames `url` from the page's own script; resolves with the frame once its load event came (a page or an error page). */
async function frameFromPage(page, url) {
  const n = String(++framed);
  await page.evaluate(
    ([src, id]) =>
      new Promise((resolve) => {
        const f = document.createElement('iframe');
        f.className = 'attacker-frame';
        f.dataset.n = id;
        f.addEventListener('load', () => resolve(), { once: true });
        f.addEventListener('error', () => resolve(), { once: true });
        f.src = src;
        document.body.append(f);
      }),
    [url, n],
  );
  return (await page.$(`iframe.attacker-frame[data-n="${n}"]`))?.contentFrame() ?? null;
}

test('a page on dev.azure.com can load and frame panel.html only: not convert.html, its scripts, css, wasm or other pages', async () => {
  const page = await adoPage();
  const base = `chrome-extension://${browser.extensionId}/`;
  const others = [
    'convert.html',
    'convert/page.js',
    'panel.js',
    'panel.css',
    'convert.css',
    'wasm/federate_wasm.js',
    'wasm/federate_wasm_bg.wasm',
    'options.html',
    'background.js',
    'manifest.json',
  ];
  const probe = (paths) =>
    page.evaluate(
      async ([b, list]) =>
        Promise.all(
          list.map((p) =>
            fetch(b + p, { mode: 'no-cors' }).then(
              () => [p, 'loaded'],
              () => [p, 'blocked'],
            ),
          ),
        ),
      [base, paths],
    );
  assert.deepEqual(await probe(['panel.html']), [['panel.html', 'loaded']], 'the probe can load what is web-accessible');
  assert.deepEqual(
    await probe(others),
    others.map((p) => [p, 'blocked']),
  );

  // Framing: panel.html loads (and refuses to act, below); convert.html and options.html do not.
  for (const path of ['convert.html?view=plan&org=x', 'options.html']) {
    const frame = await frameFromPage(page, base + path);
    const text = frame ? await frame.evaluate(() => document.documentElement.dataset.federate ?? '').catch(() => '') : '';
    assert.equal(text, '', `${path} did not load as the extension's page`);
  }
  await page.close();
});

test("the manifest exposes panel.html alone, and the extension pages' CSP is default-src 'self' (a fetch to another host is refused)", async () => {
  const manifest = JSON.parse(readFileSync(join(extensionDir, 'manifest.json'), 'utf8'));
  assert.deepEqual(
    manifest.web_accessible_resources.flatMap((w) => w.resources),
    ['panel.html'],
  );
  const csp = manifest.content_security_policy.extension_pages;
  assert.match(csp, /^default-src 'self'; script-src 'self' 'wasm-unsafe-eval';/);
  const { page, panel } = await openPanel(browser, mock, project);
  const violation = await panel.evaluate(
    () =>
      new Promise((resolve) => {
        document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
        // Without a policy the fetch just fails (no such host): then no violation comes.
        const none = () => setTimeout(() => resolve('none'), 500);
        fetch('https://evil.example/beacon').then(none, none);
      }),
  );
  assert.equal(violation, 'connect-src', 'the panel may not reach another host');
  await page.close();
});

test('a panel framed by the page itself refuses to act, whatever its URL says, and sends no write', async () => {
  const page = await adoPage();
  const [target] = convertible(mock, project).filter((e) => e.name.startsWith('frames-arm-'));
  const since = mock.requests.length;
  const params = new URLSearchParams({
    org: mock.org,
    project,
    apiBase: mock.orgUrl,
    connection: target.id,
    action: 'convert',
    ids: target.id,
    direction: 'convert',
    manual: '1',
    view: 'plan',
    concurrency: '8',
  });
  const url = `chrome-extension://${browser.extensionId}/panel.html?${params}#${params}`;
  const frame = await frameFromPage(page, url);
  assert.ok(frame, 'panel.html is framable (it is web-accessible)');
  // Polled on a timer: the frame may be off screen, where Chromium throttles animation frames.
  await frame.waitForFunction(() => ['refused', 'ready', 'error'].includes(document.documentElement.dataset.federate ?? ''), null, {
    polling: 100,
  });
  assert.equal(await frame.evaluate(() => document.documentElement.dataset.federate), 'refused');
  assert.match(await frame.textContent('[role="alert"]'), /not opened by Federate|only works in the overlay/);
  assert.equal(await frame.locator('button').count(), 0, 'nothing to click');

  // Opened as a tab with the same parameters: refuses too.
  const tab = await browser.openExtensionPage(`panel.html?${params}#${params}`);
  await tab.waitForFunction(() => document.documentElement.dataset.federate === 'refused');
  assert.match(await tab.textContent('[role="alert"]'), /inside Azure DevOps pages only/);
  await tab.close();

  assert.deepEqual(
    writes(since).map((r) => `${r.method} ${r.path}`),
    [],
    'no request that changes anything',
  );
  assert.equal(mock.conversions.length, 0);
  await page.close();
});

test("a page script that frames its own panel the moment Federate's overlay appears gets nothing; the overlay's panel works", async () => {
  const page = await adoPage();
  const url = `chrome-extension://${browser.extensionId}/panel.html`;
  await page.evaluate((src) => {
    new MutationObserver((_records, observer) => {
      if (!document.querySelector('.federate-overlay')) return;
      observer.disconnect();
      const f = document.createElement('iframe');
      f.src = src;
      f.className = 'attacker-frame';
      document.body.append(f);
      // And a guessed nonce posted to Federate's own frame, for good measure.
      document.querySelector('iframe.federate-panel-frame')?.contentWindow?.postMessage({ federatePanel: 'guessed-nonce-0000' }, '*');
    }).observe(document.documentElement, { childList: true });
  }, url);
  await page.click('.federate-bar .federate-open-panel');
  const attacker = await (await page.waitForSelector('iframe.attacker-frame')).contentFrame();
  const panel = await scannedPanel(page);
  await attacker.waitForFunction(() => ['refused', 'ready', 'error'].includes(document.documentElement.dataset.federate ?? ''), null, {
    polling: 100,
  });
  assert.equal(await attacker.evaluate(() => document.documentElement.dataset.federate), 'refused');
  assert.equal(await panel.evaluate(() => document.documentElement.dataset.federate), 'ready', "the overlay's panel works");
  await page.close();
});

test('the confirming button works only once the panel has been seen for a moment, and not while it is covered', async () => {
  const [, target] = convertible(mock, project).filter((e) => e.name.startsWith('frames-arm-'));
  const view = await planInPanel(browser, mock, { project, ids: [target.id] });
  await waitState(view, ['plan']);
  const confirm = `${view.area} [data-action="confirm"]`;
  // At first: disabled, not armed, and focus is elsewhere.
  const first = await view.panel.evaluate((sel) => {
    const b = document.querySelector(sel);
    return { disabled: b.disabled, armed: b.dataset.armed, focused: document.activeElement === b };
  }, confirm);
  assert.deepEqual(first, { disabled: true, armed: 'false', focused: false });

  // Covered by the page (a translucent layer over the overlay), it does not arm.
  const tracks = await view.panel.evaluate(() => 'isVisible' in IntersectionObserverEntry.prototype);
  if (tracks) {
    await view.page.evaluate(() => {
      const cover = document.createElement('div');
      cover.id = 'cover';
      Object.assign(cover.style, { position: 'fixed', inset: '0', zIndex: '2147483647', background: 'rgba(255,255,255,0.01)' });
      document.body.append(cover);
    });
    const armedWhileCovered = await view.panel
      .waitForFunction((sel) => document.querySelector(sel)?.dataset.armed === 'true', confirm, { timeout: 2_000 })
      .then(() => true)
      .catch(() => false);
    assert.equal(armedWhileCovered, false, 'never armed while covered');
    await view.page.evaluate(() => document.getElementById('cover')?.remove());
  } else {
    console.log('# IntersectionObserver v2 (isVisible) is missing here: the covered case is not checked');
  }
  // Seen: it arms, and the click converts.
  await view.panel.waitForFunction((sel) => document.querySelector(sel)?.dataset.armed === 'true', confirm, { timeout: 10_000 });
  await view.panel.click(confirm);
  await waitState(view, ['done']);
  assert.equal(mock.conversions.at(-1)?.id.toLowerCase(), target.id.toLowerCase());
  await view.page.close();
});

test('a plan starts only from a click once its button has been seen for a moment: Convert… in details, and the toolbar', async () => {
  const [target] = convertible(mock, project).filter((e) => e.name.startsWith('frames-arm-'));
  const { page, panel } = await openPanel(browser, mock, project);
  const id = target.id.toLowerCase();
  const area = `[data-federate-convert="${id}"]`;
  const planned = () => panel.evaluate((sel) => document.querySelector(sel)?.dataset.convertState ?? null, area);
  await panel.click(`#inventory tbody button[data-open="${id}"]`);
  const convert = '#details [data-action="convert"]';
  const before = await panel.$eval(convert, (b) => ({ disabled: b.disabled, armed: b.dataset.armed }));
  assert.deepEqual(before, { disabled: true, armed: 'false' }, 'Convert… is not armed the moment it appears');
  // A click the moment it appears (what a page would time under a decoy) starts nothing.
  await panel.click(convert, { force: true });
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal(await planned(), null, 'no plan from a click before the guard armed');
  // Seen for a moment: the user's click plans.
  await panel.waitForFunction((sel) => document.querySelector(sel)?.dataset.armed === 'true', convert, { timeout: 10_000 });
  await panel.click(convert);
  await waitState({ panel, area }, ['plan']);

  // The toolbar's plan buttons are under the same guard: covered, they disarm and a click starts nothing.
  // (Scrolled away by the details, it disarmed; back in view, it arms again.)
  await panel.$eval('#convert-all', (b) => b.scrollIntoView({ block: 'nearest' }));
  await panel.waitForFunction(() => document.getElementById('convert-all')?.dataset.armed === 'true', null, { timeout: 10_000 });
  const tracks = await panel.evaluate(() => 'isVisible' in IntersectionObserverEntry.prototype);
  if (tracks) {
    await page.evaluate(() => {
      const cover = document.createElement('div');
      cover.id = 'cover';
      Object.assign(cover.style, { position: 'fixed', inset: '0', zIndex: '2147483647', background: 'rgba(255,255,255,0.01)' });
      document.body.append(cover);
    });
    await panel.waitForFunction(() => document.getElementById('convert-all')?.dataset.armed === 'false', null, { timeout: 10_000 });
    assert.ok(await panel.isDisabled('#convert-all'));
    await page.evaluate(() => document.getElementById('cover')?.remove());
  } else {
    console.log('# IntersectionObserver v2 (isVisible) is missing here: the covered toolbar case is not checked');
  }
  await page.close();
});

test('an organization the options turned off gets nothing relayed, even when asked by the extension', async () => {
  const options = await browser.openExtensionPage('options.html');
  await options.waitForFunction(() => document.documentElement.dataset.federate === 'ready');
  await options.check('#mode-only');
  await options.fill('#names', 'someone-else');
  await options.locator('#names').blur();
  await options.waitForFunction(() => /Saved: active on someone-else/.test(document.getElementById('saved').textContent));
  try {
    const page = await browser.context.newPage();
    await page.goto(mock.signInUrl(listPath(mock, project)));
    await page.waitForFunction(() => document.documentElement.dataset.federate === 'off');
    const since = mock.requests.length;
    const href = page.url();
    const reply = await browser.serviceWorker().evaluate(
      async ([url, path]) => {
        const tab = (await chrome.tabs.query({})).find((t) => t.url === url);
        const relay = await chrome.tabs.sendMessage(
          tab.id,
          { type: 'relay', request: { method: 'GET', url: path, headers: {}, body: null } },
          { frameId: 0 },
        );
        const mount = await chrome.tabs.sendMessage(tab.id, { type: 'mountPanel' }, { frameId: 0 });
        return { relay, mount };
      },
      [href, `/${mock.org}/_apis/projects?api-version=7.1`],
    );
    assert.equal(reply.relay.ok, false);
    assert.equal(reply.relay.error.kind, 'off');
    assert.equal(reply.mount.ok, false, 'no panel either');
    assert.equal(await page.locator('iframe.federate-panel-frame').count(), 0);
    assert.deepEqual(
      mock.requests.slice(since).filter((r) => r.path.includes('/_apis/projects')),
      [],
      'nothing relayed',
    );
    await page.close();
  } finally {
    await options.check('#mode-all');
    await options.waitForFunction(() => /every organization/.test(document.getElementById('saved').textContent));
    await options.close();
  }
});

test("the journal's CSV export goes through the engine's CSV rule: formulas neutralized, control characters escaped", async () => {
  const org = mock.org.toLowerCase();
  const message = '=HYPERLINK("https://evil.example","click")\u001b[2J\u202etxt.exe';
  // A stored job as the worker's job store writes it: the header once, then record chunks.
  await browser.serviceWorker().evaluate(
    async ([o, apiBase, projectName, text]) => {
      const now = Date.now();
      const header = {
        id: 'journal-csv-check',
        direction: 'convert',
        api: { base: apiBase, apiVersion: '7.1' },
        concurrency: 1,
        createdAtMs: now,
        policy: null,
        items: [{ id: '@x', name: '@x', project: projectName, projectName, action: 'convert', fingerprint: null }],
        skipped: [],
      };
      const target = { organizationName: o, apiBase, projectName, tabId: 0 };
      await chrome.storage.local.set({
        [`federate.job.${o}.journal-csv-check.h`]: { target, header, organizationId: null },
        [`federate.job.${o}.journal-csv-check.r.0`]: [
          { kind: 'sent', at: now, item: 0, attempt: 1, method: 'PUT', url: '-1+1' },
          {
            kind: 'outcome',
            at: now,
            item: 0,
            outcome: 'failed',
            detail: 'rejected',
            message: text,
            status: 400,
            issuer: null,
            subject: null,
            revertDeadline: null,
          },
        ],
        [`federate.job.${o}.journal-csv-check.e`]: { at: now },
      });
    },
    [org, mock.orgUrl, project, message],
  );
  const { page, panel } = await openPanel(browser, mock, project);
  await panel.click('#tab-history');
  await panel.waitForSelector('#view-history [data-job="journal-csv-check"]');
  const [download] = await Promise.all([page.waitForEvent('download'), panel.click('#view-history [data-action="export-csv"]')]);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.split('\r\n').filter((l) => l.startsWith('journal-csv-check,'));
  const sent = lines.find((l) => l.includes(',sent,'));
  const line = lines.find((l) => l.includes(',outcome,'));
  assert.ok(sent && line, csv);
  assert.ok(line.includes(`"'=HYPERLINK(""https://evil.example"",""click"")\\x1b[2J\\u{202e}txt.exe"`), line);
  assert.ok(sent.includes(",'@x,PUT,'-1+1,"), sent);
  assert.ok(line.includes(",'@x,,,400,failed,rejected,"), line);
  assert.ok(!csv.includes('\u001b') && !csv.includes('\u202e'), 'no raw ESC or bidi override');
  await page.close();
});

test('a secret value the service returns by mistake is dropped: found nowhere the extension stores, shows or exports', async () => {
  const target = convertible(mock, project).find((e) => e.name === 'frames-arm-2');
  assert.ok(target, 'an untouched convertible connection');
  const secret = 'Leaked-Secret-Value-9f2c';
  // The service should answer null (the mock does); here it answers the value, as a bug would.
  mock.state.endpoints.get(target.id).authorization.parameters.serviceprincipalkey = secret;
  try {
    const { page, panel } = await openPanel(browser, mock, project);
    assert.ok(
      mock.requests.some((r) => r.path.endsWith('/_apis/serviceendpoint/endpoints') && r.status === 200),
      'the list that carried it was read',
    );
    // The engine counted what it dropped; the panel says so (count only).
    await panel.waitForSelector('#secrets-notice:not([hidden])');
    assert.match(await panel.textContent('#secrets-notice'), /^Azure DevOps returned 1 secret value .*Federate dropped it/);
    // Its details, its plan and the dry run (the exact body a conversion would send).
    await panel.click(`#inventory tbody button[data-open="${target.id}"]`);
    await panel.click('#details [data-action="convert"]');
    const view = { panel, area: `[data-federate-convert="${target.id}"]` };
    await waitState(view, ['plan']);
    await panel.click(`${view.area} [data-action="dry-run"]`);
    await panel.waitForSelector(`${view.area} [data-convert-dry-run="1"]`);
    const body = JSON.parse(await panel.textContent(`${view.area} .convert-body`));
    assert.equal(body.authorization.parameters.serviceprincipalkey, null, 'the body carries the secret as the service normally sends it');
    const [download] = await Promise.all([page.waitForEvent('download'), panel.click('button[data-export="json"]')]);
    const exported = readFileSync(await download.path(), 'utf8');
    // An organization scan: the engine's total, each connection once.
    await panel.click('#scan-org');
    await scanState(panel, ['done']);
    assert.match(await panel.textContent('#secrets-notice'), /^Azure DevOps returned 1 secret value /);
    const storage = await browser.serviceWorker().evaluate(async () => JSON.stringify(await chrome.storage.local.get(null)));
    for (const [where, text] of Object.entries({ panel: await panel.content(), page: await page.content(), exported, storage })) {
      assert.ok(!text.includes(secret), `the secret value is in the ${where}`);
    }
    await page.close();
  } finally {
    mock.state.endpoints.get(target.id).authorization.parameters.serviceprincipalkey = null;
  }
});
