// Types shared by the entry points of `federate-ado` that the engine's own .d.ts does not declare.

/** Options of `scanLive`: what to scan, and with which credentials. */
export interface LiveScanOptions {
  /** `https://dev.azure.com/{org}` or `https://{org}.visualstudio.com`. */
  orgUrl: string;
  /** One project's name; without it every project of the organization is scanned. */
  project?: string | null;
  /** A personal access token or an OAuth/Entra bearer token. In Node, defaults to the environment. */
  token?: string;
  /** How the token is sent: `pat` (Basic) or `bearer`. Default `pat`. */
  tokenKind?: 'pat' | 'bearer';
  /** Send the token over plain `http:` (an on-premises server without TLS). Without it, an `http:` `orgUrl` throws an error of kind `insecure` and sends nothing. */
  allowHttp?: boolean;
  /** The most projects scanned at once. */
  concurrency?: number;
  /** Called as projects finish during an organization scan. */
  onProgress?: ((event: import('../pkg/web/federate_wasm.js').ScanProgressEvent) => void) | null;
  /** Cancels the scan. */
  signal?: AbortSignal | null;
  /** Extra context for the verdicts (organization id, `now`); the organization name comes from `orgUrl`. */
  context?: import('../pkg/web/federate_wasm.js').Context;
  /** api-version (default 7.1). */
  apiVersion?: string | null;
}

/** A token found in the environment, and the variable it came from. */
export interface TokenFromEnv {
  token: string;
  tokenKind: 'pat' | 'bearer';
  source: 'AZURE_DEVOPS_EXT_PAT' | 'SYSTEM_ACCESSTOKEN';
}

/** What `scanLive` resolves with. */
export interface LiveScanResult {
  /** The organization's name. */
  organization: string;
  /** Every connection found, as the service returned it (shared ones once, as read from their owner). */
  endpoints: import('../pkg/web/federate_wasm.js').ServiceEndpoint[];
  /** The verdict of each endpoint, in the same order. */
  verdicts: import('../pkg/web/federate_wasm.js').Verdict[];
  /** For an organization scan: projects, merged connections, `complete`, `stopped`, stats. Null for one project. */
  scan: import('../pkg/web/federate_wasm.js').OrgScan | null;
  /** Secret values the service returned and the engine dropped on reading (count only; normally 0). */
  secretValuesDropped: number;
}
