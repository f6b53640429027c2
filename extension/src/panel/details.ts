// A connection's details: the engine's verdict and federation explained, its usage, the
// manual path or the remedies, and its Convert… / Revert… actions. After a job changed a
// connection, its row and details show the engine's new verdict without a rescan.
import { classifyEndpoints, type Remedies, remedies } from '../shared/engine.js';
import { federationView, remediesView, verdictView } from '../shared/explain.js';
import { h } from '../shared/dom.js';
import type { JobView } from '../shared/engine.js';
import { ask } from '../shared/messages.js';
import type { PageContext } from '../shared/messages.js';
import type { Context, Verdict } from '../shared/model.js';
import { manualCredentialView } from './convert.js';
import type { PanelState, Row } from './state.js';
import { usageDetails } from './usage.js';

/** The engine context of a row: its organization, and the project its verdict was read from. */
function rowContext(page: PageContext, row: Row) {
  return {
    organizationName: page.organizationName,
    organizationId: row.organizationId,
    projectName: row.verdict.foundIn?.projectName ?? null,
    projectId: row.verdict.foundIn?.projectId ?? null,
    now: new Date().toISOString(),
  };
}

/** No remedy (a manual path or no endpoint to build one from). */
const NO_REMEDIES: Remedies = { remedies: [], reason: null };

/**
 * The manual path in a connection's details, for a `manual` connection and a draft: the
 * engine's next step (what it waits for on its identity), then the issuer, subject and audience
 * to put on the identity (the engine's `expectedFederation`, the same box as a job's 400
 * answer) with the commands; null for other connections.
 */
function manualPathView(v: Verdict, row: Row, context: Context): HTMLElement | null {
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

export interface DetailsOptions {
  /** A connection's Convert… / Revert… actions (plan.ts). */
  convertActions: (v: Verdict, project: string) => HTMLElement[];
  /** Redraws the panel. */
  changed: () => void;
  /** Focus back on a row (after the details close). */
  focusRow: (id: string) => void;
}

/** The details view: `show(id)`, `hide()`, `usageArrived(ids)`, `refreshFromJob(job)`. */
export function createDetails(state: PanelState, options: DetailsOptions) {
  const element = h('section', { id: 'details', class: 'details', 'aria-labelledby': 'details-title', hidden: true, tabindex: -1 });
  /** The usage part of the open details, replaced alone when usage arrives. */
  let usageSection: HTMLElement | null = null;
  /** `job/item/outcome` already applied, so a job's many storage writes re-classify each once. */
  const applied = new Set<string>();

  function show(id: string, focus = true): void {
    const row = state.rows.get(id);
    state.selected = id;
    const { ctx } = state;
    if (!row || !ctx) return;
    const v = row.verdict;
    const project = v.owner?.projectName ?? row.seenIn[0] ?? ctx.projectName ?? '';
    const context = rowContext(ctx, row);
    const manual = manualPathView(v, row, context);
    const rem = row.endpoint && !manual ? remedies(row.endpoint, context) : NO_REMEDIES;
    const link = `${ctx.apiBase}/${encodeURIComponent(project)}/_settings/adminservices?resourceId=${encodeURIComponent(id)}`;
    usageSection = usageDetails(row);
    element.replaceChildren(
      ...[
        h('h2', { id: 'details-title' }, v.name ?? id),
        verdictView(v),
        usageSection,
        federationView(v),
        manual ?? remediesView(rem, 'details-remedy'),
        h(
          'div',
          { class: 'actions', 'data-federate-slot': 'actions' },
          ...options.convertActions(v, project),
          h('a', { href: link, target: '_top', class: 'button' }, 'Open in Azure DevOps'),
          h('button', { type: 'button', onclick: () => hide() }, 'Close details'),
        ),
      ].filter((n): n is HTMLElement => n !== null),
    );
    element.hidden = false;
    element.dataset.federateId = id;
    options.changed();
    if (focus) element.focus();
  }

  function hide(): void {
    const id = state.selected;
    state.selected = null;
    element.hidden = true;
    options.changed();
    if (id) options.focusRow(id);
  }

  /** New usage arrived for `ids`: only the usage part of the open details is redrawn, when it is one of them. */
  function usageArrived(ids: ReadonlySet<string>): void {
    const { selected } = state;
    const row = selected ? state.rows.get(selected) : undefined;
    if (!row || !selected || element.hidden || !ids.has(selected) || !usageSection?.isConnected) return;
    const next = usageDetails(row);
    usageSection.replaceWith(next);
    usageSection = next;
  }

  /**
   * Re-classifies the connections a job changed, from the connection as Azure DevOps last
   * answered it in the job (the worker keeps that answer in memory), so the table and details
   * show the engine's new verdict without a rescan.
   */
  function refreshFromJob(org: string, view: JobView): void {
    const ids: string[] = [];
    for (const item of view.items) {
      const key = `${view.id}/${item.id}/${item.outcome}/${item.attempts}`;
      if (item.status !== 'done' || !item.refresh || applied.has(key)) continue;
      applied.add(key);
      if (state.rows.has(item.id.toLowerCase())) ids.push(item.id);
    }
    if (ids.length === 0) return;
    void ask({ type: 'convert.endpoints', organizationName: org, jobId: view.id, ids }).then(
      (endpoints) => {
        const { ctx } = state;
        if (!ctx) return;
        let changed = false;
        for (const endpoint of endpoints) {
          const row = state.rows.get(String(endpoint.id ?? '').toLowerCase());
          if (!row) continue;
          const [fresh] = classifyEndpoints([endpoint], rowContext(ctx, row));
          if (!fresh) continue;
          row.verdict = fresh;
          row.endpoint = endpoint;
          changed = true;
        }
        if (!changed) return;
        const root = document.documentElement;
        root.dataset.federateRefreshed = String(Number(root.dataset.federateRefreshed ?? 0) + 1);
        if (state.selected && !element.hidden) show(state.selected, false);
        else options.changed();
      },
      () => undefined,
    );
  }

  return { element, show, hide, usageArrived, refreshFromJob };
}
