// The module service worker: runs the engine (wasm) and its jobs for content scripts and the
// panel. One listener per channel, registered synchronously at top level: the one-shot
// messages go through one handler map (every type of the message union to its handler, each
// handler checks its sender), the ports by name. Every HTTP request goes through the one
// relay (relay.ts) to the tab's content script.
import { inventorySummary, loadEngine, remedies, withWords } from '../shared/engine.js';
import {
  errorOf,
  isAzureDevOpsUrl,
  isExtensionPage,
  isMessage,
  isPanelRequest,
  isTrustedSender,
  type ConvertMessage,
  type Message,
  type MessageOf,
  PANEL_PORT,
  type PageContext,
  type PanelEvent,
  type PanelOpening,
  type ReplyOf,
  type TabMessage,
  toErrorInfo,
  USAGE_PORT,
} from '../shared/messages.js';
import { convertHandlers, resumeAll } from './convert.js';
import { relayThrough } from './relay.js';
import { contextFor, scanOrganization, scanProject, type ScannedProject } from './scan.js';
import { connectUsage, forgetUsage, preflight, withUsage } from './usage.js';

/** Sends a message to a tab's top frame (where the content script relays and mounts). */
function sendTab<T>(tabId: number, message: TabMessage): Promise<T | undefined> {
  return chrome.tabs.sendMessage(tabId, message, { frameId: 0 }) as Promise<T | undefined>;
}

/** The engine's count of secret values a stopped organization scan had dropped (0 if none). */
function droppedBy(err: unknown): number {
  const n = (err as { secretValuesDropped?: unknown } | null)?.secretValuesDropped;
  return typeof n === 'number' ? n : 0;
}

/** The relay of a scan the content script (or the panel) asked for: it may run while the page still loads. */
const scanRelay = (tabId: number, ctx: PageContext) => relayThrough(tabId, ctx.apiBase, { whileLoading: true });

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
  const scan = await scanProject(ctx, scanRelay(tabId, ctx), new AbortController().signal);
  recent.set(tabId, { key: keyOf(ctx), at: Date.now(), scan });
  return scan;
}

/** A refusal of a message's sender: the reply's error kind is `forbidden`. */
function forbidden(what: string): Error {
  return Object.assign(new Error(what), errorOf('forbidden', what));
}

/** Throws unless the message comes from one of the extension's own pages (the panel, the popup). */
function fromExtensionPage(sender: chrome.runtime.MessageSender, what: string): void {
  if (!isExtensionPage(sender)) throw forbidden(what);
}

/** The sender's tab, when the message comes from the content script in a tab (not an extension page). */
function fromTab(sender: chrome.runtime.MessageSender, what: string): number {
  const tabId = sender.tab?.id;
  if (tabId === undefined || isExtensionPage(sender)) throw forbidden(what);
  return tabId;
}

type Handler<K extends Message['type']> = (message: MessageOf<K>, sender: chrome.runtime.MessageSender) => Promise<ReplyOf[K]>;

/** A conversion command's handler: only from the extension's own pages. */
function convert<K extends ConvertMessage['type']>(type: K): Handler<K> {
  const handle = convertHandlers[type] as (message: MessageOf<K>) => Promise<ReplyOf[K]>;
  return async (message, sender) => {
    fromExtensionPage(sender, 'Conversions are started from the Federate panel only.');
    return handle(message);
  };
}

