// The content script's own elements: the summary bar above the list, the card on a
// connection's page, and the panel overlay (an extension page in an iframe).
import { h } from '../shared/dom.js';
import { federationView, remediesView, verdictView } from '../shared/explain.js';
import type { ConnectionDetails, ErrorInfo, Message, PageContext, ReplyOf } from '../shared/messages.js';
import type { Verdict } from '../shared/model.js';
import { firstMatch, LIST_CONTAINER, PAGE_MAIN } from './selectors.js';

const ROOT = document.documentElement;

// ---- the summary bar

let bar: HTMLElement | null = null;

/** The engine's summary of the project's connections (computed in the service worker). */
type Summary = ReplyOf['scanProject']['summary'];

/** What the summary bar shows. */
/**
 * An error in the words the service worker filled in (the engine's, `errorWords`): its title,
 * then `detail` (its advice unless said otherwise). This script cannot run the engine: an
 * error the worker never saw is shown by its own message.
 */
function errorText(error: ErrorInfo, detail = error.advice ?? ''): string {
  return error.title !== undefined ? `${error.title}. ${detail}`.trimEnd() : error.message;
}

export type BarState = { kind: 'loading' } | { kind: 'ready'; summary: Summary } | { kind: 'error'; error: ErrorInfo; signInUrl: string };

const barKeys = new WeakMap<Summary, string>();

/** Draws (or updates) the summary bar above the list; re-inserts it if the page dropped it. */
export function drawBar(state: BarState, actions: { openPanel: () => void; retry: () => void }): void {
  let key: string;
  if (state.kind === 'ready') {
    // Once per inventory, not on every pass.
    key = barKeys.get(state.summary) ?? JSON.stringify(state.summary.parts);
    barKeys.set(state.summary, key);
  } else key = JSON.stringify(state.kind === 'error' ? state.error : state);
  if (!bar || bar.dataset.key !== key) {
    const next = h('section', { class: 'federate-root federate-bar', 'aria-label': 'Federate summary', 'data-key': key });
    next.append(h('strong', { class: 'federate-bar-title' }, 'Federate'));
    if (state.kind === 'loading') {
      next.append(h('span', { role: 'status' }, 'Reading service connections…'));
      next.dataset.federateSummary = 'loading';
    } else if (state.kind === 'error') {
      next.dataset.federateSummary = 'error';
      next.dataset.federateErrorKind = state.error.kind;
      next.append(h('span', { role: 'alert' }, errorText(state.error)));
      if (state.error.kind === 'signedOut') next.append(h('a', { class: 'federate-button', href: state.signInUrl }, 'Sign in'));
      next.append(h('button', { type: 'button', class: 'federate-button', onclick: actions.retry }, 'Retry'));
    } else {
      // The engine's counts and words, drawn as they come.
      next.dataset.federateSummary = 'ready';
      next.append(
        h(
          'span',
          { class: 'federate-stats', role: 'status' },
          state.summary.parts.map((p) =>
            h('span', { class: 'federate-stat', 'data-stat': p.key }, h('b', {}, String(p.count)), ` ${p.text}`),
          ),
        ),
      );
    }
    next.append(
      h('button', { type: 'button', class: 'federate-button federate-open-panel', onclick: actions.openPanel }, 'Open Federate panel'),
    );
    bar?.remove();
    bar = next;
  }
  if (!bar.isConnected || !barPlaced(bar)) {
    const list = firstMatch(document, LIST_CONTAINER);
    if (list?.parentElement && !list.closest('.federate-root')) list.before(bar);
    else (firstMatch(document, PAGE_MAIN) ?? document.body).prepend(bar);
  }
}

function barPlaced(el: HTMLElement): boolean {
  const list = firstMatch(document, LIST_CONTAINER);
  return !list || el.nextElementSibling === list;
}

/** Removes the summary bar. */
export function removeBar(): void {
  bar?.remove();
  bar = null;
}

// ---- the single-connection card

let card: HTMLElement | null = null;

/** What the card shows. */
export type CardState =
  | { kind: 'loading'; id: string }
  | { kind: 'ready'; id: string; details: ConnectionDetails }
  | { kind: 'error'; id: string; error: ErrorInfo; signInUrl: string };

/** What the card's buttons do. `openConnection` opens the panel on one connection, where the user confirms. */
export interface CardActions {
  openPanel: () => void;
  retry: () => void;
  openConnection?: (id: string, action: 'convert' | 'revert') => void;
}

/** The card's Convert… / Revert… buttons: they only open the panel (the content script never converts). */
function conversionButtons(v: Verdict, actions: CardActions): HTMLElement[] {
  const open = actions.openConnection;
  if (!open || !v.id) return [];
  const id = v.id;
  const out: HTMLElement[] = [];
  if (v.convertible.status === 'yes' || v.convertible.status === 'manual') {
    out.push(
      h(
        'button',
        { type: 'button', class: 'federate-button', 'data-federate-action': 'convert', onclick: () => open(id, 'convert') },
        'Convert…',
      ),
    );
  }
  const end = v.revertDeadline ? Date.parse(v.revertDeadline) : NaN;
  if (v.credential === 'federated' && end > Date.now()) {
    const days = Math.floor((end - Date.now()) / 86_400_000);
    const hours = Math.floor((end - Date.now()) / 3_600_000) % 24;
    out.push(
      h(
        'button',
        { type: 'button', class: 'federate-button', 'data-federate-action': 'revert', onclick: () => open(id, 'revert') },
        `Revert… (${days > 0 ? `${days} d ` : ''}${hours} h left)`,
      ),
    );
  }
  return out;
}

