// The panel: an extension page (wasm allowed, isolated from the page's scripts) shown in an
// iframe over Azure DevOps. This file starts it and runs the scan (a port to the service
// worker, which scans through the page); each view is its own file, given the one panel state
// (state.ts) and its own abort signal: the inventory table (table.ts), a connection's details
// (details.ts), the plan, confirmation and progress of a job (plan.ts, convert.ts), the
// history (history.ts), the organization view (organization.ts), the issuer migration
// (migration.ts) and usage (usage.ts). It never reads the page's DOM.
import { h } from '../shared/dom.js';
import { endpointsById, inventorySummary, loadEngine, renderReport, secretValuesNotice, withWords } from '../shared/engine.js';
import { type ErrorInfo, errorOf, type Message, PANEL_PORT, type PanelEvent, type PanelRequest } from '../shared/messages.js';
import type { ProjectInventory, Verdict } from '../shared/model.js';
import { createDetails } from './details.js';
import { claimOpening } from './guard.js';
import { createTabs, historyView } from './history.js';
import { createMigrationView } from './migration.js';
import { createProgress, waitText } from './organization.js';
import { createPlan } from './plan.js';
import { createState, organizationId, type Scope } from './state.js';
import { BASE_COLUMNS, BASE_FILTERS, type Column, createTable } from './table.js';
import { initUsage, LAST_USED_COLUMN, resetUsage, USAGE_FILTERS, usageReport } from './usage.js';

const ROOT = document.documentElement;
const app = document.getElementById('app')!;

const state = createState();
void chrome.tabs.getCurrent().then(
  (t) => (state.tabId = t?.id ?? null),
  () => undefined,
);

/** One abort controller per view (refined-github's features): a view's listeners go with it. */
const lifetimes = { panel: new AbortController(), table: new AbortController(), tabs: new AbortController() };
window.addEventListener('pagehide', () => {
  for (const c of Object.values(lifetimes)) c.abort();
});

const COLUMNS: Record<string, Column> = {
  ...BASE_COLUMNS,
  lastUsed: {
    title: LAST_USED_COLUMN.title,
    value: (r) => LAST_USED_COLUMN.value(r.verdict),
    sort: (r) => LAST_USED_COLUMN.sort(r.verdict),
  },
};
const FILTERS = { ...BASE_FILTERS, ...USAGE_FILTERS };

// ---- the views
const table = createTable(
  state,
  { columns: COLUMNS, filters: FILTERS, changed: () => render(), open: (id) => details.show(id), picked: () => plan.renderPicked() },
  lifetimes.table.signal,
);
const plan = createPlan(state, (org, view) => details.refreshFromJob(org, view));
const details = createDetails(state, { convertActions: plan.convertActions, changed: () => render(), focusRow: table.focusRow });
const progress = createProgress(state);
// The issuer retirement plan (its own view; the engine decides and words it).
const migration = createMigrationView({
  endpoints: () => [...state.rows.values()].map((r) => r.endpoint).filter((e) => e !== undefined),
  context: () => ({
    organizationName: state.ctx?.organizationName ?? '',
    organizationId: organizationId(state),
    projectName: null,
    projectId: null,
    now: new Date().toISOString(),
  }),
  // Read when used: the context arrives after the panel claimed its opening (panel/guard.ts).
  get apiBase() {
    return state.ctx?.apiBase ?? '';
  },
  scopeWords: () =>
    state.scope === 'project' && state.ctx?.projectName
      ? `project ${state.ctx.projectName}`
      : `the organization ${state.ctx?.organizationName ?? ''}`,
  rescan: () => scan(state.scope),
});

// ---- the port to the service worker
let port: chrome.runtime.Port | null = null;
function send(request: PanelRequest): void {
  if (!port) {
    port = chrome.runtime.connect({ name: PANEL_PORT });
    port.onMessage.addListener((m: unknown) => onEvent(m as PanelEvent));
    port.onDisconnect.addListener(() => {
      port = null;
      if (state.status === 'running') {
        fail(errorOf('network', 'The extension stopped the scan (it restarted).'));
      }
    });
  }
  port.postMessage(request);
}

