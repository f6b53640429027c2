// The docs page: the rule table and the worked examples from the engine, and the playground (verdicts
// of a pasted list, a connection's details and remedies, a subject decoder, an error explainer).
// Everything runs offline in the page. Text from input goes into the DOM with textContent only.
import init, {
  classifyEndpoints,
  decodeFederationSubject,
  engineVersion,
  explainError,
  remedies,
  summaryLine,
  verdictRules,
} from '../../pkg/web/federate_wasm.js';
import type { Context, DecodedIssuer, DecodedSubject, EndpointJson, Remedies, Verdict } from '../../pkg/web/federate_wasm.js';

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page lacks #${id}`);
  return el as T;
}

/** Creates an element with text content (never HTML) and optional class. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string | null, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Turns camelCase keys into words: `organizationName` → `Organization name`. */
function words(key: string): string {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** A value as short text for a table cell. */
function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '–';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.map(show).join(', ');
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (typeof obj.message === 'string') return obj.message;
    return Object.entries(obj)
      .map(([k, v]) => `${words(k)}: ${show(v)}`)
      .join('; ');
  }
  return String(value);
}

function fillFacts(list: HTMLElement, entries: [string, unknown][]): void {
  list.replaceChildren();
  for (const [k, v] of entries) {
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    list.append(el('dt', k), el('dd', show(v)));
  }
}

// ---- Rule table and worked examples -------------------------------------------------------------

function renderRules(): void {
  const rules = verdictRules() as unknown as Record<string, unknown>[];
  const table = $<HTMLTableElement>('rules-table');
  const keys: string[] = [];
  for (const rule of rules) for (const k of Object.keys(rule)) if (!keys.includes(k)) keys.push(k);
  const head = el('tr');
  for (const k of keys) {
    const th = el('th', words(k));
    th.scope = 'col';
    th.dataset.key = k;
    head.append(th);
  }
  table.tHead?.replaceChildren(head);
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const rule of rules) {
    const tr = el('tr');
    for (const k of keys) tr.append(el('td', k === 'usesSecret' && rule[k] === null ? 'unknown' : show(rule[k])));
    body.append(tr);
  }
  table.dataset.rules = String(rules.length);
}

/**
 * Draws the engine's explanation of a subject (or issuer) as it is: its format in the engine's
 * words, then one entry a segment in the engine's order (label and text as written; the
 * decoded value, the meaning and the check).
 */
function fillSegments(list: HTMLElement, decoded: DecodedSubject | DecodedIssuer): void {
  list.replaceChildren(el('dt', 'Format'), el('dd', decoded.formatWord));
  for (const s of decoded.segments) {
    const dt = el('dt', s.label);
    dt.append(el('br'), el('code', s.text));
    const dd = el('dd');
    dd.dataset.check = s.check;
    dd.append(el('code', s.value), el('br'), el('span', s.meaning, 'meaning'), el('br'), el('span', s.checkWord, 'check'));
    list.append(dt, dd);
  }
}

/** Decodes a federation subject with the engine, checked against the organization given above. */
function fillDecoded(list: HTMLElement, subject: string): void {
  fillSegments(list, decodeFederationSubject(subject, context()));
}

function renderExample(subjectId: string, listId: string): void {
  fillDecoded($(listId), $(subjectId).textContent ?? '');
}

// ---- Playground: verdicts ---------------------------------------------------------------------

const input = $<HTMLTextAreaElement>('input');
const inputError = $('input-error');
const results = $('results');
const details = $('details');
let endpoints: EndpointJson[] = [];
let verdicts: Verdict[] = [];
let current: { verdict: Verdict; endpoint: EndpointJson; remedies: Remedies } | null = null;
/** The Details button that opened the details, to give focus back on close. */
let opener: HTMLElement | null = null;

function context(): Context {
  const ctx: Context = { now: new Date().toISOString() };
  const name = $<HTMLInputElement>('org-name').value.trim();
  const id = $<HTMLInputElement>('org-id').value.trim();
  if (name) ctx.organizationName = name;
  if (id) ctx.organizationId = id;
  return ctx;
}

