// The panel: an extension page (wasm allowed, isolated from the page's scripts) shown in an
// iframe over Azure DevOps. Inventory of the project or the whole organization (scanned by
// the service worker, relayed through the page), a table with sort, filter, search and
// counts, details with explanations and remedies, and export. It never reads the page's DOM.
import { h } from '../shared/dom.js';
import { federationView, remediesView, verdictView } from '../shared/explain.js';
import { classify, endpointsById, inventorySummary, loadEngine, remedies, renderReport } from '../shared/engine.js';
import {
  type ErrorInfo,
  errorOf,
  type Message,
  type PageContext,
  PANEL_PORT,
  type PanelEvent,
  type PanelRequest,
} from '../shared/messages.js';
import { armWhenSeen, claimOpening, isArmed } from './guard.js';
import { describeError, projectNames, type ProjectInventory, type Verdict } from '../shared/model.js';
import { manualCredentialView, renderHistory, renderJob, renderPlan, renderRevert, timeLeft } from './convert.js';
import { createMigrationView } from './migration.js';
import { type Direction, type Job, type JobTarget, type PlanGroup, storageKeys } from '../shared/convert-types.js';
import { initUsage, LAST_USED_COLUMN, resetUsage, USAGE_FILTERS, usageDetails, usageReport } from './usage.js';

const ROOT = document.documentElement;
const app = document.getElementById('app')!;

// ---- what the overlay opened the panel on: from the service worker (see ./panel/guard.ts),
// never from the URL, which a framing page controls.
let ctx: PageContext | null = null;
/** A connection whose details to show at once (a card's Convert… / Revert…): a view, not an action. */
let focusId: string | null = null;

// ---- state
interface Row {
  verdict: Verdict;
  endpoint: unknown;
  organizationId: string | null;
  /** Projects whose list showed it (a shared connection shows in several). */
  seenIn: string[];
}
type Scope = 'project' | 'organization';
const rows = new Map<string, Row>();
let scope: Scope = 'organization';
let status: 'idle' | 'running' | 'done' | 'cancelled' | 'error' = 'idle';
let progress = { done: 0, total: 0, project: null as string | null };
let error: ErrorInfo | null = null;
let selected: string | null = null;
let sortKey: keyof typeof COLUMNS = 'name';
let sortDir: 1 | -1 = 1;
let throttleTimer = 0;
/** The client's current wait (rate limit or backoff) during a scan, and the timer that counts it down. */
let wait: { until: number; reason: string; status: number | null } | null = null;
let waitTimer = 0;
/** Ids ticked in the inventory for a bulk conversion. */
const picked = new Set<string>();
/** The tab the panel is shown in: its page relays the conversion requests. */
let tabId: number | null = null;
void chrome.tabs.getCurrent().then(
  (t) => (tabId = t?.id ?? null),
  () => undefined,
);

const COLUMNS = {
  name: { title: 'Name', value: (r: Row) => r.verdict.name ?? '' },
  projects: { title: 'Project(s)', value: (r: Row) => [...new Set([...projectNames(r.verdict), ...r.seenIn])].join(', ') },
  type: { title: 'Type', value: (r: Row) => r.verdict.type ?? '' },
  credential: { title: 'Credential', value: (r: Row) => r.verdict.credentialWord },
  state: { title: 'State', value: (r: Row) => r.verdict.state },
  convertible: { title: 'Convertible', value: (r: Row) => r.verdict.convertibleWord },
  issuer: { title: 'Issuer format', value: (r: Row) => r.verdict.federation?.formatWord ?? '' },
  lastUsed: {
    title: LAST_USED_COLUMN.title,
    value: (r: Row) => LAST_USED_COLUMN.value(r.verdict),
    sort: (r: Row) => LAST_USED_COLUMN.sort(r.verdict),
  },
} as const;

