#!/usr/bin/env node
// `federate`: the command-line tool of federate-ado. Audits service connection lists (a file, stdin,
// or live from an organization), decodes federation subjects, explains error texts and prints the
// commands that create a connection's federated credential. Node built-ins only.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as federate from '../lib/node.js';

const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** Exit codes, documented in `--help`. */
const EXIT = { ok: 0, findings: 1, usage: 2, input: 3, service: 4, internal: 5 };

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
  --format F        audit: ${REPORT_FORMATS.join(', ')} (default table)
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
  --project NAME    audit --org: one project; decode: the connection's home project
  --connection-id GUID, --connection-name NAME, --tenant-id GUID
                    decode: the connection's id, its name, its identity's tenant
  --now ISO         context: the time used for deadlines (default: now)
  --allow-http      audit --org: send the token over plain http, for an on-premises
                    server that has no TLS (anyone on the network can read it)
  --json            decode, explain-error: print JSON
  -h, --help        this help
  -v, --version     the version

Exit codes:
  0  done; for audit --fail-on, no connection matched
  1  audit --fail-on matched at least one connection; explain-error found no known error
  2  usage: unknown command or option, missing argument, no token for --org, an
     http: --org without --allow-http
  3  bad input: file not found, invalid JSON (with its line and column), not a service
     connection list, malformed subject, unknown connection id
  4  Azure DevOps or the network failed (signed out, no permission, throttled, unreachable)
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
  return { verdicts, incomplete, dropped: result.secretValuesDropped ?? 0, endpoints, found, concurrency, signal: controller.signal };
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

const COMMANDS = { audit, decode, 'explain-error': explain, remedy };

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
