// The issuer retirement plan (the Azure DevOps issuer retires on 2027-07-01): every connection
// still on it, for the project or the whole organization as scanned, grouped by what to do,
// with a link to each connection's page (where Azure DevOps' own Update button is), the Entra
// credentials of the manual ones as one script, and Verify: a re-read that shows which now
// carry the Entra issuer with the expected subject. The engine decides everything
// (issuerMigrationPlan, issuerMigrationCommands, verifyIssuerMigration) and words it; this
// view only draws. It never sends an issuer update: nothing here writes.
import type {
  CommandFormat,
  Context,
  MigrationItem,
  MigrationPlan,
  MigrationPlanGroup,
  ServiceEndpoint,
  VerifyRow,
} from '../../../pkg/web/federate_wasm.js';
import { copyText, h } from '../shared/dom.js';
import { commandFormats, issuerMigrationCommands, issuerMigrationPlan, verifyIssuerMigration } from '../shared/engine.js';

/** What the panel gives the view. */
export interface MigrationHost {
  /** The connections of the current inventory, as read (one per connection). */
  endpoints(): ServiceEndpoint[];
  /** The engine context (organization name and id, now). */
  context(): Context;
  /** The organization's URL base (`https://dev.azure.com/{org}`). */
  apiBase: string;
  /** What was scanned, in words ("project Payments", "the organization contoso"). */
  scopeWords(): string;
  /** Re-reads the connections (a new scan of the same scope); `afterScan` is called when done. */
  rescan(): void;
}

export interface MigrationView {
  /** The button that opens the plan. */
  button: HTMLButtonElement;
  /** The plan's section. */
  element: HTMLElement;
  /** Called by the panel when a scan has ended: `complete` unless it was cancelled or failed. */
  afterScan(scan: { complete: boolean }): void;
}

const ROOT = document.documentElement;

function setState(state: 'closed' | 'ready' | 'verifying' | 'verified' | 'error'): void {
  ROOT.dataset.federateMigration = state;
}