const FILTERS: Record<string, { title: string; test: (v: Verdict) => boolean }> = {
  all: { title: 'All connections', test: () => true },
  secrets: { title: 'Holds a secret', test: (v) => v.usesSecret },
  convertible: { title: 'Can be converted now', test: (v) => v.convertible.status === 'yes' },
  manual: { title: 'Needs manual steps', test: (v) => v.convertible.status === 'manual' },
  drafts: { title: 'Drafts', test: (v) => v.state === 'draft' },
  federated: { title: 'Federated', test: (v) => v.credential === 'federated' },
  pat: { title: 'Azure DevOps PAT', test: (v) => v.azureDevOpsPat !== null },
  // The engine's decisions: the issuer's format, and whether the connection's issuer retires.
  adoIssuer: { title: 'Azure DevOps issuer', test: (v) => v.federation?.format === 'azureDevOps' },
  retiringIssuer: { title: 'Issuer retires 2027-07-01', test: (v) => v.issuerRetirement !== null },
  entraIssuer: { title: 'Entra issuer', test: (v) => v.federation?.format === 'entra' },
  warnings: { title: 'Has federation warnings', test: (v) => (v.federation?.warnings.length ?? 0) > 0 },
  shared: { title: 'Shared between projects', test: (v) => v.isShared },
  notReady: { title: 'Not ready (failed, converting)', test: (v) => v.state !== 'ready' && v.state !== 'draft' },
  ...USAGE_FILTERS,
};

// ---- the port to the service worker
let port: chrome.runtime.Port | null = null;
function send(request: PanelRequest): void {
  if (!port) {
    port = chrome.runtime.connect({ name: PANEL_PORT });
    port.onMessage.addListener((m: unknown) => onEvent(m as PanelEvent));
    port.onDisconnect.addListener(() => {
      port = null;
      if (status === 'running') {
        fail(errorOf('network', 'The extension stopped the scan (it restarted).'));
      }
    });
  }
  port.postMessage(request);
}

function scan(next: Scope): void {
  if (!ctx) return;
  scope = next;
  rows.clear();
  selected = null;
  error = null;
  progress = { done: 0, total: 0, project: null };
  resetUsage();
  secretValuesDropped = 0;
  status = 'running';
  ROOT.dataset.federateScan = 'running';
  ROOT.dataset.federateScope = scope;
  send({ type: 'scan', scope, context: ctx });
  render();
}

function fail(e: ErrorInfo): void {
  status = 'error';
  error = e;
  ROOT.dataset.federateScan = 'error';
  ROOT.dataset.federateErrorKind = e.kind;
  render();
}

function addInventory(inv: ProjectInventory): void {
  const byId = endpointsById(inv.endpoints);
  for (const v of inv.verdicts) {
    const id = v.id ?? `${inv.project.projectName}/${v.name}`;
    const seen = inv.project.projectName ?? '';
    const row = rows.get(id);
    if (row) {
      if (seen && !row.seenIn.includes(seen)) row.seenIn.push(seen);
      // The owner's copy is the authoritative one (its verdict knows it can convert there).
      if (v.owner?.projectName && v.owner.projectName === seen) Object.assign(row, { verdict: v, endpoint: byId.get(id) ?? row.endpoint });
    } else
      rows.set(id, {
        verdict: v,
        endpoint: v.id ? byId.get(v.id) : undefined,
        organizationId: inv.organizationId,
        seenIn: seen ? [seen] : [],
      });
  }
}

