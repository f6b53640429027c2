// Shared steps of the conversion tests: open an Azure DevOps page of the mock (its content
// script relays the requests) and the panel over it, plan and confirm there as a user does,
// and wait on the readiness attributes (never on sleeps).
import { randomUUID } from 'node:crypto';
import { makeEndpoint, rng } from '../mock/scenario.mjs';
import { jobOf } from './job-view.mjs';
import { listPath, openPanel } from './panel-helpers.mjs';

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
  const ext = await browser.openExtensionPage('options.html');
  const href = page.url();
  const tabId = await ext.evaluate(async (url) => (await chrome.tabs.query({})).find((t) => t.url === url)?.id ?? null, href);
  await ext.close();
  if (!tabId) throw new Error(`no tab id for ${href}`);
  return { page, tabId };
}

/**
 * A conversion view in the panel, opened the way a user opens it: `project`'s list, the panel
 * from the summary bar (scanned), then one id → its details' Convert… (or Revert… with
 * `direction: 'revert'`); several → tick them, Convert selected…; none → Convert all
 * convertible… (`tick` ticks even a single id). Returns `{page, panel, area}`: the Azure DevOps page, the panel's frame and
 * the selector of the container the plan and the job are drawn in.
 */
export async function planInPanel(browser, mock, { project, ids = null, direction = 'convert', tick = false }) {
  const { page, panel } = await openPanel(browser, mock, project);
  let area;
  if (ids && ids.length === 1 && !tick) {
    const id = ids[0].toLowerCase();
    await panel.click(`#inventory tbody button[data-open="${id}"]`);
    await panel.click(`#details [data-action="${direction}"]`);
    area = `[data-federate-convert="${id}"]`;
  } else if (ids) {
    for (const id of ids) await panel.check(`#inventory tbody input[data-pick="${id.toLowerCase()}"]`);
    await panel.click('#convert-selected');
    area = '#bulk-convert';
  } else {
    await panel.click('#convert-all');
    area = '#bulk-convert';
  }
  return { page, panel, area };
}

/** The history tab of a panel opened over `project`'s list; `area` is the history view. */
export async function historyInPanel(browser, mock, project) {
  const { page, panel } = await openPanel(browser, mock, project);
  await panel.click('#tab-history');
  return { page, panel, area: '#view-history' };
}

/** Waits until the view's container has one of `states` as data-convert-state; returns it. */
export async function waitState(view, states, timeout = 60_000) {
  const handle = await view.panel.waitForFunction(
    ([sel, wanted]) => {
      const s = document.querySelector(sel)?.dataset.convertState ?? '';
      return wanted.includes(s) || s === 'error' ? s : null;
    },
    [view.area, states],
    { timeout },
  );
  const got = await handle.jsonValue();
  if (!states.includes(got)) {
    const text = await view.panel.evaluate((sel) => document.querySelector(sel)?.textContent ?? '', view.area);
    throw new Error(`expected ${states.join('|')}, got ${got}: ${text}`);
  }
  return got;
}

/** The stored job the view's container follows (header, records and the engine's view: job-view.mjs). */
export async function storedJob(view, org) {
  const stored = await view.panel.evaluate(
    async ([sel, o]) => {
      const id = document.querySelector(sel)?.dataset.convertJob;
      const reply = await chrome.runtime.sendMessage({ type: 'convert.jobs', organizationName: o });
      if (!reply?.ok) throw new Error(reply?.error?.message ?? 'no reply');
      return reply.value.find((j) => j.header.id === id) ?? null;
    },
    [view.area, org],
  );
  return stored ? jobOf(stored) : null;
}

/** Plans a conversion of `ids` from `project` in the panel and confirms it; returns the view. */
export async function convertViaUi(browser, mock, project, ids) {
  const view = await planInPanel(browser, mock, { project, ids });
  await waitState(view, ['plan']);
  await view.panel.click(`${view.area} [data-action="confirm"]`);
  return view;
}
