// Types of the browser and bundler entry point of `federate-ado` (the `default` export condition).
export * from '../pkg/web/federate_wasm.js';
export type { LiveScanResult, LiveScanOptions } from './types.js';
import type { LiveScanResult, LiveScanOptions } from './types.js';

/**
 * Loads and instantiates the engine once (later calls share the promise). Call it before any
 * other function. Without an argument the wasm is fetched from next to the package's JavaScript.
 */
export function init(wasm?: URL | string | Response | BufferSource | WebAssembly.Module): Promise<void>;
export default init;

/** Scans one project (with `project`) or every project of an organization, live, with a token. */
export function scanLive(options: LiveScanOptions): Promise<LiveScanResult>;