function onEvent(e: PanelEvent): void {
  switch (e.type) {
    case 'started':
      break;
    case 'progress':
      progress = { done: e.done, total: e.total, project: e.project };
      break;
    case 'waiting':
      wait = { until: Date.now() + e.ms, reason: e.reason, status: e.status };
      if (!waitTimer) waitTimer = window.setInterval(render, 1000);
      render();
      return;
    case 'inventory':
      addInventory(e.inventory);
      break;
    case 'finished':
      secretValuesDropped = e.secretValuesDropped;
      status = e.cancelled ? 'cancelled' : 'done';
      ROOT.dataset.federateScan = status;
      render();
      openFocus();
      migration.afterScan({ complete: !e.cancelled });
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

// ---- the view (built once; render() updates its parts)
const statusLine = h('p', { id: 'status', role: 'status', class: 'status' });
const alertBox = h('div', { id: 'alert', role: 'alert', class: 'alert', hidden: true });
/** Secret values the service returned in the last scan, dropped by the engine (count only). */
let secretValuesDropped = 0;
const secretsNotice = h('p', { id: 'secrets-notice', role: 'note', class: 'notice', hidden: true });
const progressBar = h('progress', { id: 'progress', max: 1, value: 0, 'aria-label': 'Projects scanned' });
const progressText = h('span', { id: 'progress-text' });
const progressBox = h('div', { class: 'progress', hidden: true }, progressBar, progressText);
const scanProjectButton = h('button', { type: 'button', id: 'scan-project' }, 'Scan this project');
const scanOrgButton = h('button', { type: 'button', id: 'scan-org' }, 'Scan the whole organization');
const cancelButton = h('button', { type: 'button', id: 'cancel' }, 'Cancel');
const search = h('input', { type: 'search', id: 'search', placeholder: 'Name, type, project…', autocomplete: 'off' });
const filter = h(
  'select',
  { id: 'filter' },
  Object.entries(FILTERS).map(([k, f]) => h('option', { value: k }, f.title)),
);
const counts = h('p', { id: 'counts', class: 'counts', 'aria-live': 'polite' });
const headRow = h('tr');
const tbody = h('tbody');
const table = h(
  'table',
  { id: 'inventory', class: 'inventory', 'aria-describedby': 'counts' },
  h('caption', { class: 'visually-hidden' }, 'Service connections'),
  h('thead', {}, headRow),
  tbody,
);
const details = h('section', { id: 'details', class: 'details', 'aria-labelledby': 'details-title', hidden: true, tabindex: -1 });
const bulkConvert = h('div', { id: 'bulk-convert', class: 'bulk-convert', 'data-federate-convert': 'bulk', hidden: true });
const convertSelectedButton = h(
  'button',
  { type: 'button', id: 'convert-selected', onclick: () => planBulk([...picked]) },
  'Convert selected…',
);
const convertAllButton = h('button', { type: 'button', id: 'convert-all', onclick: () => planBulk(null) }, 'Convert all convertible…');
const pickedText = h('span', { id: 'picked', 'aria-live': 'polite' });
/** Whether the view wants "Convert all convertible…" enabled (the guard arms it besides). */
let convertAllWanted = false;
const convertSelectedWanted = () => status !== 'running' && picked.size > 0;
// The issuer retirement plan (its own view; the engine decides and words it).
const migration = createMigrationView({
  endpoints: () => [...rows.values()].map((r) => r.endpoint).filter((e) => e !== undefined),
  context: () => ({
    organizationName: ctx?.organizationName ?? '',
    organizationId: organizationId(),
    projectName: null,
    projectId: null,
    now: new Date().toISOString(),
  }),
  // Read when used: the context arrives after the panel claimed its opening (panel/guard.ts).
  get apiBase() {
    return ctx?.apiBase ?? '';
  },
  scopeWords: () =>
    scope === 'project' && ctx?.projectName ? `project ${ctx.projectName}` : `the organization ${ctx?.organizationName ?? ''}`,
  rescan: () => scan(scope),
});
const exportButtons = (['csv', 'json', 'markdown'] as const).map((f) =>
  h(
    'button',
    { type: 'button', 'data-export': f, onclick: () => exportAs(f) },
    `Export ${f === 'markdown' ? 'Markdown' : f.toUpperCase()}`,
  ),
);

function header(): HTMLElement {
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

function tabs(): HTMLElement {
  const inventoryTab = h(
    'button',
    { type: 'button', role: 'tab', id: 'tab-inventory', 'aria-selected': 'true', 'aria-controls': 'view-inventory' },
    'Inventory',
  );
  // Conversions (issue 6) fill the history view.
  const historyTab = h(
    'button',
    { type: 'button', role: 'tab', id: 'tab-history', 'aria-selected': 'false', 'aria-controls': 'view-history', tabindex: -1 },
    'History',
  );
  const list = h('div', { role: 'tablist', 'aria-label': 'Panel views', class: 'tabs' }, inventoryTab, historyTab);
  const select = (tab: HTMLElement) => {
    for (const t of [inventoryTab, historyTab]) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')!)!.hidden = !on;
    }
    tab.focus();
    if (tab === historyTab && ctx) void renderHistory(document.getElementById('view-history')!, ctx.organizationName, () => tabId);
  };
  inventoryTab.addEventListener('click', () => select(inventoryTab));
  historyTab.addEventListener('click', () => select(historyTab));
  list.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') select(document.activeElement === inventoryTab ? historyTab : inventoryTab);
  });
  return list;
}