/** Creates the view; nothing is computed until the button is pressed. */
export function createMigrationView(host: MigrationHost): MigrationView {
  const element = h('section', {
    id: 'migration',
    class: 'migration',
    'aria-labelledby': 'migration-title',
    hidden: true,
    tabindex: -1,
  });
  const button = h('button', { type: 'button', id: 'migration-open' }, 'Issuer retirement plan…');
  /** The ids of the plan last shown, which Verify re-checks. */
  let planIds: string[] = [];
  let verifying = false;
  let verified: VerifyRow[] | null = null;
  /** Verify's rescan did not finish (cancelled or failed): nothing was verified. */
  let stopped = false;
  let format: CommandFormat = 'az';
  const selected = new Set<string>();
  /** Manual connections already offered (ticked once): a rescan ticks only new ones, never undoes the user's choice. */
  const offered = new Set<string>();
  /** The manual connections of the plan shown. */
  let manualNow: string[] = [];
  /** Re-renders the script after the selection changed. */
  let refillScript: (() => void) | null = null;

  const plan = (): MigrationPlan => issuerMigrationPlan(host.endpoints(), host.context());

  function itemRow(item: MigrationItem, manual: boolean, onPick: () => void): HTMLElement {
    const id = item.id ?? '';
    const link = item.pagePath
      ? h('a', { href: `${host.apiBase}${item.pagePath}`, target: '_top', 'data-action': 'open-connection' }, item.name ?? id)
      : h('span', {}, item.name ?? id);
    const pick = manual
      ? h('input', {
          type: 'checkbox',
          'aria-label': `Include ${item.name ?? id} in the script`,
          checked: selected.has(id),
          onchange: (e: Event) => {
            const box = e.target as HTMLInputElement;
            if (box.checked) selected.add(id);
            else selected.delete(id);
            onPick();
          },
        })
      : null;
    return h(
      'tr',
      { 'data-id': id },
      h('td', { class: 'pick' }, pick),
      h('th', { scope: 'row' }, link),
      h('td', {}, item.projectName ?? ''),
      h('td', {}, item.type ?? ''),
      h(
        'td',
        {},
        item.entraSubject ? h('code', { class: 'subject' }, item.entraSubject) : null,
        item.entraIssuer ? h('div', {}, h('code', {}, item.entraIssuer)) : null,
      ),
      h('td', {}, item.note),
    );
  }

  function groupView(group: MigrationPlanGroup, onPick: () => void): HTMLElement {
    const manual = group.group === 'manual';
    const headingId = `migration-group-${group.group}`;
    return h(
      'section',
      { class: 'migration-group', 'data-group': group.group, 'aria-labelledby': headingId },
      h('h3', { id: headingId }, `${group.title} (${group.items.length})`),
      h('p', {}, group.action),
      h(
        'table',
        { class: 'inventory migration-items' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col', class: 'pick' }, h('span', { class: 'visually-hidden' }, manual ? 'In the script' : '')),
            h('th', { scope: 'col' }, 'Connection (its page has Update)'),
            h('th', { scope: 'col' }, 'Project'),
            h('th', { scope: 'col' }, 'Type'),
            h('th', { scope: 'col' }, 'Entra subject and issuer after Update'),
            h('th', { scope: 'col' }, 'Why'),
          ),
        ),
        h(
          'tbody',
          {},
          group.items.map((i) => itemRow(i, manual, onPick)),
        ),
      ),
    );
  }

  function scriptView(hasManual: boolean): HTMLElement | null {
    refillScript = null;
    if (!hasManual) return null;
    const pre = h('pre', {
      class: 'federate-remedy',
      id: 'migration-script',
      tabindex: 0,
      'aria-label': 'Script for the selected manual connections',
    });
    const status = h('span', { role: 'status', class: 'copy-status' });
    const fill = () => {
      try {
        pre.textContent = issuerMigrationCommands(
          host.endpoints(),
          host.context(),
          manualNow.filter((id) => selected.has(id)),
          format,
        );
      } catch (err) {
        pre.textContent = err instanceof Error ? err.message : String(err);
      }
    };
    const select = h(
      'select',
      {
        id: 'migration-format',
        onchange: (e: Event) => {
          format = (e.target as HTMLSelectElement).value as CommandFormat;
          fill();
        },
      },
      commandFormats().map((f) => h('option', { value: f.format, selected: f.format === format }, f.title)),
    );
    const copy = h(
      'button',
      {
        type: 'button',
        onclick: async () => {
          status.textContent = (await copyText(pre.textContent ?? '')) ? 'Copied.' : 'Copy failed: select the text instead.';
        },
      },
      'Copy',
    );
    fill();
    refillScript = fill;
    return h(
      'div',
      { class: 'migration-script' },
      h('h3', {}, 'Entra credentials for the manual connections, in one script'),
      h('div', { class: 'federate-remedy-bar' }, h('label', { for: 'migration-format' }, 'Format'), select, copy, status),
      pre,
    );
  }

  function verifyView(): HTMLElement | null {
    if (!verified) return null;
    return h(
      'section',
      { class: 'migration-verify', 'aria-labelledby': 'migration-verify-title' },
      h('h3', { id: 'migration-verify-title' }, 'Verify: the connections as read again'),
      h(
        'table',
        { class: 'inventory', id: 'migration-verify' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Connection'),
            h('th', { scope: 'col' }, 'Now'),
            h('th', { scope: 'col' }, 'What it means'),
          ),
        ),
        h(
          'tbody',
          {},
          verified.map((r) =>
            h(
              'tr',
              { 'data-id': r.id, 'data-status': r.status },
              h('th', { scope: 'row' }, r.name ?? r.id),
              h('td', {}, r.status),
              h('td', {}, r.message),
            ),
          ),
        ),
      ),
    );
  }

  function draw(focus: boolean): void {
    let p: MigrationPlan;
    try {
      p = plan();
    } catch (err) {
      element.replaceChildren(h('p', { role: 'alert' }, err instanceof Error ? err.message : String(err)));
      element.hidden = false;
      setState('error');
      return;
    }
    const manualIds = p.groups.filter((g) => g.group === 'manual').flatMap((g) => g.items.map((i) => i.id ?? ''));
    // A new plan selects every manual connection; a re-drawn one keeps the user's choice.
    // (A tick of a connection the last scan did not list is kept for when it is listed again.)
    manualNow = manualIds;
    for (const id of manualIds) {
      if (offered.has(id)) continue;
      offered.add(id);
      selected.add(id);
    }
    planIds = [...new Set([...planIds, ...p.groups.flatMap((g) => g.items.map((i) => i.id ?? '')).filter(Boolean)])];
    const onPick = () => refillScript?.();
    const verifyButton = h(
      'button',
      {
        type: 'button',
        id: 'migration-verify-button',
        disabled: verifying || planIds.length === 0,
        onclick: () => {
          verifying = true;
          stopped = false;
          setState('verifying');
          draw(false);
          host.rescan();
        },
      },
      verifying ? 'Verifying…' : 'Verify (read the connections again)',
    );
    const parts: (HTMLElement | null)[] = [
      h('h2', { id: 'migration-title' }, `Issuer retirement plan: ${host.scopeWords()}`),
      h('p', { class: 'migration-intro' }, p.intro),
      p.identityWarnings.length
        ? h(
            'div',
            { class: 'alert', role: 'alert', id: 'migration-identity-warnings' },
            p.identityWarnings.map((w) => h('p', {}, w.message)),
          )
        : null,
      h(
        'ul',
        { class: 'migration-notes' },
        p.notes.map((n) => h('li', {}, n)),
      ),
      ...p.groups.map((g) => groupView(g, onPick)),
      scriptView(manualIds.length > 0),
      h('div', { class: 'actions' }, verifyButton, h('button', { type: 'button', onclick: () => close() }, 'Close the plan')),
      stopped ? h('p', { role: 'status', id: 'migration-verify-stopped' }, 'Verify stopped: the scan did not finish.') : null,
      verifyView(),
    ];
    element.replaceChildren(...parts.filter((n): n is HTMLElement => n !== null));
    element.hidden = false;
    if (!verifying) setState(verified ? 'verified' : 'ready');
    if (focus) element.focus();
  }

  function close(): void {
    element.hidden = true;
    setState('closed');
    button.focus();
  }

  button.addEventListener('click', () => {
    verified = null;
    verifying = false;
    stopped = false;
    offered.clear();
    planIds = [];
    selected.clear();
    draw(true);
  });

  return {
    button,
    element,
    afterScan({ complete }) {
      if (!verifying) {
        if (!element.hidden) draw(false);
        return;
      }
      verifying = false;
      if (!complete) {
        // Partial rows would show every connection not read as gone: say it stopped instead.
        stopped = true;
        draw(false);
        return;
      }
      try {
        verified = verifyIssuerMigration(host.endpoints(), host.context(), planIds);
      } catch (err) {
        verified = [];
        element.append(h('p', { role: 'alert' }, err instanceof Error ? err.message : String(err)));
      }
      draw(false);
      element.querySelector<HTMLElement>('#migration-verify-title')?.scrollIntoView({ block: 'nearest' });
    },
  };
}