/** The raw endpoints of a list the engine accepted, in its order. */
function rawEndpoints(text: string): EndpointJson[] {
  const json: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
  if (Array.isArray(json)) return json as EndpointJson[];
  if (json && typeof json === 'object' && Array.isArray((json as { value?: unknown }).value))
    return (json as { value: EndpointJson[] }).value;
  return [json as EndpointJson];
}

/** Points the textarea at the line and column an error names, when it names one. */
function showInputError(text: string): void {
  const pos = /line (\d+),? column (\d+)/i.exec(text);
  let friendly = text;
  if (/invalid JSON/i.test(text)) friendly = `This is not valid JSON. ${text}`;
  else if (/not a service connection list/i.test(text)) friendly = `This JSON is not a service connection list. ${text}`;
  inputError.textContent = friendly;
  inputError.hidden = false;
  input.setAttribute('aria-invalid', 'true');
  if (pos) {
    const lines = input.value.split('\n');
    const line = Math.min(Math.max(Number(pos[1]), 1), lines.length);
    let offset = 0;
    for (let i = 0; i < line - 1; i += 1) offset += lines[i].length + 1;
    const at = Math.min(offset + Math.max(Number(pos[2]) - 1, 0), input.value.length);
    input.focus();
    input.setSelectionRange(offset, Math.max(at, offset + lines[line - 1].length));
  }
}

function clearInputError(): void {
  inputError.hidden = true;
  inputError.textContent = '';
  input.removeAttribute('aria-invalid');
}

function badge(text: string, tone: 'bad' | 'warn' | 'good' | ''): HTMLElement {
  return el('span', text, `badge ${tone}`.trim());
}

function renderVerdicts(): void {
  const body = $<HTMLTableElement>('verdicts-table').tBodies[0];
  body.replaceChildren();
  verdicts.forEach((v, index) => {
    const tr = el('tr');
    tr.dataset.id = v.id ?? '';
    tr.dataset.credential = v.credential;
    tr.append(el('td', v.name ?? v.id ?? `#${index + 1}`, 'name'), el('td', show(v.type)));
    const cred = el('td');
    // The engine's word and tone ("Azure DevOps PAT", bad; a retiring issuer, warn).
    cred.append(badge(v.credentialWord, v.tone === 'info' ? '' : v.tone));
    const stateTone = v.state === 'ready' ? '' : v.state === 'failed' ? 'bad' : 'warn';
    const state = el('td');
    state.append(badge(v.state, stateTone));
    tr.append(cred, state, el('td', show(v.convertible?.status)), el('td', show(v.federation?.format)));
    const action = el('td');
    const button = el('button', 'Details', 'link');
    button.type = 'button';
    button.setAttribute('aria-label', `Details of ${v.name ?? v.id ?? `connection ${index + 1}`}`);
    button.addEventListener('click', () => {
      opener = button;
      openDetails(index);
    });
    action.append(button);
    tr.append(action);
    body.append(tr);
  });
  // The engine counts (secrets, drafts, PATs to Azure DevOps, the retiring issuer, unknown).
  $('summary').textContent = `${summaryLine(verdicts)}.`;
  results.hidden = false;
}

function classify(): void {
  clearInputError();
  details.hidden = true;
  const text = input.value;
  if (!text.trim()) {
    showInputError('Paste a service connection list first, or load the demo data.');
    input.focus();
    return;
  }
  try {
    verdicts = classifyEndpoints(text, context());
    endpoints = rawEndpoints(text);
  } catch (err) {
    results.hidden = true;
    showInputError(message(err));
    return;
  }
  renderVerdicts();
  $('results-h').focus();
}

// ---- Playground: details and remedies -----------------------------------------------------------