function build(): void {
  cancelButton.addEventListener('click', () => send({ type: 'cancel' }));
  scanProjectButton.addEventListener('click', () => scan('project'));
  scanOrgButton.addEventListener('click', () => scan('organization'));
  search.addEventListener('input', () => render());
  filter.addEventListener('change', () => render());
  headRow.append(h('th', { scope: 'col', class: 'pick' }, h('span', { class: 'visually-hidden' }, 'Select')));
  for (const [key, col] of Object.entries(COLUMNS)) {
    const button = h('button', { type: 'button', class: 'sort', 'data-sort': key }, col.title);
    button.addEventListener('click', () => {
      if (sortKey === key) sortDir = sortDir === 1 ? -1 : 1;
      else {
        sortKey = key as keyof typeof COLUMNS;
        sortDir = 1;
      }
      render();
    });
    headRow.append(h('th', { scope: 'col', 'data-col': key }, button));
  }
  app.replaceChildren(
    header(),
    tabs(),
    h(
      'div',
      { id: 'view-inventory', role: 'tabpanel', 'aria-labelledby': 'tab-inventory' },
      h('div', { class: 'toolbar' }, ctx?.projectName ? scanProjectButton : null, scanOrgButton, cancelButton),
      initUsage({
        apiBase: ctx?.apiBase ?? null,
        rows: () => rows.values(),
        shown: visibleRows,
        picked: () => [...picked],
        changed: redrawAll,
      }),
      progressBox,
      statusLine,
      alertBox,
      secretsNotice,
      h(
        'div',
        { class: 'filters' },
        h('label', { for: 'search' }, 'Search'),
        search,
        h('label', { for: 'filter' }, 'Show'),
        filter,
        h('span', { class: 'exports', role: 'group', 'aria-label': 'Export the inventory' }, exportButtons),
      ),
      counts,
      ctx
        ? h(
            'div',
            { class: 'toolbar', role: 'group', 'aria-label': 'Convert' },
            convertSelectedButton,
            convertAllButton,
            pickedText,
            migration.button,
          )
        : null,
      bulkConvert,
      migration.element,
      h('div', { class: 'table-wrap' }, table),
      details,
    ),
    h(
      'div',
      { id: 'view-history', role: 'tabpanel', 'aria-labelledby': 'tab-history', hidden: true, 'data-federate-slot': 'history' },
      h('p', {}, 'Conversions and reverts made from Federate will be listed here.'),
    ),
  );
  // The plan-starting buttons work once seen for a moment, like the plan's own Confirm.
  if (ctx) {
    armWhenSeen(convertSelectedButton, { enabled: convertSelectedWanted });
    armWhenSeen(convertAllButton, { enabled: () => convertAllWanted });
  }
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.defaultPrevented) close();
  });
}

function visibleRows(): Row[] {
  const q = search.value.trim().toLowerCase();
  const f = FILTERS[filter.value] ?? FILTERS.all!;
  const out = [...rows.values()].filter(
    (r) => f.test(r.verdict) && (!q || Object.values(COLUMNS).some((c) => c.value(r).toLowerCase().includes(q))),
  );
  const col = COLUMNS[sortKey];
  const key = 'sort' in col ? col.sort : col.value;
  return out.sort((a, b) => sortDir * key(a).localeCompare(key(b), undefined, { sensitivity: 'base', numeric: true }));
}

/** The client's wait in words, while it lasts: "Throttled by Azure DevOps: waiting 12 s…". */
function waitText(): string | null {
  if (!wait || status !== 'running') return null;
  const left = Math.ceil((wait.until - Date.now()) / 1000);
  if (left <= 0) return null;
  const throttled = wait.reason !== 'backoff' || wait.status === 429;
  if (throttled) {
    const why =
      wait.reason === 'retryAfter'
        ? 'it asked to retry after'
        : wait.reason === 'rateLimitDelay'
          ? 'its usage budget is spent'
          : 'too many requests';
    return `Throttled by Azure DevOps: waiting ${left} s (${why}); the scan continues by itself.`;
  }
  return `Azure DevOps ${wait.status ? `answered ${wait.status}` : 'did not answer'}: retrying in ${left} s.`;
}

function statusText(): string {
  switch (status) {
    case 'idle':
      return ctx ? 'Choose what to scan.' : 'Open the panel from an Azure DevOps page.';
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
        : `Scan finished: ${rows.size} connections.`;
  }
}

