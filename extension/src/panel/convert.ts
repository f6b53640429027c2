// The conversion UI pieces, drawn in the panel (an extension page): plan view,
// confirmation, progress, revert, history. Each renders into a container the caller gives;
// text only (textContent), never HTML from the service. State comes from the job stored in
// chrome.storage.local: the view follows storage changes, so a closed and reopened panel
// shows the same job. Readiness attributes for tests: `data-convert-state` on the container.
import { h } from '../shared/dom.js';
import { remediesView } from '../shared/explain.js';
import { armWhenSeen } from './guard.js';
import { attachPreflight } from './preflight.js';
import {
  type Context,
  ConversionJob,
  csvTable,
  type EngineContext,
  type ExpectedFederation,
  expectedFederation,
  type ItemView,
  type JobRecord,
  type JobView,
  loadEngine,
  remedies,
  type ServiceEndpoint,
} from '../shared/engine.js';
import { ask } from '../shared/messages.js';
import {
  type Direction,
  type JobReply,
  type JobTarget,
  jobStorage,
  type Plan,
  type PlanGroup,
  type PlannedRequest,
  type StoredJobData,
} from '../shared/convert-types.js';
import { jobsFrom } from '../worker/jobstore.js';

/** A conversion command to the service worker: its reply's value, or a thrown error (shared/messages.ts `ask`). */
const send = ask;

function setState(container: HTMLElement, state: string): void {
  container.dataset.convertState = state;
}

function showError(container: HTMLElement, err: unknown, retry?: () => void): void {
  container.replaceChildren(
    h('p', { role: 'alert', class: 'convert-error' }, err instanceof Error ? err.message : String(err)),
    ...(retry ? [h('button', { type: 'button', onclick: retry }, 'Try again')] : []),
  );
  setState(container, 'error');
}

const when = (ms: number) => new Date(ms).toLocaleString();

/** "3 days 4 hours left", from an ISO deadline. */
export function timeLeft(deadline: string, now = Date.now()): string | null {
  const end = Date.parse(deadline);
  if (Number.isNaN(end) || end <= now) return null;
  const mins = Math.floor((end - now) / 60_000);
  const d = Math.floor(mins / 1440);
  const hrs = Math.floor((mins % 1440) / 60);
  const m = mins % 60;
  const parts =
    d > 0
      ? [`${d} day${d === 1 ? '' : 's'}`, `${hrs} hour${hrs === 1 ? '' : 's'}`]
      : hrs > 0
        ? [`${hrs} hour${hrs === 1 ? '' : 's'}`, `${m} min`]
        : [`${m} min`];
  return `${parts.join(' ')} left`;
}

// ---------------------------------------------------------------------------------------
// Confirmation texts

/** What a conversion changes, in the confirmation dialog. */
export function conversionExplanation(count: number): HTMLElement {
  const what = count === 1 ? 'this service connection' : `these ${count} service connections`;
  return h(
    'ul',
    { class: 'convert-explain' },
    h(
      'li',
      {},
      `Scheme: ${what} ${count === 1 ? 'moves' : 'move'} from a service principal with a secret or certificate (scheme ServicePrincipal) to workload identity federation (scheme WorkloadIdentityFederation).`,
    ),
    h(
      'li',
      {},
      'The secret: Azure DevOps stops using it. It keeps it only as recovery data for the revert window, then drops it. Nothing here reads or shows it.',
    ),
    h(
      'li',
      {},
      'Pipelines that use it keep working: the connection keeps its name, its id and its permissions; only how it signs in to Azure changes.',
    ),
    h(
      'li',
      {},
      "Revert: possible from the connection's card until the revert deadline Azure DevOps sets at conversion (usually 7 days later), shown when it is done.",
    ),
    h(
      'li',
      {},
      'Connections whose identity Azure DevOps cannot configure come back with the issuer and subject to add by hand, then "Try again".',
    ),
  );
}