function scan(next: Scope): void {
  if (!state.ctx) return;
  state.scope = next;
  state.rows.clear();
  state.selected = null;
  state.error = null;
  state.progress = { done: 0, total: 0, project: null };
  resetUsage();
  state.secretValuesDropped = 0;
  state.incomplete = null;
  state.status = 'running';
  ROOT.dataset.federateScan = 'running';
  ROOT.dataset.federateScope = state.scope;
  send({ type: 'scan', scope: state.scope, context: state.ctx });
  render();
}

function fail(e: ErrorInfo): void {
  state.status = 'error';
  state.error = e;
  ROOT.dataset.federateScan = 'error';
  ROOT.dataset.federateErrorKind = e.kind;
  render();
}

function addInventory(inv: ProjectInventory): void {
  const byId = endpointsById(inv.endpoints);
  for (const v of inv.verdicts) {
    const id = v.id ?? `${inv.project.projectName}/${v.name}`;
    const seen = inv.project.projectName ?? '';
    const row = state.rows.get(id);
    if (row) {
      if (seen && !row.seenIn.includes(seen)) row.seenIn.push(seen);
      // The owner's copy is the authoritative one (its verdict knows it can convert there).
      if (v.owner?.projectName && v.owner.projectName === seen) Object.assign(row, { verdict: v, endpoint: byId.get(id) ?? row.endpoint });
    } else
      state.rows.set(id, {
        verdict: v,
        endpoint: v.id ? byId.get(v.id) : undefined,
        organizationId: inv.organizationId,
        seenIn: seen ? [seen] : [],
      });
  }
}

let throttleTimer = 0;
/** Counts the client's wait down while it lasts. */
let waitTimer = 0;

function onEvent(e: PanelEvent): void {
  switch (e.type) {
    case 'started':
      break;
    case 'progress':
      state.progress = { done: e.done, total: e.total, project: e.project };
      break;
    case 'waiting':
      state.wait = { until: Date.now() + e.ms, reason: e.reason, status: e.status };
      if (!waitTimer) waitTimer = window.setInterval(render, 1000);
      render();
      return;
    case 'inventory':
      addInventory(e.inventory);
      break;
    case 'finished':
      state.secretValuesDropped = e.secretValuesDropped;
      state.incomplete = e.incomplete;
      state.status = e.cancelled ? 'cancelled' : 'done';
      ROOT.dataset.federateScan = state.status;
      render();
      openFocus();
      migration.afterScan({ complete: !e.cancelled && e.incomplete === null });
      return;
    case 'failed':
      fail(e.error);
      migration.afterScan({ complete: false });
      return;
  }
  // Many events during an org scan: one render per frame.
  if (!throttleTimer) {
    throttleTimer = window.setTimeout(() => {
      throttleTimer = 0;
      render();
    }, 50);
  }
}

// ---- the panel's own parts (built once; render() updates them)
const statusLine = h('p', { id: 'status', role: 'status', class: 'status' });
const alertBox = h('div', { id: 'alert', role: 'alert', class: 'alert', hidden: true });
const secretsNotice = h('p', { id: 'secrets-notice', role: 'note', class: 'notice', hidden: true });
/** What an organization scan could not read (the engine's line): its rows are not the whole organization. */
const incompleteNotice = h('p', { id: 'incomplete-notice', role: 'status', class: 'notice', hidden: true });
const scanProjectButton = h('button', { type: 'button', id: 'scan-project' }, 'Scan this project');
const scanOrgButton = h('button', { type: 'button', id: 'scan-org' }, 'Scan the whole organization');
const cancelButton = h('button', { type: 'button', id: 'cancel' }, 'Cancel');
const exportButtons = (['csv', 'json', 'markdown'] as const).map((f) =>
  h(
    'button',
    { type: 'button', 'data-export': f, onclick: () => exportAs(f) },
    `Export ${f === 'markdown' ? 'Markdown' : f.toUpperCase()}`,
  ),
);

