// The job's relay (service worker side): every request goes to the tab's content script,
// which makes it with a same-origin fetch (the page's session and origin). The content
// script's `relay` handler is shared with the scans (shared/messages.ts `TabMessage`).
import type { Relay, WireRequest, WireResponse } from '../shared/engine.js';

/** An error the engine reads as "no answer" (a network failure). */
function noAnswer(message: string): Error {
  return Object.assign(new Error(message), { kind: 'network' });
}

const NOT_THERE = /receiving end does not exist|could not establish connection|no tab with id/i;

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

/**
 * A relay through one tab. The tab must show a page of the job's organization origin. When
 * its content script is not there (the page is reloading), the request was certainly not
 * made, so it waits for the page (up to `waitMs`) and tries again; when the page goes away
 * while a request is out, the answer is lost and the relay throws (the runner then reads the
 * connection before sending anything again).
 */
export function tabRelay(tabId: number, apiBase: string, waitMs = 30_000): Relay {
  const origin = new URL(apiBase).origin;
  return async (request: WireRequest): Promise<WireResponse> => {
    if (new URL(request.url).origin !== origin) throw noAnswer('A request left the organization origin; refused.');
    const headers = Array.isArray(request.headers) ? Object.fromEntries(request.headers) : request.headers;
    const message = { type: 'relay', request: { method: request.method, url: request.url, headers, body: request.body ?? null } };
    const deadline = Date.now() + waitMs;
    for (;;) {
      let tab: chrome.tabs.Tab;
      try {
        tab = await chrome.tabs.get(tabId);
      } catch {
        throw Object.assign(new Error('The Azure DevOps tab of this job was closed. Open the page again and resume.'), { kind: 'tab' });
      }
      const onOrigin = tab.url !== undefined && tab.url !== '' && new URL(tab.url).origin === origin;
      if (onOrigin && tab.status === 'complete') {
        try {
          const reply = (await chrome.tabs.sendMessage(tabId, message, { frameId: 0 })) as
            | { ok: true; value: WireResponse }
            | { ok: false; error: { message: string; kind?: string } }
            | undefined;
          if (!reply) throw noAnswer('The Azure DevOps page did not answer (it was reloaded or closed).');
          if (!reply.ok) throw Object.assign(new Error(reply.error.message), { kind: reply.error.kind ?? 'network' });
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
        throw Object.assign(new Error('The Azure DevOps page is not available. Open it again and resume.'), { kind: 'tab' });
      }
      await tabSettled(tabId, 500);
    }
  };
}
