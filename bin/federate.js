#!/usr/bin/env node
// `federate`: the command-line tool of federate-ado. Audits service connection lists (a file, stdin,
// or live from an organization), decodes federation subjects, explains error texts and prints the
// commands that create a connection's federated credential. Node built-ins only.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import * as federate from '../lib/node.js';
import { JournalWriter, readJournal } from './journal.js';

const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** Exit codes, documented in `--help`. */
const EXIT = { ok: 0, findings: 1, usage: 2, input: 3, service: 4, internal: 5 };

/** convert: requests in flight at once when --concurrency is not given (the job allows 1 to 16). */
const DEFAULT_JOB_CONCURRENCY = 4;

const REPORT_FORMATS = ['table', 'json', 'csv', 'markdown', 'sarif'];
const REMEDY_FORMATS = ['az', 'azIdentity', 'powershell', 'bicep', 'terraform', 'graph', 'portal'];
/** The `--fail-on` gates, as the engine decides them. */
const GATES = federate.auditGates();

const HELP = `federate ${version}: get Azure DevOps service connections off secrets

Usage:
  federate audit [FILE|-] [--format F] [--fail-on G[,G]] [context options]
      Classify a service connection list: a REST list response ({count, value}), a bare
      array, or the output of \`az devops service-endpoint list -o json\`. Reads stdin when
      FILE is "-" or missing and stdin is not a terminal.
  federate audit --org URL [--project NAME] [--concurrency N] [--format F] [--fail-on G]
                [--usage]
      The same, live: every project of the organization (or one), with a token from
      AZURE_DEVOPS_EXT_PAT (a PAT) or SYSTEM_ACCESSTOKEN (a pipeline's bearer token).
      The token goes only over https. Progress goes to stderr. --usage also reads each
      connection's usage history: lastUsed, usedBy (the pipelines, with their last run and
      result) and jobs30d.
  federate convert --org URL [--project NAME] (--ids ID[,ID] | --all-convertible) [--revert]
                  [--yes | --interactive] [--journal FILE] [--concurrency N] [--format F]
      Convert secret-based Azure Resource Manager connections to workload identity
      federation (or, with --revert and --ids, revert them inside their revert window).
      Reads the connections live (token as for audit --org), prints the engine's plan: what
      will be sent and what is skipped and why, and sends nothing. --yes runs that plan;
      --interactive asks for each connection: Convert (sent at once, its outcome shown),
      Skip, or Exit (default Skip for a shared connection); it needs a terminal. Progress,
      one line per connection with a running count, goes to stderr; --format json prints
      the final job: {items: [{id, name, project, outcome, attempts, issuer, subject,
      revertDeadline, message}], counts, state}, outcome one of converted, reverted,
      alreadyFederated, manualRequired, forbidden, failed, skipped, cancelled.
      The journal (--journal, default ./federate-journal.json) holds the confirmed plan and
      the engine's records, written to disk before each request leaves. Run the same command
      again with the same journal after a crash, a kill or Ctrl-C: the unfinished job
      resumes and no connection is converted twice (a request sent without a known answer
      is settled by reading the connection, never sent again blindly). Ctrl-C pauses the
      job (requests in flight finish) and exits 130; a second Ctrl-C quits at once.
  federate decode SUBJECT [--json] [--org-name N] [--org-id G] [--project N]
                 [--connection-id G] [--connection-name N] [--tenant-id G]
      Explain a federation subject segment by segment (sc://org/project/connection, or
      /eid1/c/pub/t/{tenant}/a/{app}/sc/{orgId}/{connectionId}; any other text is one
      segment of an unknown format): each segment as written, decoded, what it means,
      and whether it matches the values given (matches, differs: expected ..., or not
      checked). --json prints {format, formatWord, segments: [{label, text, value,
      meaning, check, expected, checkWord}], ...}.
  federate explain-error TEXT...|- [--json]
      Find a known error (AADSTS..., TF..., VS..., conversion errors) in a text or a log
      read from stdin, and say what it means and how to fix it.
  federate remedy FILE|- --id ID --format ${REMEDY_FORMATS.join('|')} [context options]
      Print the commands (or portal steps) that create the federated credential of the
      connection with that id (or name).

Options:
  --format F        audit: ${REPORT_FORMATS.join(', ')} (default table); convert: table, json
  --fail-on G       audit: exit 1 when a connection matches: secret (holds a secret),
                    draft (a draft), azure-devops-issuer (uses the Azure DevOps issuer,
                    retired on 2027-07-01), pat (holds a PAT for Azure DevOps; global
                    PATs stop working on 2026-12-01), unknown (a credential Federate
                    cannot name), unused:DAYS (live, with usage: unused for DAYS days or
                    more, or never used; Azure DevOps disables connections unused for
                    100 days). Repeat it or separate with commas.
  --usage           audit --org: read each connection's usage (json, csv, markdown, table)
  --org-name NAME   context: the organization's name (checks sc:// subjects)
  --org-id GUID     context: the organization's id (builds expected issuers and subjects)
  --project NAME    audit --org, convert: one project; decode: the connection's home project
  --connection-id GUID, --connection-name NAME, --tenant-id GUID
                    decode: the connection's id, its name, its identity's tenant
  --now ISO         context: the time used for deadlines (default: now)
  --allow-http      audit --org: send the token over plain http, for an on-premises
                    server that has no TLS (anyone on the network can read it)
  --json            decode, explain-error: print JSON
  --ids ID[,ID]     convert: these connections (ids; repeat it or separate with commas)
  --all-convertible convert: every connection the engine finds convertible
  --revert          convert: revert the --ids connections to their secret
  -y, --yes         convert: run the plan (without it, the plan is only printed)
  -i, --interactive convert: ask Convert / Skip / Exit for each connection
  --journal FILE    convert: the job's journal (default ./federate-journal.json)
  --concurrency N   audit --org: projects scanned at once; convert: also requests in
                    flight at once (1 to 16, default ${DEFAULT_JOB_CONCURRENCY})
  -h, --help        this help
  -v, --version     the version

Exit codes:
  0  done; for audit --fail-on, no connection matched; for convert, every planned
     connection converted (or reverted, or already federated), or only a plan printed
  1  audit --fail-on matched at least one connection; explain-error found no known error;
     convert: some connections failed or need manual steps (see their messages)
  2  usage: unknown command or option, missing argument, no token for --org, an
     http: --org without --allow-http, convert --interactive without a terminal
  3  bad input: file not found, invalid JSON (with its line and column), not a service
     connection list, malformed subject, unknown connection id; convert: a journal that
     cannot be read, of another organization, or with an unfinished job of another plan
  4  Azure DevOps or the network failed (signed out, no permission, throttled, unreachable);
     convert: the job paused (its reason on stderr): run again with the same journal
  130 convert: interrupted by Ctrl-C, the job paused; run again with the same journal
  5  an internal error (please report it)
`;

