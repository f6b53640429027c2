// Loads the wasm engine once, in an extension context (service worker or extension page),
// and gives the extension typed calls into it. Never imported by the content script: a
// page's CSP may block wasm there.
import init, * as wasm from '../../pkg/web/federate_wasm.js';
import { normalizeVerdict, type ProjectRef, type RemedyFormat, REMEDY_FORMATS, type Verdict } from './model.js';

let ready: Promise<unknown> | undefined;

/** Instantiates the engine on first call; later calls share the same promise. */
export function loadEngine(): Promise<unknown> {
  ready ??= init({ module_or_path: chrome.runtime.getURL('wasm/federate_wasm_bg.wasm') });
  return ready;
}

/** The context every engine call takes (`now` is an ISO time: the engine has no clock). */
export interface EngineContext {
  organizationName: string;
  organizationId: string | null;
  projectName: string | null;
  projectId: string | null;
  now: string;
}

type Fn = (...args: unknown[]) => unknown;
/** An export of the engine by name, or undefined while it doesn't exist yet. */
function exported(name: string): Fn | undefined {
  const f = (wasm as unknown as Record<string, unknown>)[name];
  return typeof f === 'function' ? (f as Fn) : undefined;
}

/** Classifies a list of endpoints (`{count, value}` or an array) into normalized verdicts. */
export function classify(list: unknown, context: EngineContext, foundIn: ProjectRef | null = null): Verdict[] {
  const f = exported('classifyEndpoints');
  if (!f) throw new Error('the engine has no classifyEndpoints');
  const out = f(list, context);
  return Array.isArray(out) ? out.map((v) => normalizeVerdict(v, foundIn)) : [];
}

/** The remedy of one endpoint in every format the engine knows (formats it rejects are left out). */
export function remedies(endpoint: unknown, context: EngineContext): Partial<Record<RemedyFormat, string>> {
  const f = exported('federatedCredentialCommands');
  const out: Partial<Record<RemedyFormat, string>> = {};
  if (!f) return out;
  for (const format of REMEDY_FORMATS) {
    try {
      const text = f(endpoint, context, format);
      if (typeof text === 'string' && text.length > 0) out[format] = text;
    } catch {
      // This format doesn't apply to this endpoint: the switch won't offer it.
    }
  }
  return out;
}

/** Explains a known Azure DevOps or Entra error text, or null. */
export function explainError(text: string): unknown {
  const f = exported('explainError');
  if (!f) return null;
  try {
    return f(text);
  } catch {
    return null;
  }
}

/** The inventory as a report document. */
export function renderReport(verdicts: readonly Verdict[], format: 'json' | 'csv' | 'markdown'): string {
  const f = exported('renderReport');
  if (f) return String(f(verdicts, format));
  // Until the engine's report lands: the same columns, plainly.
  if (format === 'json') return JSON.stringify(verdicts, null, 2);
  const cols = ['name', 'project', 'type', 'credential', 'state', 'convertible', 'issuerFormat', 'id'] as const;
  const rows = verdicts.map((v) => [
    v.name ?? '',
    v.owner?.projectName ?? v.foundIn?.projectName ?? '',
    v.type ?? '',
    v.credential,
    v.state,
    v.convertible.status,
    v.federation?.format ?? '',
    v.id ?? '',
  ]);
  if (format === 'csv') {
    const cell = (s: string) => (/[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""').replace(/^([=+\-@])/, "'$1")}"` : s);
    return `${[cols.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\r\n')}\r\n`;
  }
  const md = (s: string) => s.replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
  return (
    [`| ${cols.join(' | ')} |`, `|${cols.map(() => ' --- |').join('')}`, ...rows.map((r) => `| ${r.map(md).join(' | ')} |`)].join('\n') +
    '\n'
  );
}

/** A relay: the engine's request (headers as pairs or a record), answered by the page's origin. */
export type Relay = (request: {
  method: string;
  url: string;
  headers: Record<string, string> | [string, string][];
  body: string | null;
}) => Promise<{ status: number; headers: Record<string, string>; body: string; url?: string | null }>;

/** Where the client sends: the organization's API base and, for project calls, the project. */
export interface ClientOptions {
  orgUrl: string;
  project?: string | null;
  concurrency?: number | null;
}

function client(name: string): Fn {
  const f = exported(name);
  if (!f) throw Object.assign(new Error(`The engine has no ${name}: rebuild the extension.`), { kind: 'engine' });
  return f;
}

/** The client's `scanProject`: every endpoint of one project, failed ones included. */
export async function clientScanProject(options: ClientOptions, relay: Relay, signal: AbortSignal): Promise<unknown[]> {
  const out = await (client('scanProject')(options, relay, signal) as Promise<unknown>);
  return Array.isArray(out) ? out : [];
}

/** The client's `listProjects`. */
export async function clientListProjects(
  options: ClientOptions,
  relay: Relay,
  signal: AbortSignal,
): Promise<{ id: string; name: string }[]> {
  const out = await (client('listProjects')(options, relay, signal) as Promise<unknown>);
  return Array.isArray(out) ? (out as { id: string; name: string }[]) : [];
}

/** The client's `organizationId` (connectionData `instanceId`). */
export async function clientOrganizationId(options: ClientOptions, relay: Relay, signal: AbortSignal): Promise<string | null> {
  const id = await (client('organizationId')(options, relay, signal) as Promise<unknown>);
  return typeof id === 'string' ? id : null;
}
