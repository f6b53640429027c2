// The panel's two views as tabs, Inventory and History; the history lists the conversions and
// reverts made from Federate (drawn by ./convert.ts from the jobs in storage).
import { h } from '../shared/dom.js';
import { renderHistory } from './convert.js';
import type { PanelState } from './state.js';

/** The tab list; switching to History draws it anew. */
export function createTabs(state: PanelState, signal: AbortSignal): HTMLElement {
  const inventoryTab = h(
    'button',
    { type: 'button', role: 'tab', id: 'tab-inventory', 'aria-selected': 'true', 'aria-controls': 'view-inventory' },
    'Inventory',
  );
  const historyTab = h(
    'button',
    { type: 'button', role: 'tab', id: 'tab-history', 'aria-selected': 'false', 'aria-controls': 'view-history', tabindex: -1 },
    'History',
  );
  const list = h('div', { role: 'tablist', 'aria-label': 'Panel views', class: 'tabs' }, inventoryTab, historyTab);
  const select = (tab: HTMLElement) => {
    for (const t of [inventoryTab, historyTab]) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(t.getAttribute('aria-controls') ?? '');
      if (panel) panel.hidden = !on;
    }
    tab.focus();
    const view = document.getElementById('view-history');
    if (tab === historyTab && state.ctx && view) void renderHistory(view, state.ctx.organizationName, () => state.tabId);
  };
  inventoryTab.addEventListener('click', () => select(inventoryTab), { signal });
  historyTab.addEventListener('click', () => select(historyTab), { signal });
  list.addEventListener(
    'keydown',
    (e) => {
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') select(document.activeElement === inventoryTab ? historyTab : inventoryTab);
    },
    { signal },
  );
  return list;
}

/** The history view's container (filled when its tab is chosen). */
export function historyView(): HTMLElement {
  return h(
    'div',
    { id: 'view-history', role: 'tabpanel', 'aria-labelledby': 'tab-history', hidden: true, 'data-federate-slot': 'history' },
    h('p', {}, 'Conversions and reverts made from Federate will be listed here.'),
  );
}