function renderAlert(): void {
  alertBox.replaceChildren();
  alertBox.hidden = !error;
  if (!error) return;
  const d = describeError(error);
  alertBox.dataset.kind = error.kind;
  alertBox.append(h('strong', {}, d.title), ' ', d.advice);
  if (error.message && error.kind !== 'cancelled') alertBox.append(h('p', { class: 'detail' }, error.message));
  if (error.kind === 'signedOut' && ctx) {
    alertBox.append(
      h('a', { href: `${ctx.apiBase}/`, target: '_blank', rel: 'noopener', class: 'button', id: 'sign-in' }, 'Sign in to Azure DevOps'),
    );
  }
  alertBox.append(h('button', { type: 'button', id: 'retry', onclick: () => scan(scope) }, 'Retry'));
}

function render(): void {
  const running = status === 'running';
  cancelButton.disabled = !running;
  scanProjectButton.disabled = running;
  scanOrgButton.disabled = running;
  progressBox.hidden = !(scope === 'organization' && (running || progress.total > 0));
  progressBar.max = Math.max(progress.total, 1);
  progressBar.value = progress.done;
  progressText.textContent = progress.total
    ? `${progress.done} of ${progress.total} projects${progress.project && running ? ` (last: ${progress.project})` : ''}`
    : running
      ? 'Listing projects…'
      : '';
  ROOT.dataset.federateProgress = `${progress.done}/${progress.total}`;
  const waiting = waitText();
  if (waiting && wait) {
    ROOT.dataset.federateWaiting = wait.reason !== 'backoff' || wait.status === 429 ? 'throttled' : 'retrying';
  } else {
    delete ROOT.dataset.federateWaiting;
    wait = null;
    window.clearInterval(waitTimer);
    waitTimer = 0;
  }
  statusLine.textContent = waiting ?? statusText();
  secretsNotice.hidden = secretValuesDropped === 0;
  secretsNotice.textContent = secretValuesDropped
    ? `Azure DevOps returned ${secretValuesDropped} secret ${secretValuesDropped === 1 ? 'value' : 'values'} (it should return none); Federate dropped ${secretValuesDropped === 1 ? 'it' : 'them'} and shows, stores and exports none.`
    : '';
  statusLine.dataset.waiting = waiting ? 'true' : 'false';
  renderAlert();

  const shown = visibleRows();
  // The engine counts once it has loaded (the first render comes before).
  const summary = engineLoaded ? engineSummary([...rows.values()].map((r) => r.verdict)) : null;
  const count = (key: string) => summary?.parts.find((p) => p.key === key)?.count ?? 0;
  counts.textContent = summary ? `Showing ${shown.length} of ${summary.line}` : '';
  ROOT.dataset.federateRows = String(shown.length);
  ROOT.dataset.federateTotal = String(count('total'));
  for (const th of headRow.children) {
    const key = (th as HTMLElement).dataset.col;
    if (!key) continue;
    th.setAttribute('aria-sort', key === sortKey ? (sortDir === 1 ? 'ascending' : 'descending') : 'none');
  }
  // The rows are drawn anew: focus on a row's control goes back to the same control.
  const active = document.activeElement as HTMLElement | null;
  const focusKey = active && tbody.contains(active) ? (active.dataset.open ? 'open' : active.dataset.pick ? 'pick' : null) : null;
  const focusedId = focusKey && active ? active.dataset[focusKey] : undefined;
  tbody.replaceChildren(
    ...shown.map((r) => {
      const id = r.verdict.id ?? '';
      const cells = Object.entries(COLUMNS).map(([key, col]) =>
        key === 'name'
          ? h(
              'th',
              { scope: 'row' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'link',
                  'data-open': id,
                  'aria-expanded': String(selected === id),
                  onclick: () => showDetails(id),
                },
                col.value(r) || '(no name)',
              ),
            )
          : h('td', { 'data-col': key }, col.value(r)),
      );
      const pick = h('input', {
        type: 'checkbox',
        'data-pick': id,
        checked: picked.has(id),
        'aria-label': `Select ${r.verdict.name ?? id}`,
        onchange: (e: Event) => {
          if ((e.currentTarget as HTMLInputElement).checked) picked.add(id);
          else picked.delete(id);
          renderPicked();
        },
      });
      return h(
        'tr',
        { 'data-federate-id': id, 'data-credential': r.verdict.credential, class: selected === id ? 'selected' : '' },
        h('td', { class: 'pick' }, pick),
        cells,
      );
    }),
  );
  if (focusKey && focusedId !== undefined) tbody.querySelector<HTMLElement>(`[data-${focusKey}="${CSS.escape(focusedId)}"]`)?.focus();
  for (const b of exportButtons) b.disabled = rows.size === 0;
  convertAllWanted = !running && count('convertible') > 0;
  convertAllButton.disabled = !convertAllWanted || !isArmed(convertAllButton);
  renderPicked();
}

