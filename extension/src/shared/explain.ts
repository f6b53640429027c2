// One connection explained: the verdict and its reasons, the federation facts with the
// subject decoded segment by segment, and the remedies with a format switch and a copy
// button. DOM only (no chrome.*, no wasm): drawn by the content script's card and by the
// panel's details from data the engine computed.
import { copyText, h } from './dom.js';
import type { Remedies } from '../../../pkg/web/federate_wasm.js';
import { allReasons, projectNames, type Verdict } from './model.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const scalar = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Renders the engine's decoded subject, whatever its shape: a list of segments or a record. */
function decodedView(decoded: unknown): HTMLElement | null {
  const rows: [string, string, string][] = [];
  const segments = Array.isArray(decoded) ? decoded : isObject(decoded) && Array.isArray(decoded.segments) ? decoded.segments : null;
  if (segments) {
    for (const s of segments) {
      if (isObject(s)) {
        rows.push([
          scalar(s.raw ?? s.segment ?? s.text ?? s.name ?? s.key),
          scalar(s.value ?? s.decoded ?? ''),
          scalar(s.meaning ?? s.explanation ?? s.description ?? s.label ?? ''),
        ]);
      } else rows.push([scalar(s), '', '']);
    }
  } else if (isObject(decoded)) {
    for (const [k, v] of Object.entries(decoded)) rows.push([k, scalar(v), '']);
  }
  if (rows.length === 0) return null;
  return h(
    'table',
    { class: 'federate-decoded' },
    h('caption', {}, 'The subject, segment by segment'),
    h(
      'thead',
      {},
      h('tr', {}, h('th', { scope: 'col' }, 'Segment'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Meaning')),
    ),
    h(
      'tbody',
      {},
      rows.map(([a, b, c]) => h('tr', {}, h('td', {}, h('code', {}, a)), h('td', {}, h('code', {}, b)), h('td', {}, c))),
    ),
  );
}

function dl(pairs: [string, Node | string | null][]): HTMLElement {
  return h(
    'dl',
    { class: 'federate-facts' },
    pairs.filter(([, v]) => v !== null && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}

/** The federation section: issuer, subject decoded, audience, identity, warnings. */
export function federationView(v: Verdict): HTMLElement | null {
  const f = v.federation;
  if (!f) return null;
  // The form the engine says the connection is in (the other form is a remedy, not a check).
  const expected = f.expected ? (f.format === 'entra' ? f.expected.entra : f.expected.azureDevOps) : null;
  return h(
    'section',
    { class: 'federate-federation', 'aria-label': 'Workload identity federation' },
    h('h3', {}, 'Workload identity federation'),
    dl([
      ['Issuer', f.issuer ? h('code', {}, f.issuer) : null],
      ['Issuer format', f.formatWord || null],
      ['Subject', f.subject ? h('code', {}, f.subject) : null],
      ['Audience', f.audience ? h('code', {}, f.audience) : null],
      ['Application (client) id', f.identity?.applicationId ? h('code', {}, f.identity.applicationId) : null],
      ['Tenant id', f.identity?.tenantId ? h('code', {}, f.identity.tenantId) : null],
      ['Expected issuer', expected?.issuer && expected.issuer !== f.issuer ? h('code', {}, expected.issuer) : null],
      ['Expected subject', expected?.subject && expected.subject !== f.subject ? h('code', {}, expected.subject) : null],
    ]),
    decodedView(f.decoded),
    f.warnings.length > 0
      ? h(
          'div',
          { class: 'federate-warnings', role: 'group', 'aria-label': 'Warnings' },
          h('h4', {}, 'Warnings'),
          h(
            'ul',
            {},
            f.warnings.map((w) => h('li', { 'data-code': w.code }, w.message)),
          ),
        )
      : null,
  );
}

/** The remedies: a labelled format switch, the text, and a copy button with a spoken result. */
export function remediesView({ remedies }: Remedies, idPrefix: string): HTMLElement | null {
  if (remedies.length === 0) return null;
  const selectId = `${idPrefix}-format`;
  const pre = h('pre', { class: 'federate-remedy', tabindex: 0, 'aria-label': 'Commands' });
  const status = h('span', { class: 'federate-copy-status', role: 'status' });
  const select = h(
    'select',
    { id: selectId },
    remedies.map((r) => h('option', { value: r.format }, r.title)),
  );
  const showFormat = () => {
    pre.textContent = remedies.find((r) => r.format === select.value)?.text ?? '';
    pre.dataset.format = select.value;
    status.textContent = '';
  };
  select.addEventListener('change', showFormat);
  const copy = h('button', { type: 'button', class: 'federate-button' }, 'Copy');
  copy.addEventListener('click', () => {
    void copyText(pre.textContent ?? '').then((ok) => {
      status.textContent = ok ? 'Copied.' : 'Copy failed: select the text and copy it.';
    });
  });
  showFormat();
  return h(
    'section',
    { class: 'federate-remedies', 'aria-label': 'Remedies' },
    h('h3', {}, 'Create the federated credential'),
    h('div', { class: 'federate-remedy-bar' }, h('label', { for: selectId }, 'Format'), select, copy, status),
    pre,
  );
}

/** The verdict: label, summary, facts and reasons. */
export function verdictView(v: Verdict): HTMLElement {
  const reasons = allReasons(v).filter((r) => !(v.federation?.warnings ?? []).includes(r));
  return h(
    'section',
    { class: 'federate-verdict', 'aria-label': 'Verdict' },
    h('p', { class: 'federate-verdict-label' }, v.label),
    v.summary ? h('p', {}, v.summary) : null,
    dl([
      ['Type', v.type],
      ['Scheme', v.scheme],
      ['Credential', v.credentialWord],
      ['State', v.stateWord],
      ['Conversion', v.convertibleWord],
      ['Project(s)', projectNames(v).join(', ') || null],
      [
        'Revert until',
        v.revertDeadline ? `${v.revertDeadline}${v.revertDaysLeft != null ? ` (${v.revertDaysLeft} days left)` : ''}` : null,
      ],
    ]),
    reasons.length > 0
      ? h(
          'ul',
          { class: 'federate-reasons' },
          reasons.map((r) => h('li', { 'data-code': r.code }, r.message)),
        )
      : null,
  );
}
