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
  csvTable,
  type EngineContext,
  type ExpectedFederation,
  expectedFederation,
  explainFederation,
  loadEngine,
  remedies,
  type ServiceEndpoint,
} from '../shared/engine.js';
import { ask } from '../shared/messages.js';
import {
  type Direction,
  type Job,
  type JobItem,
  type JobTarget,
  type JournalStep,
  type Plan,
  type PlanGroup,
  type PlannedRequest,
  storageKeys,
} from '../shared/convert-types.js';

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
  onStarted?: (job: Job) => void;
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
              else renderJob(container, job.target.organizationName, job.id);
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
// Progress

const OUTCOME_TEXT: Record<string, string> = {
  converted: 'Converted',
  reverted: 'Reverted',
  failed: 'Failed',
  needsManual: 'Needs a federated credential',
  alreadyFederated: 'Already federated',
  forbidden: 'No permission',
  inProgress: 'Busy: another operation is running',
  revertUnavailable: 'Can no longer be reverted',
  notFound: 'Not found',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
};

function itemView(job: Job, item: JobItem, tabId: () => number | null, organizationId: string | null): HTMLElement {
  const status =
    item.status === 'done'
      ? (OUTCOME_TEXT[item.outcome ?? ''] ?? item.outcome ?? 'Done')
      : item.status === 'skipped'
        ? 'Skipped'
        : item.status === 'running'
          ? 'Working…'
          : 'Waiting';
  const li = h(
    'li',
    { 'data-convert-item': item.id, 'data-status': item.status, 'data-outcome': item.outcome ?? '' },
    h('strong', {}, item.name ?? item.id),
    ` · ${status}`,
  );
  if (item.message) li.append(h('div', { class: 'convert-message' }, item.message));
  if (item.outcome === 'converted') {
    li.append(
      h('div', {}, `Issuer: ${item.issuer ?? '(not returned)'}`),
      h('div', {}, `Subject: ${item.subject ?? '(not returned)'}`),
      ...(item.revertDeadline
        ? [
            h(
              'div',
              { 'data-revert-deadline': item.revertDeadline },
              `Revert possible until ${new Date(item.revertDeadline).toLocaleString()} (${timeLeft(item.revertDeadline) ?? 'passed'})`,
            ),
          ]
        : []),
    );
  }
  if (item.outcome === 'needsManual') {
    li.append(manualPath(item, job.target.organizationName, organizationId ?? job.organizationId ?? null));
  }
  if (
    item.status === 'done' &&
    (item.outcome === 'needsManual' || item.outcome === 'inProgress' || item.outcome === 'failed') &&
    job.state !== 'running'
  ) {
    li.append(
      h(
        'button',
        {
          type: 'button',
          'data-action': 'retry',
          onclick: () =>
            void send({
              type: 'convert.retry',
              organizationName: job.target.organizationName,
              jobId: job.id,
              endpointId: item.id,
              tabId: tabId(),
            }).catch((e: unknown) => alert(String(e))),
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
 * The federated credential to add, in place: issuer, subject and audience from the engine
 * (`expectedFederation`; the Entra form when the organization id is known, then the Azure
 * DevOps form), and the commands (`federatedCredentialCommands`) with a format switch and copy.
 */
function manualCredential(item: JobItem, organizationName: string, organizationId: string | null): HTMLElement | null {
  if (!item.endpoint) return null;
  return manualCredentialView(item.endpoint, itemContext(organizationName, organizationId), `manual-${item.id}`);
}

/**
 * The federated credential a connection's identity needs, for any extension page (the job's
 * 400 box, the panel's details of a manual connection or a draft): issuer, subject and
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

/** The manual path of a 400 "could not be upgraded": what to put on the identity, then retry. */
function manualPath(item: JobItem, organizationName: string, organizationId: string | null): HTMLElement {
  // The identity as the engine reads it from the connection (application and tenant ids).
  const identity = item.endpoint ? explainFederation(item.endpoint, itemContext(organizationName, organizationId)).identity : null;
  const get = (k: 'applicationId' | 'tenantId') => identity?.[k] ?? null;
  const credential = manualCredential(item, organizationName, organizationId);
  if (credential) {
    return h(
      'div',
      { class: 'convert-manual', 'data-convert-manual': item.id },
      h(
        'p',
        {},
        `Azure DevOps could not configure the identity by itself, and the connection was not changed. Add this federated credential to the identity (application id ${get('applicationId') ?? 'unknown'}, tenant ${get('tenantId') ?? 'unknown'}), then choose "Try again".`,
      ),
      credential,
    );
  }
  return h(
    'div',
    { class: 'convert-manual', 'data-convert-manual': item.id },
    h(
      'p',
      {},
      'Azure DevOps could not configure the identity by itself, and the connection was not changed. Add a federated credential to the identity (application id ' +
        (get('applicationId') ?? 'unknown') +
        ', tenant ' +
        (get('tenantId') ?? 'unknown') +
        ') with:',
    ),
    h(
      'ul',
      {},
      h(
        'li',
        {},
        'Issuer, subject and audience: the ones Azure DevOps shows for this connection (its card lists them with ready-to-run commands).',
      ),
    ),
    h('p', {}, 'Then choose "Try again".'),
  );
}

const active = new WeakMap<HTMLElement, () => void>();

/**
 * The progress view of a job: progress bar, counts, pause, resume, cancel, and each
 * connection's outcome. Follows the stored job, so it survives a closed panel and a reload.
 */
export function renderJob(
  container: HTMLElement,
  org: string,
  jobId: string,
  tabId: () => number | null = () => null,
  organizationId: string | null = null,
): void {
  active.get(container)?.();
  const key = storageKeys.job(org, jobId);
  const draw = (job: Job | undefined) => {
    if (!job) {
      showError(container, new Error('This job is no longer in the history.'));
      return;
    }
    const done = job.items.filter((i) => i.status === 'done' || i.status === 'skipped').length;
    const total = job.items.length;
    const bar = h('progress', { max: String(Math.max(total, 1)), value: String(done), 'aria-label': 'Conversion progress' });
    const control = (type: 'convert.pause' | 'convert.cancel', label: string, action: string) =>
      h(
        'button',
        { type: 'button', 'data-action': action, onclick: () => void send({ type, organizationName: org, jobId }).catch(() => undefined) },
        label,
      );
    const actions = h('div', { class: 'convert-actions' });
    if (job.state === 'running') actions.append(control('convert.pause', 'Pause', 'pause'), control('convert.cancel', 'Cancel', 'cancel'));
    if (job.state === 'paused') {
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
        control('convert.cancel', 'Cancel', 'cancel'),
      );
    }
    const counts = new Map<string, number>();
    for (const i of job.items) if (i.status === 'done') counts.set(i.outcome ?? 'done', (counts.get(i.outcome ?? 'done') ?? 0) + 1);
    container.replaceChildren(
      h(
        'h3',
        {},
        `${job.direction === 'convert' ? 'Conversion' : 'Revert'} · ${done} of ${total}${job.skipped.length ? ` · ${job.skipped.length} skipped by the plan` : ''}`,
      ),
      bar,
      h(
        'p',
        { role: 'status', 'data-convert-job-state': job.state },
        job.state === 'paused'
          ? (job.pause?.message ?? 'Paused.')
          : job.state === 'done'
            ? 'Finished.'
            : job.state === 'cancelled'
              ? 'Cancelled.'
              : 'Running…',
      ),
      h('p', { class: 'convert-counts' }, [...counts].map(([k, n]) => `${OUTCOME_TEXT[k] ?? k}: ${n}`).join(' · ')),
      actions,
      h('ul', { class: 'convert-items' }, ...job.items.map((i) => itemView(job, i, tabId, organizationId))),
      ...(job.skipped.length
        ? [
            h(
              'details',
              {},
              h('summary', {}, `Skipped by the plan (${job.skipped.length})`),
              h(
                'ul',
                {},
                ...job.skipped.map((s) => h('li', { 'data-id': s.id, 'data-reason': s.reason }, `${s.name ?? s.id}: ${s.message}`)),
              ),
            ),
          ]
        : []),
    );
    // Resume and Try again send requests: the same guard as the plan's Convert.
    for (const b of container.querySelectorAll<HTMLButtonElement>('[data-action="resume"], [data-action="retry"]')) armWhenSeen(b);
    container.dataset.convertJob = job.id;
    setState(container, job.state);
  };
  const listener = (changes: Record<string, chrome.storage.StorageChange>, area: string) => {
    if (area === 'local' && key in changes) draw(changes[key].newValue as Job | undefined);
  };
  chrome.storage.onChanged.addListener(listener);
  active.set(container, () => chrome.storage.onChanged.removeListener(listener));
  // The engine (for the manual path's issuer, subject and commands) loads before the first draw.
  void loadEngine()
    .catch(() => undefined)
    .then(() => chrome.storage.local.get(key))
    .then((got) => draw(got[key] as Job | undefined));
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

/** The journal as CSV: the rows are the journal's, the cells and quoting the engine's CSV rule. */
function journalCsv(jobs: Job[]): string {
  const rows: (string | number | null)[][] = [
    ['job', 'direction', 'time', 'step', 'connection', 'method', 'url', 'status', 'result', 'message'],
  ];
  for (const j of jobs) {
    for (const s of j.journal)
      rows.push([
        j.id,
        j.direction,
        new Date(s.at).toISOString(),
        s.kind,
        s.endpointId ?? '',
        s.method ?? '',
        s.url ?? '',
        s.status === null ? '' : String(s.status),
        s.outcome ?? '',
        s.message ?? '',
      ]);
  }
  return csvTable(rows);
}

/** The journal as exported: jobs with their steps, without the stored endpoint copies. */
export function exportJournal(jobs: Job[], format: 'json' | 'csv'): string {
  if (format === 'csv') return journalCsv(jobs);
  const slim = jobs.map((j) => ({ ...j, items: j.items.map(({ endpoint: _endpoint, ...rest }) => rest) }));
  return JSON.stringify(slim, null, 2);
}

function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name }) as HTMLAnchorElement;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function stepText(s: JournalStep): string {
  return [
    when(s.at),
    s.kind,
    s.endpointId ?? '',
    s.method && s.url ? `${s.method} ${s.url}` : (s.method ?? ''),
    s.status ?? '',
    s.outcome ?? '',
    s.message ?? '',
  ]
    .filter((x) => x !== '')
    .join(' · ');
}

/** The history of an organization's jobs, newest first, with the journal and an export. */
export async function renderHistory(container: HTMLElement, org: string, tabId: () => number | null = () => null): Promise<void> {
  setState(container, 'loading');
  let jobs: Job[];
  try {
    jobs = await send({ type: 'convert.jobs', organizationName: org });
  } catch (err) {
    showError(container, err, () => void renderHistory(container, org, tabId));
    return;
  }
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
    ),
    jobs.length === 0
      ? h('p', {}, 'No conversions yet.')
      : h(
          'ul',
          { class: 'convert-history' },
          ...[...jobs]
            .reverse()
            .map((j) =>
              h(
                'li',
                { 'data-job': j.id, 'data-state': j.state },
                h(
                  'button',
                  { type: 'button', class: 'link', onclick: () => renderJob(detail, org, j.id, tabId) },
                  `${when(j.createdAt)} · ${j.direction} · ${j.items.length} connection(s) · ${j.state}`,
                ),
                h(
                  'details',
                  {},
                  h('summary', {}, `Journal (${j.journal.length} steps)`),
                  h('ol', { class: 'convert-journal' }, ...j.journal.map((s) => h('li', {}, stepText(s)))),
                ),
              ),
            ),
        ),
    detail,
  );
  setState(container, 'history');
}