/** What a revert changes. */
export function revertExplanation(deadline: string | null): HTMLElement {
  return h(
    'ul',
    { class: 'convert-explain' },
    h(
      'li',
      {},
      'Scheme: back from workload identity federation to the service principal with the secret it had before (scheme ServicePrincipal).',
    ),
    h('li', {}, 'The secret: Azure DevOps restores the one it kept as recovery data; it expires as it would have.'),
    h('li', {}, 'Pipelines that use it keep working with the restored secret.'),
    deadline ? h('li', {}, `Possible until ${new Date(deadline).toLocaleString()} (${timeLeft(deadline) ?? 'passed'}).`) : null,
  );
}

// ---------------------------------------------------------------------------------------
// Plan, confirm, start

/** Options of the plan view. */
export interface PlanOptions {
  target: JobTarget;
  direction: Direction;
  /** Ids the user selected, or null for "all convertible" (shared ones are never included then). */
  selected: string[] | null;
  allowManual?: boolean;
  /** Organization view (`target.projectName` null): the owning projects to plan, each from itself. */
  groups?: PlanGroup[] | null;
  concurrency?: number;
  /** Called with the job once it started (e.g. to switch the panel to its progress). */
  onStarted?: (job: JobReply) => void;
}

/** The plan's entries by owning project, in first-seen order (organization view). */
function byProject<T extends { project?: string | null; projectName?: string | null }>(entries: T[]): [string, string, T[]][] {
  const out = new Map<string, [string, string, T[]]>();
  for (const e of entries) {
    const key = (e.project ?? '').toLowerCase();
    const group = out.get(key) ?? [e.project ?? '', e.projectName ?? e.project ?? 'Unknown project', []];
    group[2].push(e);
    out.set(key, group);
  }
  return [...out.values()];
}

function planList(plan: Plan, perProject: boolean): HTMLElement {
  const sendItem = (p: Plan['send'][number]) => h('li', { 'data-id': p.id, 'data-project': p.project }, p.name ?? p.id);
  const skipItem = (s: Plan['skip'][number]) =>
    h(
      'li',
      { 'data-id': s.id, 'data-reason': s.reason, 'data-project': s.project ?? '' },
      `${s.name ?? s.id}: `,
      h('span', { class: 'reason' }, s.message),
    );
  // The organization view: what goes to each project (its own request path), then the skips by project.
  const listed = <T extends { project?: string | null; projectName?: string | null }>(entries: T[], item: (e: T) => HTMLElement) =>
    perProject
      ? byProject(entries).map(([project, name, items]) =>
          h(
            'li',
            { 'data-convert-project': project },
            h('span', { class: 'convert-project' }, `${name}: ${items.length}`),
            h('ul', {}, ...items.map(item)),
          ),
        )
      : entries.map(item);
  const sends = listed(plan.send, sendItem);
  const skips = listed(plan.skip, skipItem);
  const projects = byProject(plan.send).length;
  return h(
    'div',
    { class: 'convert-plan' },
    h('h3', {}, `Will be sent: ${plan.send.length}${perProject ? ` in ${projects} project${projects === 1 ? '' : 's'}` : ''}`),
    h('ul', { 'data-convert-plan': 'send' }, ...sends),
    h('h3', {}, `Skipped: ${plan.skip.length}`),
    h('ul', { 'data-convert-plan': 'skip' }, ...skips),
  );
}

function requestList(requests: PlannedRequest[]): HTMLElement {
  return h(
    'div',
    { class: 'convert-dry-run', 'data-convert-dry-run': String(requests.length) },
    h('h3', {}, `Dry run: ${requests.length} request(s), nothing sent`),
    ...requests.map((r) =>
      h('details', { 'data-id': r.id }, h('summary', {}, `${r.method} ${r.url}`), h('pre', { class: 'convert-body' }, r.body ?? '')),
    ),
  );
}

/**
 * The plan view: reads the connections, shows what will be sent and skipped (with reasons),
 * offers a dry run, then the confirmation; "Convert" starts the job and shows its progress.
 */
