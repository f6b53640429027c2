// The mock's service connections page: a tiny single-page app that behaves like the real one
// where Federate cares (see shared/reference/ado-page.md): rendered after load from its own
// same-origin fetch, rows in one of three layouts, virtualized (~31 rows in the DOM), row
// elements reused on filtering and refresh, in-app navigation with pushState. Text only.
(() => {
  const ROW_HEIGHT = 44;
  const WINDOW = 31;
  const dp = JSON.parse(document.getElementById('dataProviders').textContent).data;
  const opts = dp['ms.vss-mock.page-options'];
  const org = dp['ms.vss-web.page-data'].hostName;
  const onVsHost = location.hostname.endsWith('.visualstudio.com');
  const orgPath = onVsHost ? '' : `/${encodeURIComponent(org)}`;
  const app = document.getElementById('app');
  const rowIds = new WeakMap();
  const TYPE_NAMES = {
    azurerm: 'Azure Resource Manager',
    dockerregistry: 'Docker Registry',
    github: 'GitHub',
    kubernetes: 'Kubernetes',
    generic: 'Generic',
    ssh: 'SSH',
    azure: 'Azure Classic',
    externaltfs: 'Azure Repos/Team Foundation Server',
  };
  const state = { project: null, all: [], filter: '', filtered: [], scroll: null, body: null, layout: opts.layout, generation: 0 };

  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  };
  const ready = (kind, count) => {
    document.body.dataset.mockReady = kind;
    if (count != null) document.body.dataset.mockCount = String(count);
    else delete document.body.dataset.mockCount;
  };

  function route() {
    const parts = location.pathname.split('/').filter(Boolean);
    const rest = onVsHost ? parts : parts.slice(1);
    return { project: decodeURIComponent(rest[0] ?? ''), resourceId: new URLSearchParams(location.search).get('resourceId') };
  }
  const listUrl = (project) => `${orgPath}/${encodeURIComponent(project)}/_settings/adminservices`;

  class SignedOut extends Error {}
  async function api(path) {
    const res = await fetch(`${orgPath}${path}`, {
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json;api-version=7.2-preview.4',
        'X-TFS-FedAuthRedirect': 'Suppress',
        'X-VSS-ReauthenticationAction': 'Suppress',
      },
    });
    if (res.status === 401 || res.status === 203) throw new SignedOut('signed out');
    const text = await res.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      throw new Error(`Unexpected answer (${res.status})`);
    }
    if (!res.ok) throw new Error(body?.message ?? `HTTP ${res.status}`);
    return body;
  }

  function navigate(url) {
    history.pushState({}, '', url);
    show();
  }
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest?.('a[href]');
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
    const u = new URL(a.href, location.href);
    if (u.origin !== location.origin || !/\/_settings\/adminservices$/i.test(u.pathname)) return;
    ev.preventDefault();
    navigate(u.pathname + u.search);
  });
  window.addEventListener('popstate', () => show());

  function navLinks(project) {
    document.getElementById('mock-crumb-project').textContent = project;
    document.getElementById('mock-nav-adminservices').setAttribute('href', listUrl(project));
    const box = document.getElementById('mock-project-links');
    if (box.childElementCount === 0) {
      for (const p of opts.projects) {
        box.append(el('a', { class: 'mock-nav-item mock-project-link', href: listUrl(p.name), text: p.name }));
      }
    }
  }

  async function show() {
    const gen = ++state.generation;
    const r = route();
    state.project = r.project;
    navLinks(r.project);
    ready('loading');
    app.replaceChildren(el('div', { class: 'mock-loading', text: 'Loading…' }));
    state.body = null;
    try {
      if (r.resourceId) {
        const e = await api(`/${encodeURIComponent(r.project)}/_apis/serviceendpoint/endpoints/${encodeURIComponent(r.resourceId)}`);
        if (gen !== state.generation) return;
        renderEndpoint(e, r);
      } else {
        const list = await api(`/${encodeURIComponent(r.project)}/_apis/serviceendpoint/endpoints?includeFailed=true&includeDetails=true`);
        if (gen !== state.generation) return;
        state.all = [...list.value].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
        renderListShell();
      }
    } catch (err) {
      if (gen !== state.generation) return;
      const msg =
        err instanceof SignedOut ? 'Your session has expired. Sign in again to continue.' : `Something went wrong: ${err.message}`;
      const box = el('div', { class: 'mock-error', role: 'alert' }, el('p', { text: msg }));
      if (err instanceof SignedOut)
        box.append(el('a', { href: `/_signin?realm=dev.azure.com&reply_to=${encodeURIComponent(location.href)}`, text: 'Sign in' }));
      app.replaceChildren(box);
      ready(err instanceof SignedOut ? 'signed-out' : 'error');
    }
  }

  // ---- the list -------------------------------------------------------------------------------
  function renderListShell() {
    const filter = el('input', {
      type: 'search',
      class: 'bolt-textfield-input mock-filter',
      placeholder: 'Filter by keywords',
      'aria-label': 'Filter service connections',
    });
    filter.value = state.filter;
    filter.addEventListener('input', () => {
      state.filter = filter.value;
      applyFilter();
    });
    const refresh = el('button', { type: 'button', class: 'bolt-button mock-refresh', text: 'Refresh' });
    refresh.addEventListener('click', async () => {
      const list = await api(
        `/${encodeURIComponent(state.project)}/_apis/serviceendpoint/endpoints?includeFailed=true&includeDetails=true`,
      );
      state.all = [...list.value].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
      applyFilter();
    });
    const title = el(
      'div',
      { class: 'mock-title-row' },
      el('h1', { class: 'mock-title', text: 'Service connections' }),
      el('button', { type: 'button', class: 'bolt-button primary', text: 'New service connection' }),
    );
    const toolbar = el('div', { class: 'mock-toolbar' }, filter, refresh);
    const scroll = el('div', { class: 'mock-scroll', 'data-mock-scroll': '' });
    state.scroll = scroll;
    let head;
    if (state.layout === 'rowLink') {
      state.body = el('div', { class: 'bolt-list', role: 'grid', 'aria-label': 'Service connections' });
      head = el(
        'div',
        { class: 'bolt-list-row bolt-list-header', role: 'row', 'data-row-index': '-1' },
        el('div', { class: 'bolt-list-cell col-name', role: 'columnheader', text: 'Name' }),
        el('div', { class: 'bolt-list-cell col-used', role: 'columnheader', text: 'Last used' }),
      );
      state.body.append(head);
      scroll.append(state.body);
    } else {
      const table = el('table', { class: 'bolt-table', role: 'grid', 'aria-label': 'Service connections' });
      const thead = el(
        'thead',
        {},
        el(
          'tr',
          { class: 'bolt-table-header-row', role: 'row', 'data-row-index': '-1' },
          el('th', { class: 'bolt-table-header-cell col-name', role: 'columnheader', text: 'Name' }),
          el('th', { class: 'bolt-table-header-cell col-used', role: 'columnheader', text: 'Last used' }),
        ),
      );
      state.body = el('tbody', {});
      table.append(thead, state.body);
      scroll.append(table);
    }
    scroll.addEventListener('scroll', () => renderRows(false), { passive: true });
    app.replaceChildren(title, toolbar, scroll);
    applyFilter();
  }

  function applyFilter() {
    const f = state.filter.trim().toLowerCase();
    state.filtered = f
      ? state.all.filter((e) => e.name.toLowerCase().includes(f) || (TYPE_NAMES[e.type.toLowerCase()] ?? e.type).toLowerCase().includes(f))
      : state.all;
    renderRows(true);
  }

  function spacer(which) {
    let s = state.body.querySelector(`:scope > .mock-spacer-${which}`);
    if (!s) {
      s =
        state.layout === 'rowLink'
          ? el('div', { class: `bolt-list-row-spacer mock-spacer-${which}`, 'aria-hidden': 'true' })
          : el('tr', { class: `bolt-list-row-spacer mock-spacer-${which}`, 'aria-hidden': 'true' }, el('td', { colspan: '2' }));
    }
    return s;
  }

  function createRow() {
    if (state.layout === 'rowLink') {
      const row = el(
        'a',
        { class: 'bolt-list-row mock-row', role: 'row' },
        el(
          'div',
          { class: 'bolt-list-cell col-name', role: 'gridcell' },
          el('span', { class: 'mock-icon', 'aria-hidden': 'true' }),
          el('span', { class: 'mock-name-block' }, el('span', { class: 'mock-name-text' }), el('span', { class: 'mock-type-text' })),
        ),
        el('div', { class: 'bolt-list-cell col-used', role: 'gridcell' }, el('span', { class: 'mock-used-text' })),
      );
      return row;
    }
    const nameCell = el(
      'td',
      { class: 'bolt-table-cell col-name', role: 'gridcell' },
      el('span', { class: 'mock-icon', 'aria-hidden': 'true' }),
    );
    const block = el('span', { class: 'mock-name-block' });
    if (state.layout === 'nameLink') block.append(el('a', { class: 'bolt-link mock-name-link' }, el('span', { class: 'mock-name-text' })));
    else block.append(el('span', { class: 'mock-name-text' }));
    block.append(el('span', { class: 'mock-type-text' }));
    nameCell.append(block);
    const row = el(
      'tr',
      { class: 'bolt-table-row bolt-list-row mock-row', role: 'row', tabindex: '0' },
      nameCell,
      el('td', { class: 'bolt-table-cell col-used', role: 'gridcell' }, el('span', { class: 'mock-used-text' })),
    );
    if (state.layout === 'noLink') {
      row.addEventListener('click', (ev) => {
        if (ev.target.closest('.federate-mark, [data-federate-id]')) return;
        const id = rowIds.get(row);
        if (id) navigate(`${listUrl(state.project)}?resourceId=${id}`);
      });
    }
    return row;
  }

  function fillRow(row, e, index) {
    row.setAttribute('data-row-index', String(index));
    row.setAttribute('aria-rowindex', String(index + 2));
    if (rowIds.get(row) === e.id) return;
    rowIds.set(row, e.id);
    const href = `${listUrl(state.project)}?resourceId=${e.id}`;
    if (state.layout === 'rowLink') row.setAttribute('href', href);
    if (state.layout === 'nameLink') row.querySelector('.mock-name-link').setAttribute('href', href);
    row.querySelector('.mock-name-text').textContent = e.name;
    const type = TYPE_NAMES[e.type.toLowerCase()] ?? e.type;
    const extra = [type];
    if (e.isDisabled) extra.push('Disabled');
    if (e.isShared && e.serviceEndpointProjectReferences?.[0]?.projectReference?.name?.toLowerCase() !== state.project.toLowerCase()) {
      extra.push(`Shared from ${e.serviceEndpointProjectReferences[0].projectReference.name}`);
    }
    row.querySelector('.mock-type-text').textContent = extra.join(' · ');
    row.querySelector('.mock-icon').textContent = type.slice(0, 1);
    const used = opts.lastUsed?.[e.id];
    row.querySelector('.mock-used-text').textContent = used
      ? new Date(used).toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric' })
      : 'Never';
  }

  /** Draws the rows near the viewport. `reuse`: re-assign existing row elements by position. */
  function renderRows(reuse) {
    if (!state.body) return;
    const items = state.filtered;
    const n = items.length;
    const virtual = opts.virtualize && n > WINDOW;
    const top = virtual ? Math.floor(state.scroll.scrollTop / ROW_HEIGHT) - 4 : 0;
    const start = virtual ? Math.max(0, Math.min(top, n - WINDOW)) : 0;
    const end = virtual ? Math.min(n, start + WINDOW) : n;
    const current = [...state.body.querySelectorAll(':scope > .mock-row')];
    const rows = [];
    if (reuse) {
      for (let i = start; i < end; i++) rows.push(current[i - start] ?? createRow());
      for (const old of current.slice(end - start)) old.remove();
    } else {
      const byIndex = new Map(current.map((r) => [Number(r.getAttribute('data-row-index')), r]));
      for (let i = start; i < end; i++) {
        rows.push(byIndex.get(i) ?? createRow());
        byIndex.delete(i);
      }
      for (const old of byIndex.values()) old.remove();
    }
    for (const [k, row] of rows.entries()) fillRow(row, items[start + k], start + k);
    const before = spacer('top');
    const after = spacer('bottom');
    before.style.height = `${start * ROW_HEIGHT}px`;
    after.style.height = `${(n - end) * ROW_HEIGHT}px`;
    let prev = state.body.querySelector(':scope > [data-row-index="-1"]');
    for (const node of [before, ...rows, after]) {
      const wanted = prev ? prev.nextElementSibling : state.body.firstElementChild;
      if (wanted !== node) {
        if (prev) prev.after(node);
        else state.body.prepend(node);
      }
      prev = node;
    }
    const empty = state.scroll.querySelector('.mock-empty');
    if (n === 0 && !empty)
      state.scroll.append(
        el('div', {
          class: 'mock-empty',
          text: state.all.length ? 'No service connections match the filter.' : 'No service connections yet.',
        }),
      );
    if (n > 0 && empty) empty.remove();
    ready('list', n);
  }

  // ---- one connection ---------------------------------------------------------------------------
  function renderEndpoint(e, r) {
    if (!e) {
      app.replaceChildren(
        el('div', { class: 'mock-error', role: 'alert', text: 'This service connection does not exist or you do not have access to it.' }),
      );
      ready('error');
      return;
    }
    const scheme = e.authorization?.scheme ?? '';
    const deadline = e.data?.revertSchemeDeadline;
    const back = el('a', { class: 'mock-back', href: listUrl(r.project), text: '← Service connections' });
    const actions = el('div', { class: 'mock-actions' }, el('button', { type: 'button', class: 'bolt-button', text: 'Edit' }));
    if (e.type.toLowerCase() === 'azurerm' && scheme === 'ServicePrincipal')
      actions.append(el('button', { type: 'button', class: 'bolt-button primary mock-convert', text: 'Convert' }));
    if (deadline && scheme === 'WorkloadIdentityFederation')
      actions.append(el('button', { type: 'button', class: 'bolt-button mock-revert', text: 'Revert conversion to the original scheme' }));
    const header = el('div', { class: 'mock-endpoint-header' }, el('h1', { class: 'mock-endpoint-name', text: e.name }), actions);
    const tabs = el(
      'div',
      { class: 'bolt-tabbar', role: 'tablist' },
      el('button', { role: 'tab', 'aria-selected': 'true', class: 'bolt-tab selected', text: 'Overview' }),
      el('button', { role: 'tab', 'aria-selected': 'false', class: 'bolt-tab', text: 'Usage history' }),
      el('button', { role: 'tab', 'aria-selected': 'false', class: 'bolt-tab', text: 'Approvals and checks' }),
    );
    const dl = el('dl', { class: 'mock-details' });
    const add = (k, v) => dl.append(el('dt', { text: k }), el('dd', { text: v }));
    add('Type', TYPE_NAMES[e.type.toLowerCase()] ?? e.type);
    add('Authentication', scheme);
    add('Description', e.description || '—');
    add('Created by', e.createdBy?.displayName ?? '—');
    add('Projects', (e.serviceEndpointProjectReferences ?? []).map((p) => p.projectReference?.name).join(', '));
    if (e.operationStatus?.state)
      add('Status', `${e.operationStatus.state}${e.operationStatus.statusMessage ? ` (${e.operationStatus.statusMessage})` : ''}`);
    const overview = el('section', { class: 'mock-overview', role: 'tabpanel', 'aria-label': 'Overview' }, dl);
    app.replaceChildren(back, header, tabs, overview);
    ready('endpoint');
  }

  show();
})();