function header(): HTMLElement {
  const { ctx } = state;
  const where = ctx ? (ctx.projectName ? `${ctx.projectName} · ${ctx.organizationName}` : ctx.organizationName) : '';
  return h(
    'header',
    { class: 'top' },
    h('h1', {}, 'Federate'),
    h('span', { class: 'where' }, where),
    h('button', { type: 'button', id: 'close', class: 'close', 'aria-label': 'Close the Federate panel', onclick: close }, '×'),
  );
}

function close(): void {
  void chrome.runtime.sendMessage({ type: 'closePanel' } satisfies Message);
}

function build(): void {
  const { signal } = lifetimes.panel;
  cancelButton.addEventListener('click', () => send({ type: 'cancel' }), { signal });
  scanProjectButton.addEventListener('click', () => scan('project'), { signal });
  scanOrgButton.addEventListener('click', () => scan('organization'), { signal });
  app.replaceChildren(
    header(),
    createTabs(state, lifetimes.tabs.signal),
    h(
      'div',
      { id: 'view-inventory', role: 'tabpanel', 'aria-labelledby': 'tab-inventory' },
      h('div', { class: 'toolbar' }, state.ctx?.projectName ? scanProjectButton : null, scanOrgButton, cancelButton),
      initUsage({
        apiBase: state.ctx?.apiBase ?? null,
        rows: () => state.rows.values(),
        shown: table.shown,
        picked: () => [...state.picked],
        changed: (ids) => {
          render();
          details.usageArrived(ids);
        },
      }),
      progress.element,
      statusLine,
      alertBox,
      secretsNotice,
      incompleteNotice,
      h(
        'div',
        { class: 'filters' },
        h('label', { for: 'search' }, 'Search'),
        table.search,
        h('label', { for: 'filter' }, 'Show'),
        table.filter,
        h('span', { class: 'exports', role: 'group', 'aria-label': 'Export the inventory' }, exportButtons),
      ),
      table.counts,
      plan.toolbar(migration.button),
      plan.bulkConvert,
      migration.element,
      h('div', { class: 'table-wrap' }, table.table),
      details.element,
    ),
    historyView(),
  );
  // The plan-starting buttons work once seen for a moment, like the plan's own Confirm.
  plan.arm();
  document.addEventListener(
    'keydown',
    (e) => {
      if (e.key === 'Escape' && !e.defaultPrevented) close();
    },
    { signal },
  );
}

function statusText(): string {
  const { rows, scope } = state;
  switch (state.status) {
    case 'idle':
      return state.ctx ? 'Choose what to scan.' : 'Open the panel from an Azure DevOps page.';
    case 'running':
      return scope === 'organization' ? 'Scanning the organization…' : 'Reading the project’s service connections…';
    case 'cancelled':
      return `Scan cancelled: ${rows.size} connections found before it stopped.`;
    case 'error':
      return '';
    case 'done':
      return rows.size === 0
        ? scope === 'project'
          ? 'This project has no service connections.'
          : 'No service connections in this organization.'
        : state.incomplete !== null
          ? `Scan incomplete: ${rows.size} connections found; not every project could be read.`
          : `Scan finished: ${rows.size} connections.`;
  }
}

function renderAlert(): void {
  const { error, ctx } = state;
  alertBox.replaceChildren();
  alertBox.hidden = !error;
  if (!error) return;
  const d = withWords(error);
  alertBox.dataset.kind = error.kind;
  alertBox.append(h('strong', {}, d.title), ' ', d.advice);
  if (error.message && error.kind !== 'cancelled') alertBox.append(h('p', { class: 'detail' }, error.message));
  if (error.kind === 'signedOut' && ctx) {
    alertBox.append(
      h('a', { href: `${ctx.apiBase}/`, target: '_blank', rel: 'noopener', class: 'button', id: 'sign-in' }, 'Sign in to Azure DevOps'),
    );
  }
  alertBox.append(h('button', { type: 'button', id: 'retry', onclick: () => scan(state.scope) }, 'Retry'));
}