export async function renderPlan(container: HTMLElement, opts: PlanOptions): Promise<void> {
  const base = {
    target: opts.target,
    direction: opts.direction,
    selected: opts.selected,
    allowManual: opts.allowManual ?? false,
    groups: opts.groups ?? null,
  };
  setState(container, 'planning');
  container.replaceChildren(h('p', { role: 'status' }, 'Reading the service connections…'));
  let plan: Plan;
  let planId: string | null = null;
  try {
    const reply = await send({ type: 'convert.plan', ...base });
    plan = reply.plan;
    planId = reply.planId;
  } catch (err) {
    showError(container, err, () => void renderPlan(container, opts));
    return;
  }
  const verb = opts.direction === 'convert' ? 'Convert' : 'Revert';
  const dry = h('div', { class: 'convert-dry-run-slot' });
  // The pre-flight (panel/preflight.ts): the pipelines that use the planned connections, in the confirmation.
  const preflight = h('div', { class: 'convert-preflight-slot', 'aria-live': 'polite' });
  const concurrency = h('input', {
    type: 'number',
    min: '1',
    max: '8',
    value: String(opts.concurrency ?? 4),
    id: 'convert-concurrency',
  }) as HTMLInputElement;
  const dialog = h(
    'section',
    { class: 'convert-confirm', role: 'dialog', 'aria-labelledby': 'convert-confirm-title' },
    h('h3', { id: 'convert-confirm-title' }, `${verb} ${plan.send.length} service connection${plan.send.length === 1 ? '' : 's'}?`),
    opts.direction === 'convert' ? conversionExplanation(plan.send.length) : revertExplanation(null),
    plan.send.length > 1 ? h('label', {}, 'At most ', concurrency, ' at once') : null,
    h(
      'div',
      { class: 'convert-actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          'data-action': 'confirm',
          disabled: plan.send.length === 0,
          onclick: async (e: Event) => {
            (e.currentTarget as HTMLButtonElement).disabled = true;
            try {
              const n = Math.min(8, Math.max(1, Number(concurrency.value) || 4));
              const job = await send({ type: 'convert.start', ...base, concurrency: n, planId });
              // The caller follows the job itself when it asked to (with its tab and context).
              if (opts.onStarted) opts.onStarted(job);
              else renderJob(container, job.organizationName, job.jobId);
            } catch (err) {
              showError(container, err, () => void renderPlan(container, opts));
            }
          },
        },
        verb,
      ),
      h(
        'button',
        {
          type: 'button',
          'data-action': 'dry-run',
          onclick: async () => {
            dry.replaceChildren(h('p', { role: 'status' }, 'Building the requests…'));
            try {
              dry.replaceChildren(requestList((await send({ type: 'convert.dryRun', ...base })).requests));
            } catch (err) {
              dry.replaceChildren(h('p', { role: 'alert' }, err instanceof Error ? err.message : String(err)));
            }
          },
        },
        'Dry run (send nothing)',
      ),
    ),
    // Below the buttons: when it arrives it grows downward and never moves Convert under the pointer.
    opts.direction === 'convert' ? preflight : null,
  );
  container.replaceChildren(planList(plan, !!opts.groups), dialog, dry);
  // Clickjacking guard: Convert works once the dialog has been seen for a moment.
  const confirm = dialog.querySelector<HTMLButtonElement>('[data-action="confirm"]');
  if (confirm) armWhenSeen(confirm);
  setState(container, 'plan');
  if (opts.direction === 'convert') void attachPreflight(preflight, opts.target.apiBase, opts.target.tabId, plan.send);
}

// ---------------------------------------------------------------------------------------
// Progress: the engine's view of the job, drawn

/** The engine's view of a stored job: restored from its header and records, then freed. */
export function viewOf(stored: StoredJobData): JobView {
  const job = ConversionJob.restore(stored.header, stored.records);
  try {
    return job.view();
  } finally {
    job.free();
  }
}

/** A job as the panel reads it from storage (the keys worker/jobstore.ts writes), or null. */
async function readStored(org: string, jobId: string): Promise<StoredJobData | null> {
  const prefix = jobStorage.job(org, jobId);
  const local = chrome.storage.local as chrome.storage.LocalStorageArea & { getKeys?: () => Promise<string[]> };
  const keys = typeof local.getKeys === 'function' ? await local.getKeys() : Object.keys(await chrome.storage.local.get(null));
  const mine = keys.filter((k) => k.startsWith(prefix));
  if (mine.length === 0) return null;
  return jobsFrom(await chrome.storage.local.get(mine))[0] ?? null;
}

