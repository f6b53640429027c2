// The popover a mark opens (click, Enter or Space): a small non-modal dialog with the
// verdict's reasons and the way to act on it, "Convert…" (when the connection can be
// converted) and "Details…". Both only open the panel on that connection; the panel shows the
// plan and the confirmation, and the content script never commands a conversion.
// Escape closes it and gives focus back to the mark; a click outside or focus leaving it
// closes it where the user went.
import { h } from '../shared/dom.js';
import { allReasons, type Verdict } from '../shared/model.js';

const POPOVER_ID = 'federate-popover';
const TITLE_ID = 'federate-popover-title';

/** What the popover needs from the content script. */
export interface PopoverHooks {
  /** The verdict of a connection id on this page. */
  verdictOf: (id: string) => Verdict | undefined;
  /** Opens the panel on a connection; `convert` also starts its conversion plan there. */
  openConnection: (id: string, action?: 'convert') => void;
  /** The mark now drawn for an id (the page may have re-rendered the row). */
  markFor: (id: string) => HTMLElement | null;
}

let popover: HTMLElement | null = null;
let anchor: HTMLElement | null = null;
let anchorId = '';
let hooks: PopoverHooks | null = null;
let frame = 0;

/** Whether the popover is open (for the mark with this id, when given). */
export function popoverOpen(id?: string): boolean {
  return popover !== null && (id === undefined || id === anchorId);
}

/**
 * Places a fixed box (already `width` px wide at most) by a mark, inside the viewport: under
 * it, else above it, else as low as it fits. Shared by the popover and the tooltip.
 */
export function placeByMark(box: HTMLElement, mark: HTMLElement, width: number): void {
  const r = mark.getBoundingClientRect();
  box.style.left = `${Math.max(8, Math.min(r.left, window.innerWidth - width - 8))}px`;
  const below = r.bottom + 6;
  box.style.top = `${below}px`;
  const height = box.getBoundingClientRect().height;
  if (below + height > window.innerHeight && r.top - height - 6 > 0) box.style.top = `${r.top - height - 6}px`;
  else if (below + height > window.innerHeight) box.style.top = `${Math.max(8, window.innerHeight - height - 8)}px`;
}

function place(): void {
  if (!popover || !anchor?.isConnected) return;
  // Layout reads happen only while a popover is open, once per frame at most.
  const width = Math.min(384, window.innerWidth - 16);
  popover.style.width = `${width}px`;
  placeByMark(popover, anchor, width);
}

function schedulePlace(): void {
  if (frame || !popover) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    place();
  });
}

/** Closes the popover; `restoreFocus` gives focus back to its mark (Escape, Close). */
export function closePopover(restoreFocus = false): void {
  if (!popover) return;
  popover.remove();
  popover = null;
  const mark = anchor?.isConnected ? anchor : hooks?.markFor(anchorId);
  anchor?.setAttribute('aria-expanded', 'false');
  if (restoreFocus && mark) mark.focus();
  anchor = null;
  anchorId = '';
}

function act(id: string, action?: 'convert'): void {
  // Focus goes back to the mark first: the panel gives focus back to what had it when it closes.
  closePopover(true);
  hooks?.openConnection(id, action);
}

/** Opens the popover for a mark (closes another one first). */
export function openPopover(mark: HTMLElement): void {
  const id = mark.dataset.federateId ?? '';
  const v = hooks?.verdictOf(id);
  if (!v) return;
  closePopover();
  anchor = mark;
  anchorId = id;
  const reasons = allReasons(v)
    .map((r) => r.message)
    .filter((m) => m.trim().length > 0);
  const buttons: HTMLElement[] = [];
  if (v.id && (v.convertible.status === 'yes' || v.convertible.status === 'manual')) {
    buttons.push(
      h(
        'button',
        { type: 'button', class: 'federate-button', 'data-federate-action': 'convert', onclick: () => act(id, 'convert') },
        'Convert…',
      ),
    );
  }
  if (v.id) {
    buttons.push(
      h('button', { type: 'button', class: 'federate-button', 'data-federate-action': 'details', onclick: () => act(id) }, 'Details…'),
    );
  }
  buttons.push(
    h('button', { type: 'button', class: 'federate-button', 'data-federate-action': 'close', onclick: () => closePopover(true) }, 'Close'),
  );
  const box = h(
    'div',
    {
      id: POPOVER_ID,
      class: 'federate-root federate-popover',
      role: 'dialog',
      'aria-labelledby': TITLE_ID,
      'data-federate-id': id,
    },
    h('h2', { id: TITLE_ID, class: 'federate-popover-title' }, v.name || v.label),
    h('p', { class: 'federate-verdict-label' }, v.label),
    v.summary ? h('p', {}, v.summary) : null,
    reasons.length > 0 ? h('ul', { class: 'federate-reasons' }, ...reasons.map((m) => h('li', {}, m))) : null,
    h('div', { class: 'federate-actions' }, ...buttons),
  );
  // Our own elements: their events are ours, the page's handlers above them never see them.
  for (const type of ['click', 'auxclick', 'mousedown', 'mouseup', 'pointerdown', 'pointerup', 'dblclick', 'keyup', 'keypress']) {
    box.addEventListener(type, (e) => e.stopPropagation());
  }
  box.addEventListener('keydown', (e) => {
    e.stopPropagation();
    if (e.key === 'Escape') {
      e.preventDefault();
      closePopover(true);
    }
  });
  box.addEventListener('focusout', (e) => {
    const to = e.relatedTarget;
    if (to instanceof Node && (box.contains(to) || to === anchor)) return;
    // Focus left for somewhere else on the page (Tab, a click): close where the user went.
    if (to !== null) closePopover();
  });
  popover = box;
  document.documentElement.append(box);
  mark.setAttribute('aria-expanded', 'true');
  place();
  buttons[0]?.focus();
}

/** Installs the document-wide listeners once: click outside, scroll and resize. */
export function installPopover(given: PopoverHooks): void {
  hooks = given;
  window.addEventListener(
    'pointerdown',
    (e) => {
      if (!popover) return;
      const t = e.target;
      if (t instanceof Node && (popover.contains(t) || anchor?.contains(t))) return;
      closePopover();
    },
    true,
  );
  window.addEventListener('scroll', schedulePlace, { capture: true, passive: true });
  window.addEventListener('resize', schedulePlace, { passive: true });
}
