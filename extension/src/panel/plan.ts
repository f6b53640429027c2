// The plan and its confirmation, and the progress of the job it starts, in the panel: the
// bulk buttons ("Convert selected…", "Convert all convertible…"), a connection's Convert… /
// Revert…, and where each draws. The plan, confirmation and progress themselves are drawn by
// ./convert.ts; the service worker runs the jobs.
import type { Direction, JobTarget, PlanGroup } from '../shared/convert-types.js';
import type { JobView } from '../shared/engine.js';
import { h } from '../shared/dom.js';
import type { Verdict } from '../shared/model.js';
import { renderJob, renderPlan, renderRevert, resetView, timeLeft } from './convert.js';
import { armWhenSeen, isArmed } from './guard.js';
import { organizationGroups } from './organization.js';
import { organizationId, type PanelState } from './state.js';

/** The plan view: the bulk toolbar and area, and each connection's convert actions. */
export function createPlan(state: PanelState, onJobView: (org: string, view: JobView) => void = () => undefined) {
  /** Each connection's convert area, kept across re-renders of its details so a running job stays on screen. */
  const areas = new Map<string, HTMLElement>();
  const bulkConvert = h('div', { id: 'bulk-convert', class: 'bulk-convert', 'data-federate-convert': 'bulk', hidden: true });
  const convertSelectedButton = h(
    'button',
    { type: 'button', id: 'convert-selected', onclick: () => planBulk([...state.picked]) },
    'Convert selected…',
  );
  const convertAllButton = h('button', { type: 'button', id: 'convert-all', onclick: () => planBulk(null) }, 'Convert all convertible…');
  const pickedText = h('span', { id: 'picked', 'aria-live': 'polite' });
  /** Whether the view wants "Convert all convertible…" enabled (the guard arms it besides). */
  let convertAllWanted = false;
  const convertSelectedWanted = () => state.status !== 'running' && state.picked.size > 0;

  function target(projectName: string | null): JobTarget | null {
    const { ctx, tabId } = state;
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
    // Each cleared view's listeners stop with it (its abort signal), so a job view left behind
    // never redraws next to the new plan.
    for (const other of document.querySelectorAll<HTMLElement>('[data-federate-convert]')) {
      if (other === container) continue;
      resetView(other);
      other.replaceChildren();
    }
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
      onStarted: (job) =>
        renderJob(container, job.organizationName, job.jobId, {
          tabId: () => state.tabId,
          organizationId: organizationId(state),
          endpointOf: (id) => state.rows.get(id.toLowerCase())?.endpoint ?? null,
          onView: (view) => onJobView(job.organizationName, view),
        }),
    }).then(() => {
      // Focus goes to the plan's dialog (read by screen readers), never to its confirming button.
      const dialog = container.querySelector<HTMLElement>('.convert-confirm');
      dialog?.setAttribute('tabindex', '-1');
      dialog?.focus();
    });
  }

  /** Bulk: the ticked connections (shared ones only this way), or every convertible one of the project or organization. */
  function planBulk(ids: string[] | null): void {
    if (state.scope === 'organization') planInto(bulkConvert, null, 'convert', ids, false, organizationGroups(state, ids));
    else planInto(bulkConvert, state.ctx?.projectName ?? null, 'convert', ids, false);
  }

  /** The Convert… / Revert… buttons of a connection's details, and the area they draw in. */
  function convertActions(v: Verdict, project: string): HTMLElement[] {
    const id = v.id ?? '';
    const area = areas.get(id) ?? h('div', { class: 'convert-area', 'data-federate-convert': id });
    areas.set(id, area);
    const out: HTMLElement[] = [];
    const manual = v.convertible.status === 'manual';
    if (v.convertible.status === 'yes' || manual) {
      // The engine's word for the button: Convert, or Try again after a failed conversion.
      out.push(
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            'data-action': 'convert',
            'data-word': v.action ?? 'convert',
            onclick: () => planInto(area, project, 'convert', [id], manual),
          },
          v.action === 'tryAgain' ? 'Try again…' : 'Convert…',
        ),
      );
      armWhenSeen(out.at(-1) as HTMLButtonElement, { scroll: false });
      if (manual)
        out.push(
          h(
            'p',
            { class: 'note' },
            'Needs manual steps: Azure DevOps may answer with the issuer and subject to add to the identity first.',
          ),
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

  /** The bulk toolbar (null outside an Azure DevOps page), armed once seen like the plan's own Confirm. */
  function toolbar(extra: HTMLElement): HTMLElement | null {
    if (!state.ctx) return null;
    return h(
      'div',
      { class: 'toolbar', role: 'group', 'aria-label': 'Convert' },
      convertSelectedButton,
      convertAllButton,
      pickedText,
      extra,
    );
  }

  function arm(): void {
    if (!state.ctx) return;
    armWhenSeen(convertSelectedButton, { enabled: convertSelectedWanted });
    armWhenSeen(convertAllButton, { enabled: () => convertAllWanted });
  }

  function renderPicked(): void {
    for (const id of state.picked) if (!state.rows.has(id)) state.picked.delete(id);
    convertSelectedButton.disabled = !convertSelectedWanted() || !isArmed(convertSelectedButton);
    pickedText.textContent = state.picked.size ? `${state.picked.size} selected` : '';
  }

  /** Redraws the bulk buttons; `convertible` is the engine's count of connections convertible now. */
  function render(convertible: number): void {
    convertAllWanted = state.status !== 'running' && convertible > 0;
    convertAllButton.disabled = !convertAllWanted || !isArmed(convertAllButton);
    renderPicked();
  }

  return { bulkConvert, toolbar, arm, render, renderPicked, convertActions, target };
}