/**
 * The engine's live view of a job whose latest records could not be stored (the worker keeps
 * it in session storage while so), or null.
 */
async function readLive(org: string, jobId: string): Promise<JobView | null> {
  const key = jobStorage.live(org, jobId);
  try {
    return ((await chrome.storage.session.get(key))[key] as JobView | undefined) ?? null;
  } catch {
    return null;
  }
}

/** Where a job view finds a connection as last read (for the manual path's credential). */
export type EndpointOf = (id: string) => ServiceEndpoint | null;

function itemView(
  org: string,
  view: JobView,
  item: ItemView,
  tabId: () => number | null,
  organizationId: string | null,
  endpointOf: EndpointOf,
): HTMLElement {
  const li = h(
    'li',
    { 'data-convert-item': item.id, 'data-status': item.status, 'data-outcome': item.outcome ?? '', 'data-detail': item.detail ?? '' },
    h('strong', {}, item.name ?? item.id),
    ` · ${item.statusWord}`,
  );
  const message = item.message ? h('div', { class: 'convert-message' }, item.message) : null;
  if (item.outcome === 'manualRequired') {
    // The engine's sentence, then the federated credential to add, in place.
    const ep = endpointOf(item.id);
    const credential = ep ? manualCredentialView(ep, itemContext(org, organizationId), `manual-${item.id}`) : null;
    li.append(h('div', { class: 'convert-manual', 'data-convert-manual': item.id }, message, credential));
  } else if (message) li.append(message);
  if (item.issuer || item.subject) {
    li.append(h('div', {}, `Issuer: ${item.issuer ?? ''}`), h('div', {}, `Subject: ${item.subject ?? ''}`));
  }
  if (item.revertDeadline) {
    li.append(
      h(
        'div',
        { 'data-revert-deadline': item.revertDeadline },
        `Revert possible until ${new Date(item.revertDeadline).toLocaleString()} (${timeLeft(item.revertDeadline) ?? 'passed'})`,
      ),
    );
  }
  if (item.differences.length) {
    li.append(
      h(
        'ul',
        { class: 'convert-differences' },
        ...item.differences.map((d) => h('li', { 'data-field': d.field }, `${d.field}: planned ${d.planned}, now ${d.now}`)),
      ),
    );
  }
  if (item.canRetry) {
    li.append(
      h(
        'button',
        {
          type: 'button',
          'data-action': 'retry',
          onclick: () =>
            void send({ type: 'convert.retry', organizationName: org, jobId: view.id, endpointId: item.id, tabId: tabId() }).catch(
              (e: unknown) => alert(String(e)),
            ),
        },
        'Try again',
      ),
    );
  }
  return li;
}

/** The engine context of a job item: its organization (the engine reads the owning project from the endpoint). */
function itemContext(organizationName: string, organizationId: string | null): EngineContext {
  return { organizationName, organizationId, now: new Date().toISOString() };
}

/**
 * The federated credential a connection's identity needs, for any extension page (the job's
 * manual box, the panel's details of a manual connection or a draft): issuer, subject and
 * audience in both forms (`data-form`, `data-field` for tests) and the commands. `context` is
 * the engine's (organization name and id, owning project); null when the engine has nothing.
 */
export function manualCredentialView(endpoint: ServiceEndpoint, context: Context, idPrefix: string): HTMLElement | null {
  let expected: ExpectedFederation;
  try {
    expected = expectedFederation(endpoint, context);
  } catch {
    return null;
  }
  const forms = [
    expected.entra ? { label: 'Microsoft Entra issuer (the default for new connections)', form: 'entra', ...expected.entra } : null,
    { label: 'Azure DevOps issuer', form: 'azureDevOps', ...expected.azureDevOps },
  ].filter((f): f is NonNullable<typeof f> => f !== null && !!f.issuer && !!f.subject);
  const facts = (f: (typeof forms)[number]) =>
    h(
      'dl',
      { class: 'convert-manual-facts', 'data-form': f.form },
      h('dt', {}, 'Issuer'),
      h('dd', { 'data-field': 'issuer' }, f.issuer ?? ''),
      h('dt', {}, 'Subject'),
      h('dd', { 'data-field': 'subject' }, f.subject ?? ''),
      h('dt', {}, 'Audience'),
      h('dd', { 'data-field': 'audience' }, expected.audience),
    );
  return h(
    'div',
    { class: 'convert-manual-credential' },
    ...forms.flatMap((f, i) => [h('h4', {}, i === 0 ? f.label : `Or, with the ${f.label}`), facts(f)]),
    expected.missing.length ? h('p', { class: 'note' }, `Not known here: ${expected.missing.join(', ')}.`) : null,
    remediesView(remedies(endpoint, context), idPrefix),
  );
}