let engineLoaded = false;
/** The engine's summary of the inventory, asked again only when its verdicts change (render runs on every keystroke). */
let lastSummary: { verdicts: Verdict[]; summary: ReturnType<typeof inventorySummary> } | null = null;
function engineSummary(verdicts: Verdict[]): ReturnType<typeof inventorySummary> {
  const last = lastSummary;
  if (last && last.verdicts.length === verdicts.length && last.verdicts.every((v, i) => v === verdicts[i])) return last.summary;
  const summary = inventorySummary(verdicts);
  lastSummary = { verdicts, summary };
  return summary;
}

function renderPicked(): void {
  for (const id of picked) if (!rows.has(id)) picked.delete(id);
  convertSelectedButton.disabled = !convertSelectedWanted() || !isArmed(convertSelectedButton);
  pickedText.textContent = picked.size ? `${picked.size} selected` : '';
}

// ---- conversions (the convert UI of ./convert.ts; the service worker runs the jobs)

function target(projectName: string | null): JobTarget | null {
  if (!ctx || tabId === null) return null;
  return { organizationName: ctx.organizationName, apiBase: ctx.apiBase, projectName, tabId };
}

/** Plan, confirm and run in `container`; the plan view starts the job and follows it. */
function planInto(
  container: HTMLElement,
  projectName: string | null,
  direction: Direction,
  ids: string[] | null,
  allowManual: boolean,
  groups: PlanGroup[] | null = null,
): void {
  const t = target(projectName);
  // One plan on screen at a time (the plan view uses fixed element ids).
  for (const other of document.querySelectorAll<HTMLElement>('[data-federate-convert]')) if (other !== container) other.replaceChildren();
  container.hidden = false;
  if (!t) {
    container.replaceChildren(
      h('p', { role: 'alert' }, 'Open the panel from the Azure DevOps page of the project: its page sends the requests.'),
    );
    return;
  }
  void renderPlan(container, {
    target: t,
    direction,
    selected: ids,
    allowManual,
    groups,
    onStarted: (job) => renderJob(container, job.target.organizationName, job.id, () => tabId, organizationId()),
  }).then(() => {
    // Focus goes to the plan's dialog (read by screen readers), never to its confirming button.
    const dialog = container.querySelector<HTMLElement>('.convert-confirm');
    dialog?.setAttribute('tabindex', '-1');
    dialog?.focus();
  });
}

/** Bulk: the ticked connections (shared ones only this way), or every convertible one of the project or organization. */
function planBulk(ids: string[] | null): void {
  if (scope === 'organization') planInto(bulkConvert, null, 'convert', ids, false, organizationGroups(ids));
  else planInto(bulkConvert, ctx?.projectName ?? null, 'convert', ids, false);
}

/** The owning project (reference 0) of a row: its id, else its name, else where the scan saw it. */
function owningProject(r: Row): string | null {
  return r.verdict.owner?.projectId ?? r.verdict.owner?.projectName ?? r.seenIn[0] ?? null;
}

/**
 * The organization view's plan, by owning project: each group is read and planned from its
 * owner. Selected: the ticked ids, grouped. All: every project owning a connection whose
 * verdict there is convertible now (or a ticked one), planned whole (shared ones only when
 * ticked, which `also` carries).
 */
function organizationGroups(ids: string[] | null): PlanGroup[] {
  const groups = new Map<string, PlanGroup>();
  const group = (project: string) => {
    const key = project.toLowerCase();
    let g = groups.get(key);
    if (!g) {
      g = { project, selected: ids === null ? null : [], also: [] };
      groups.set(key, g);
    }
    return g;
  };
  if (ids !== null) {
    for (const id of ids) {
      const r = rows.get(id);
      const project = r && owningProject(r);
      if (project) group(project).selected!.push(r.verdict.id ?? id);
    }
    return [...groups.values()];
  }
  for (const r of rows.values()) {
    const project = owningProject(r);
    if (project && r.verdict.convertible.status === 'yes') group(project);
  }
  for (const id of picked) {
    const r = rows.get(id);
    const project = r && owningProject(r);
    if (project) group(project).also.push(r.verdict.id ?? id);
  }
  return [...groups.values()];
}