function endpointOf(v: Verdict, index: number): EndpointJson {
  // The engine gives ids in one form (lowercase); the pasted JSON may not.
  const byId = v.id ? endpoints.find((e) => e?.id?.toLowerCase() === v.id) : undefined;
  return byId ?? endpoints[index];
}

function openDetails(index: number): void {
  const v = verdicts[index];
  const endpoint = endpointOf(v, index);
  current = { verdict: v, endpoint, remedies: remedies(endpoint, context()) };
  $('details-h').textContent = v.name ?? v.id ?? 'Connection';
  $('details-summary').textContent = v.summary ?? v.label ?? '';
  fillFacts($('details-facts'), [
    ['Id', v.id],
    ['Type', v.type],
    ['Scheme', v.scheme],
    ['Credential', v.credentialWord],
    ['Holds a secret', v.usesSecret === null ? 'unknown' : v.usesSecret],
    ['State', v.state],
    ['Convertible', v.convertible.status],
    ['Owning project', v.owner?.projectName],
    ['Shared with', v.sharedWith.map((p) => p.projectName).filter((n) => n && n !== v.owner?.projectName)],
    ['Revert deadline', v.revertDeadline],
    ['Revert days left', v.revertDaysLeft],
  ]);
  const reasons = $('details-reasons');
  reasons.replaceChildren();
  for (const r of v.convertible.reasons) reasons.append(el('li', r.message));
  if (!reasons.childElementCount) reasons.append(el('li', 'No reasons given.'));

  const fed = v.federation ?? null;
  $('details-federation').hidden = !fed;
  if (fed) {
    const entries: [string, unknown][] = [
      ['Format', fed.format],
      ['Issuer', fed.issuer],
      ['Subject', fed.subject],
      ['Audience', fed.audience],
      ['Application (client) id', fed.identity.applicationId],
      ['Identity tenant', fed.identity.tenantId],
    ];
    // The engine's segments as they are: only those of the format, with its meaning and check.
    for (const [what, decoded] of [
      ['Issuer', fed.issuerDecoded],
      ['Subject', fed.decoded],
    ] as const)
      for (const seg of decoded?.segments ?? []) entries.push([`${what}: ${seg.label}`, `${seg.value}: ${seg.meaning} ${seg.checkWord}.`]);
    if (fed.expected) {
      entries.push(['Expected (Azure DevOps issuer)', fed.expected.azureDevOps.subject]);
      if (fed.expected.entra) entries.push(['Expected (Entra issuer)', fed.expected.entra.subject]);
    }
    fillFacts($('federation-facts'), entries);
    const warnings = $('federation-warnings');
    warnings.replaceChildren();
    for (const w of fed.warnings) warnings.append(el('li', w.message));
  }
  // The engine says which remedies apply (every format at once, with its words), or none.
  const rem = current.remedies.remedies;
  $('remedies').hidden = rem.length === 0;
  if (rem.length > 0) {
    const select = $<HTMLSelectElement>('remedy-format');
    const chosen = select.value;
    select.replaceChildren(...rem.map((r) => Object.assign(document.createElement('option'), { value: r.format, textContent: r.title })));
    select.value = rem.some((r) => r.format === chosen) ? chosen : rem[0].format;
    renderRemedy();
  }
  details.hidden = false;
  $('details-h').focus();
}

function renderRemedy(): void {
  if (!current) return;
  const format = $<HTMLSelectElement>('remedy-format').value;
  const out = $('remedy-output');
  const remedy = current.remedies.remedies.find((r) => r.format === format);
  out.textContent = remedy?.text ?? current.remedies.reason ?? '';
  out.dataset.format = remedy ? format : 'error';
  $('copy-status').textContent = '';
}

async function copyRemedy(): Promise<void> {
  const text = $('remedy-output').textContent ?? '';
  const status = $('copy-status');
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = 'Copied.';
  } catch {
    const range = document.createRange();
    range.selectNodeContents($('remedy-output'));
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    status.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.';
  }
}

// ---- Decoder and explainer ----------------------------------------------------------------------