/** An error with an exit code, shown as one line. */
class CliError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

const usage = (message) => new CliError(`${message}\nRun \`federate --help\` for usage.`, EXIT.usage);

/** The message of a thrown value. */
const messageOf = (err) => (err instanceof Error ? err.message : String(err));

/** `n` and the noun, plural unless `n` is 1: "1 connection", "3 connections". */
const plural = (n, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** Writes `text` to stdout, ending it with a newline when it lacks one. */
const printLine = (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

function readInput(file) {
  if (file === undefined || file === '-') {
    if (file === undefined && process.stdin.isTTY) throw usage('no input: give a FILE, or "-" to read stdin');
    try {
      return { name: 'stdin', text: readFileSync(0, 'utf8') };
    } catch (err) {
      throw new CliError(`cannot read stdin: ${err.message}`, EXIT.input);
    }
  }
  try {
    return { name: file, text: readFileSync(file, 'utf8') };
  } catch (err) {
    if (err.code === 'ENOENT') throw new CliError(`${file}: file not found`, EXIT.input);
    if (err.code === 'EISDIR') throw new CliError(`${file}: is a folder, not a file`, EXIT.input);
    throw new CliError(`${file}: cannot read: ${err.message}`, EXIT.input);
  }
}

/** Calls the engine; its errors on outside input become input errors naming the source. */
function engineCall(source, fn) {
  try {
    return fn();
  } catch (err) {
    throw new CliError(`${source}: ${messageOf(err)}`, EXIT.input);
  }
}

function contextFrom(values) {
  const context = { now: values.now ?? new Date().toISOString() };
  if (values['org-name']) context.organizationName = values['org-name'];
  if (values['org-id']) context.organizationId = values['org-id'];
  if (values.now !== undefined && Number.isNaN(Date.parse(values.now))) throw usage(`--now "${values.now}" is not an ISO time`);
  return context;
}

/** `--fail-on unused:DAYS` gates (checked by the engine's usage verdicts), apart from the others. */
const UNUSED_GATE = /^unused:(\d{1,5})$/;

function listOf(values, name, allowed) {
  const items = (values[name] ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const item of items) {
    if (name === 'fail-on' && UNUSED_GATE.test(item)) continue;
    if (!allowed.includes(item)) throw usage(`--${name} "${item}" is not one of ${allowed.join(', ')}`);
  }
  return items;
}

/** A value as pretty JSON, with the characters a serializer leaves raw (C1, bidi) escaped by the engine. */
const jsonOut = (value) => `${federate.sanitizeText(JSON.stringify(value, null, 2), 'json')}\n`;

/** Text from the service or the input, made safe for a terminal line by the engine. */
const safe = (text) => federate.sanitizeText(String(text), 'terminal');

function cell(value) {
  return value === null || value === undefined || value === '' ? '-' : safe(value);
}

/** The owning project, and how many others a shared connection is shared with. */
function projects(v) {
  const owner = v.owner?.projectName ?? null;
  const others = (v.sharedWith ?? []).filter((p) => p.projectName !== owner).length;
  return owner && others ? `${owner} (+${others} shared)` : owner;
}

/** A plain-text table of verdicts, one connection a row (with the engine's usage words when read). */
function table(verdicts, usage = null) {
  const head = ['Name', 'Type', 'Credential', 'State', 'Convertible', 'Issuer', 'Project', ...(usage ? ['Use'] : [])];
  const rows = verdicts.map((v, i) =>
    // The credential in the engine's words ("Azure DevOps PAT" for a PAT to Azure DevOps).
    [
      v.name,
      v.type,
      v.credentialWord,
      v.state,
      v.convertible?.status,
      // The issuer format in the engine's words, as the other clients show it.
      v.federation?.formatWord,
      projects(v),
      ...(usage ? [usage[i]?.label] : []),
    ].map(cell),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]].length)));
  const line = (r) =>
    r
      .map((c, i) => c + ' '.repeat(widths[i] - [...c].length))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The table's summary line, as the engine counts it. */
