// Types of the Node entry point of `federate-ado` (the `node` export condition).
export * from '../pkg/web/federate_wasm.js';
export type { LiveScanResult, LiveScanOptions, TokenFromEnv } from './types.js';
import type { LiveScanResult, LiveScanOptions, TokenFromEnv } from './types.js';

/** Resolves at once: in Node the engine is initialised on import. */
export function init(wasm?: unknown): Promise<void>;

/**
 * The token for live calls from the environment: `AZURE_DEVOPS_EXT_PAT` (a PAT) first, then
 * `SYSTEM_ACCESSTOKEN` (a pipeline's OAuth token, sent as a bearer token); null when neither is set.
 */
export function tokenFromEnv(env?: Record<string, string | undefined>): TokenFromEnv | null;

/**
 * Scans one project (with `project`) or every project of an organization, live, through the
 * engine's fetch transport. Without `token` it is taken from the environment.
 */
export function scanLive(options: LiveScanOptions): Promise<LiveScanResult>;
