// The one relay (service worker side), used by scans, usage loads and jobs: every request the
// engine wants made goes to the tab's content script, which makes it with a same-origin fetch
// (the page's session and origin) and answers with facts (status, headers, body, final URL,
// whether it was an opaque redirect). The engine says what the facts mean.
import { errorOf, type RelayRequest, type RelayResponse, type Reply, type TabMessage } from '../shared/messages.js';

/** A request as the engine hands it over: headers as pairs or a record. */
export interface EngineRequest {
  method: string;
  url: string;
  headers: Record<string, string> | [string, string][];
  body?: string | null;
}

/** A relay: the engine's request, answered by the page's origin. */
export type Relay = (request: EngineRequest) => Promise<RelayResponse>;

/** An error the engine reads as "no answer" (a network failure). */
function noAnswer(message: string): Error {
  return Object.assign(new Error(message), errorOf('network', message));
}

const NOT_THERE = /receiving end does not exist|could not establish connection|no tab with id/i;

/**
 * The tab relay message of a request, or null when it may not be relayed for `apiBase`: the
 * request must stay on the organization's https origin. Pure (tested in tests/node).
 */
export function relayMessage(request: EngineRequest, apiBase: string): (TabMessage & { type: 'relay' }) | null {
  let origin: string;
  let target: URL;
  try {
    origin = new URL(apiBase).origin;
    target = new URL(request.url);
  } catch {
    return null;
  }
  if (target.protocol !== 'https:' || target.origin !== origin) return null;
  const headers = Array.isArray(request.headers) ? Object.fromEntries(request.headers) : { ...request.headers };
  const out: RelayRequest = { method: request.method, url: request.url, headers, body: request.body ?? null };
  return { type: 'relay', request: out };
}

/** True when a tab URL is on the organization's https origin (tokens only over https). */
export function onOrigin(tabUrl: string | undefined, apiBase: string): boolean {
  if (!tabUrl) return false;
  try {
    const tab = new URL(tabUrl);
    return tab.protocol === 'https:' && tab.origin === new URL(apiBase).origin;
  } catch {
    return false;
  }
}

/** Resolves once the tab has finished loading (or after `ms`). */
function tabSettled(tabId: number, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      chrome.tabs.onUpdated.removeListener(listener);
      resolve();
    };
    const listener = (id: number, info: { status?: string }) => {
      if (id === tabId && info.status === 'complete') done();
    };
    const timer = setTimeout(done, ms);
    chrome.tabs.onUpdated.addListener(listener);
  });
}

export interface RelayOptions {
  /** How long to wait for the page to come back (a reload) before giving up. */
  waitMs?: number;
  /**
   * Send while the tab is still loading. Scans started by the content script run at
   * document_start, while the page parses; jobs wait for a loaded page (a page that is
   * navigating away would lose the answer).
   */
  whileLoading?: boolean;
  /**
   * Checked before each delivery attempt: once aborted (a job's pause, cancel or stop), a
   * request not yet handed to the page is not delivered; the relay throws a `network` error
   * saying so (a job then settles it with a read, never a blind send).
   */
  signal?: AbortSignal;
}

/**
 * A relay through one tab, for the organization at `apiBase`. A request off that origin is
 * refused. The tab must show a page of that origin. When its content script is not there (the
 * page is reloading), the request was certainly not made, so it waits for the page (up to
 * `waitMs`) and tries again; when the page goes away while a request is out, the answer is lost
 * and the relay throws (`network`; a job then reads the connection before sending again).
 */
export function relayThrough(tabId: number, apiBase: string, { waitMs = 30_000, whileLoading = false, signal }: RelayOptions = {}): Relay {
  return async (request) => {
    const message = relayMessage(request, apiBase);
    if (!message) throw noAnswer('A request left the organization origin; refused.');
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (signal?.aborted) throw noAnswer('Not delivered: the job was paused or cancelled before the request reached the page.');
      let tab: chrome.tabs.Tab;
      try {
        tab = await chrome.tabs.get(tabId);
      } catch {
        const text = 'The Azure DevOps tab of this job was closed. Open the page again and resume.';
        throw Object.assign(new Error(text), errorOf('tab', text));
      }
      if (onOrigin(tab.url, apiBase) && (whileLoading || tab.status === 'complete')) {
        if (signal?.aborted) throw noAnswer('Not delivered: the job was paused or cancelled before the request reached the page.');
        try {
          const reply = (await chrome.tabs.sendMessage(tabId, message, { frameId: 0 })) as Reply<RelayResponse> | undefined;
          if (!reply) throw noAnswer('The Azure DevOps page did not answer (it was reloaded or closed); reload it.');
          if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error);
          return reply.value;
        } catch (err) {
          const text = err instanceof Error ? err.message : String(err);
          if (!NOT_THERE.test(text)) {
            // Delivered, then the page went away (or the fetch failed): the answer is lost.
            throw err instanceof Error && 'kind' in err ? err : noAnswer(`The Azure DevOps page did not answer: ${text}`);
          }
          // Not delivered: the content script is not (yet) there; nothing was sent.
        }
      }
      if (Date.now() > deadline) {
        const text = 'The Azure DevOps page is not available. Open it again and resume.';
        throw Object.assign(new Error(text), errorOf('tab', text));
      }
      await tabSettled(tabId, 500);
    }
  };
}