function summary(verdicts) {
  return cell(federate.summaryLine(verdicts));
}

function describeProgress(event) {
  return `scanned ${event.projectsDone}/${event.projectsTotal} projects, ${event.connectionsFound} connections`;
}

async function liveVerdicts(values, context) {
  const found = federate.tokenFromEnv();
  if (!found) throw usage('--org needs a token: set AZURE_DEVOPS_EXT_PAT (a personal access token) or SYSTEM_ACCESSTOKEN');
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0))
    throw usage('--concurrency must be a positive whole number');
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const target = values.project ? `project "${values.project}" of ${values.org}` : values.org;
  if (values['allow-http']) {
    process.stderr.write(
      'federate: warning: --allow-http: the token may go over plain http, where anyone on the network can read it; use it only for an on-premises server without TLS\n',
    );
  }
  process.stderr.write(`federate: scanning ${safe(target)} (token from ${found.source})\n`);
  let result;
  try {
    result = await federate.scanLive({
      orgUrl: values.org,
      project: values.project,
      token: found.token,
      tokenKind: found.tokenKind,
      allowHttp: values['allow-http'] === true,
      ...(concurrency === undefined ? {} : { concurrency }),
      onProgress: (event) => process.stderr.write(`federate: ${describeProgress(event)}\n`),
      signal: controller.signal,
      context,
    });
  } catch (err) {
    const kind = err && typeof err === 'object' && 'kind' in err ? err.kind : null;
    if (kind === 'insecure') throw usage(messageOf(err));
    throw new CliError(`${values.org}${kind ? ` (${kind})` : ''}: ${messageOf(err)}`, EXIT.service);
  }
  const { verdicts, scan, endpoints } = result;
  process.stderr.write(`federate: done, ${plural(verdicts.length, 'connection')}\n`);
  // An organization scan resolves with what it could read; say what is missing.
  const failed = scan ? scan.projects.filter((p) => p.error) : [];
  for (const p of failed)
    process.stderr.write(`federate: project "${safe(p.name)}" was not read: ${safe(p.error.message ?? p.error.kind)}\n`);
  const incomplete =
    scan && (!scan.complete || failed.length > 0)
      ? `the scan is incomplete${scan.stopped ? ` (${scan.stopped.kind}: ${safe(scan.stopped.message ?? '')})` : ''}`
      : null;
  return { verdicts, incomplete, dropped: result.secretValuesDropped ?? 0, endpoints, scan, found, concurrency, signal: controller.signal };
}

/**
 * Reads the usage history of every connection found (the engine picks each one's project and
 * runs the reads with the client's concurrency limit and rate-limit handling). Resolves with
 * what it read and, when it stopped early, why.
 */
async function liveUsage(values, live) {
  const targets = federate.usageTargets(live.endpoints, values.project ?? null);
  process.stderr.write(`federate: reading the usage of ${plural(targets.length, 'connection')}\n`);
  let lastShown = -1;
  const load = await federate.loadUsage(
    {
      orgUrl: values.org,
      token: live.found.token,
      tokenKind: live.found.tokenKind,
      allowHttp: values['allow-http'] === true,
      ...(live.concurrency === undefined ? {} : { concurrency: live.concurrency }),
    },
    targets,
    null,
    (e) => {
      if (e.waiting) process.stderr.write(`federate: throttled, waiting ${Math.ceil(e.waiting.ms / 1000)} s\n`);
      else if (e.done === e.total || e.done - lastShown >= 50) {
        lastShown = e.done;
        process.stderr.write(`federate: usage read for ${e.done}/${e.total} connections\n`);
      }
    },
    live.signal,
  );
  const unknown = load.connections.filter((c) => c.unknown).length;
  if (unknown) process.stderr.write(`federate: usage unknown for ${plural(unknown, 'connection')} (see each one's usage reasons)\n`);
  const incomplete = load.complete
    ? null
    : `the usage read is incomplete${load.stopped ? ` (${load.stopped.kind}: ${safe(load.stopped.message ?? '')})` : ''}`;
  return { usage: load.connections, incomplete };
}

