// The foundation's end-to-end path: on a mock Azure DevOps page, the content script fetches
// the project's service connections from the page's origin, the engine in wasm (in the
// service worker) classifies them, and the content script marks each row.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../mock/server.mjs';
import { launchBrowser, screenshot, waitForFederate } from '../harness/browser.mjs';
import { listPath } from './panel-helpers.mjs';

let mock;
let browser;

before(async () => {
  mock = await startMock({ seed: 7, projects: 2, connectionsPerProject: 12, autoSignIn: true });
  browser = await launchBrowser({ port: mock.port });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

test('every connection row of the list page gets one mark from the wasm engine', async () => {
  const project = mock.state.projects[0];
  const page = await browser.context.newPage();
  await page.goto(mock.signInUrl(listPath(mock, project.name)));
  await waitForFederate(page);

  const rows = await page.$$eval('a[href*="resourceId="]', (links) =>
    links.map((a) => new URL(a.href).searchParams.get('resourceId').toLowerCase()),
  );
  assert.ok(rows.length > 0, 'the mock page rendered rows');
  const marks = await page.$$eval('.federate-mark', (els) =>
    els.map((el) => ({ id: el.dataset.federateId, credential: el.dataset.federateCredential, text: el.textContent })),
  );
  assert.deepEqual(marks.map((m) => m.id).sort(), [...new Set(rows)].sort(), 'exactly one mark per connection row');
  for (const m of marks) {
    assert.ok(m.credential && m.credential.length > 0, `mark ${m.id} has a credential`);
    assert.ok(m.text.trim().length > 0, `mark ${m.id} has text`);
  }
  // The verdict came from the engine: a secret-based azurerm connection says so.
  const secrets = marks.filter((m) => m.credential === 'secret');
  const federated = marks.filter((m) => m.credential === 'federated');
  assert.ok(secrets.length > 0 && federated.length > 0, 'the scenario has secret and federated connections, classified apart');

  // The list request went out from the page's origin with the page's session.
  const listCalls = mock.requests.filter((r) => r.path.endsWith('/_apis/serviceendpoint/endpoints'));
  assert.ok(listCalls.length >= 1);
  assert.equal(listCalls.at(-1).headers['x-tfs-fedauthredirect'], 'Suppress');
  assert.equal(listCalls.at(-1).headers.origin ?? 'https://dev.azure.com', 'https://dev.azure.com');
  await screenshot(page, 'e2e-marks-basic');
  await page.close();
});
