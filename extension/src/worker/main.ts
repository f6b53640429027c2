// The module service worker: runs the engine (wasm) and its jobs for content scripts and the
// panel. Listeners are registered synchronously at top level; each checks its sender and
// message. Every HTTP request of a job is relayed to the tab's content script.
import { inventorySummary, loadEngine, remedies, type Relay } from '../shared/engine.js';
import {
  isAzureDevOpsUrl,
  isExtensionPage,
  isMessage,
  isPanelRequest,
  isTrustedSender,
  PANEL_PORT,
  type Message,
  type PageContext,
  type PanelEvent,
  type PanelOpening,
  type RelayResponse,
  type Reply,
  type ReplyOf,
  type TabMessage,
} from '../shared/messages.js';
import { toErrorInfo } from '../shared/model.js';
import { contextFor, scanOrganization, scanProject, type ScannedProject } from './scan.js';
// Conversions and reverts (issue 6): registers its own message listener and resumes jobs.
import './convert.js';
// Usage loads and pre-flights: registers its own port and message listeners.
import { USAGE_PORT } from '../shared/usage-messages.js';
import { forgetUsage, withUsage } from './usage.js';

/** Sends a message to a tab's top frame (where the content script relays and mounts). */
function sendTab<T>(tabId: number, message: TabMessage): Promise<T | undefined> {
  return chrome.tabs.sendMessage(tabId, message, { frameId: 0 }) as Promise<T | undefined>;
}

/** The engine's count of secret values a stopped organization scan had dropped (0 if none). */
function droppedBy(err: unknown): number {
  const n = (err as { secretValuesDropped?: unknown } | null)?.secretValuesDropped;
  return typeof n === 'number' ? n : 0;
}

/** A relay through the content script of one tab. */
function relayTo(tabId: number): Relay {
  return async (request) => {
    let reply: Reply<RelayResponse> | undefined;
    const headers = Array.isArray(request.headers) ? Object.fromEntries(request.headers) : request.headers;
    try {
      reply = await sendTab<Reply<RelayResponse>>(tabId, { type: 'relay', request: { ...request, headers, body: request.body ?? null } });
    } catch {
      reply = undefined;
    }
    if (!reply) throw Object.assign(new Error('The Azure DevOps page did not answer; reload it.'), { kind: 'network' });
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error);
    return reply.value;
  };
}

/**
 * Panels the content script's overlay is about to frame, by tab: the panel claims its tab's
 * opening once (`panelHello`), so a panel framed by anything else (a page script, another
 * site) finds none and refuses to act. Openings expire after a few seconds.
 */
const panelOpenings = new Map<number, PanelOpening & { nonce: string; at: number }>();
const OPENING_TTL_MS = 15_000;

// Last project scan per tab, so the connection card doesn't scan again. Lost when the worker
// stops; then the card scans again.
const recent = new Map<number, { key: string; at: number; scan: ScannedProject }>();
const keyOf = (ctx: PageContext) => `${ctx.apiBase}|${ctx.projectName ?? ''}`.toLowerCase();

async function projectScan(tabId: number, ctx: PageContext, fresh: boolean): Promise<ScannedProject> {
  const hit = recent.get(tabId);
  if (!fresh && hit && hit.key === keyOf(ctx) && Date.now() - hit.at < 60_000) return hit.scan;
  const scan = await scanProject(ctx, relayTo(tabId), new AbortController().signal);
  recent.set(tabId, { key: keyOf(ctx), at: Date.now(), scan });
  return scan;
}