/** The organization id the verdicts were computed with (from any row), for the manual path's Entra form. */
function organizationId(): string | null {
  for (const r of rows.values()) if (r.organizationId) return r.organizationId;
  return null;
}

/** Each connection's convert area, kept across re-renders of its details so a running job stays on screen. */
const areas = new Map<string, HTMLElement>();

/** The Convert… / Revert… buttons of a connection's details, and the area they draw in. */
function convertActions(v: Verdict, project: string): HTMLElement[] {
  const id = v.id ?? '';
  const area = areas.get(id) ?? h('div', { class: 'convert-area', 'data-federate-convert': id });
  areas.set(id, area);
  const out: HTMLElement[] = [];
  const manual = v.convertible.status === 'manual';
  if (v.convertible.status === 'yes' || manual) {
    out.push(
      h(
        'button',
        { type: 'button', class: 'primary', 'data-action': 'convert', onclick: () => planInto(area, project, 'convert', [id], manual) },
        'Convert…',
      ),
    );
    armWhenSeen(out.at(-1) as HTMLButtonElement, { scroll: false });
    if (manual)
      out.push(
        h('p', { class: 'note' }, 'Needs manual steps: Azure DevOps may answer with the issuer and subject to add to the identity first.'),
      );
  }
  const left = v.credential === 'federated' && v.revertDeadline ? timeLeft(v.revertDeadline) : null;
  const t = target(project);
  if (v.credential === 'federated' && v.revertDeadline && !left && t) {
    // The window has passed: why it can no longer be reverted, and what to do instead.
    const why = h('div', { class: 'revert-state' });
    renderRevert(why, t, { id, name: v.name, revertDeadline: v.revertDeadline });
    out.push(why);
  }
  if (left) {
    out.push(
      h(
        'button',
        { type: 'button', 'data-action': 'revert', onclick: () => planInto(area, project, 'revert', [id], false) },
        `Revert… (${left})`,
      ),
    );
    armWhenSeen(out.at(-1) as HTMLButtonElement, { scroll: false });
  }
  return out.length ? [...out, area] : [];
}

/** The engine context of a row's connection, seen from `projectName` (its owner's id when known). */
function rowContext(page: PageContext, row: Row, projectName: string | null) {
  return {
    organizationName: page.organizationName,
    organizationId: row.organizationId,
    projectName,
    projectId: row.verdict.owner?.projectId ?? null,
    now: new Date().toISOString(),
  };
}

/** The usage part of the open details, replaced alone when usage arrives. */
let usageSection: HTMLElement | null = null;

function showDetails(id: string, focus = true): void {
  const row = rows.get(id);
  selected = id;
  if (!row || !ctx) return;
  const v = row.verdict;
  const project = v.owner?.projectName ?? row.seenIn[0] ?? ctx.projectName ?? '';
  const context = rowContext(ctx, row, project);
  const manual = manualPathView(v, row, context);
  const rem = row.endpoint && !manual ? remedies(row.endpoint, context) : {};
  const link = `${ctx.apiBase}/${encodeURIComponent(project)}/_settings/adminservices?resourceId=${encodeURIComponent(id)}`;
  usageSection = usageDetails(row);
  details.replaceChildren(
    ...[
      h('h2', { id: 'details-title' }, v.name ?? id),
      verdictView(v),
      usageSection,
      federationView(v),
      manual ?? remediesView(rem, 'details-remedy'),
      h(
        'div',
        { class: 'actions', 'data-federate-slot': 'actions' },
        ...convertActions(v, project),
        h('a', { href: link, target: '_top', class: 'button' }, 'Open in Azure DevOps'),
        h('button', { type: 'button', onclick: () => hideDetails() }, 'Close details'),
      ),
    ].filter((n): n is HTMLElement => n !== null),
  );
  details.hidden = false;
  details.dataset.federateId = id;
  render();
  if (focus) details.focus();
}

/**
 * The manual path in a connection's details, for a `manual` connection and a draft: the
 * engine's next step (what it waits for on its identity), then the issuer, subject and audience
 * to put on the identity (the engine's `expectedFederation`, the same box as a job's 400
 * answer) with the commands; null for other connections.
 */
