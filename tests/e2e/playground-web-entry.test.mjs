// The package's browser entry as a page would use it: the packed federate-ado installed into a
// scratch folder, served by a static server, imported by name through an import map, and
// `await init()` before any call (the wasm is fetched from next to the package's JavaScript).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, waitForFederate } from '../harness/browser.mjs';
import { installPacked } from '../node/packed.mjs';
import { serveStatic } from './playground-server.mjs';

let pkg;
let server;
let browser;

before(async () => {
  pkg = installPacked();
  writeFileSync(
    join(pkg.dir, 'index.html'),
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>federate-ado in a page</title>
<script type="importmap">{"imports": {"federate-ado": "./node_modules/federate-ado/lib/web.js"}}</script>
</head><body><pre id="out"></pre>
<script type="module">
  const root = document.documentElement;
  try {
    const federate = await import('federate-ado');
    let before = null;
    try { federate.classifyEndpoints('[]'); } catch (err) { before = String(err && err.message || err); }
    await federate.init();
    await federate.default();
    const verdicts = federate.classifyEndpoints([{ id: '1', name: 'p', type: 'azurerm',
      authorization: { scheme: 'ServicePrincipal', parameters: { authenticationType: 'spnKey', serviceprincipalkey: null } },
      data: { creationMode: 'Automatic' } }]);
    const decoded = federate.decodeFederationSubject('sc://contoso/Web Shop/p');
    document.getElementById('out').textContent = JSON.stringify({ before, hasTokenFromEnv: 'tokenFromEnv' in federate,
      credential: verdicts[0].credential, project: decoded.projectName, version: federate.engineVersion() });
    root.dataset.federate = 'ready';
  } catch (err) {
    root.dataset.federateError = String(err && err.stack || err);
    root.dataset.federate = 'error';
  }
</script></body></html>`,
  );
  server = await serveStatic(pkg.dir);
  browser = await launchBrowser({ extension: false });
});

after(async () => {
  await browser?.close();
  await server?.close();
  pkg?.cleanup();
});

test('in a browser: import by name, await init(), then the engine works; nothing Node-only is exported', async () => {
  const page = await browser.context.newPage();
  await page.goto(server.url);
  await waitForFederate(page);
  const out = JSON.parse(await page.locator('#out').textContent());
  assert.ok(out.before, 'before init() the engine is not ready (init is needed in browsers)');
  assert.equal(out.hasTokenFromEnv, false);
  assert.equal(out.credential, 'secret');
  assert.equal(out.project, 'Web Shop');
  assert.match(out.version, /^\d+\.\d+\.\d+/);
  assert.ok(server.requests.includes('/node_modules/federate-ado/pkg/web/federate_wasm_bg.wasm'), 'the wasm came from the package');
  await page.close();
});