async function handle(message: Message, sender: chrome.runtime.MessageSender): Promise<ReplyOf[Message['type']]> {
  await loadEngine();
  const tabId = sender.tab?.id;
  switch (message.type) {
    case 'scanProject': {
      if (tabId === undefined) throw new Error('scans run for a tab');
      const { endpoints: _relayedAlready, ...inventory } = (await projectScan(tabId, message.context, true)).inventory;
      return { ...(await withUsage(inventory, message.context.apiBase)), summary: inventorySummary(inventory.verdicts) };
    }
    case 'connection': {
      if (tabId === undefined) throw new Error('the card runs in a tab');
      const id = message.id.toLowerCase();
      let scan = await projectScan(tabId, message.context, false);
      if (!scan.endpoints.has(id)) scan = await projectScan(tabId, message.context, true);
      const verdict = scan.inventory.verdicts.find((v) => v.id === id);
      if (!verdict) throw Object.assign(new Error('This service connection was not found in the project.'), { kind: 'notFound' });
      const ctx = await contextFor(message.context, relayTo(tabId), scan.inventory.project);
      const [withUse = verdict] = (await withUsage({ verdicts: [verdict] }, message.context.apiBase)).verdicts;
      const endpoint = scan.endpoints.get(id);
      return { verdict: withUse, remedies: endpoint ? remedies(endpoint, ctx) : { remedies: [], reason: null } };
    }
    case 'openPanel': {
      if (!isExtensionPage(sender) || message.tabId === null) throw new Error('openPanel comes from the popup');
      const tab = await chrome.tabs.get(message.tabId);
      if (!isAzureDevOpsUrl(tab.url)) throw Object.assign(new Error('Open an Azure DevOps page first.'), { kind: 'notFound' });
      await sendTab(message.tabId, { type: 'mountPanel' });
      return null;
    }
    case 'panelOpening': {
      // Only the content script of the tab's top frame frames the panel.
      if (tabId === undefined || sender.frameId !== 0 || isExtensionPage(sender)) throw new Error('panelOpening comes from the page');
      panelOpenings.set(tabId, {
        context: message.context,
        connection: message.connection,
        theme: message.theme,
        nonce: message.nonce,
        at: Date.now(),
      });
      return null;
    }
    case 'panelHello': {
      // The panel is our own page; its tab is the sender's (or the one it read with tabs.getCurrent).
      const tab = sender.tab?.id ?? message.tabId;
      if (!isExtensionPage(sender) || tab === undefined || tab === null) throw new Error('panelHello comes from the panel');
      // Only the frame the overlay gave the nonce to claims it; another frame (a page script's)
      // is refused and leaves the opening to its owner.
      const opening = panelOpenings.get(tab);
      const expired = !!opening && Date.now() - opening.at > OPENING_TTL_MS;
      if (expired || opening?.nonce === message.nonce) panelOpenings.delete(tab);
      if (!opening || expired || opening.nonce !== message.nonce) {
        throw Object.assign(
          new Error(
            "This Federate panel was not opened by Federate on this page, so it won't act here. Open it from the Federate bar, a connection's card, or Alt+Shift+F.",
          ),
          { kind: 'refused' },
        );
      }
      return { context: opening.context, connection: opening.connection, theme: opening.theme };
    }
    case 'closePanel': {
      if (!isExtensionPage(sender) || tabId === undefined) throw new Error('closePanel comes from the panel');
      await sendTab(tabId, { type: 'unmountPanel' });
      return null;
    }
  }
}

chrome.runtime.onMessage.addListener((message: unknown, sender, sendResponse) => {
  if (!isTrustedSender(sender) || !isMessage(message)) return false;
  handle(message, sender).then(
    (value) => sendResponse({ ok: true, value }),
    (err: unknown) => sendResponse({ ok: false, error: toErrorInfo(err) }),
  );
  return true;
});

// The panel keeps a port open while it is shown; a scan runs as long as the port does.
chrome.runtime.onConnect.addListener((port) => {
  if (port.name === USAGE_PORT) return; // worker/usage.ts
  const tabId = port.sender?.tab?.id;
  if (port.name !== PANEL_PORT || !port.sender || !isExtensionPage(port.sender) || tabId === undefined) {
    port.disconnect();
    return;
  }
  let job: AbortController | null = null;
  let open = true;
  const post = (event: PanelEvent) => {
    if (open) port.postMessage(event);
  };
  port.onDisconnect.addListener(() => {
    open = false;
    job?.abort();
  });
  port.onMessage.addListener((message: unknown) => {
    if (!isPanelRequest(message)) return;
    if (message.type === 'cancel') {
      job?.abort();
      return;
    }
    job?.abort();
    const controller = new AbortController();
    job = controller;
    const { scope, context } = message;
    forgetUsage(context.apiBase);
    post({ type: 'started', scope });
    const relay = relayTo(tabId);
    const run = async (): Promise<number> => {
      await loadEngine();
      if (scope === 'project') {
        const scan = await scanProject(context, relay, controller.signal);
        recent.set(tabId, { key: keyOf(context), at: Date.now(), scan });
        post({ type: 'inventory', inventory: scan.inventory });
        return scan.secretValuesDropped;
      }
      const { secretValuesDropped } = await scanOrganization(
        context,
        relay,
        (p) => {
          if (!controller.signal.aborted) post({ type: 'inventory', inventory: p.inventory });
        },
        (done, total, project) => {
          if (!controller.signal.aborted) post({ type: 'progress', done, total, project });
        },
        (wait) => {
          if (!controller.signal.aborted) post({ type: 'waiting', ...wait });
        },
        controller.signal,
      );
      return secretValuesDropped;
    };
    run().then(
      (secretValuesDropped) => {
        if (job === controller) job = null;
        post({ type: 'finished', scope, cancelled: controller.signal.aborted, secretValuesDropped });
      },
      (err: unknown) => {
        if (job === controller) job = null;
        const error = toErrorInfo(err);
        if (controller.signal.aborted || error.kind === 'cancelled')
          post({ type: 'finished', scope, cancelled: true, secretValuesDropped: droppedBy(err) });
        else post({ type: 'failed', error });
      },
    );
  });
});

// The keyboard command opens the panel over the active Azure DevOps tab.
chrome.commands.onCommand.addListener((command, tab) => {
  if (command !== 'open-panel' || tab?.id === undefined || !isAzureDevOpsUrl(tab.url)) return;
  void sendTab(tab.id, { type: 'mountPanel' }).catch(() => undefined);
});

chrome.tabs.onRemoved.addListener((tabId) => {
  recent.delete(tabId);
  panelOpenings.delete(tabId);
});
