// The issuer retirement plan in the panel, on the demo organization: the connections still on
// the Azure DevOps issuer grouped by what to do (automatic, manual, relying party not Entra),
// the script for the manual ones, a link to each connection's page (its Update button), and
// Verify after the mock switches two connections to the Entra issuer (as Update would). The
// plan never writes: no request but GETs reaches the mock. Also the marks of the deadlines on
// the page: the Azure DevOps PAT and the Azure DevOps connection draft.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeEndpoint, rng } from '../mock/scenario.mjs';
import { scenarioDemo, startMock } from '../mock/server.mjs';
import { launchBrowser, screenshot, waitForFederate } from '../harness/browser.mjs';
import { listPath, openPanel, scanState } from './panel-helpers.mjs';

let mock;
let browser;

before(async () => {
  mock = await startMock({ scenario: scenarioDemo(), autoSignIn: true });
  browser = await launchBrowser({ port: mock.port });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

const idOf = (name) => [...mock.state.endpoints.values()].find((e) => e.name === name).id;
const migrationState = (panel, states) =>
  panel.waitForFunction((s) => s.includes(document.documentElement.dataset.federateMigration), states, { timeout: 60_000 });
const groupNames = (panel) =>
  panel.$$eval('.migration-group', (groups) =>
    Object.fromEntries(groups.map((g) => [g.dataset.group, [...g.querySelectorAll('tbody th')].map((th) => th.textContent)])),
  );

test('the demo organization: marks for the PAT and the Azure DevOps connection draft, the migration plan, Verify', async () => {
  const { page, panel } = await openPanel(browser, mock, 'Payments');

  // The page's marks say what each 2026 connection is, in the engine's words.
  const marks = await page.$$eval('.federate-mark', (els) => Object.fromEntries(els.map((el) => [el.dataset.federateId, el.textContent])));
  assert.equal(marks[idOf('payments-feed (PAT)')], 'Azure DevOps PAT');
  assert.equal(marks[idOf('azdo-publish (draft)')], 'Draft · needs federated credential and organization user');
  assert.equal(marks[idOf('azdo-templates')], 'Federated · Azure DevOps connection');

  // The summary bar draws the engine's counts: the PAT among them, with its deadline.
  assert.equal(await page.textContent('.federate-bar [data-stat="pat"]'), '1 Azure DevOps PAT (global PATs end 2026-12-01)');
  assert.equal(await page.textContent('.federate-bar [data-stat="retiringIssuer"]'), '0 on the Azure DevOps issuer (retires 2027-07-01)');
  // The PAT's mark is the engine's tone and says what replaces it, to screen readers and in its tooltip.
  const pat = page.locator(`.federate-mark[data-federate-id="${idOf('payments-feed (PAT)')}"]`);
  const patSentence = /Azure DevOps PAT: replace it with an Azure DevOps connection \(workload identity\)/;
  assert.equal(await pat.getAttribute('data-federate-tone'), 'bad');
  assert.match(await pat.getAttribute('aria-description'), patSentence);
  // (The panel is open over the page: keyboard focus shows the tooltip as hover does.)
  await pat.focus();
  await page.waitForSelector('#federate-tooltip:not([hidden])');
  assert.match(await page.textContent('#federate-tooltip'), patSentence);
  await pat.blur();

  // The panel's Credential column names the PAT, and its counts are the engine's.
  const patRow = `#inventory tbody tr[data-federate-id="${idOf('payments-feed (PAT)')}"]`;
  assert.equal(await panel.textContent(`${patRow} td[data-col="credential"]`), 'Azure DevOps PAT');
  assert.equal(await panel.textContent(`${patRow} td[data-col="convertible"]`), 'Cannot be converted');
  const templatesRow = `#inventory tbody tr[data-federate-id="${idOf('azdo-templates')}"]`;
  assert.equal(await panel.textContent(`${templatesRow} td[data-col="issuer"]`), 'Entra issuer');
  assert.match(await panel.textContent('#counts'), /, 1 Azure DevOps PAT \(global PATs end 2026-12-01\),/);

  // The inventory's filter finds the Azure DevOps PATs; their details say what replaces them.
  await panel.selectOption('#filter', 'pat');
  assert.deepEqual(await panel.locator('#inventory tbody th').allTextContents(), ['payments-feed (PAT)']);
  await panel.click('#inventory tbody th button');
  assert.match(await panel.textContent('#details'), /Azure DevOps PAT: replace it with an Azure DevOps connection \(workload identity\)/);
  assert.match(await panel.textContent('#details'), /NuGetAuthenticate@1/);
  await panel.selectOption('#filter', 'all');

  // What an Azure DevOps connection draft waits for: its credential, and its identity as a user.
  await panel.fill('#search', 'azdo-publish');
  await panel.click('#inventory tbody th button');
  const draft = await panel.textContent('#details');
  assert.match(draft, /as a user of organization contoso with access level Basic, and as a member of project Payments/);
  assert.match(draft, /serviceprincipalentitlements/);
  assert.match(draft, /Finish setup, then Verify and save/);
  // The draft's manual path says, in the engine's words, that the identity must also be a user.
  assert.match(
    await panel.textContent('#details [data-next-step]'),
    /a user of organization contoso with access level Basic and a member of project Payments; then in Azure DevOps choose Finish setup, then Verify and save\./,
  );
  await panel.fill('#search', '');

  // Another project: a connection still on the Azure DevOps issuer warns, and the bar counts it.
  const data = await browser.context.newPage();
  await data.goto(mock.signInUrl(listPath(mock, 'Data & AI')));
  await waitForFederate(data);
  const legacy = data.locator(`.federate-mark[data-federate-id="${idOf('ml-legacy-wif')}"]`);
  assert.equal(await legacy.textContent(), 'Federated · issuer retires 2027-07-01');
  assert.equal(await legacy.getAttribute('data-federate-tone'), 'warn');
  assert.match(
    await data.textContent('.federate-bar [data-stat="retiringIssuer"]'),
    /^[1-9]\d* on the Azure DevOps issuer \(retires 2027-07-01\)$/,
  );
  await data.close();

  const writesBefore = mock.requests.filter((q) => q.method !== 'GET').length;
  await panel.click('#scan-org');
  await scanState(panel, ['done'], 60_000);
  // The inventory's filter of connections whose issuer retires: the engine's decision, as the marks say.
  await panel.selectOption('#filter', 'retiringIssuer');
  const retiring = await panel.locator('#inventory tbody th').allTextContents();
  assert.ok(retiring.includes('web-prod-arm') && retiring.includes('ml-legacy-wif'), retiring.join(', '));
  assert.match(
    await panel.textContent('#counts'),
    new RegExp(`^Showing ${retiring.length} of .*, ${retiring.length} on the Azure DevOps issuer`),
  );
  await panel.selectOption('#filter', 'all');
  await panel.click('#migration-open');
  await migrationState(panel, ['ready']);
  assert.match(await panel.textContent('.migration-intro'), /Federate does not send the issuer update itself/);
  assert.match(await panel.textContent('#migration-title'), /the organization contoso/);
  assert.deepEqual(await groupNames(panel), {
    automatic: ['web-prod-arm'],
    manual: ['ml-legacy-wif'],
    otherRelyingParty: ['aws-deploy (OIDC)'],
  });

  // Each connection links to its own page, where Azure DevOps' Update button is.
  const href = await panel.getAttribute(`.migration-group tr[data-id="${idOf('ml-legacy-wif')}"] a[data-action="open-connection"]`, 'href');
  assert.equal(href, `https://dev.azure.com/contoso/Data%20%26%20AI/_settings/adminservices?resourceId=${idOf('ml-legacy-wif')}`);

  // The script holds the manual connection's Entra credential, in the chosen format.
  const az = await panel.textContent('#migration-script');
  assert.match(az, /for 1 connection\(s\)/);
  assert.ok(az.includes(`${idOf('ml-legacy-wif')}-entra`), az);
  assert.ok(az.includes('https://login.microsoftonline.com/'), az);
  await panel.selectOption('#migration-format', 'powershell');
  assert.match(await panel.textContent('#migration-script'), /New-AzADAppFederatedCredential/);
  // Unticking the connection empties the script.
  await panel.click(`.migration-group tr[data-id="${idOf('ml-legacy-wif')}"] input[type="checkbox"]`);
  assert.match(await panel.textContent('#migration-script'), /for 0 connection\(s\)/);
  // A rescan keeps the user's choice.
  await panel.click('#scan-org');
  await scanState(panel, ['done'], 60_000);
  await migrationState(panel, ['ready']);
  assert.equal(await panel.isChecked(`.migration-group tr[data-id="${idOf('ml-legacy-wif')}"] input[type="checkbox"]`), false);
  assert.match(await panel.textContent('#migration-script'), /for 0 connection\(s\)/);
  await panel.click(`.migration-group tr[data-id="${idOf('ml-legacy-wif')}"] input[type="checkbox"]`);

  // Verify whose rescan fails: the button comes back and says it stopped; nothing is computed from partial rows.
  mock.control({ faults: { failNext: 50, failStatus: 503, scope: '/_apis/projects' } });
  await panel.click('#migration-verify-button');
  await scanState(panel, ['error'], 60_000);
  await panel.waitForSelector('#migration-verify-stopped', { timeout: 10_000 });
  assert.match(await panel.textContent('#migration-verify-stopped'), /Verify stopped: the scan did not finish/);
  assert.equal(await panel.isDisabled('#migration-verify-button'), false, 'Verify can run again');
  assert.equal(await panel.textContent('#migration-verify-button'), 'Verify (read the connections again)');
  assert.equal(await panel.locator('#migration-verify').count(), 0, 'no verify rows from a scan that did not finish');
  mock.control({ faults: { failNext: 0 } });

  // Update happens in Azure DevOps: the mock switches two connections to the Entra issuer.
  mock.control({ switchIssuer: [idOf('web-prod-arm'), idOf('ml-legacy-wif')] });
  await panel.click('#migration-verify-button');
  await migrationState(panel, ['verified']);
  const rows = await panel.$$eval('#migration-verify tbody tr', (trs) =>
    Object.fromEntries(trs.map((tr) => [tr.dataset.id, tr.dataset.status])),
  );
  assert.deepEqual(rows, {
    [idOf('web-prod-arm')]: 'migrated',
    [idOf('ml-legacy-wif')]: 'migrated',
    [idOf('aws-deploy (OIDC)')]: 'unknown',
  });
  assert.deepEqual(await groupNames(panel), { otherRelyingParty: ['aws-deploy (OIDC)'] }, 'the plan now lists what is left');

  assert.equal(mock.requests.filter((q) => q.method !== 'GET').length, writesBefore, 'the plan and Verify only read');
  // The panel is a frame over the Azure DevOps page: show the plan, then shoot the page.
  await panel.evaluate(() => document.getElementById('migration')?.scrollIntoView({ block: 'start' }));
  const shot = await screenshot(page, 'migration-plan');
  assert.ok(shot.endsWith('.png'));
});

test('one identity behind many connections: the plan warns before the groups and names them', async () => {
  // 12 connections of one identity, all on the Azure DevOps issuer: 12 credentials now, 24 while
  // both exist during the switch, over Entra's limit of 20.
  const scenario = scenarioDemo();
  const [, , data] = scenario.projects;
  const r = rng(7);
  const client = '5d1f7c3b-2a4e-4b6c-8d9e-0f1a2b3c4d5e';
  for (let i = 0; i < 12; i++) {
    const e = makeEndpoint('azurerm-wif-ado-manual', {
      org: scenario.organization.name,
      orgId: scenario.organization.id,
      tenantId: scenario.tenants[0],
      project: data,
      name: `shared-identity-${i}`,
      id: r.uuid(),
      r,
      now: Date.now(),
    });
    e.authorization.parameters.serviceprincipalid = client;
    scenario.endpoints.push(e);
  }
  const many = await startMock({ scenario, autoSignIn: true });
  const other = await launchBrowser({ port: many.port });
  try {
    const { panel } = await openPanel(other, many, 'Data & AI');
    await panel.click('#migration-open');
    await migrationState(panel, ['ready']);
    const warning = await panel.textContent('#migration-identity-warnings');
    assert.match(warning, new RegExp(`Identity ${client} backs 12 connections`));
    assert.match(warning, /24 in all, over Entra's limit of 20/);
    assert.ok(warning.includes('shared-identity-0') && warning.includes('shared-identity-11'), warning);
    // The warning comes before the groups.
    const order = await panel.$$eval('#migration > *', (els) => els.map((el) => el.id || el.className));
    assert.ok(order.indexOf('migration-identity-warnings') < order.indexOf('migration-group'), order.join(', '));
  } finally {
    await other.close();
    await many.close();
  }
});
