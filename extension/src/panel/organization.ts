// The organization view: the organization scan's progress (projects done, the client's waits
// in words) and the organization-wide plan, grouped by owning project.
import type { PlanGroup } from '../shared/convert-types.js';
import { h } from '../shared/dom.js';
import type { PanelState, Row } from './state.js';

/** The project a row's scheme change goes to, as the engine decides it (owner, else where it was found). */
export function owningProject(r: Row): string | null {
  return r.verdict.owningProject;
}

/**
 * The organization view's plan, by owning project: each group is read and planned from its
 * owner. Selected: the ticked ids, grouped. All: every project owning a connection whose
 * verdict there is convertible now (or a ticked one), planned whole (shared ones only when
 * ticked, which `also` carries).
 */
export function organizationGroups(state: PanelState, ids: string[] | null): PlanGroup[] {
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
      const r = state.rows.get(id);
      const project = r && owningProject(r);
      if (project) group(project).selected?.push(r.verdict.id ?? id);
    }
    return [...groups.values()];
  }
  for (const r of state.rows.values()) {
    const project = owningProject(r);
    if (project && r.verdict.convertible.status === 'yes') group(project);
  }
  for (const id of state.picked) {
    const r = state.rows.get(id);
    const project = r && owningProject(r);
    if (project) group(project).also.push(r.verdict.id ?? id);
  }
  return [...groups.values()];
}

/** The client's wait in words, while it lasts: "Throttled by Azure DevOps: waiting 12 s…". */
export function waitText(state: PanelState, now = Date.now()): string | null {
  const { wait } = state;
  if (!wait || state.status !== 'running') return null;
  const left = Math.ceil((wait.until - now) / 1000);
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

/** The organization scan's progress bar; `render()` follows the state. */
export function createProgress(state: PanelState) {
  const bar = h('progress', { id: 'progress', max: 1, value: 0, 'aria-label': 'Projects scanned' });
  const text = h('span', { id: 'progress-text' });
  const element = h('div', { class: 'progress', hidden: true }, bar, text);
  function render(): void {
    const { progress } = state;
    const running = state.status === 'running';
    element.hidden = !(state.scope === 'organization' && (running || progress.total > 0));
    bar.max = Math.max(progress.total, 1);
    bar.value = progress.done;
    text.textContent = progress.total
      ? `${progress.done} of ${progress.total} projects${progress.project && running ? ` (last: ${progress.project})` : ''}`
      : running
        ? 'Listing projects…'
        : '';
    document.documentElement.dataset.federateProgress = `${progress.done}/${progress.total}`;
  }
  return { element, render };
}
