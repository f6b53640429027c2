// The module service worker: runs the engine (wasm) for content scripts and the panel.
// Listeners are registered synchronously at top level; each checks its sender and message.
import { classifyEndpoints, loadEngine } from './engine.js';
import { isMessage, isTrustedSender, type Message, type Reply } from './messages.js';

async function handle(message: Message): Promise<Reply> {
  await loadEngine();
  switch (message.type) {
    case 'classify':
      return {
        ok: true,
        verdicts: classifyEndpoints(message.list, {
          organizationName: message.context.organizationName,
          projectName: message.context.projectName,
          now: new Date().toISOString(),
        }),
      };
    case 'openPanel':
      return { ok: true, verdicts: [] };
  }
}

chrome.runtime.onMessage.addListener((message: unknown, sender, sendResponse) => {
  if (!isTrustedSender(sender) || !isMessage(message)) return false;
  handle(message).then(sendResponse, (err: unknown) =>
    sendResponse({ ok: false, error: err instanceof Error ? err.message : String(err) } satisfies Reply),
  );
  return true;
});