function decodeSubject(): void {
  const subject = $<HTMLInputElement>('subject');
  const errorBox = $('subject-error');
  const list = $('decoded');
  try {
    fillDecoded(list, subject.value.trim());
    list.hidden = false;
    errorBox.hidden = true;
    subject.removeAttribute('aria-invalid');
  } catch (err) {
    list.hidden = true;
    errorBox.textContent = message(err);
    errorBox.hidden = false;
    subject.setAttribute('aria-invalid', 'true');
  }
}

function explain(): void {
  const text = $<HTMLTextAreaElement>('error-text').value;
  const empty = $('explain-empty');
  const box = $('explanation');
  const found = text.trim() ? explainError(text) : null;
  if (!found) {
    box.hidden = true;
    empty.textContent = text.trim()
      ? 'No known Azure DevOps or Microsoft Entra error found in this text.'
      : 'Paste an error message first.';
    empty.hidden = false;
    return;
  }
  empty.hidden = true;
  $('explain-code').textContent = found.code;
  $('explain-title').textContent = found.title;
  $('explain-meaning').textContent = found.meaning;
  $('explain-fix').textContent = found.fix;
  const docs = $<HTMLAnchorElement>('explain-docs');
  const safe = found.docs && /^https:\/\//.test(found.docs) ? found.docs : null;
  docs.textContent = found.docs ?? '–';
  if (safe) docs.href = safe;
  else docs.removeAttribute('href');
  box.hidden = false;
}

// ---- Start-up -----------------------------------------------------------------------------------

async function loadDemo(): Promise<void> {
  const res = await fetch(new URL('./demo.json', import.meta.url));
  if (!res.ok) throw new Error(`demo data: HTTP ${res.status}`);
  input.value = await res.text();
  $<HTMLInputElement>('org-name').value = 'contoso';
  $<HTMLInputElement>('org-id').value = '0ca3ddd9-f0b0-4635-a98c-5866526961b6';
  classify();
}

function wire(): void {
  $('audit-form').addEventListener('submit', (e) => {
    e.preventDefault();
    classify();
  });
  $('load-demo').addEventListener('click', () => {
    loadDemo().catch((err: unknown) => showInputError(message(err)));
  });
  $('remedy-format').addEventListener('change', renderRemedy);
  $('copy-remedy').addEventListener('click', () => void copyRemedy());
  const closeDetails = () => {
    details.hidden = true;
    (opener?.isConnected ? opener : $('results-h')).focus();
  };
  $('close-details').addEventListener('click', closeDetails);
  details.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeDetails();
  });
  $('decode-form').addEventListener('submit', (e) => {
    e.preventDefault();
    decodeSubject();
  });
  $('explain-form').addEventListener('submit', (e) => {
    e.preventDefault();
    explain();
  });
  for (const id of ['run', 'load-demo', 'decode', 'explain']) $<HTMLButtonElement>(id).disabled = false;
}

async function start(): Promise<void> {
  const root = document.documentElement;
  const status = $('engine-status');
  try {
    await init({ module_or_path: new URL('./wasm/federate_wasm_bg.wasm', import.meta.url) });
    wire();
    const problems: string[] = [];
    for (const [what, fn] of [
      ['rule table', renderRules],
      ['worked example', () => renderExample('example-subject', 'example-decoded')],
      ['classic example', () => renderExample('example-classic', 'example-classic-decoded')],
    ] as const) {
      try {
        fn();
      } catch (err) {
        problems.push(`${what}: ${message(err)}`);
      }
    }
    $('engine-version').textContent = `engine ${engineVersion()}`;
    status.textContent = problems.length ? `Engine ready, with problems: ${problems.join('; ')}` : 'Engine ready.';
    if (problems.length) root.dataset.federateError = problems.join('; ');
    root.dataset.federate = 'ready';
  } catch (err) {
    status.textContent = `The engine could not start: ${message(err)}`;
    root.dataset.federateError = message(err);
    root.dataset.federate = 'error';
  }
}

void start();