/** Each view container's abort controller: aborting it stops the view's listeners. */
const viewControllers = new WeakMap<HTMLElement, AbortController>();

/** Stops whatever view was drawn in `container` (its storage listener) and returns a fresh signal for the next. */
export function resetView(container: HTMLElement): AbortSignal {
  viewControllers.get(container)?.abort();
  const controller = new AbortController();
  viewControllers.set(container, controller);
  return controller.signal;
}

/** Options of the job view. */
export interface JobViewOptions {
  tabId?: () => number | null;
  organizationId?: string | null;
  endpointOf?: EndpointOf;
  /** Called with each view drawn (the panel refreshes the connections a job changed). */
  onView?: (view: JobView) => void;
}

/**
 * The progress view of a job: the engine's view (counts, summary, pause sentence, what the
 * user can do, each connection's outcome) of the stored job, drawn. Follows storage, so it
 * survives a closed panel and a reload; stops when `container` gets another view.
 */
export function renderJob(container: HTMLElement, org: string, jobId: string, opts: JobViewOptions = {}): void {
  const signal = resetView(container);
  const tabId = opts.tabId ?? (() => null);
  const endpointOf = opts.endpointOf ?? (() => null);
  const draw = ([stored, live]: [StoredJobData | null, JobView | null]) => {
    if (signal.aborted) return;
    if (!stored) {
      showError(container, new Error('This job is no longer in the history.'));
      return;
    }
    let view: JobView;
    try {
      // The worker's live view while its latest records are not stored (a storage-full pause).
      view = live ?? viewOf(stored);
    } catch (err) {
      showError(container, err);
      return;
    }
    const done = view.items.filter((i) => i.status === 'done').length;
    const total = view.items.length;
    const bar = h('progress', { max: String(Math.max(total, 1)), value: String(done), 'aria-label': 'Conversion progress' });
    const command = (type: 'convert.pause' | 'convert.cancel', label: string, action: string) =>
      h(
        'button',
        {
          type: 'button',
          'data-action': action,
          onclick: () => void send({ type, organizationName: org, jobId }).catch((e: unknown) => alert(String(e))),
        },
        label,
      );
    const actions = h('div', { class: 'convert-actions' });
    if (view.canPause) actions.append(command('convert.pause', 'Pause', 'pause'));
    if (view.canResume) {
      actions.append(
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            'data-action': 'resume',
            onclick: () =>
              void send({ type: 'convert.resume', organizationName: org, jobId, tabId: tabId() }).catch((e: unknown) => alert(String(e))),
          },
          'Resume',
        ),
      );
    }
    if (view.canCancel) actions.append(command('convert.cancel', 'Cancel', 'cancel'));
    container.replaceChildren(
      h('h3', {}, `${view.direction === 'convert' ? 'Conversion' : 'Revert'} · ${done} of ${total}`),
      bar,
      h(
        'p',
        { role: 'status', 'data-convert-job-state': view.state, 'data-pause': view.pause?.kind ?? '' },
        view.pause?.message ?? view.summary,
      ),
      h('p', { class: 'convert-counts' }, view.summary),
      actions,
      h(
        'ul',
        { class: 'convert-items' },
        ...view.items.map((i) => itemView(org, view, i, tabId, stored.organizationId ?? opts.organizationId ?? null, endpointOf)),
      ),
      ...(view.skipped.length
        ? [
            h(
              'details',
              {},
              h('summary', {}, `Skipped by the plan (${view.skipped.length})`),
              h(
                'ul',
                {},
                ...view.skipped.map((s) => h('li', { 'data-id': s.id, 'data-reason': s.reason }, `${s.name ?? s.id}: ${s.message}`)),
              ),
            ),
          ]
        : []),
    );
    // Resume and Try again send requests: the same guard as the plan's Convert.
    for (const b of container.querySelectorAll<HTMLButtonElement>('[data-action="resume"], [data-action="retry"]')) armWhenSeen(b);
    container.dataset.convertJob = view.id;
    setState(container, view.state);
    opts.onView?.(view);
  };
  // Redraws once per burst of writes (a job writes a chunk per step).
  let pending = false;
  const redraw = () => {
    if (pending || signal.aborted) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      void read().then(draw);
    }, 50);
  };
  const read = () => Promise.all([readStored(org, jobId), readLive(org, jobId)]);
  const prefix = jobStorage.job(org, jobId);
  const liveKey = jobStorage.live(org, jobId);
  const listener = (changes: Record<string, chrome.storage.StorageChange>, area: string) => {
    if (area === 'local' && Object.keys(changes).some((k) => k.startsWith(prefix))) redraw();
    if (area === 'session' && liveKey in changes) redraw();
  };
  chrome.storage.onChanged.addListener(listener);
  signal.addEventListener('abort', () => chrome.storage.onChanged.removeListener(listener), { once: true });
  void loadEngine()
    .catch(() => undefined)
    .then(read)
    .then(draw);
}

