// The marks on the connections list: one per row, found by the connection id in the row's
// links (or, failing that, by the row's exact name), stamped with the id, and replaced when
// a reused row starts showing another connection. Idempotent: a pass on an unchanged page
// changes nothing.
//
// Cheap on purpose (it runs on the page's main thread after every burst of mutations): each
// row remembers, in a WeakMap, what it showed when it was last identified (its link's href,
// or its text for rows without a link) and its mark; a row that still shows the same thing
// and still holds its mark costs a lookup. Reads first, then every write in one go; no layout
// is read here.
import { allReasons, tone, type Verdict } from '../shared/model.js';
import { CONNECTION_LINK, findRows, firstMatch, NAME_CELL, NEVER_INSIDE } from './selectors.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RESOURCE_ID = /[?&]resourceId=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:[&#]|$)/i;

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

/** href → resourceId, so a link is parsed once (bounded; cleared when it grows). */
const idByHref = new Map<string, string | null>();

/** The `resourceId` a link points to, lowercased, when it is a GUID. */
export function resourceIdOf(a: Element): string | null {
  const href = a.getAttribute('href');
  if (!href) return null;
  const cached = idByHref.get(href);
  if (cached !== undefined) return cached;
  let id: string | null = null;
  // The usual form, without a URL parse: ?resourceId=<guid> or &resourceId=<guid>.
  const quick = RESOURCE_ID.exec(href);
  if (quick?.[1]) id = quick[1].toLowerCase();
  else
    try {
      const raw = new URL(href, location.href).searchParams.get('resourceId')?.trim().toLowerCase() ?? '';
      id = GUID.test(raw) ? raw : null;
    } catch {
      id = null;
    }
  if (idByHref.size > 20_000) idByHref.clear();
  // Relative hrefs resolve against the page; they are only cached for absolute-path or full URLs.
  if (href.startsWith('/') || /^https?:/i.test(href)) idByHref.set(href, id);
  return id;
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
function identify(row: Element, link: Element | null, index: VerdictIndex): { verdict: Verdict; host: Element } | null {
  const id = link ? resourceIdOf(link) : null;
  if (id) {
    const verdict = index.byId.get(id);
    if (!verdict) return null;
    if (link !== row && link?.parentElement) return { verdict, host: link.parentElement };
    return { verdict, host: firstMatch(row, NAME_CELL) ?? row };
  }
  const named = nameElement(row, index);
  if (!named) return null;
  // The mark goes at the end of the name's cell, not inside the page's text element.
  const cell = named.el.closest('td, [role="gridcell"], [role="cell"]');
  return { verdict: named.verdict, host: cell && row.contains(cell) ? cell : named.el };
}

// ---- the marks themselves

/** The words behind a mark: its summary and reasons. */
export function describe(v: Verdict): string {
  const parts = [v.summary, ...allReasons(v).map((r) => r.message)].filter((s) => s && s.trim().length > 0);
  return parts.length > 0 ? parts.join(' ') : v.label;
}

/** How a mark looks (everything but its connection); a mark is reused only while this and its id are unchanged. */
const lookOf = (v: Verdict) => `${v.label}|${v.credential}|${v.state}|${v.convertible.status}|${tone(v)}`;

/** One finished mark per look, cloned for each row: a native copy instead of a dozen attribute writes per mark. */
const templates = new Map<string, HTMLElement>();

function template(v: Verdict, look: string): HTMLElement {
  let t: HTMLElement | undefined = templates.get(look);
  if (!t) {
    const b = document.createElement('button');
    b.type = 'button';
    t = b;
    t.className = 'federate-mark';
    t.dataset.federateCredential = v.credential;
    t.dataset.federateState = v.state;
    t.dataset.federateConvertible = v.convertible.status;
    t.dataset.federateTone = tone(v);
    t.dataset.federateLook = look;
    t.setAttribute('aria-haspopup', 'dialog');
    t.setAttribute('aria-expanded', 'false');
    t.setAttribute('aria-label', `Federate: ${v.label}`);
    t.textContent = v.label;
    if (templates.size > 200) templates.clear();
    templates.set(look, t);
  }
  return t;
}

function createMark(v: Verdict, look: string): HTMLElement {
  const mark = template(v, look).cloneNode(true) as HTMLElement;
  mark.dataset.federateId = v.id ?? '';
  // The reasons, for screen readers, on the mark itself (no extra element per connection).
  mark.setAttribute('aria-description', describe(v));
  return mark;
}

/** What a row showed when it was last identified, and its mark. */
interface RowMemo {
  /** `h` + the link's href, or `t` + the row's whole text (our mark's included). */
  key: string;
  index: VerdictIndex;
  mark: HTMLElement;
}
const rowMemo = new WeakMap<Element, RowMemo>();

const rowKey = (row: Element, link: Element | null): string => (link ? `h${link.getAttribute('href') ?? ''}` : `t${row.textContent}`);

/** The memo still holds: the row shows the same thing, and its mark is where it was put. */
function memoHolds(row: Element, memo: RowMemo | undefined, key: string, index: VerdictIndex): memo is RowMemo {
  if (!memo || memo.key !== key || memo.index !== index) return false;
  const parent = memo.mark.parentElement;
  return parent !== null && parent.lastElementChild === memo.mark && row.contains(parent);
}

/**
 * One pass over the list: marks new rows, fixes reused rows, removes marks that no longer
 * match. Returns how many marks are on the page and how many rows were recognized.
 */
export function markRows(index: VerdictIndex): { marks: number; recognized: number } {
  const keep = new Set<Element>();
  const writes: { host: Element; mark: HTMLElement; row: Element | null; text: boolean }[] = [];
  const covered = new Set<Element>();
  const rows = findRows();

  const place = (row: Element, found: { verdict: Verdict; host: Element } | null): HTMLElement | null => {
    if (!found) return null;
    const look = lookOf(found.verdict);
    const id = found.verdict.id ?? '';
    const last = found.host.lastElementChild;
    if (
      last instanceof HTMLElement &&
      last.classList.contains('federate-mark') &&
      last.dataset.federateId === id &&
      last.dataset.federateLook === look
    ) {
      keep.add(last);
      return last;
    }
    const mark = createMark(found.verdict, look);
    writes.push({ host: found.host, mark, row, text: false });
    keep.add(mark);
    return mark;
  };

  // Reads: which rows changed since they were last identified.
  for (const row of rows) {
    const link = row.matches(CONNECTION_LINK) ? row : row.querySelector(CONNECTION_LINK);
    if (link) covered.add(link);
    const key = rowKey(row, link);
    const memo = rowMemo.get(row);
    if (memoHolds(row, memo, key, index)) {
      keep.add(memo.mark);
      continue;
    }
    const mark = place(row, identify(row, link, index));
    if (!mark) {
      rowMemo.delete(row);
      continue;
    }
    if (link) rowMemo.set(row, { key, index, mark });
    else {
      // The text key includes our mark's text: taken after the writes.
      const pending = writes.at(-1);
      if (pending?.mark === mark) pending.text = true;
      else rowMemo.set(row, { key, index, mark });
    }
  }
  // Links no row strategy covered (an unknown layout): the link's parent holds the mark.
  const links = document.querySelectorAll(CONNECTION_LINK);
  if (links.length > covered.size) {
    const rowSet = new Set(rows);
    for (const link of links) {
      if (covered.has(link) || link.closest(NEVER_INSIDE) || insideAny(link, rowSet)) continue;
      const id = resourceIdOf(link);
      const verdict = id ? index.byId.get(id) : undefined;
      if (link.parentElement && verdict) place(link.parentElement, { verdict, host: link.parentElement });
    }
  }

  // Writes, in one go: new marks (taking the place of a stale one in the same spot), stale marks out.
  for (const w of writes) {
    const last = w.host.lastElementChild;
    if (last?.classList.contains('federate-mark') && !keep.has(last)) last.replaceWith(w.mark);
    else w.host.append(w.mark);
  }
  let marks = 0;
  for (const m of [...document.getElementsByClassName('federate-mark')]) {
    if (keep.has(m)) marks++;
    else m.remove();
  }
  for (const w of writes) if (w.text && w.row) rowMemo.set(w.row, { key: rowKey(w.row, null), index, mark: w.mark });
  return { marks, recognized: keep.size };
}

function insideAny(el: Element, set: Set<Element>): boolean {
  for (let e: Element | null = el; e; e = e.parentElement) if (set.has(e)) return true;
  return false;
}

/** The mark drawn for a connection id, if any (for focus after the page re-renders). */
export function markFor(id: string): HTMLElement | null {
  for (const m of document.getElementsByClassName('federate-mark')) {
    if (m instanceof HTMLElement && m.dataset.federateId === id) return m;
  }
  return null;
}

/** Removes every mark (leaving the list page, or turned off). */
export function removeMarks(): void {
  for (const m of [...document.getElementsByClassName('federate-mark')]) m.remove();
}