/** Every message type to its handler; each checks its sender (a refusal is a `forbidden` reply). */
export const handlers: { [K in Message['type']]: Handler<K> } = {
  async scanProject(message, sender) {
    const tabId = fromTab(sender, 'Scans run for an Azure DevOps tab.');
    await loadEngine();
    const { endpoints: _relayedAlready, ...inventory } = (await projectScan(tabId, message.context, true)).inventory;
    return { ...(await withUsage(inventory, message.context.apiBase)), summary: inventorySummary(inventory.verdicts) };
  },
  async connection(message, sender) {
    const tabId = fromTab(sender, 'The connection card runs in an Azure DevOps tab.');
    await loadEngine();
    const id = message.id.toLowerCase();
    let scan = await projectScan(tabId, message.context, false);
    if (!scan.endpoints.has(id)) scan = await projectScan(tabId, message.context, true);
    const verdict = scan.inventory.verdicts.find((v) => v.id === id);
    if (!verdict) throw Object.assign(new Error('This service connection was not found in the project.'), { kind: 'notFound' });
    const ctx = await contextFor(message.context, scanRelay(tabId, message.context), scan.inventory.project);
    const [withUse = verdict] = (await withUsage({ verdicts: [verdict] }, message.context.apiBase)).verdicts;
    const endpoint = scan.endpoints.get(id);
    return { verdict: withUse, remedies: endpoint ? remedies(endpoint, ctx) : { remedies: [], reason: null } };
  },
  async openPanel(message, sender) {
    fromExtensionPage(sender, 'openPanel comes from the popup.');
    if (message.tabId === null) throw Object.assign(new Error('Open an Azure DevOps page first.'), { kind: 'notFound' });
    const tab = await chrome.tabs.get(message.tabId);
    if (!isAzureDevOpsUrl(tab.url)) throw Object.assign(new Error('Open an Azure DevOps page first.'), { kind: 'notFound' });
    await sendTab(message.tabId, { type: 'mountPanel' });
    return null;
  },
  async panelOpening(message, sender) {
    // Only the content script of the tab's top frame frames the panel.
    const tabId = fromTab(sender, "panelOpening comes from the page's top frame.");
    if (sender.frameId !== 0) throw forbidden("panelOpening comes from the page's top frame.");
    panelOpenings.set(tabId, {
      context: message.context,
      connection: message.connection,
      theme: message.theme,
      nonce: message.nonce,
      at: Date.now(),
    });
    return null;
  },
  async panelHello(message, sender) {
    // The panel is our own page; its tab is the sender's (or the one it read with tabs.getCurrent).
    fromExtensionPage(sender, 'panelHello comes from the panel.');
    const tab = sender.tab?.id ?? message.tabId;
    if (tab === undefined || tab === null) throw new Error('panelHello needs the tab of the panel');
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
  },
  async closePanel(_message, sender) {
    fromExtensionPage(sender, 'closePanel comes from the panel.');
    const tabId = sender.tab?.id;
    if (tabId === undefined) throw new Error('closePanel needs the tab of the panel');
    await sendTab(tabId, { type: 'unmountPanel' });
    return null;
  },
  // Commands come only from the extension's own pages (where the user confirmed), never from
  // a content script running inside the Azure DevOps page.
  'convert.plan': convert('convert.plan'),
  'convert.dryRun': convert('convert.dryRun'),
  'convert.start': convert('convert.start'),
  'convert.pause': convert('convert.pause'),
  'convert.resume': convert('convert.resume'),
  'convert.cancel': convert('convert.cancel'),
  'convert.retry': convert('convert.retry'),
  'convert.jobs': convert('convert.jobs'),
  'convert.clearFinished': convert('convert.clearFinished'),
  'convert.endpoints': convert('convert.endpoints'),
  async 'usage.preflight'(message, sender) {
    fromExtensionPage(sender, 'The pre-flight runs from the Federate panel only.');
    return preflight(message);
  },
};

/** Routes a message to its handler; a handler that throws before its first await still rejects (and is answered). */
async function route<K extends Message['type']>(message: MessageOf<K>, sender: chrome.runtime.MessageSender): Promise<ReplyOf[K]> {
  return (handlers[message.type as K] as Handler<K>)(message, sender);
}

chrome.runtime.onMessage.addListener((message: unknown, sender, sendResponse) => {
  if (!isTrustedSender(sender) || !isMessage(message)) return false;
  route(message, sender).then(
    (value) => sendResponse({ ok: true, value }),
    // Every error reply carries the engine's words: the content script, which draws them, cannot run the engine.
    (err: unknown) =>
      loadEngine()
        .catch(() => null)
        .then(() => sendResponse({ ok: false, error: withWords(toErrorInfo(err)) })),
  );
  return true;
});

// The panel keeps a port open while it is shown; a scan runs as long as the port does.
chrome.runtime.onConnect.addListener((port) => {
  if (port.name === USAGE_PORT) {
    connectUsage(port);
    return;
  }
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
    const relay = scanRelay(tabId, context);
    const run = async (): Promise<{ secretValuesDropped: number; incomplete: string | null }> => {
      await loadEngine();
      if (scope === 'project') {
        const scan = await scanProject(context, relay, controller.signal);
        recent.set(tabId, { key: keyOf(context), at: Date.now(), scan });
        post({ type: 'inventory', inventory: scan.inventory });
        return { secretValuesDropped: scan.secretValuesDropped, incomplete: null };
      }
      return await scanOrganization(
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
    };
    run().then(
      ({ secretValuesDropped, incomplete }) => {
        if (job === controller) job = null;
        post({ type: 'finished', scope, cancelled: controller.signal.aborted, secretValuesDropped, incomplete });
      },
      (err: unknown) => {
        if (job === controller) job = null;
        const error = toErrorInfo(err);
        if (controller.signal.aborted || error.kind === 'cancelled')
          post({ type: 'finished', scope, cancelled: true, secretValuesDropped: droppedBy(err), incomplete: null });
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

// Conversion jobs that were running when the worker stopped go on.
resumeAll();
