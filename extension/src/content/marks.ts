// The marks on the connections list: one per row, found by the connection id in the row's
// links (or, failing that, by the row's exact name), stamped with the id, and replaced when
// a reused row starts showing another connection. Idempotent: a pass on an unchanged page
// changes nothing.
import { allReasons, tone, type Verdict } from '../model.js';
import { CONNECTION_LINK, findRows, NAME_CELL, NEVER_INSIDE } from './selectors.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DESCRIPTIONS_ID = 'federate-descriptions';

/** The verdicts of the page's project, indexed the two ways rows are recognized. */
export class VerdictIndex {
  readonly byId = new Map<string, Verdict>();
  /** Names that belong to exactly one connection (names are unique and trimmed, but be safe). */
  readonly byName = new Map<string, Verdict>();

  constructor(readonly verdicts: readonly Verdict[]) {
    const seen = new Map<string, number>();
    for (const v of verdicts) {
      if (v.id) this.byId.set(v.id, v);
      if (v.name) seen.set(v.name.trim(), (seen.get(v.name.trim()) ?? 0) + 1);
    }
    for (const v of verdicts) if (v.name && seen.get(v.name.trim()) === 1) this.byName.set(v.name.trim(), v);
  }
}

/** The `resourceId` a link points to, lowercased, when it is a GUID. */
export function resourceIdOf(a: Element): string | null {
  const href = a.getAttribute('href');
  if (!href) return null;
  try {
    const id = new URL(href, location.href).searchParams.get('resourceId')?.trim().toLowerCase() ?? '';
    return GUID.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** Text of an element without the text of our own elements. */
function pageText(el: Element): string {
  let text = '';
  for (const node of el.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) text += node.nodeValue ?? '';
    else if (node instanceof Element && !node.classList.contains('federate-mark')) text += pageText(node);
  }
  return text;
}

/** Finds the element of a row whose own text is exactly a connection's name. */
function nameElement(row: Element, index: VerdictIndex): { el: Element; verdict: Verdict } | null {
  for (const sel of NAME_CELL) {
    const cell = row.querySelector(sel);
    if (!cell) continue;
    const v = index.byName.get(pageText(cell).trim());
    if (v) return { el: cell, verdict: v };
  }
  // Any element whose text is exactly one name (deepest first is what the walker visits last).
  let found: { el: Element; verdict: Verdict } | null = null;
  const walker = document.createTreeWalker(row, NodeFilter.SHOW_ELEMENT, {
    acceptNode: (n) => ((n as Element).classList.contains('federate-mark') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n as Element;
    if (el.children.length > 3) continue;
    const v = index.byName.get(pageText(el).trim());
    if (v) found = { el, verdict: v };
  }
  return found;
}

/** Identifies a row: its connection and the element that should hold the mark. */
function identify(row: Element, index: VerdictIndex): { verdict: Verdict; host: Element } | null {
  const link = row.matches(CONNECTION_LINK) ? row : row.querySelector(CONNECTION_LINK);
  const id = link ? resourceIdOf(link) : null;
  if (id) {
    const verdict = index.byId.get(id);
    if (!verdict) return null;
    if (link !== row && link?.parentElement) return { verdict, host: link.parentElement };
    const cell = NAME_CELL.map((s) => row.querySelector(s)).find((c) => c !== null);
    return { verdict, host: cell ?? row };
  }
  const named = nameElement(row, index);
  if (!named) return null;
  // The mark goes at the end of the name's cell, not inside the page's text element.
  const cell = named.el.closest('td, [role="gridcell"], [role="cell"]');
  return { verdict: named.verdict, host: cell && row.contains(cell) ? cell : named.el };
}

/** The hidden descriptions marks point to with aria-describedby (one per verdict). */
let described: VerdictIndex | null = null;
export function ensureDescriptions(index: VerdictIndex): void {
  let box = document.getElementById(DESCRIPTIONS_ID);
  if (described === index && box?.isConnected) return;
  described = index;
  box?.remove();
  box = document.createElement('div');
  box.id = DESCRIPTIONS_ID;
  box.className = 'federate-root';
  box.hidden = true;
  for (const v of index.verdicts) {
    if (!v.id) continue;
    const d = document.createElement('div');
    d.id = `federate-desc-${v.id}`;
    d.textContent = describe(v);
    box.append(d);
  }
  document.documentElement.append(box);
}

/** The words behind a mark: its summary and reasons. */
export function describe(v: Verdict): string {
  const parts = [v.summary, ...allReasons(v).map((r) => r.message)].filter((s) => s && s.trim().length > 0);
  return parts.length > 0 ? parts.join(' ') : v.label;
}

function createMark(v: Verdict): HTMLElement {
  const mark = document.createElement('span');
  mark.className = 'federate-mark';
  mark.dataset.federateId = v.id ?? '';
  mark.dataset.federateCredential = v.credential;
  mark.dataset.federateState = v.state;
  mark.dataset.federateConvertible = v.convertible.status;
  mark.dataset.federateTone = tone(v);
  mark.tabIndex = 0;
  mark.setAttribute('role', 'note');
  mark.setAttribute('aria-label', `Federate: ${v.label}`);
  if (v.id) mark.setAttribute('aria-describedby', `federate-desc-${v.id}`);
  mark.textContent = v.label;
  return mark;
}

/**
 * One pass over the list: marks new rows, fixes reused rows, removes marks that no longer
 * match. Returns how many marks are on the page and how many rows were recognized.
 */
export function markRows(index: VerdictIndex): { marks: number; recognized: number } {
  const keep = new Set<Element>();
  const rows = findRows();
  const handled = new Set<Element>();
  const place = (row: Element, found: { verdict: Verdict; host: Element } | null) => {
    const existing = [...row.querySelectorAll<HTMLElement>('.federate-mark')];
    if (!found) return;
    const id = found.verdict.id ?? '';
    let mark = existing.find((m) => m.dataset.federateId === id && m.parentElement === found.host && m === found.host.lastElementChild);
    if (!mark) {
      mark = createMark(found.verdict);
      found.host.append(mark);
    }
    keep.add(mark);
  };
  for (const row of rows) {
    handled.add(row);
    place(row, identify(row, index));
  }
  // Links no row strategy covered (an unknown layout): the link's parent holds the mark.
  for (const link of document.querySelectorAll(CONNECTION_LINK)) {
    if (link.closest(NEVER_INSIDE) || insideAny(link, handled)) continue;
    const id = resourceIdOf(link);
    const verdict = id ? index.byId.get(id) : undefined;
    if (link.parentElement) place(link.parentElement, verdict ? { verdict, host: link.parentElement } : null);
  }
  let marks = 0;
  for (const m of document.querySelectorAll('.federate-mark')) {
    if (keep.has(m)) marks++;
    else m.remove();
  }
  return { marks, recognized: keep.size };
}

function insideAny(el: Element, set: Set<Element>): boolean {
  for (let e: Element | null = el; e; e = e.parentElement) if (set.has(e)) return true;
  return false;
}

/** Removes every mark (leaving the list page, or turned off). */
export function removeMarks(): void {
  for (const m of document.querySelectorAll('.federate-mark')) m.remove();
  document.getElementById(DESCRIPTIONS_ID)?.remove();
  described = null;
}