function render(): void {
  const running = state.status === 'running';
  cancelButton.disabled = !running;
  scanProjectButton.disabled = running;
  scanOrgButton.disabled = running;
  progress.render();
  const waiting = waitText(state);
  if (waiting && state.wait) {
    ROOT.dataset.federateWaiting = state.wait.reason !== 'backoff' || state.wait.status === 429 ? 'throttled' : 'retrying';
  } else {
    delete ROOT.dataset.federateWaiting;
    state.wait = null;
    window.clearInterval(waitTimer);
    waitTimer = 0;
  }
  statusLine.textContent = waiting ?? statusText();
  const dropped = state.secretValuesDropped;
  secretsNotice.hidden = dropped === 0;
  incompleteNotice.hidden = state.incomplete === null;
  incompleteNotice.textContent = state.incomplete ?? '';
  // The engine's sentence (count only); a count comes only from a scan, after the engine loaded.
  secretsNotice.textContent = dropped && state.engineLoaded ? (secretValuesNotice(dropped, 'service') ?? '') : '';
  statusLine.dataset.waiting = waiting ? 'true' : 'false';
  renderAlert();

  // The engine counts once it has loaded (the first render comes before).
  const summary = state.engineLoaded ? engineSummary([...state.rows.values()].map((r) => r.verdict)) : null;
  const count = (key: string) => summary?.parts.find((p) => p.key === key)?.count ?? 0;
  table.render(summary ? { line: summary.line, total: count('total') } : null);
  for (const b of exportButtons) b.disabled = state.rows.size === 0;
  plan.render(count('convertible'));
}

/** The engine's summary of the inventory, asked again only when its verdicts change (render runs on every keystroke). */
let lastSummary: { verdicts: Verdict[]; summary: ReturnType<typeof inventorySummary> } | null = null;
function engineSummary(verdicts: Verdict[]): ReturnType<typeof inventorySummary> {
  const last = lastSummary;
  if (last && last.verdicts.length === verdicts.length && last.verdicts.every((v, i) => v === verdicts[i])) return last.summary;
  const summary = inventorySummary(verdicts);
  lastSummary = { verdicts, summary };
  return summary;
}

let focusDone = false;
/**
 * Opened from a card or a mark: show that connection's details, with focus on them. Nothing
 * is clicked for the user: the plan starts from their own click on Convert… or Revert….
 */
function openFocus(): void {
  if (focusDone || !state.focusId) return;
  focusDone = true;
  if (!state.rows.has(state.focusId)) return;
  details.show(state.focusId);
}

function exportAs(format: 'csv' | 'json' | 'markdown'): void {
  const { ctx, scope } = state;
  const verdicts = [...state.rows.values()].map((r) => r.verdict);
  const text = usageReport(verdicts, format) ?? renderReport(verdicts, format);
  const type = format === 'csv' ? 'text/csv' : format === 'json' ? 'application/json' : 'text/markdown';
  const ext = format === 'markdown' ? 'md' : format;
  const name =
    `federate-${ctx?.organizationName ?? 'inventory'}-${scope === 'project' ? (ctx?.projectName ?? 'project') : 'organization'}.${ext}`.replace(
      /[^\w.-]+/g,
      '_',
    );
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  statusLine.textContent = `Exported ${verdicts.length} connections as ${name}.`;
}

/** Starts the panel once the guard let it: the overlay's context, then the engine. */
async function start(): Promise<void> {
  const opened = await claimOpening();
  if (!opened) return;
  const ctx = opened.context;
  state.ctx = ctx;
  state.focusId = opened.connection?.toLowerCase() ?? null;
  ROOT.dataset.theme = opened.theme;
  ROOT.style.colorScheme = opened.theme;
  state.scope = ctx.projectName ? 'project' : 'organization';
  build();
  render();
  try {
    await loadEngine();
  } catch (err) {
    app.textContent = `The engine could not load: ${err instanceof Error ? err.message : String(err)}`;
    ROOT.dataset.federate = 'error';
    return;
  }
  state.engineLoaded = true;
  ROOT.dataset.federate = 'ready';
  if (ctx.projectName) scan('project');
  else render();
  table.search.focus();
}

void start();
