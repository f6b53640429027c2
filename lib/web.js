// The browser and bundler entry point of `federate-ado`: call `await init()` once before using the
// engine. By default the wasm is fetched from next to this package's JavaScript; pass a URL, a
// Response, bytes or a compiled WebAssembly.Module to load it from elsewhere.
import initWasm from '../pkg/web/federate_wasm.js';

export * from '../pkg/web/federate_wasm.js';
export { scanLive } from './live.js';

/** @type {Promise<void> | undefined} */
let ready;

/**
 * Loads and instantiates the engine once; later calls return the same promise.
 *
 * @param {URL | string | Response | BufferSource | WebAssembly.Module} [wasm]
 * @returns {Promise<void>}
 */
export function init(wasm) {
  ready ??= initWasm({ module_or_path: wasm ?? new URL('../pkg/web/federate_wasm_bg.wasm', import.meta.url) }).then(() => {});
  return ready;
}

export default init;
