// Every selector the content script uses on Azure DevOps's markup, in one place, as ordered
// alternatives (first that matches wins). None is documented: each is a guess from the
// azure-devops-ui component library (see shared/reference/ado-page.md), so each degrades to
// the next, and the panel never depends on any of them.

/** Rows of the connections list, most specific first. */
export const ROWS = [
  '.bolt-table-row[data-row-index]',
  '.bolt-list-row[data-row-index]',
  '[role="row"][data-row-index]',
  '.bolt-table-row',
  '.bolt-list-row',
  '[role="row"]',
  'table tbody tr',
] as const;

/** Rows to skip: header, spacer and loading rows. */
export const NOT_A_ROW = '[data-row-index="-1"], .bolt-list-row-loading, .bolt-table-row-spacer, thead tr, [role="columnheader"]';

/** Regions whose content is never marked (dialogs, side panels, our own elements). */
export const NEVER_INSIDE = '[role="dialog"], [role="alertdialog"], .bolt-panel, .bolt-dialog-root, .federate-root';

/** A link that names a connection by `?resourceId=`. */
export const CONNECTION_LINK = 'a[href*="resourceId="]';

/** The name cell of a row, where the mark goes (last child). */
export const NAME_CELL = [
  '[data-column-id="name"]',
  '[aria-colindex="1"]',
  '.bolt-table-cell-content-with-inline-link',
  'td:first-child',
  '[role="gridcell"]:first-child',
  '[role="cell"]:first-child',
] as const;

/** Where the summary bar goes: before the first list container found. */
export const LIST_CONTAINER = ['.bolt-table-container', '.bolt-table', '[role="grid"]', '[role="table"]', '.bolt-list', 'table'] as const;

/** Where the single-connection card goes: first child of the first container found. */
export const PAGE_MAIN = ['.hub-content', '[role="main"]', 'main', '.bolt-page', 'body'] as const;

/** The first element matching one of the alternatives, in order. */
export function firstMatch(root: ParentNode, alternatives: readonly string[]): Element | null {
  for (const sel of alternatives) {
    const el = root.querySelector(sel);
    if (el) return el;
  }
  return null;
}

/** The rows of the first row alternative that finds any, minus non-rows and excluded regions. */
export function findRows(root: ParentNode = document): Element[] {
  for (const sel of ROWS) {
    const found = root.querySelectorAll(sel);
    if (found.length === 0) continue;
    // Rows share a few parents: test the excluded regions once per parent, not once per row.
    const excluded = new Map<Element | null, boolean>();
    const rows: Element[] = [];
    for (const r of found) {
      const parent = r.parentElement;
      let out = excluded.get(parent);
      if (out === undefined) {
        out = parent?.closest(NEVER_INSIDE) != null;
        excluded.set(parent, out);
      }
      if (!out && !r.matches(NOT_A_ROW) && !r.matches(NEVER_INSIDE)) rows.push(r);
    }
    if (rows.length > 0) return rows;
  }
  return [];
}