// ---------------------------------------------------------------------------------------
// Revert from the card

/** The revert part of a connection's card: time left and a button, or why it's too late. */
export function renderRevert(
  container: HTMLElement,
  target: JobTarget,
  connection: { id: string; name: string | null; revertDeadline: string | null },
): void {
  const left = connection.revertDeadline ? timeLeft(connection.revertDeadline) : null;
  if (!connection.revertDeadline || !left) {
    container.replaceChildren(
      h(
        'p',
        { 'data-revert': 'unavailable' },
        connection.revertDeadline
          ? `This conversion can no longer be reverted: the revert window ended on ${new Date(connection.revertDeadline).toLocaleString()}, and Azure DevOps has dropped the secret it kept as recovery data. To go back to a secret, create a new secret on the identity and edit the connection by hand.`
          : 'There is no revert deadline on this connection: it was not converted by Azure DevOps (or the window has passed), so it cannot be reverted.',
      ),
    );
    setState(container, 'revert-unavailable');
    return;
  }
  const revert = h(
    'button',
    {
      type: 'button',
      'data-action': 'revert',
      onclick: () => void renderPlan(container, { target, direction: 'revert', selected: [connection.id] }),
    },
    'Revert to the original scheme…',
  );
  container.replaceChildren(
    h('p', { 'data-revert': 'available' }, `Revert possible until ${new Date(connection.revertDeadline).toLocaleString()} (${left}).`),
    revert,
  );
  armWhenSeen(revert as HTMLButtonElement, { scroll: false });
  setState(container, 'revert-available');
}

// ---------------------------------------------------------------------------------------
// History and export

/** The journal as CSV: one row per record, the cells and quoting the engine's CSV rule. */
function journalCsv(jobs: StoredJobData[]): string {
  const rows: (string | number | null)[][] = [
    ['job', 'direction', 'time', 'record', 'connection', 'method', 'url', 'status', 'outcome', 'detail', 'message'],
  ];
  for (const j of jobs) {
    for (const r of j.records) {
      const item = 'item' in r ? j.header.items[r.item] : undefined;
      rows.push([
        j.header.id,
        j.header.direction,
        new Date(r.at).toISOString(),
        r.kind,
        item?.id ?? '',
        r.kind === 'sent' ? r.method : '',
        r.kind === 'sent' ? r.url : '',
        r.kind === 'outcome' && r.status !== null ? String(r.status) : '',
        r.kind === 'outcome' ? r.outcome : r.kind === 'paused' ? r.reason.kind : '',
        r.kind === 'outcome' ? r.detail : '',
        r.kind === 'outcome' ? (r.message ?? '') : r.kind === 'notRun' ? r.why : '',
      ]);
    }
  }
  return csvTable(rows);
}