async function audit(positionals, values) {
  const format = values.format ?? 'table';
  if (!REPORT_FORMATS.includes(format)) throw usage(`--format "${format}" is not one of ${REPORT_FORMATS.join(', ')}`);
  const gates = listOf(values, 'fail-on', GATES);
  const context = contextFrom(values);
  if (positionals.length > 1) throw usage('audit takes one FILE');
  const wantsUsage = values.usage === true || gates.some((g) => UNUSED_GATE.test(g));
  if (wantsUsage && !values.org) throw usage('--usage and --fail-on unused:DAYS need --org (usage is read live)');
  if (values.usage && format === 'sarif') throw usage('--usage reports are json, csv, markdown or table');
  let verdicts;
  let incomplete = null;
  let usageRead = null;
  let dropped = 0;
  if (values.org) {
    if (positionals.length) throw usage('give either a FILE or --org, not both');
    try {
      context.organizationName ??= federate.parseAdoUrl(values.org).organization;
    } catch (err) {
      throw usage(`--org: ${messageOf(err)}`);
    }
    const live = await liveVerdicts(values, context);
    ({ verdicts, incomplete, dropped } = live);
    // Live endpoints come back already clean; the engine counted what it dropped while reading.
    if (dropped) {
      process.stderr.write(`federate: warning: ${federate.secretValuesNotice(dropped, 'service')}\n`);
    }
    if (wantsUsage) {
      try {
        const read = await liveUsage(values, live);
        usageRead = read.usage;
        incomplete ??= read.incomplete;
      } catch (err) {
        throw new CliError(`${values.org}: usage: ${safe(messageOf(err))}`, EXIT.service);
      }
    }
  } else {
    if (values.project) throw usage('--project needs --org');
    const input = readInput(positionals[0]);
    verdicts = engineCall(input.name, () => federate.classifyEndpoints(input.text, context));
    dropped = verdicts.reduce((n, v) => n + (v.secretValuesDropped ?? 0), 0);
    if (dropped) {
      process.stderr.write(`federate: warning: ${federate.secretValuesNotice(dropped, 'input')}\n`);
    }
  }
  const usageVerdicts = usageRead ? engineCall('usage', () => federate.usageVerdicts(verdicts, usageRead, context.now)) : null;
  if (format === 'table') {
    process.stdout.write(`${table(verdicts, values.usage ? usageVerdicts : null)}\n\n${summary(verdicts)}\n`);
  } else if (values.usage) {
    printLine(engineCall('report', () => federate.renderUsageReport(verdicts, usageRead, format, context.now)));
  } else {
    printLine(engineCall('report', () => federate.renderReport(verdicts, format)));
  }
  if (incomplete) {
    process.stderr.write(`federate: error: ${safe(values.org)}: ${incomplete}\n`);
    return EXIT.service;
  }
  const failing = gates.length ? engineCall('--fail-on', () => federate.usageGateFailures(verdicts, usageRead, gates, context.now)) : [];
  if (failing.length) {
    process.stderr.write(
      `federate: --fail-on ${gates.join(',')}: ${plural(failing.length, 'connection')} matched: ${failing.map((v) => safe(v.name ?? v.id)).join(', ')}\n`,
    );
    return EXIT.findings;
  }
  return EXIT.ok;
}

/** What `decode` checks the segments against: the context options given (the engine ignores `now`). */
function subjectContext(values) {
  const context = contextFrom(values);
  if (values.project) context.projectName = values.project;
  if (values['connection-id']) context.connectionId = values['connection-id'];
  if (values['connection-name']) context.connectionName = values['connection-name'];
  if (values['tenant-id']) context.tenantId = values['tenant-id'];
  return context;
}

