// Content script on Azure DevOps pages. Small on purpose: it relays same-origin REST calls
// (the page's own session) for the engine, which runs in the service worker, and draws what
// the engine decided: marks, the summary bar, the connection card and the panel overlay.
//
// It runs at document_start, so the project's scan (the same relay, the same origin and
// headers) starts while the page is still parsing, in parallel with the page's own list
// request: the verdicts are waiting when the rows render.
//
// One MutationObserver drives everything, one pass per animation frame. Each pass re-parses
// the URL; when the page changed, the previous page's work is aborted and the new page's starts.
import {
  ask,
  type ConnectionDetails,
  type ErrorInfo,
  errorOf,
  isTabMessage,
  type PageContext,
  type Reply,
  type ReplyOf,
  toErrorInfo,
} from '../shared/messages.js';
import { markFor, markRows, removeMarks, VerdictIndex } from './marks.js';
import { pageInfo, type PageInfo } from './page.js';
import { relay } from './relay.js';
import { hideTooltip, installMarkBehaviour } from './tooltip.js';
import { drawBar, drawCard, mountPanel, pageTheme, removeBar, removeCard, unmountPanel } from './ui.js';

const ROOT = document.documentElement;

/** The state of the current project's inventory. */
type Load =
  | { kind: 'loading' }
  | { kind: 'ready'; index: VerdictIndex; summary: ReplyOf['scanProject']['summary'] }
  | { kind: 'error'; error: ErrorInfo };

let info: PageInfo | null = null;
let lastHref = '';
let projectKey = '';
let work: AbortController | null = null;
let load: Load = { kind: 'loading' };
let card: { id: string; state: 'loading' | 'ready' | 'error'; details?: ConnectionDetails; error?: ErrorInfo } | null = null;
let warnedNoRows = false;
let themeAt = -Infinity;
let active = false;

const signInUrl = () => (info ? `${info.apiBase}/` : location.origin);
const context = (): PageContext | null =>
  info ? { organizationName: info.organizationName, projectName: info.projectName, apiBase: info.apiBase } : null;

function setError(error: ErrorInfo | null): void {
  if (error) {
    ROOT.dataset.federate = 'error';
    ROOT.dataset.federateError = error.message;
    ROOT.dataset.federateErrorKind = error.kind;
  } else {
    delete ROOT.dataset.federateError;
    delete ROOT.dataset.federateErrorKind;
  }
}

/** Loads the project's verdicts (aborted if the page moves on). */
function startLoad(): void {
  work?.abort();
  const controller = new AbortController();
  work = controller;
  load = { kind: 'loading' };
  card = null;
  ROOT.dataset.federate = 'loading';
  setError(null);
  const ctx = context();
  if (!ctx) return;
  ask({ type: 'scanProject', context: ctx }).then(
    (inventory) => {
      if (controller.signal.aborted) return;
      load = { kind: 'ready', index: new VerdictIndex(inventory.verdicts), summary: inventory.summary };
      ROOT.dataset.federateCount = String(inventory.verdicts.length);
      pass();
      ROOT.dataset.federate = 'ready';
    },
    (err: unknown) => {
      if (controller.signal.aborted) return;
      load = { kind: 'error', error: toErrorInfo(err) };
      setError(load.error);
      pass();
    },
  );
}

function loadCard(id: string): void {
  const ctx = context();
  if (!ctx) return;
  card = { id, state: 'loading' };
  const controller = work;
  ask({ type: 'connection', context: ctx, id }).then(
    (details) => {
      if (controller?.signal.aborted || card?.id !== id) return;
      card = { id, state: 'ready', details };
      pass();
    },
    (err: unknown) => {
      if (controller?.signal.aborted || card?.id !== id) return;
      card = { id, state: 'error', error: toErrorInfo(err) };
      pass();
    },
  );
}

const actions = {
  openPanel: () => {
    const ctx = context();
    if (ctx) mountPanel(ctx);
  },
  retry: () => startLoad(),
  // Conversions are confirmed and sent from the panel (an extension page), never from here.
  openConnection: (id: string, action?: 'convert' | 'revert') => {
    const ctx = context();
    if (ctx) mountPanel(ctx, { id, action });
  },
};

/** One pass: re-parse the URL, start or abort work, draw what is known. */
function pass(): void {
  if (!active) return;
  if (location.href !== lastHref) {
    lastHref = location.href;
    themeAt = -Infinity;
    info = pageInfo(location.href);
    hideTooltip();
    const key = info?.projectName && info.page !== 'other' ? `${info.apiBase}|${info.projectName}`.toLowerCase() : '';
    if (key !== projectKey) {
      projectKey = key;
      work?.abort();
      work = null;
      removeMarks();
      removeBar();
      removeCard();
      delete ROOT.dataset.federateMarks;
      if (info && info.page !== 'other') startLoad();
      else {
        delete ROOT.dataset.federate;
        setError(null);
      }
    }
  }
  // Started at document_start: the verdicts are on their way before the page has a body.
  if (!document.body) return;
  // The theme is a style read: once per page and then at most every two seconds, not per pass.
  if (performance.now() - themeAt > 2000 || !ROOT.dataset.federateTheme) {
    themeAt = performance.now();
    ROOT.dataset.federateTheme = pageTheme();
  }
  if (!info || info.page === 'other' || !projectKey) {
    removeMarks();
    removeBar();
    removeCard();
    return;
  }
  if (info.page === 'list') {
    removeCard();
    if (load.kind === 'ready') {
      const { marks } = markRows(load.index);
      ROOT.dataset.federateMarks = String(marks);
      if (marks === 0 && load.index.verdicts.length > 0 && !warnedNoRows && document.readyState === 'complete') {
        warnedNoRows = true;
        console.info('[Federate] The list has connections but no row of the page was recognized; the panel still works.');
      }
      drawBar({ kind: 'ready', summary: load.summary }, actions);
    } else if (load.kind === 'error') drawBar({ kind: 'error', error: load.error, signInUrl: signInUrl() }, actions);
    else drawBar({ kind: 'loading' }, actions);
    return;
  }
  // The single-connection page.
  removeMarks();
  removeBar();
  const id = info.resourceId ?? '';
  if (load.kind === 'error') {
    drawCard({ kind: 'error', id, error: load.error, signInUrl: signInUrl() }, actions);
    return;
  }
  if (load.kind !== 'ready') {
    drawCard({ kind: 'loading', id }, actions);
    return;
  }
  if (card?.id !== id) loadCard(id);
  if (card?.state === 'ready' && card.details) drawCard({ kind: 'ready', id, details: card.details }, actions);
  else if (card?.state === 'error' && card.error) drawCard({ kind: 'error', id, error: card.error, signInUrl: signInUrl() }, actions);
  else drawCard({ kind: 'loading', id }, actions);
}

