// What the extension writes to the devtools console: fixed words and codes only. An error's
// message can carry service text (a connection's name, an answer's message) that must not reach
// a console raw, and the engine's sanitizer may be the very thing that failed to load.

/** Error kinds the engine's client gives (`ClientErrorKind`) and the extension's own `engine`. */
const KINDS = new Set([
  'signedOut',
  'throttled',
  'forbidden',
  'notFound',
  'inProgress',
  'badRequest',
  'server',
  'network',
  'cancelled',
  'malformed',
  'argument',
  'insecure',
  'engine',
]);

/** JavaScript and DOM error names worth telling apart (a full storage, a dead port ...). */
const NAMES = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'AbortError',
  'QuotaExceededError',
  'InvalidStateError',
  'NetworkError',
  'DataCloneError',
  'NotFoundError',
]);

/** A code for `err` from fixed lists: its client `kind`, else its error name, else "unknown". */
export function failureCode(err: unknown): string {
  const e = err as { kind?: unknown; name?: unknown } | null;
  const kind = typeof e?.kind === 'string' && KINDS.has(e.kind) ? e.kind : null;
  const name = typeof e?.name === 'string' && NAMES.has(e.name) ? e.name : null;
  return kind ?? name ?? 'unknown';
}

/** Warns in the console with `what` (a fixed sentence) and the failure's code, never its text. */
export function warnFailure(what: string, err: unknown): void {
  console.warn(`[Federate] ${what} (${failureCode(err)})`);
}