function manualPathView(v: Verdict, row: Row, context: Record<string, unknown>): HTMLElement | null {
  const draft = v.state === 'draft';
  if (!row.endpoint || (!draft && v.convertible.status !== 'manual')) return null;
  const box = manualCredentialView(row.endpoint, context, 'details-manual');
  if (!box) return null;
  return h(
    'section',
    { class: 'manual-path', 'data-manual-path': v.id ?? '', 'aria-labelledby': 'manual-path-title' },
    h(
      'h3',
      { id: 'manual-path-title' },
      draft ? 'Finish the draft: the federated credential to add' : 'Manual path: the federated credential to add',
    ),
    v.nextStep ? h('p', { 'data-next-step': '' }, v.nextStep) : null,
    box,
  );
}

// ---- after a conversion or revert: the connections it changed, re-classified in place

/** Outcomes that come back with the connection as the service now has it. */
const CHANGED_OUTCOMES = new Set(['converted', 'reverted', 'failed']);
/** `job/item/outcome` already applied, so a job's many storage writes re-classify each once. */
const applied = new Set<string>();

/**
 * Re-classifies the connections a job changed, from the endpoint the service returned (the
 * PUT's answer, or the GET that polled it), so the table and details show the new verdict
 * without a rescan.
 */
function refreshFromJob(job: Job): void {
  if (!ctx) return;
  let changed = false;
  for (const item of job.items) {
    const key = `${job.id}/${item.id}/${item.outcome}`;
    if (item.status !== 'done' || !item.outcome || !CHANGED_OUTCOMES.has(item.outcome) || !item.endpoint || applied.has(key)) continue;
    applied.add(key);
    const id = item.id.toLowerCase();
    const row = rows.get(id);
    if (!row) continue;
    const v = row.verdict;
    const context = rowContext(ctx, row, v.owner?.projectName ?? row.seenIn[0] ?? ctx.projectName);
    const [fresh] = classify([item.endpoint], context, v.foundIn);
    if (!fresh) continue;
    row.verdict = fresh;
    row.endpoint = item.endpoint;
    changed = true;
  }
  if (!changed) return;
  ROOT.dataset.federateRefreshed = String(Number(ROOT.dataset.federateRefreshed ?? 0) + 1);
  if (selected && !details.hidden) showDetails(selected, false);
  else render();
}

chrome.storage.onChanged.addListener((changes, area) => {
  if (area !== 'local' || !ctx) return;
  const prefix = storageKeys.prefix(ctx.organizationName);
  for (const [key, change] of Object.entries(changes)) {
    if (key.startsWith(prefix) && key.includes('.job.') && change.newValue) refreshFromJob(change.newValue as Job);
  }
});

let focusDone = false;
/**
 * Opened from a card or a mark: show that connection's details, with focus on them. Nothing
 * is clicked for the user: the plan starts from their own click on Convert… or Revert….
 */
function openFocus(): void {
  if (focusDone || !focusId) return;
  focusDone = true;
  if (!rows.has(focusId)) return;
  showDetails(focusId);
}

/** New usage arrived for `ids`: redraws the table, and only the usage part of the open details when it is one of them. */
function redrawAll(ids: ReadonlySet<string>): void {
  render();
  const row = selected ? rows.get(selected) : undefined;
  if (!row || !selected || details.hidden || !ids.has(selected) || !usageSection?.isConnected) return;
  const next = usageDetails(row);
  usageSection.replaceWith(next);
  usageSection = next;
}

function hideDetails(): void {
  const id = selected;
  selected = null;
  details.hidden = true;
  render();
  if (id) tbody.querySelector<HTMLElement>(`button[data-open="${CSS.escape(id)}"]`)?.focus();
}

function exportAs(format: 'csv' | 'json' | 'markdown'): void {
  const verdicts = [...rows.values()].map((r) => r.verdict);
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
  ctx = opened.context;
  focusId = opened.connection?.toLowerCase() ?? null;
  ROOT.dataset.theme = opened.theme;
  ROOT.style.colorScheme = opened.theme;
  scope = ctx.projectName ? 'project' : 'organization';
  build();
  render();
  try {
    await loadEngine();
  } catch (err) {
    app.textContent = `The engine could not load: ${err instanceof Error ? err.message : String(err)}`;
    ROOT.dataset.federate = 'error';
    return;
  }
  engineLoaded = true;
  ROOT.dataset.federate = 'ready';
  if (ctx.projectName) scan('project');
  else render();
  search.focus();
}

void start();