/** The journal as exported: each job's confirmed plan (header) and its records, as stored. */
export function exportJournal(jobs: StoredJobData[], format: 'json' | 'csv'): string {
  if (format === 'csv') return journalCsv(jobs);
  return JSON.stringify(
    jobs.map((j) => ({ target: j.target, header: j.header, records: j.records })),
    null,
    2,
  );
}

function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name }) as HTMLAnchorElement;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function recordText(j: StoredJobData, r: JobRecord): string {
  const item = 'item' in r ? j.header.items[r.item] : undefined;
  const { kind, at, ...rest } = r;
  return [when(at), kind, item ? `${item.name ?? ''} ${item.id}`.trim() : '', JSON.stringify(rest)].filter((x) => x !== '').join(' · ');
}

/** The history of an organization's jobs, newest first, with the journal and an export. */
export async function renderHistory(container: HTMLElement, org: string, tabId: () => number | null = () => null): Promise<void> {
  const signal = resetView(container);
  setState(container, 'loading');
  let jobs: StoredJobData[];
  try {
    jobs = await send({ type: 'convert.jobs', organizationName: org });
    await loadEngine();
  } catch (err) {
    showError(container, err, () => void renderHistory(container, org, tabId));
    return;
  }
  if (signal.aborted) return;
  const detail = h('div', { class: 'convert-job-detail' });
  container.replaceChildren(
    h('h3', {}, `Conversion history of ${org}`),
    h(
      'div',
      { class: 'convert-actions' },
      h(
        'button',
        {
          type: 'button',
          'data-action': 'export-json',
          onclick: () => download(`federate-journal-${org}.json`, exportJournal(jobs, 'json'), 'application/json'),
        },
        'Export JSON',
      ),
      h(
        'button',
        {
          type: 'button',
          'data-action': 'export-csv',
          onclick: () => download(`federate-journal-${org}.csv`, exportJournal(jobs, 'csv'), 'text/csv'),
        },
        'Export CSV',
      ),
      // Frees browser storage (the storage-full pause asks for it): finished jobs only; a running
      // or paused job stays. Local history only: nothing is sent to Azure DevOps.
      h(
        'button',
        {
          type: 'button',
          'data-action': 'clear-finished',
          disabled: !jobs.some((j) => j.endedAt !== null),
          onclick: async () => {
            if (!window.confirm('Remove the finished jobs from History? Export it first to keep a copy.')) return;
            try {
              await send({ type: 'convert.clearFinished', organizationName: org });
            } catch (err) {
              showError(container, err, () => void renderHistory(container, org, tabId));
              return;
            }
            void renderHistory(container, org, tabId);
          },
        },
        'Clear finished jobs…',
      ),
    ),
    jobs.length === 0
      ? h('p', {}, 'No conversions yet.')
      : h(
          'ul',
          { class: 'convert-history' },
          ...[...jobs].reverse().map((j) => {
            let view: JobView | null = null;
            try {
              view = viewOf(j);
            } catch {
              view = null;
            }
            return h(
              'li',
              { 'data-job': j.header.id, 'data-state': view?.state ?? 'unreadable' },
              h(
                'button',
                { type: 'button', class: 'link', onclick: () => renderJob(detail, org, j.header.id, { tabId }) },
                `${when(j.header.createdAtMs)} · ${j.header.direction} · ${j.header.items.length} connection(s) · ${view?.state ?? 'unreadable'}${view ? ` · ${view.summary}` : ''}`,
              ),
              h(
                'details',
                {},
                h('summary', {}, `Journal (${j.records.length} records)`),
                h(
                  'ol',
                  { class: 'convert-journal' },
                  ...j.header.items.map((i) => h('li', { 'data-planned': i.id }, `planned · ${i.name ?? ''} ${i.id}`)),
                  ...j.records.map((r) => h('li', {}, recordText(j, r))),
                ),
              ),
            );
          }),
        ),
    detail,
  );
  setState(container, 'history');
}
