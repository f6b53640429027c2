// The panel's guards against being framed and clickjacked.
//
// - Framing: panel.html is web-accessible (the content script's overlay frames it on Azure
//   DevOps pages), so a page script, or another site, could frame it too. The panel acts only
//   when it is framed directly by an Azure DevOps page (`location.ancestorOrigins`) and its
//   tab's content script announced it to the service worker just before (`panelHello` claims
//   that announcement once, with the nonce the content script posted to this frame alone).
//   Its URL carries nothing it acts on.
// - Clickjacking: a button that writes (confirm a plan, resume, try again) or starts a plan
//   (Convert…, Revert…, Convert selected…, Convert all convertible…) works only after it has
//   been visible, unobscured and untransformed, for a moment (IntersectionObserver v2
//   `trackVisibility`, where Chromium has it), and never while the panel is hidden.
import { isAzureDevOpsUrl, type Message, type PanelOpening, type Reply } from '../shared/messages.js';

const ROOT = document.documentElement;

/** How long a writing button must have been visible before it works (ms). */
export const ARM_AFTER_MS = 600;

/** Why this panel must not act here, or null when it is framed as the overlay frames it. */
export function framingProblem(): string | null {
  if (window.top === window) return 'The Federate panel works inside Azure DevOps pages only: open it from the Federate bar there.';
  const ancestors = [...(location.ancestorOrigins ?? [])];
  if (ancestors.length !== 1 || !isAzureDevOpsUrl(`${ancestors[0]}/`)) {
    return 'This page framed the Federate panel: it only works in the overlay Federate itself opens on Azure DevOps pages.';
  }
  return null;
}

/** Replaces the panel with a refusal (a message, nothing to click) and marks it for tests. */
function refuse(message: string): null {
  const app = document.getElementById('app');
  const p = document.createElement('p');
  p.setAttribute('role', 'alert');
  p.className = 'refused';
  p.textContent = message;
  app?.replaceChildren(p);
  ROOT.dataset.federate = 'refused';
  return null;
}

/**
 * What the overlay opened this panel on, claimed once from the service worker; null (with the
 * refusal shown) when the panel is framed by anything else.
 */
export async function claimOpening(): Promise<PanelOpening | null> {
  const problem = framingProblem();
  if (problem) return refuse(problem);
  // Listening from the first moment: the overlay posts its nonce when this frame has loaded.
  const posted = nonceFromOverlay();
  const tab = await chrome.tabs.getCurrent().catch(() => undefined);
  const nonce = await posted;
  if (!nonce) return refuse("This Federate panel was not opened by Federate on this page, so it won't act here.");
  let reply: Reply<PanelOpening> | undefined;
  try {
    reply = (await chrome.runtime.sendMessage({ type: 'panelHello', tabId: tab?.id ?? null, nonce } satisfies Message)) as
      | Reply<PanelOpening>
      | undefined;
  } catch {
    reply = undefined;
  }
  if (!reply) return refuse('The extension did not answer: close the panel and open it again.');
  if (!reply.ok) return refuse(reply.error.message);
  return reply.value;
}

/** How long the panel waits for the overlay's nonce (it comes on load, in milliseconds). */
const NONCE_WAIT_MS = 5_000;

/** The nonce the overlay posts to this frame (from the parent Azure DevOps page), or null. */
function nonceFromOverlay(): Promise<string | null> {
  return new Promise((resolve) => {
    const done = (value: string | null) => {
      window.removeEventListener('message', onMessage);
      window.clearTimeout(timer);
      resolve(value);
    };
    const onMessage = (e: MessageEvent) => {
      if (e.source !== window.parent || !isAzureDevOpsUrl(`${e.origin}/`)) return;
      const value = (e.data as { federatePanel?: unknown } | null)?.federatePanel;
      if (typeof value === 'string') done(value);
    };
    const timer = window.setTimeout(() => done(null), NONCE_WAIT_MS);
    window.addEventListener('message', onMessage);
  });
}

interface VisibilityEntry extends IntersectionObserverEntry {
  /** IntersectionObserver v2: unoccluded, no opacity, filter or transform on the way up. */
  readonly isVisible?: boolean;
}

/** How {@link armWhenSeen} guards a button. */
export interface ArmOptions {
  /** How long it must have been visible (ms). */
  ms?: number;
  /**
   * For a button that stays on screen and that its view enables and disables by itself (a
   * toolbar's "Convert selected…"): whether the view wants it enabled. It is then guarded even
   * while disabled, armed only as `enabled()` allows, and not scrolled to; the view's redraws
   * must keep it disabled while `data-armed` is not "true" (see {@link isArmed}).
   */
  enabled?: () => boolean;
  /** Scroll it into view once (default: for a one-off button, not for one given `enabled`). */
  scroll?: boolean;
}

/** Whether a guarded button has been seen long enough to work. */
export function isArmed(button: HTMLButtonElement): boolean {
  return button.dataset.armed === 'true';
}

/**
 * Keeps a button that writes or starts a plan disabled until it has been visible for `ms`
 * (and again after it was hidden, covered or scrolled away); `data-armed` says which, for
 * tests. A one-off button (a plan's Confirm) is scrolled into view once, so the user sees what
 * they are about to confirm.
 */
export function armWhenSeen(button: HTMLButtonElement, { ms = ARM_AFTER_MS, enabled, scroll = !enabled }: ArmOptions = {}): void {
  if (!enabled && button.disabled) return; // nothing to send: it stays disabled
  let timer = 0;
  const disarm = () => {
    window.clearTimeout(timer);
    timer = 0;
    button.disabled = true;
    button.dataset.armed = 'false';
  };
  const arm = () => {
    timer = 0;
    if (!button.isConnected || document.visibilityState !== 'visible') return;
    button.dataset.armed = 'true';
    button.disabled = !(enabled?.() ?? true);
  };
  disarm();
  const observer = new IntersectionObserver(
    (entries) => {
      const entry = entries.at(-1) as VisibilityEntry | undefined;
      if (!button.isConnected) {
        observer.disconnect();
        document.removeEventListener('visibilitychange', onVisibility);
        return;
      }
      const seen = !!entry && (entry.isVisible ?? entry.isIntersecting) && document.visibilityState === 'visible';
      if (!seen) disarm();
      else if (!timer && !isArmed(button)) timer = window.setTimeout(arm, ms);
    },
    { threshold: [0, 1], trackVisibility: true, delay: 100 } as IntersectionObserverInit,
  );
  observer.observe(button);
  const onVisibility = () => {
    if (!button.isConnected) {
      observer.disconnect();
      document.removeEventListener('visibilitychange', onVisibility);
    } else if (document.visibilityState !== 'visible') disarm();
  };
  document.addEventListener('visibilitychange', onVisibility);
  if (scroll) requestAnimationFrame(() => button.scrollIntoView({ block: 'nearest' }));
}
