// Shared steps of the conversion tests: open an Azure DevOps page of the mock (its content
// script relays the requests), find its tab id, open convert.html for it, wait on the
// readiness attributes (never on sleeps).
import { randomUUID } from 'node:crypto';
import { makeEndpoint, rng } from '../mock/scenario.mjs';
import { listPath } from './panel-helpers.mjs';

/**
 * Adds `count` automatic ARM service principals (the connections the engine converts) to a
 * project of a generated scenario, named by `name(i)`, deterministic from `seed` but for ids.
 */
export function addAutomaticArm(scenario, { count, name, seed, project = scenario.projects[0] }) {
  const r = rng(seed);
  for (let i = 0; i < count; i++) {
    scenario.endpoints.push(
      makeEndpoint('azurerm-sp-automatic', {
        org: scenario.organization.name,
        orgId: scenario.organization.id,
        tenantId: scenario.tenants[0],
        project,
        name: name(i),
        id: randomUUID(),
        r,
        now: Date.now(),
      }),
    );
  }
  return scenario;
}

/** Connections the engine's plan converts: automatic ARM service principals, home only, ready. */
export function convertible(mock, projectName) {
  const project = mock.state.projects.find((p) => p.name === projectName);
  const out = [];
  for (const e of mock.state.endpoints.values()) {
    const refs = e.serviceEndpointProjectReferences ?? [];
    if (e.type !== 'azurerm' || e.authorization?.scheme !== 'ServicePrincipal' || e.isDisabled || e.isReady === false) continue;
    if (e.operationStatus && e.operationStatus.state !== 'Ready') continue;
    if (String(e.data?.creationMode ?? '').toLowerCase() !== 'automatic') continue;
    if (refs.length !== 1 || e.isShared || refs[0].projectReference.id !== project.id) continue;
    out.push(e);
  }
  return out;
}

/** Opens the project's service connections page and returns it with its tab id. */
export async function openAdoPage(browser, mock, projectName) {
  const page = await browser.context.newPage();
  await page.goto(mock.signInUrl(listPath(mock, projectName)));
  await page.waitForFunction(() => ['ready', 'error'].includes(document.documentElement.dataset.federate ?? ''), null, { timeout: 20_000 });
  const ext = await browser.openExtensionPage('convert.html?view=history&org=_probe');
  const href = page.url();
  const tabId = await ext.evaluate(async (url) => (await chrome.tabs.query({})).find((t) => t.url === url)?.id ?? null, href);
  await ext.close();
  if (!tabId) throw new Error(`no tab id for ${href}`);
  return { page, tabId };
}

/** Opens convert.html with parameters. */
export function openConvert(browser, mock, params) {
  const q = new URLSearchParams({ org: mock.org, apiBase: mock.orgUrl, ...params });
  return browser.openExtensionPage(`convert.html?${q}`);
}

/** Waits until `#convert` has one of `states` as data-convert-state; returns it. */
export async function waitState(page, states, timeout = 60_000) {
  const handle = await page.waitForFunction(
    (wanted) => {
      const s = document.getElementById('convert')?.dataset.convertState ?? '';
      return wanted.includes(s) || s === 'error' ? s : null;
    },
    states,
    { timeout },
  );
  const got = await handle.jsonValue();
  if (!states.includes(got)) {
    const text = await page.evaluate(() => document.getElementById('convert')?.textContent ?? '');
    throw new Error(`expected ${states.join('|')}, got ${got}: ${text}`);
  }
  return got;
}

/** The stored job of convert.html's current view. */
export async function storedJob(page, org) {
  return page.evaluate(async (o) => {
    const id = document.getElementById('convert')?.dataset.convertJob;
    const key = `federate.convert.${o.toLowerCase()}.job.${id}`;
    return (await chrome.storage.local.get(key))[key] ?? null;
  }, org);
}

/** Plans a conversion of `ids` from `project` and confirms it; returns the convert page. */
export async function convertViaUi(browser, mock, tabId, project, ids, extra = {}) {
  const page = await openConvert(browser, mock, { project, tab: String(tabId), ids: ids.join(','), ...extra });
  await waitState(page, ['plan']);
  await page.click('[data-action="confirm"]');
  return page;
}
