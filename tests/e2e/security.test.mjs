// Security, checked from outside the code: with every host name in the world resolved to the
// mock, the extension's whole day (marks, panel, organization scan, a conversion, exports)
// sends requests to no host but Azure DevOps; and no secret value the service holds ever
// reaches the page, the panel, the extension's storage, an export or a request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generateScenario, startMock } from '../mock/server.mjs';
import { launchBrowser } from '../harness/browser.mjs';
import { addAutomaticArm, convertible } from './convert-helpers.mjs';
import { convertState, openPanel, scanState } from './panel-helpers.mjs';

let mock;
let browser;

before(async () => {
  const scenario = addAutomaticArm(generateScenario({ seed: 31, projects: 3, connectionsPerProject: 10 }), {
    count: 2,
    name: (i) => `security-arm-${i}`,
    seed: 8,
  });
  mock = await startMock({ scenario, autoSignIn: true });
  browser = await launchBrowser({ port: mock.port, mapAllHosts: true });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

const ADO_HOST = /^(dev\.azure\.com|[a-z0-9-]+\.visualstudio\.com)$/i;

test('no request leaves for any host but Azure DevOps, and no secret value is read, stored, shown or exported', {
  timeout: 90_000,
}, async () => {
  const seen = [];
  browser.context.on('request', (r) => seen.push(r.url()));
  const project = mock.state.projects[0];
  const target = convertible(mock, project.name).find((e) => e.name.startsWith('security-arm-'));
  assert.ok(target, 'the scenario has a convertible connection');

  const { page, panel } = await openPanel(browser, mock, project.name);

  // A conversion, from the panel.
  await panel.click(`#inventory tbody button[data-open="${target.id}"]`);
  await panel.click('#details [data-action="convert"]');
  const area = `[data-federate-convert="${target.id}"]`;
  await convertState(panel, area, ['plan']);
  await panel.click(`${area} [data-action="confirm"]`);
  await convertState(panel, area, ['done']);
  assert.equal(mock.conversions.length, 1, 'the conversion went through');

  // The whole organization, then exports.
  await panel.click('#scan-org');
  await scanState(panel, ['done'], 30_000);
  const exports = [];
  for (const format of ['csv', 'json', 'markdown']) {
    const [download] = await Promise.all([page.waitForEvent('download'), panel.click(`button[data-export="${format}"]`)]);
    exports.push(readFileSync(await download.path(), 'utf8'));
  }

  // Hosts: what the browser asked for, and what reached the mock (every host maps to it).
  for (const url of seen) {
    const u = new URL(url);
    const ok =
      (u.protocol === 'chrome-extension:' && u.host === browser.extensionId) ||
      u.protocol === 'data:' ||
      u.protocol === 'blob:' ||
      (u.protocol === 'https:' && ADO_HOST.test(u.hostname));
    assert.ok(ok, `request to ${url}`);
  }
  // Chromium itself, with or without any extension, posts to accounts.google.com and
  // update.googleapis.com (no page, no extension origin, Sec-Fetch-Site: none): those are the
  // browser's, listed here and left out. Everything else that reached the mock came from a page
  // or from the extension, and must be Azure DevOps.
  const browserOwn = (r) =>
    r.headers['sec-fetch-site'] === 'none' &&
    !String(r.headers.origin ?? '').startsWith('chrome-extension://') &&
    !ADO_HOST.test(String(r.host).replace(/:\d+$/, ''));
  const own = mock.requests.filter(browserOwn);
  if (own.length)
    console.log(`# left out, Chromium's own requests: ${[...new Set(own.map((r) => `${r.method} ${r.host}${r.path}`))].join(', ')}`);
  const hosts = new Set(mock.requests.filter((r) => !browserOwn(r)).map((r) => String(r.host).replace(/:\d+$/, '')));
  for (const host of hosts) assert.match(host, ADO_HOST, `the mock was reached as ${host}`);
  const fromExtension = mock.requests.filter((r) => String(r.headers.origin ?? '').startsWith('chrome-extension://'));
  assert.deepEqual(fromExtension, [], 'the service worker itself never fetches: the content script relays');
  assert.ok(seen.length > 0 && hosts.has('dev.azure.com'));

  // Secrets: the values the service holds (it answers them as null) appear nowhere.
  const secrets = [...mock.store.secrets.values()].flatMap((s) => Object.values(s)).filter((v) => typeof v === 'string' && v.length >= 8);
  assert.ok(secrets.length >= 10, `the scenario holds secrets (${secrets.length})`);
  const storage = await browser
    .serviceWorker()
    .evaluate(async () => JSON.stringify([await chrome.storage.local.get(null), await chrome.storage.sync.get(null)]));
  const places = {
    page: await page.content(),
    panel: await panel.content(),
    storage,
    exports: exports.join('\n'),
    requests: seen.join('\n') + JSON.stringify(mock.requests),
  };
  assert.ok(places.storage.includes(target.id), 'the journal is in storage (so the search below looks at real data)');
  for (const [where, text] of Object.entries(places)) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `a secret value appears in ${where}`);
  }
  await page.close();
});
