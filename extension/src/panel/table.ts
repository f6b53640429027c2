// The inventory table: columns, filters, search, sort, counts and the rows with their name
// button and pick box. Which rows show, in what order, is `visibleRows` (pure, tested in
// tests/node without a browser); the words in the cells are the engine's.
import { h } from '../shared/dom.js';
import { projectNames, type Verdict } from '../shared/model.js';
import type { PanelState, Row } from './state.js';

/** A column: its title, its text for a row, and (when it differs) what it sorts by. */
export interface Column {
  title: string;
  value: (r: Row) => string;
  sort?: (r: Row) => string;
}

/** A filter of the "Show" list. */
export interface Filter {
  title: string;
  test: (v: Verdict) => boolean;
}

/** The columns every inventory has (usage adds its own). */
export const BASE_COLUMNS: Record<string, Column> = {
  name: { title: 'Name', value: (r) => r.verdict.name ?? '' },
  projects: { title: 'Project(s)', value: (r) => [...new Set([...projectNames(r.verdict), ...r.seenIn])].join(', ') },
  type: { title: 'Type', value: (r) => r.verdict.type ?? '' },
  credential: { title: 'Credential', value: (r) => r.verdict.credentialWord },
  state: { title: 'State', value: (r) => r.verdict.stateWord },
  convertible: { title: 'Convertible', value: (r) => r.verdict.convertibleWord },
  issuer: { title: 'Issuer format', value: (r) => r.verdict.federation?.formatWord ?? '' },
};

/** The filters every inventory has (usage adds its own); each tests the engine's verdict. */
export const BASE_FILTERS: Record<string, Filter> = {
  all: { title: 'All connections', test: () => true },
  secrets: { title: 'Holds a secret', test: (v) => v.usesSecret === true },
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
};

/** What the user chose to see: a search text, a filter key, a sort. */
export interface TableView {
  query: string;
  filter: string;
  sort: { key: string; dir: 1 | -1 };
}

/**
 * The rows shown, in order: those the filter keeps (an unknown filter keeps all) whose text in
 * any column contains the query (case-insensitive), sorted by the sort column (its `sort` key
 * when it has one) in natural order, case-insensitive; an unknown sort key sorts by name.
 */
export function visibleRows(
  rows: Iterable<Row>,
  view: TableView,
  columns: Record<string, Column> = BASE_COLUMNS,
  filters: Record<string, Filter> = BASE_FILTERS,
): Row[] {
  const q = view.query.trim().toLowerCase();
  const f = filters[view.filter] ?? filters.all ?? BASE_FILTERS.all!;
  const out = [...rows].filter(
    (r) => f.test(r.verdict) && (!q || Object.values(columns).some((c) => c.value(r).toLowerCase().includes(q))),
  );
  const col = columns[view.sort.key] ?? columns.name ?? BASE_COLUMNS.name!;
  const key = col.sort ?? col.value;
  return out.sort((a, b) => view.sort.dir * key(a).localeCompare(key(b), undefined, { sensitivity: 'base', numeric: true }));
}

export interface TableOptions {
  columns: Record<string, Column>;
  filters: Record<string, Filter>;
  /** Redraws the panel (a search, a filter or a sort changed). */
  changed: () => void;
  /** The name button of a row: opens its details. */
  open: (id: string) => void;
  /** A pick box changed. */
  picked: () => void;
}

/** The table view: its controls and table, and `render(summary)` that redraws the rows. */
export function createTable(state: PanelState, options: TableOptions, signal: AbortSignal) {
  const { columns, filters } = options;
  const search = h('input', { type: 'search', id: 'search', placeholder: 'Name, type, project…', autocomplete: 'off' });
  const filter = h(
    'select',
    { id: 'filter' },
    Object.entries(filters).map(([k, f]) => h('option', { value: k }, f.title)),
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
  search.addEventListener('input', options.changed, { signal });
  filter.addEventListener('change', options.changed, { signal });
  headRow.append(h('th', { scope: 'col', class: 'pick' }, h('span', { class: 'visually-hidden' }, 'Select')));
  for (const [key, col] of Object.entries(columns)) {
    const button = h('button', { type: 'button', class: 'sort', 'data-sort': key }, col.title);
    button.addEventListener(
      'click',
      () => {
        state.sort = state.sort.key === key ? { key, dir: state.sort.dir === 1 ? -1 : 1 } : { key, dir: 1 };
        options.changed();
      },
      { signal },
    );
    headRow.append(h('th', { scope: 'col', 'data-col': key }, button));
  }

  const shown = () => visibleRows(state.rows.values(), { query: search.value, filter: filter.value, sort: state.sort }, columns, filters);

  /** Redraws the rows; `summary` is the engine's count line and total (null before it loads). */
  function render(summary: { line: string; total: number } | null): Row[] {
    const rows = shown();
    counts.textContent = summary ? `Showing ${rows.length} of ${summary.line}` : '';
    const root = document.documentElement;
    root.dataset.federateRows = String(rows.length);
    root.dataset.federateTotal = String(summary?.total ?? 0);
    for (const th of headRow.children) {
      const key = (th as HTMLElement).dataset.col;
      if (!key) continue;
      th.setAttribute('aria-sort', key === state.sort.key ? (state.sort.dir === 1 ? 'ascending' : 'descending') : 'none');
    }
    // The rows are drawn anew: focus on a row's control goes back to the same control.
    const active = document.activeElement as HTMLElement | null;
    const focusKey = active && tbody.contains(active) ? (active.dataset.open ? 'open' : active.dataset.pick ? 'pick' : null) : null;
    const focusedId = focusKey && active ? active.dataset[focusKey] : undefined;
    tbody.replaceChildren(
      ...rows.map((r) => {
        const id = r.verdict.id ?? '';
        const cells = Object.entries(columns).map(([key, col]) =>
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
                    'aria-expanded': String(state.selected === id),
                    onclick: () => options.open(id),
                  },
                  col.value(r) || '(no name)',
                ),
              )
            : h('td', { 'data-col': key }, col.value(r)),
        );
        const pick = h('input', {
          type: 'checkbox',
          'data-pick': id,
          checked: state.picked.has(id),
          'aria-label': `Select ${r.verdict.name ?? id}`,
          onchange: (e: Event) => {
            if ((e.currentTarget as HTMLInputElement).checked) state.picked.add(id);
            else state.picked.delete(id);
            options.picked();
          },
        });
        return h(
          'tr',
          { 'data-federate-id': id, 'data-credential': r.verdict.credential, class: state.selected === id ? 'selected' : '' },
          h('td', { class: 'pick' }, pick),
          cells,
        );
      }),
    );
    if (focusKey && focusedId !== undefined) tbody.querySelector<HTMLElement>(`[data-${focusKey}="${CSS.escape(focusedId)}"]`)?.focus();
    return rows;
  }

  /** Focus back on a row's name button (after its details close). */
  const focusRow = (id: string) => tbody.querySelector<HTMLElement>(`button[data-open="${CSS.escape(id)}"]`)?.focus();

  return { search, filter, counts, table, render, shown, focusRow };
}