/** Draws the card at the top of the page's main content; keeps it there across re-renders. */
export function drawCard(state: CardState, actions: CardActions): void {
  const key = `${state.id}|${state.kind}`;
  if (!card || card.dataset.key !== key) {
    const next = h('section', {
      class: 'federate-root federate-card',
      'aria-labelledby': 'federate-card-title',
      'data-key': key,
      'data-federate-id': state.id,
    });
    next.append(h('h2', { id: 'federate-card-title' }, 'Federate'));
    if (state.kind === 'loading') next.append(h('p', { role: 'status' }, 'Reading this service connection…'));
    else if (state.kind === 'error') {
      next.dataset.federateErrorKind = state.error.kind;
      next.append(h('p', { role: 'alert' }, errorText(state.error, state.error.kind === 'notFound' ? state.error.message : undefined)));
      if (state.error.kind === 'signedOut') next.append(h('a', { class: 'federate-button', href: state.signInUrl }, 'Sign in'));
      next.append(h('button', { type: 'button', class: 'federate-button', onclick: actions.retry }, 'Retry'));
    } else {
      const v = state.details.verdict;
      next.dataset.federateCredential = v.credential;
      next.append(verdictView(v));
      const fed = federationView(v);
      if (fed) next.append(fed);
      const rem = remediesView(state.details.remedies, 'federate-card-remedy');
      if (rem) next.append(rem);
      // Actions: the panel now; conversions (issue 6) add their buttons to this slot.
      next.append(
        h(
          'div',
          { class: 'federate-actions', 'data-federate-slot': 'actions' },
          ...conversionButtons(v, actions),
          h('button', { type: 'button', class: 'federate-button federate-open-panel', onclick: actions.openPanel }, 'Open Federate panel'),
        ),
      );
    }
    next.dataset.federateCard = state.kind;
    card?.remove();
    card = next;
  }
  if (!card.isConnected) (firstMatch(document, PAGE_MAIN) ?? document.body).prepend(card);
  ROOT.dataset.federateCard = state.kind;
}

/** Removes the card. */
export function removeCard(): void {
  card?.remove();
  card = null;
  delete ROOT.dataset.federateCard;
}

// ---- the panel overlay

let overlay: HTMLElement | null = null;
let opener: Element | null = null;

/** The page's theme, from its own background (Azure DevOps themes), else the system's. */
export function pageTheme(): 'light' | 'dark' {
  for (const el of [document.body, document.documentElement]) {
    if (!el) continue;
    const m = getComputedStyle(el).backgroundColor.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?/);
    if (m && (m[4] === undefined || Number(m[4]) > 0.5)) {
      const [r, g, b] = [m[1], m[2], m[3]].map(Number) as [number, number, number];
      return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128 ? 'dark' : 'light';
    }
  }
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/**
 * Opens the panel over the page (an extension page in an iframe); focus moves into it. The
 * panel's URL carries nothing: what it shows (the page's context, a connection's details)
 * goes through the service worker, which hands it to the panel framed in this tab once, so
 * a panel framed by anything else gets nothing and refuses to act. `focus.action` (a card's
 * Convert… or Revert…) only opens that connection's details: the user starts the plan there.
 */
export function mountPanel(ctx: PageContext, focus?: { id: string; action?: 'convert' | 'revert' }): void {
  // A panel asked for one connection replaces an open one (it opens on that connection).
  if (focus && overlay?.isConnected) {
    overlay.remove();
    overlay = null;
  }
  if (overlay?.isConnected) {
    overlay.querySelector('iframe')?.focus();
    return;
  }
  opener = document.activeElement;
  const frame = h('iframe', {
    title: 'Federate panel',
    allow: 'clipboard-write',
    class: 'federate-panel-frame',
  }) as HTMLIFrameElement;
  const shown = h(
    'div',
    { class: 'federate-root federate-overlay', role: 'dialog', 'aria-label': 'Federate panel', 'aria-modal': 'true' },
    h('div', { class: 'federate-backdrop', onclick: () => unmountPanel() }),
    frame,
  );
  overlay = shown;
  overlay.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') unmountPanel();
  });
  document.documentElement.append(overlay);
  frame.addEventListener('load', () => frame.focus(), { once: true });
  ROOT.dataset.federatePanel = 'open';
  // The nonce reaches only this frame's window (postMessage to the extension's origin), so a
  // panel framed by a page script can't claim this opening. The panel loads once the worker
  // knows about it (it asks for its opening first thing).
  const nonce = crypto.randomUUID();
  const extension = new URL(chrome.runtime.getURL('')).origin;
  frame.addEventListener('load', () => frame.contentWindow?.postMessage({ federatePanel: nonce }, extension));
  const opening: Message = { type: 'panelOpening', nonce, context: ctx, connection: focus?.id ?? null, theme: pageTheme() };
  void chrome.runtime.sendMessage(opening).then(
    () => {
      if (overlay === shown) frame.src = chrome.runtime.getURL('panel.html');
    },
    () => undefined,
  );
}

/** Closes the panel and gives focus back to what had it. */
export function unmountPanel(): void {
  overlay?.remove();
  overlay = null;
  ROOT.dataset.federatePanel = 'closed';
  if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  opener = null;
}