function decode(positionals, values) {
  if (positionals.length !== 1) throw usage('decode takes one SUBJECT');
  const context = subjectContext(values);
  // The engine refuses a context whose ids are not GUIDs (a bad --org-id, --connection-id or
  // --tenant-id): an option's value, so a usage error. Explaining an issuer never fails on
  // the issuer's text, so any error here is the context's.
  try {
    federate.decodeFederationIssuer('', context);
  } catch (err) {
    throw usage(messageOf(err));
  }
  const decoded = engineCall('subject', () => federate.decodeFederationSubject(positionals[0], context));
  if (values.json) {
    process.stdout.write(jsonOut(decoded));
  } else {
    // The engine's segments as they are: label and decoded value, the text as written, the
    // meaning and the check, every string through the engine's sanitizer.
    const width = Math.max('Format'.length, ...decoded.segments.map((s) => [...s.label].length));
    const pad = ' '.repeat(width + 2);
    const lines = [`${'Format'.padEnd(width)}  ${safe(decoded.formatWord)}`];
    for (const s of decoded.segments) {
      lines.push(
        `${safe(s.label)}${' '.repeat(width - [...s.label].length)}  ${safe(s.value)}${s.text === s.value ? '' : `  (${safe(s.text)})`}`,
        `${pad}${safe(s.meaning)}`,
        `${pad}${safe(s.checkWord)}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return EXIT.ok;
}

function explain(positionals, values) {
  if (!positionals.length) throw usage('explain-error takes the error TEXT, or "-" to read stdin');
  const text = positionals.length === 1 && positionals[0] === '-' ? readInput('-').text : positionals.join(' ');
  const found = federate.explainError(text);
  if (values.json) {
    process.stdout.write(jsonOut(found));
  } else if (found) {
    process.stdout.write(
      `${found.code}: ${found.title}\n\nWhat it means: ${found.meaning}\nHow to fix it: ${found.fix}\n${found.docs ? `More: ${found.docs}\n` : ''}`,
    );
  } else {
    process.stdout.write('No known Azure DevOps or Microsoft Entra error found in this text.\n');
  }
  return found ? EXIT.ok : EXIT.findings;
}

/** The endpoints of a list, as raw objects (the engine has already checked the shape). */
function rawEndpoints(text) {
  const json = JSON.parse(text.replace(/^\uFEFF/, ''));
  if (Array.isArray(json)) return json;
  if (Array.isArray(json?.value)) return json.value;
  return [json];
}

function remedy(positionals, values) {
  if (positionals.length > 1) throw usage('remedy takes one FILE');
  if (!values.id) throw usage('remedy needs --id ID (a connection id or name)');
  const format = values.format ?? 'az';
  if (!REMEDY_FORMATS.includes(format)) throw usage(`--format "${format}" is not one of ${REMEDY_FORMATS.join(', ')}`);
  const context = contextFrom(values);
  const input = readInput(positionals[0]);
  engineCall(input.name, () => federate.classifyEndpoints(input.text, context));
  const endpoints = rawEndpoints(input.text);
  const wanted = values.id.toLowerCase();
  const endpoint =
    endpoints.find((e) => String(e?.id ?? '').toLowerCase() === wanted) ??
    endpoints.find((e) => String(e?.name ?? '').toLowerCase() === wanted);
  if (!endpoint) throw new CliError(`${input.name}: no connection with id or name "${values.id}"`, EXIT.input);
  printLine(engineCall(endpoint.name ?? values.id, () => federate.federatedCredentialCommands(endpoint, context, format)));
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------
// convert: the engine's job machine, driven from a terminal. This code stores (the journal),
// schedules (timers) and relays (sendRequest); every decision is the engine's.

/** Exit code after Ctrl-C: the job is paused, its journal consistent (128 + SIGINT). */
const EXIT_INTERRUPTED = 130;

/** The plan of this run, from the engine: {plan, endpoints} for the connections read live. */
async function convertPlan(values, context, ids) {
  const live = await liveVerdicts(values, context);
  if (live.incomplete) throw new CliError(`${values.org}: ${live.incomplete}; nothing was planned or sent`, EXIT.service);
  const endpoints = live.endpoints;
  let plan;
  if (values.revert) {
    plan = engineCall('plan', () => federate.planReverts(endpoints, ids));
  } else if (values.project) {
    plan = engineCall('plan', () =>
      federate.planConversions(endpoints, { project: values.project, selected: ids.length ? ids : null, allowManual: false }),
    );
  } else {
    // Organization-wide: each owning project planned as from itself (the engine's rule); the
    // connections grouped by the project the scan read each one from.
    const scanned = live.scan?.connections ?? [];
    const groups = new Map();
    for (const c of scanned) {
      if (!groups.has(c.readFrom))
        groups.set(c.readFrom, { project: c.readFrom, selected: ids.length ? [] : null, also: [], endpoints: [] });
      const g = groups.get(c.readFrom);
      g.endpoints.push(c.endpoint);
      if (ids.length && ids.some((id) => id.toLowerCase() === String(c.id).toLowerCase())) g.selected.push(c.id);
    }
    const list = [...groups.values()];
    // Ids the scan did not find: the engine lists them as not found.
    const found = new Set(scanned.map((c) => String(c.id).toLowerCase()));
    const missing = ids.filter((id) => !found.has(id.toLowerCase()));
    if (missing.length) {
      if (!list.length) list.push({ project: values.org, selected: [], also: [], endpoints: [] });
      list[0].selected.push(...missing);
    }
    plan = engineCall('plan', () => federate.planOrganization(list, false));
  }
  return { plan, endpoints, found: live.found, concurrency: live.concurrency };
}

/** The plan in words: what will be sent, what is skipped and why (names through the sanitizer). */
function printPlan(header, format, out = process.stdout) {
  if (format === 'json') {
    process.stdout.write(
      jsonOut({
        direction: header.direction,
        send: header.items.map((i) => ({ id: i.id, name: i.name, project: i.projectName ?? i.project, shared: i.fingerprint.isShared })),
        skip: header.skipped.map((s) => ({
          id: s.id,
          name: s.name,
          project: s.projectName ?? s.project,
          reason: s.reason,
          message: s.message,
        })),
      }),
    );
    return;
  }
  const verb = header.direction === 'revert' ? 'revert' : 'convert';
  const lines = [`Will ${verb} ${plural(header.items.length, 'connection')}:`];
  for (const i of header.items)
    lines.push(
      `  ${cell(i.name ?? i.id)}  (${cell(i.projectName ?? i.project)}${i.fingerprint.isShared ? ', shared' : ''})  ${cell(i.id)}`,
    );
  if (header.skipped.length) {
    lines.push(`Skipped ${plural(header.skipped.length, 'connection')}:`);
    for (const s of header.skipped) lines.push(`  ${cell(s.name ?? s.id)}  (${cell(s.projectName ?? s.project)}): ${cell(s.message)}`);
  }
  out.write(`${lines.join('\n')}\n`);
}

/** The final job: a table, or `{items, counts}` as JSON (the engine's view, its words). */
function jobResult(views, format) {
  const items = views.flatMap((v) => v.items);
  const counts = {};
  for (const v of views) for (const [k, n] of Object.entries(v.counts)) counts[k] = (counts[k] ?? 0) + n;
  if (format === 'json') {
    process.stdout.write(
      jsonOut({
        items: items.map((i) => ({
          id: i.id,
          name: i.name,
          project: i.projectName ?? i.project,
          outcome: i.outcome,
          attempts: i.attempts,
          issuer: i.issuer,
          subject: i.subject,
          revertDeadline: i.revertDeadline,
          message: i.message,
        })),
        counts,
        state: views.length ? views[views.length - 1].state : 'done',
      }),
    );
    return;
  }
  const head = ['Name', 'Project', 'Outcome', 'Attempts', 'Message'];
  const rows = items.map((i) =>
    [i.name ?? i.id, i.projectName ?? i.project, i.outcome ?? i.status, String(i.attempts), i.message].map(cell),
  );
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => [...r[k]].length)));
  const line = (r) =>
    r
      .map((c, k) => c + ' '.repeat(widths[k] - [...c].length))
      .join('  ')
      .trimEnd();
  const summary = views.map((v) => v.summary).filter(Boolean);
  process.stdout.write(
    `${[line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n\n${cell(summary.join('; '))}\n`,
  );
}

/**
 * Runs a job until it is done or paused for the user: the driver loop of `federate_core::job`.
 * Records are appended to the journal before the steps of their batch are performed; each
 * request is relayed as it is (`sendRequest`: the token, the organization's origin only);
 * timers are armed for `waitUntil` and for pauses that resume by themselves. Resolves with the
 * job's view.
 */
async function driveJob(job, journal, { options, stop, progress }) {
  const inFlight = new Set();
  let wake = () => {};
  let pauseShown = null;
  let stopApplied = false;
  const store = (records) => {
    try {
      journal.append(records);
      return true;
    } catch (err) {
      process.stderr.write(`federate: error: cannot write the journal ${safe(journal.file)}: ${safe(messageOf(err))}\n`);
      try {
        job.apply({ type: 'storageFailed', jobs: 1, kilobytes: Math.ceil(journal.bytes / 1024) }, Date.now());
      } catch {}
      return false;
    }
  };
  const applied = (event) => {
    const records = job.apply(event, Date.now());
    if (store(records)) progress(records);
  };
  const launch = (step) => {
    inFlight.add(step.step);
    federate
      .sendRequest(options, step.request)
      .then(
        (response) => applied({ type: 'answer', step: step.step, response }),
        (err) => applied({ type: 'lost', step: step.step, why: { kind: 'network', message: messageOf(err) } }),
      )
      .finally(() => {
        inFlight.delete(step.step);
        wake();
      });
  };
  for (;;) {
    if (stop.requested && !stopApplied) {
      stopApplied = true;
      try {
        applied({ type: 'pause' });
      } catch {}
    }
    const { records, steps } = job.next(Date.now());
    if (!store(records)) continue;
    progress(records);
    let at = null;
    let paused = null;
    for (const step of steps) {
      if (step.type === 'send' || step.type === 'read' || step.type === 'poll') launch(step);
      else if (step.type === 'waitUntil') at = step.atMs;
      else if (step.type === 'paused') {
        paused = step;
        at = step.resumeAtMs ?? null;
      } else if (step.type === 'done') {
        return job.view();
      }
    }
    if (paused && paused.message !== pauseShown) {
      pauseShown = paused.message;
      process.stderr.write(`federate: ${safe(paused.message)}\n`);
    }
    if (paused && (at === null || stop.requested) && inFlight.size === 0) return job.view();
    if (!inFlight.size && at === null && !steps.length) throw new Error('the job handed out no step while nothing was in flight');
    await new Promise((resolve) => {
      wake = resolve;
      stop.wake = resolve;
      if (at !== null) {
        const timer = setTimeout(resolve, Math.max(0, at - Date.now()));
        const clear = () => clearTimeout(timer);
        wake = () => {
          clear();
          resolve();
        };
        stop.wake = wake;
      }
    });
  }
}

/** Prints one line per finished connection, with a running count. */
function progressPrinter(header, start) {
  let done = start;
  const total = header.items.length;
  return (records) => {
    for (const r of records) {
      if (r.kind !== 'outcome') continue;
      done += 1;
      const item = header.items[r.item];
      const where = item.projectName ?? item.project;
      process.stderr.write(
        `federate: [${done}/${total}] ${r.outcome}: ${safe(item.name ?? item.id)} (${safe(where)})${r.message ? `: ${safe(r.message)}` : ''}\n`,
      );
    }
  };
}

/** Asks until the answer is one of the choices; an empty answer takes the default; Ctrl-C is Exit. */
async function ask(rl, question, fallback, signal) {
  for (;;) {
    let answer;
    try {
      answer = (await rl.question(question, { signal })).trim().toLowerCase();
    } catch (err) {
      if (signal.aborted) return 'exit';
      throw err;
    }
    if (answer === '') return fallback;
    for (const choice of ['convert', 'skip', 'exit']) if (choice.startsWith(answer)) return choice;
  }
}

/**
 * The SIGINT handler of a running job: the first Ctrl-C pauses it (the driver applies the
 * engine's pause; requests in flight finish), a second one quits at once (the journal is
 * consistent: a `sent` without its answer is settled by a read on the next run).
 */
function interrupter(stop) {
  return () => {
    if (stop.requested) process.exit(EXIT_INTERRUPTED);
    stop.requested = true;
    process.stderr.write(
      'federate: pausing: waiting for the requests in flight (Ctrl-C again to quit at once; the journal stays consistent)\n',
    );
    stop.wake();
  };
}

/** A new job id. */
const newJobId = () => `cli-${randomUUID()}`;

async function convert(positionals, values) {
  if (positionals.length) throw usage('convert takes no positional argument');
  if (!values.org) throw usage('convert needs --org URL');
  const format = values.format ?? 'table';
  if (!['table', 'json'].includes(format)) throw usage(`--format "${format}" is not one of table, json`);
  if (values.yes && values.interactive) throw usage('give either --yes or --interactive, not both');
  if (values.interactive && !(process.stdin.isTTY && process.stderr.isTTY))
    throw usage('--interactive needs a terminal (stdin and stderr); in a pipeline, print the plan, then run it with --yes');
  const ids = (values.ids ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  if (values.revert && !ids.length) throw usage('--revert needs --ids ID[,ID] (the connections to revert)');
  if (!values.revert && !ids.length && !values['all-convertible'])
    throw usage('say what to convert: --ids ID[,ID], or --all-convertible for every convertible connection');
  if (ids.length && values['all-convertible']) throw usage('give either --ids or --all-convertible, not both');
  const concurrency = values.concurrency === undefined ? DEFAULT_JOB_CONCURRENCY : Number(values.concurrency);
  if (!(Number.isInteger(concurrency) && concurrency > 0)) throw usage('--concurrency must be a positive whole number');
  let location;
  try {
    location = federate.parseAdoUrl(values.org);
  } catch (err) {
    throw usage(`--org: ${messageOf(err)}`);
  }
  const found = federate.tokenFromEnv();
  if (!found) throw usage('--org needs a token: set AZURE_DEVOPS_EXT_PAT (a personal access token) or SYSTEM_ACCESSTOKEN');
  const options = { orgUrl: values.org, token: found.token, tokenKind: found.tokenKind, allowHttp: values['allow-http'] === true };
  const direction = values.revert ? 'revert' : 'convert';
  const file = resolve(values.journal ?? 'federate-journal.json');

  // The journal: an unfinished job in it is resumed, never planned again.
  let jobs;
  try {
    jobs = readJournal(file);
  } catch (err) {
    throw new CliError(`journal ${file}: ${messageOf(err)}`, EXIT.input);
  }
  const last = jobs[jobs.length - 1];
  let restored = null;
  if (last) {
    if (String(last.header.api?.base).toLowerCase() !== location.apiBase.toLowerCase())
      throw new CliError(
        `journal ${file} holds a job of ${last.header.api?.base}, not ${location.apiBase}: use another --journal`,
        EXIT.input,
      );
    try {
      restored = federate.ConversionJob.restore(last.header, last.records);
    } catch (err) {
      throw new CliError(`journal ${file}: ${messageOf(err)}`, EXIT.input);
    }
    if (!['running', 'paused'].includes(restored.view().state)) {
      restored.free();
      restored = null;
    }
  }
  const context = { now: new Date().toISOString(), organizationName: location.organization };
  const stop = { requested: false, wake: () => {} };
  const views = [];

  if (restored) {
    const header = last.header;
    const planned = new Set(header.items.map((i) => i.id.toLowerCase()));
    // An --interactive run's jobs hold one connection each: its --ids are not theirs.
    const sameIds = values.interactive || !ids.length || (ids.length === planned.size && ids.every((id) => planned.has(id.toLowerCase())));
    if (header.direction !== direction || !sameIds)
      throw new CliError(
        `journal ${file} holds unfinished job ${header.id} (${header.direction} of ${plural(header.items.length, 'connection')}), not this plan: run it again with the same options to finish it, or use another --journal`,
        EXIT.input,
      );
    const before = restored.view();
    const finished = before.items.filter((i) => i.status === 'done').length;
    process.stderr.write(
      `federate: journal ${safe(file)}: job ${safe(header.id)} is unfinished: ${finished}/${header.items.length} done\n`,
    );
    if (!values.yes && !values.interactive) {
      printPlan(header, format);
      process.stderr.write('federate: nothing was sent. Run again with --yes to finish this job.\n');
      restored.free();
      return EXIT.ok;
    }
    const journal = new JournalWriter(file);
    const onSigint = interrupter(stop);
    process.on('SIGINT', onSigint);
    try {
      if (before.canResume) journal.append(restored.apply({ type: 'resume' }, Date.now()));
      const view = await driveJob(restored, journal, { options, stop, progress: progressPrinter(header, finished) });
      views.push(view);
    } finally {
      process.off('SIGINT', onSigint);
      journal.close();
      restored.free();
    }
    if (stop.requested || views[0].exitCode !== 0 || !values.interactive) {
      jobResult(views, format);
      if (views[0].state === 'paused')
        process.stderr.write(`federate: the job is paused: run the same command again (journal ${safe(file)}) to resume it\n`);
      return stop.requested ? EXIT_INTERRUPTED : views[0].exitCode;
    }
  }

  // A new plan, from the engine, on connections read now.
  const { plan, endpoints } = await convertPlan({ ...values, concurrency: String(concurrency) }, context, ids);
  let header;
  try {
    header = federate.jobHeader(newJobId(), direction, values.org, plan, endpoints, values.interactive ? 1 : concurrency, Date.now());
  } catch (err) {
    throw usage(messageOf(err));
  }
  // Running it: the plan in words on stderr, stdout keeps the final job.
  const running = values.yes || values.interactive;
  printPlan(header, running ? 'table' : format, running ? process.stderr : process.stdout);
  if (!header.items.length) {
    process.stderr.write('federate: nothing to send.\n');
    if (running) jobResult(views, format);
    return views.length ? views[0].exitCode : EXIT.ok;
  }
  if (!values.yes && !values.interactive) {
    process.stderr.write(
      `federate: nothing was sent. Run again with --yes to ${direction} ${plural(header.items.length, 'connection')} (or --interactive to choose one by one).\n`,
    );
    return EXIT.ok;
  }
  const conflict = federate.jobConflicts(
    header.items.map((i) => i.id),
    jobs.map((j) => {
      const job = federate.ConversionJob.restore(j.header, j.records);
      const active = job.active();
      job.free();
      return active;
    }),
  );
  if (conflict) throw new CliError(conflict.message, EXIT.input);

  const journal = new JournalWriter(file);
  const onSigint = interrupter(stop);
  process.on('SIGINT', onSigint);
  try {
    if (values.yes) {
      const job = federate.ConversionJob.start(header);
      try {
        journal.startJob(header);
        process.stderr.write(`federate: job ${safe(header.id)}, journal ${safe(file)}\n`);
        views.push(await driveJob(job, journal, { options, stop, progress: progressPrinter(header, 0) }));
      } finally {
        job.free();
      }
    } else {
      // --interactive: one job of one connection per "convert", sent at once.
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      // Ctrl-C at a prompt (the terminal is in raw mode: readline sees it, not the process).
      const interrupt = new AbortController();
      rl.on('SIGINT', () => {
        stop.requested = true;
        interrupt.abort();
      });
      // The input ended (Ctrl-D): Exit, not a prompt that waits forever.
      rl.on('close', () => interrupt.abort());
      try {
        for (const [k, item] of header.items.entries()) {
          if (stop.requested) break;
          const shared = item.fingerprint.isShared;
          const question = `${direction === 'revert' ? 'Revert' : 'Convert'} ${shared ? 'shared ' : ''}service connection '${safe(item.name ?? item.id)}' (${safe(item.projectName ?? item.project)})? [c]onvert, [s]kip, [e]xit (default ${shared ? 'skip' : 'convert'}): `;
          const choice = await ask(rl, question, shared ? 'skip' : 'convert', interrupt.signal);
          if (choice === 'exit') {
            process.stderr.write('federate: stopped; what was converted stays converted (see the journal)\n');
            break;
          }
          if (choice === 'skip') {
            process.stderr.write(`federate: skipped ${safe(item.name ?? item.id)}\n`);
            continue;
          }
          const one = federate.jobHeader(
            newJobId(),
            direction,
            values.org,
            { send: [plan.send.find((p) => p.id === item.id)], skip: [] },
            endpoints,
            1,
            Date.now(),
          );
          const job = federate.ConversionJob.start(one);
          try {
            journal.startJob(one);
            const view = await driveJob(job, journal, {
              options,
              stop,
              progress: progressPrinter({ items: header.items.slice(k, k + 1) }, 0),
            });
            views.push(view);
            if (view.exitCode === 4) break;
          } finally {
            job.free();
          }
        }
      } finally {
        rl.close();
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
    journal.close();
  }
  jobResult(views, format);
  if (stop.requested || views.some((v) => v.state === 'paused'))
    process.stderr.write(`federate: the job is paused: run the same command again (journal ${safe(file)}) to resume it\n`);
  if (stop.requested) return EXIT_INTERRUPTED;
  return views.reduce((code, v) => (v.exitCode === 4 || code === 4 ? 4 : Math.max(code, v.exitCode)), EXIT.ok);
}

const COMMANDS = { audit, convert, decode, 'explain-error': explain, remedy };

async function run(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string', short: 'f' },
        'fail-on': { type: 'string', multiple: true },
        org: { type: 'string' },
        project: { type: 'string' },
        concurrency: { type: 'string' },
        'org-name': { type: 'string' },
        'org-id': { type: 'string' },
        'connection-id': { type: 'string' },
        'connection-name': { type: 'string' },
        'tenant-id': { type: 'string' },
        now: { type: 'string' },
        'allow-http': { type: 'boolean' },
        id: { type: 'string' },
        json: { type: 'boolean' },
        usage: { type: 'boolean' },
        ids: { type: 'string', multiple: true },
        'all-convertible': { type: 'boolean' },
        revert: { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        interactive: { type: 'boolean', short: 'i' },
        journal: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    throw usage(err.message);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${version}\n`);
    return EXIT.ok;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === 'help' || command === undefined) {
    process.stdout.write(HELP);
    return command === undefined && !values.help ? EXIT.usage : EXIT.ok;
  }
  const handler = COMMANDS[command];
  if (!handler) throw usage(`unknown command "${command}"`);
  return handler(rest, values);
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (err) {
  if (err instanceof CliError) {
    // Messages may quote the input or the service: through the engine's sanitizer (lines kept).
    process.stderr.write(`federate: error: ${federate.sanitizeText(err.message, 'block')}\n`);
    process.exitCode = err.code;
  } else {
    // An internal error's text may quote the input too.
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    let shown;
    try {
      shown = federate.sanitizeText(text, 'block');
    } catch {
      shown = '(its text could not be made safe to print)';
    }
    process.stderr.write(`federate: internal error: ${shown}\n`);
    process.exitCode = EXIT.internal;
  }
}
