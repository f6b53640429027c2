// One connection explained: the verdict and its reasons, the federation facts with the
// subject decoded segment by segment, and the remedies with a format switch and a copy
// button. DOM only (no chrome.*, no wasm): drawn by the content script's card and by the
// panel's details from data the engine computed.
import { copyText, h } from './dom.js';
import type { DecodedIssuer, DecodedSubject, Remedies } from '../../../pkg/web/federate_wasm.js';
import { allReasons, projectNames, type Verdict } from './model.js';

/**
 * The engine's segments of a subject or an issuer, drawn as they are: one row a segment, in
 * the engine's order, with its label, the text as written, the decoded value, the meaning
 * and the check, all in the engine's words. `null` when the engine gave none.
 */
function segmentsView(what: 'subject' | 'issuer', decoded: DecodedSubject | DecodedIssuer | null): HTMLElement | null {
  if (!decoded || decoded.segments.length === 0) return null;
  return h(
    'table',
    { class: 'federate-decoded', 'data-federate-segments': what, 'data-format': decoded.format },
    h('caption', {}, `The ${what}, segment by segment: ${decoded.formatWord}`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Segment'),
        h('th', { scope: 'col' }, 'Value'),
        h('th', { scope: 'col' }, 'Meaning'),
        h('th', { scope: 'col' }, 'Check'),
      ),
    ),
    h(
      'tbody',
      {},
      decoded.segments.map((s) =>
        h(
          'tr',
          { 'data-check': s.check },
          h('th', { scope: 'row' }, s.label, h('br', {}), h('code', {}, s.text)),
          h('td', {}, h('code', {}, s.value)),
          h('td', { class: 'federate-meaning' }, s.meaning),
          h('td', { class: 'federate-check' }, s.checkWord),
        ),
      ),
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

/** The federation section: issuer, subject, audience, identity, both decoded segment by segment, warnings. */
export function federationView(v: Verdict): HTMLElement | null {
  const f = v.federation;
  if (!f) return null;
  // The engine's expected issuer and subject in the connection's current format, and whether
  // what it carries differs: drawn as they are, shown only where they differ.
  const now = f.expectedNow;
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
      ['Expected issuer', now?.issuerDiffers && now.issuer ? h('code', { 'data-federate-expected': 'issuer' }, now.issuer) : null],
      ['Expected subject', now?.subjectDiffers && now.subject ? h('code', { 'data-federate-expected': 'subject' }, now.subject) : null],
    ]),
    segmentsView('issuer', f.issuerDecoded),
    segmentsView('subject', f.decoded),
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

/** The remedies: a labelled format switch, the text, and a copy button with a spoken result; or the engine's reason when none applies. */
export function remediesView({ remedies, reason }: Remedies, idPrefix: string): HTMLElement | null {
  if (remedies.length === 0) {
    // None applies: the engine's reason, as it says it.
    return reason
      ? h(
          'section',
          { class: 'federate-remedies', 'aria-label': 'Remedies' },
          h('h3', {}, 'Create the federated credential'),
          h('p', { class: 'federate-remedy-reason', 'data-remedy-reason': '' }, reason),
        )
      : null;
  }
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
