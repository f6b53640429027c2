// Loads the wasm engine once, in an extension context (service worker or extension page).
// Never imported by the content script: a page's CSP may block wasm there.
import init from '../../pkg/web/federate_wasm.js';

export * from '../../pkg/web/federate_wasm.js';

let ready: Promise<unknown> | undefined;

/** Instantiates the engine on first call; later calls share the same promise. */
export function loadEngine(): Promise<unknown> {
  ready ??= init({ module_or_path: chrome.runtime.getURL('wasm/federate_wasm_bg.wasm') });
  return ready;
}