let frame = 0;
let timer = 0;
/**
 * Many mutations, one pass, in the next animation frame: the page's rows and our marks are
 * painted together (a pass run from a timer lands a frame or more after the rows). Hidden
 * tabs get no frames, so a timer stands in for them.
 */
function schedule(): void {
  if (frame) return;
  frame = requestAnimationFrame(runScheduled);
  timer = window.setTimeout(runScheduled, 100);
}
function runScheduled(): void {
  cancelAnimationFrame(frame);
  clearTimeout(timer);
  frame = 0;
  timer = 0;
  pass();
}

/** Whether a node is one of ours, or inside one (bar, card, overlay, popover, mark). */
const ours = (n: Node | null): boolean => {
  const el = n instanceof Element ? n : n?.parentElement;
  return !!el && el.closest('.federate-root, .federate-mark') !== null;
};
const isOwnElement = (n: Node): boolean =>
  n instanceof Element && (n.classList.contains('federate-mark') || n.classList.contains('federate-root'));

/** Whether a childList record only added or removed our own elements (our writes, not the page's). */
function onlyOurs(r: MutationRecord): boolean {
  if (r.addedNodes.length + r.removedNodes.length === 0) return false;
  for (const n of r.addedNodes) if (!isOwnElement(n)) return false;
  for (const n of r.removedNodes) if (!isOwnElement(n)) return false;
  return true;
}

function observe(): void {
  new MutationObserver((records) => {
    // One relevant record is enough: the pass looks at the page itself, not at the records.
    if (frame) return;
    for (const r of records) {
      if (r.type === 'childList' && onlyOurs(r)) continue;
      if (ours(r.target)) continue;
      schedule();
      return;
    }
  }).observe(document.documentElement, {
    childList: true,
    subtree: true,
    characterData: true,
    attributes: true,
    attributeFilter: ['href'],
  });
  // Extra triggers; the observer alone already sees the re-render of a navigation.
  window.addEventListener('popstate', schedule);
  (window as { navigation?: EventTarget }).navigation?.addEventListener('navigatesuccess', schedule);
}

/** The answer for an organization the options turned Federate off on: nothing is relayed. */
const OFF_HERE: Reply<never> = {
  ok: false,
  error: errorOf('off', 'Federate is turned off for this organization (options).'),
};

// Messages from the service worker: relayed requests and the panel's open/close. Registered at
// once (MV3), but nothing is relayed or mounted before the organization setting is read, and
// nothing at all on an organization it turned off.
chrome.runtime.onMessage.addListener((message: unknown, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id || sender.tab !== undefined || !isTabMessage(message)) return false;
  switch (message.type) {
    case 'relay':
      void enabled.then((on) => (on ? relay(message.request) : OFF_HERE)).then(sendResponse);
      return true;
    case 'mountPanel':
      void enabled.then((on) => {
        if (on && info) actions.openPanel();
        sendResponse(on ? { ok: true, value: null } : OFF_HERE);
      });
      return true;
    case 'unmountPanel':
      unmountPanel();
      sendResponse({ ok: true, value: null });
      return false;
  }
});

/** Whether the user turned Federate off for this organization (options page). */
async function enabledHere(): Promise<boolean> {
  const here = pageInfo(location.href);
  if (!here) return false;
  try {
    const { organizations } = (await chrome.storage.sync.get('organizations')) as { organizations?: { mode?: string; names?: unknown } };
    if (organizations?.mode !== 'only' || !Array.isArray(organizations.names)) return true;
    return organizations.names.some((n) => typeof n === 'string' && n.toLowerCase() === here.organizationName.toLowerCase());
  } catch {
    return true;
  }
}

const enabled = enabledHere();
// The project's scan starts as soon as the setting is read (a storage read, well before the
// page's own list request), and its relayed requests wait for that setting anyway; drawing
// waits for the parsed document below.
void enabled.then((on) => {
  active = on;
  if (on) pass();
  if (!on) {
    work?.abort();
    removeMarks();
    removeBar();
    removeCard();
    ROOT.dataset.federate = 'off';
    setError(null);
    return;
  }
  const draw = () => {
    installMarkBehaviour({
      verdictOf: (id) => (load.kind === 'ready' ? load.index.byId.get(id) : undefined),
      openConnection: (id, action) => actions.openConnection(id, action),
      markFor,
    });
    observe();
    pass();
  };
  // The scan is already on its way; drawing waits for the parsed document, so the parser's
  // own insertions cost no observer callbacks and no passes (rows come after it anyway, and
  // the pass at DOMContentLoaded finds any that came with the HTML).
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw, { once: true });
  else draw();
});
