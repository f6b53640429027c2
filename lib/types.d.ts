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
  /** The most projects scanned at once. */
  concurrency?: number;
  /** Called with progress events of an organization scan. */
  onProgress?: ((event: any) => void) | null;
  /** Cancels an organization scan. */
  signal?: AbortSignal | null;
}

/** A token found in the environment, and the variable it came from. */
export interface TokenFromEnv {
  token: string;
  tokenKind: 'pat' | 'bearer';
  source: 'AZURE_DEVOPS_EXT_PAT' | 'SYSTEM_ACCESSTOKEN';
}
