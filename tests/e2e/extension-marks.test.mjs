// Marks on the service connections list: every kind of connection, names that look like
// HTML, the three page layouts (row is a link, link in the name cell, no link), virtualized
// scrolling, filtering with reused rows, refresh, in-app navigation, both URL forms, the
// connection card. Every wait is on a readiness attribute or a DOM condition, never a sleep.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../mock/server.mjs';
import { launchBrowser, screenshot, waitForFederate } from '../harness/browser.mjs';
import { KINDS } from '../mock/scenario.mjs';
import { convertible } from './convert-helpers.mjs';
import { convertState, listPath, scannedPanel } from './panel-helpers.mjs';

let mock;
let browser;
let projectA;
let projectB;

before(async () => {
  // One project holds every kind of connection (slot-major generation), and more than the
  // ~31 rows a virtualized list keeps in the DOM.
  mock = await startMock({ seed: 11, projects: 2, connectionsPerProject: Math.max(45, KINDS.length + 5), autoSignIn: true });
  [projectA, projectB] = mock.state.projects.map((p) => p.name);
  browser = await launchBrowser({ port: mock.port });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

/**
 * Waits until every connection row in the DOM carries exactly one mark, for the row's own
 * connection (by link, or by name for the no-link layout), and no mark is anywhere else.
 * Returns what it saw.
 */
async function settledMarks(page, project) {
  const byName = Object.fromEntries(mock.endpointsFor(project).map((e) => [e.name, e.id.toLowerCase()]));
  const check = (names) => {
    const rows = [...document.querySelectorAll('.mock-row')];
    const seen = [];
    for (const row of rows) {
      const link = row.matches('a[href]') ? row : row.querySelector('a[href]');
      const nameEl = row.querySelector('.mock-name-text');
      const name = [...nameEl.childNodes]
        .filter((n) => n.nodeType === 3)
        .map((n) => n.nodeValue)
        .join('');
      const id = link ? new URL(link.href).searchParams.get('resourceId')?.toLowerCase() : names[name];
      const marks = [...row.querySelectorAll('.federate-mark')];
      if (marks.length !== 1 || marks[0].dataset.federateId !== id) return null;
      seen.push({
        id,
        name,
        credential: marks[0].dataset.federateCredential,
        state: marks[0].dataset.federateState,
        text: marks[0].textContent,
      });
    }
    if (document.querySelectorAll('.federate-mark').length !== rows.length || rows.length === 0) return null;
    if (document.documentElement.dataset.federateMarks !== String(rows.length)) return null;
    return seen;
  };
  const handle = await page.waitForFunction(check, byName, { timeout: 15_000 });
  return handle.jsonValue();
}

test('every kind of connection gets one mark with words, and HTML-looking names stay text', async () => {
  const page = await browser.context.newPage();
  await page.goto(mock.signInUrl(listPath(mock, projectA)));
  await waitForFederate(page);
  const seen = await settledMarks(page, projectA);
  assert.ok(seen.length > 0);

  // Every mark has words (never colour alone) and the engine's credential and state.
  for (const m of seen) {
    assert.ok(m.text.trim().length > 2, `mark of ${m.name} has words`);
    assert.ok(m.credential, `mark of ${m.name} has a credential`);
  }
  // The endpoints the mock serves decide what the marks must say, whatever rows are visible:
  // drafts are drafts, failed are failed; secret-based service principals hold secrets.
  const raw = Object.fromEntries(mock.endpointsFor(projectA).map((e) => [e.id.toLowerCase(), e]));
  const all = await page.evaluate(async () => {
    const scroll = document.querySelector('[data-mock-scroll]');
    const found = new Map();
    for (let y = 0; ; y += 300) {
      scroll.scrollTop = y;
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 60)));
      for (const m of document.querySelectorAll('.federate-mark'))
        found.set(m.dataset.federateId, { state: m.dataset.federateState, credential: m.dataset.federateCredential, text: m.textContent });
      if (y > scroll.scrollHeight) break;
    }
    return Object.fromEntries(found);
  });
  assert.equal(Object.keys(all).length, Object.keys(raw).length, 'scrolling through the virtualized list marks every connection');
  const states = new Set(Object.values(all).map((m) => m.state));
  const credentials = new Set(Object.values(all).map((m) => m.credential));
  for (const s of ['ready', 'draft']) assert.ok(states.has(s), `a ${s} connection is marked (states: ${[...states]})`);
  for (const c of ['secret', 'federated', 'certificate'])
    assert.ok(credentials.has(c), `a ${c} connection is marked (credentials: ${[...credentials]})`);
  for (const [id, e] of Object.entries(raw)) {
    if (String(e.data?.isDraft ?? '').toLowerCase() === 'true') assert.equal(all[id].state, 'draft', `${e.name} is marked as a draft`);
    if (
      e.authorization?.scheme === 'ServicePrincipal' &&
      e.authorization?.parameters?.authenticationType !== 'spnCertificate' &&
      e.type === 'azurerm'
    ) {
      assert.equal(all[id].credential, 'secret', `${e.name} is marked as holding a secret`);
    }
  }

  // HTML-looking names: the page shows them as text and so do we (no element was injected).
  const injected = await page.evaluate(
    () => document.querySelectorAll('.mock-row b, .mock-row img, .federate-root img, .federate-mark *').length,
  );
  assert.equal(injected, 0, 'no element came from a connection name');
  await page.close();
});

test('the three layouts, virtualized scrolling, filtering with reused rows, refresh and in-app navigation keep one mark per row', async () => {
  for (const layout of ['rowLink', 'nameLink', 'noLink']) {
    mock.control({ layout });
    const page = await browser.context.newPage();
    await page.goto(mock.signInUrl(listPath(mock, projectA)));
    await waitForFederate(page);
    let seen = await settledMarks(page, projectA);
    assert.ok(
      seen.length >= 25 && seen.length < mock.endpointsFor(projectA).length,
      `${layout}: the list is virtualized (${seen.length} rows in the DOM)`,
    );

    // Scroll to the end: rows are added and removed, marks follow.
    await page.evaluate(() => {
      const s = document.querySelector('[data-mock-scroll]');
      s.scrollTop = s.scrollHeight;
    });
    const last = mock
      .endpointsFor(projectA)
      .map((e) => e.name)
      .sort((a, b) => a.localeCompare(b))
      .at(-1);
    await page.waitForFunction((name) => [...document.querySelectorAll('.mock-name-text')].some((n) => n.textContent === name), last);
    seen = await settledMarks(page, projectA);

    // Filter: the same row elements now show other connections; no stale mark survives.
    await page.evaluate(() => {
      const s = document.querySelector('[data-mock-scroll]');
      s.scrollTop = 0;
    });
    await page.fill('.mock-filter', 'Docker');
    await page.waitForFunction(() => Number(document.body.dataset.mockCount) < 20);
    seen = await settledMarks(page, projectA);
    assert.ok(seen.every((m) => m.credential !== undefined));
    await page.fill('.mock-filter', '');
    await page.waitForFunction(() => Number(document.body.dataset.mockCount) > 30);
    await settledMarks(page, projectA);

    // Refresh re-renders by reusing rows.
    await page.click('text=Refresh');
    await settledMarks(page, projectA);

    // In-app navigation to another project (pushState): the new project's marks only.
    await page.evaluate(
      (url) => {
        const a = Object.assign(document.createElement('a'), { href: url, textContent: 'go' });
        document.body.append(a);
        a.click();
        a.remove();
      },
      listPath(mock, projectB),
    );
    await page.waitForFunction((p) => decodeURIComponent(location.pathname).includes(p), projectB);
    await waitForFederate(page);
    seen = await settledMarks(page, projectB);
    const idsB = new Set(mock.endpointsFor(projectB).map((e) => e.id.toLowerCase()));
    assert.ok(
      seen.every((m) => idsB.has(m.id)),
      `${layout}: after navigation every mark belongs to ${projectB}`,
    );
    if (layout === 'rowLink') await screenshot(page, 'extension-marks-rowLink');
    await page.close();
  }
  mock.control({ layout: 'rowLink' });
});

test('a mark is a button: a click does not open the row; focus shows the reasons; click, Enter or Space open a popover that Escape and a click outside close', async () => {
  const page = await browser.context.newPage();
  await page.goto(mock.signInUrl(listPath(mock, projectA)));
  await waitForFederate(page);
  await settledMarks(page, projectA);
  const before = page.url();
  // rowLink layout: the row itself is a link, so a click reaching it would navigate.
  const mark = page.locator('a.mock-row .federate-mark').first();
  const id = await mark.getAttribute('data-federate-id');
  const name = mock.endpointsFor(projectA).find((e) => e.id.toLowerCase() === id).name;
  assert.deepEqual(await mark.evaluate((m) => [m.tagName, m.type, m.getAttribute('aria-haspopup'), m.getAttribute('aria-expanded')]), [
    'BUTTON',
    'button',
    'dialog',
    'false',
  ]);
  assert.ok(await mark.getAttribute('data-federate-credential'), 'the mark keeps data-federate-credential');

  // Click: the popover opens, the row does not.
  await mark.click();
  const popover = page.locator('#federate-popover');
  await popover.waitFor({ state: 'visible' });
  assert.equal(page.url(), before, 'clicking the mark did not navigate');
  assert.equal(await popover.getAttribute('role'), 'dialog');
  assert.equal(await popover.getAttribute('data-federate-id'), id);
  const title = await popover.evaluate((p) => document.getElementById(p.getAttribute('aria-labelledby'))?.textContent);
  assert.equal(title, name, 'the dialog is labelled with the connection name');
  assert.equal(await mark.getAttribute('aria-expanded'), 'true');
  assert.ok(await popover.locator('[data-federate-action="details"]').count(), 'Details… is offered');
  // A click inside the popover does not close it, and does not reach the row.
  await popover.locator('h2').click();
  assert.ok(await popover.isVisible());
  assert.equal(page.url(), before);
  // A click outside closes it.
  await page.click('.mock-title');
  await popover.waitFor({ state: 'detached' });
  assert.equal(await mark.getAttribute('aria-expanded'), 'false');

  // Keyboard: focus shows the reasons (tooltip, same words as aria-describedby).
  const tip = page.locator('#federate-tooltip');
  await mark.focus();
  await tip.waitFor({ state: 'visible' });
  const [tipText, described] = await Promise.all([tip.textContent(), mark.getAttribute('aria-description')]);
  assert.ok(tipText.trim().length > 0, 'the tooltip has words');
  assert.equal(tipText, described, 'screen readers get the same words through aria-description');
  // Its accessible role and name (Playwright's own accessible-name computation).
  const label = `Federate: ${await mark.textContent()}`;
  assert.ok((await page.getByRole('button', { name: label, exact: true }).count()) >= 1, `a button named "${label}"`);
  await page.keyboard.press('Escape');
  await tip.waitFor({ state: 'hidden' });

  // Enter opens the popover with focus inside; Escape closes it and focus returns to the mark.
  for (const key of ['Enter', ' ']) {
    await page.keyboard.press(key);
    await popover.waitFor({ state: 'visible' });
    assert.equal(page.url(), before, `${JSON.stringify(key)} on the mark did not open the row`);
    assert.ok(
      await page.evaluate(() => document.getElementById('federate-popover').contains(document.activeElement)),
      'focus moved into the popover',
    );
    await page.keyboard.press('Escape');
    await popover.waitFor({ state: 'detached' });
    assert.ok(await mark.evaluate((m) => document.activeElement === m), 'focus is back on the mark');
  }
  await page.close();
});

test("Convert… on a mark opens the panel on that connection (its plan from the user's own click; nothing sent); Details… opens its details", {
  timeout: 60_000,
}, async () => {
  const page = await browser.context.newPage();
  await page.goto(mock.signInUrl(listPath(mock, projectA)));
  await waitForFederate(page);
  await settledMarks(page, projectA);
  const ids = new Set(convertible(mock, projectA).map((e) => e.id.toLowerCase()));
  const drawn = await page
    .locator('.federate-mark')
    .evaluateAll((ms) => ms.map((m) => [m.dataset.federateId, m.dataset.federateConvertible]));
  const target = drawn.find(([id, c]) => ids.has(id) && c === 'yes')?.[0];
  assert.ok(target, 'a convertible connection is drawn in the first rows');
  const other = drawn.find(([, c]) => c === 'no')?.[0];
  assert.ok(other, 'a connection that cannot be converted is drawn');
  const requestsBefore = mock.requests.length;

  // A connection that can't be converted: Details… only.
  const otherMark = page.locator(`.federate-mark[data-federate-id="${other}"]`);
  await otherMark.focus();
  await page.keyboard.press('Enter');
  const popover = page.locator('#federate-popover');
  await popover.waitFor({ state: 'visible' });
  assert.equal(await popover.locator('[data-federate-action="convert"]').count(), 0, 'no Convert… when it cannot be converted');
  assert.ok(await popover.locator('ul.federate-reasons li').count(), 'the reasons are listed');
  await page.keyboard.press('Escape');

  // Details… (keyboard): the panel opens on that connection, no conversion started.
  await otherMark.focus();
  await page.keyboard.press('Enter');
  await popover.locator('[data-federate-action="details"]').focus();
  await page.keyboard.press('Enter');
  let panel = await scannedPanel(page);
  await panel.waitForFunction(
    (id) => document.getElementById('details')?.dataset.federateId === id && !document.getElementById('details').hidden,
    other,
  );
  assert.equal(await panel.locator(`[data-federate-convert="${other}"]`).count(), 0, 'Details… starts no plan');
  await panel.press('body', 'Escape');
  await page.waitForFunction(() => document.documentElement.dataset.federatePanel === 'closed');
  assert.ok(await otherMark.evaluate((m) => document.activeElement === m), 'closing the panel gives focus back to the mark');

  // Convert…: the first button of the popover; the panel opens on that connection's details,
  // with no plan until the user clicks Convert… there (a view, never an action); then its plan.
  const mark = page.locator(`.federate-mark[data-federate-id="${target}"]`);
  await mark.focus();
  await page.keyboard.press('Enter');
  await popover.waitFor({ state: 'visible' });
  assert.ok(await popover.locator('[data-federate-action="convert"]').evaluate((b) => document.activeElement === b), 'Convert… has focus');
  await page.keyboard.press('Enter');
  panel = await scannedPanel(page);
  await panel.waitForFunction(
    (id) => document.getElementById('details')?.dataset.federateId === id && !document.getElementById('details').hidden,
    target,
  );
  assert.equal(await panel.locator(`[data-federate-convert="${target}"] [data-action="confirm"]`).count(), 0, 'no plan by itself');
  await panel.click('#details [data-action="convert"]');
  await convertState(panel, `[data-federate-convert="${target}"]`, ['plan']);
  const send = await panel
    .locator(`[data-federate-convert="${target}"] [data-convert-plan="send"] li`)
    .evaluateAll((li) => li.map((l) => l.dataset.id.toLowerCase()));
  assert.deepEqual(send, [target], 'the plan is for that connection');
  const sent = mock.requests.slice(requestsBefore).filter((r) => r.method !== 'GET');
  assert.deepEqual(sent, [], 'nothing but reads until the user confirms');
  assert.equal(mock.conversions.length, 0);
  await screenshot(page, 'extension-mark-convert-plan');
  await page.close();
});

test('the {org}.visualstudio.com form works, and the connection page shows a card with remedies', async () => {
  const page = await browser.context.newPage();
  const vsPath = `/${encodeURIComponent(projectA)}/_settings/adminservices`;
  // The session cookie is per host: sign in on this host.
  await page.goto(mock.signInUrl(`https://${mock.org}.visualstudio.com${vsPath}`));
  await waitForFederate(page);
  const seen = await settledMarks(page, projectA);
  assert.ok(seen.length > 0, 'marks on the visualstudio.com form');
  const calls = mock.requests.filter(
    (r) => r.host?.startsWith(`${mock.org}.visualstudio.com`) && r.path.endsWith('/_apis/serviceendpoint/endpoints'),
  );
  assert.ok(calls.length >= 1, 'the list was read from the visualstudio.com origin');

  // A draft's page: verdict, federation explanation with decoded segments, remedies.
  const draft = mock.endpointsFor(projectA).find((e) => String(e.data?.isDraft).toLowerCase() === 'true');
  await page.goto(`https://${mock.org}.visualstudio.com${vsPath}?resourceId=${draft.id}`);
  await page.waitForFunction(() => document.documentElement.dataset.federateCard === 'ready', null, { timeout: 15_000 });
  const card = page.locator('.federate-card');
  assert.equal(await card.getAttribute('data-federate-id'), draft.id.toLowerCase());
  assert.match(await card.locator('.federate-verdict-label').textContent(), /draft/i);
  assert.ok(await card.locator('.federate-federation').count(), 'the federation section is shown');
  assert.match(await card.locator('.federate-federation').textContent(), /Subject/);
  const remedy = card.locator('pre.federate-remedy');
  const first = await remedy.textContent();
  assert.ok(first.length > 20, 'a remedy is shown');
  const formats = await card.locator('select option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(formats.length >= 2, `several remedy formats (${formats})`);
  await card.locator('select').selectOption(formats[1]);
  assert.notEqual(await remedy.textContent(), first, 'the format switch changes the text');
  assert.ok(await card.locator('[data-federate-slot="actions"]').count(), 'a slot for actions (convert) exists');
  await screenshot(page, 'extension-connection-card');

  // An unknown connection's page: the card says so in the engine's words, which the service
  // worker filled in (the content script cannot run the engine).
  await page.goto(`https://${mock.org}.visualstudio.com${vsPath}?resourceId=00000000-0000-4000-8000-00000000dead`);
  await page.waitForFunction(() => document.documentElement.dataset.federateCard === 'error', null, { timeout: 15_000 });
  assert.equal(await page.locator('.federate-card').getAttribute('data-federate-error-kind'), 'notFound');
  assert.match(await page.locator('.federate-card [role="alert"]').textContent(), /^Not found\. This service connection was not found/);
  await page.close();
});

test('at 200% zoom the summary bar and the marks fit, and the keyboard reaches the bar, the marks and the popover', async () => {
  const page = await browser.context.newPage();
  // 200% zoom of a 1280×900 window lays the page out in a 640×450 CSS viewport (the device
  // pixel ratio only changes rasterization, which a persistent context can't set per page).
  await page.setViewportSize({ width: 640, height: 450 });
  await page.goto(mock.signInUrl(listPath(mock, projectA)));
  await waitForFederate(page);
  await settledMarks(page, projectA);
  const layout = await page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const bar = document.querySelector('.federate-bar');
    const b = bar.getBoundingClientRect();
    const marks = [...document.querySelectorAll('.federate-mark')].slice(0, 8).map((m) => {
      const r = m.getBoundingClientRect();
      const row = m.closest('.mock-row').getBoundingClientRect();
      return { left: r.left, right: r.right, height: r.height, rowRight: row.right, text: m.textContent };
    });
    return { vw, bar: { left: b.left, right: b.right, overflow: bar.scrollWidth - bar.clientWidth }, marks };
  });
  assert.ok(
    layout.bar.left >= 0 && layout.bar.right <= layout.vw + 1,
    `the bar fits the width (${JSON.stringify(layout.bar)}, ${layout.vw})`,
  );
  assert.ok(layout.bar.overflow <= 1, 'nothing in the bar overflows (it wraps)');
  for (const m of layout.marks) {
    assert.ok(m.left >= 0 && m.right <= m.rowRight + 1, `the mark "${m.text}" stays inside its row`);
    assert.ok(m.height >= 12, `the mark "${m.text}" has readable height (${m.height}px)`);
  }

  // Keyboard: from the top of the page, Tab reaches the bar's button, then a mark.
  await page.evaluate(() => document.activeElement?.blur());
  const reached = [];
  for (let i = 0; i < 80 && !reached.includes('mark'); i++) {
    await page.keyboard.press('Tab');
    const what = await page.evaluate(() => {
      const a = document.activeElement;
      if (a?.matches('.federate-bar .federate-open-panel')) return 'bar';
      if (a?.matches('.federate-mark')) return 'mark';
      return null;
    });
    if (what && !reached.includes(what)) reached.push(what);
  }
  assert.deepEqual(reached, ['bar', 'mark'], 'Tab reaches the summary bar, then the marks');
  // The focused mark is visible (scrolled into view) and its popover fits the zoomed viewport.
  await page.keyboard.press('Enter');
  const popover = page.locator('#federate-popover');
  await popover.waitFor({ state: 'visible' });
  const box = await popover.evaluate((p) => {
    const r = p.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, vw: innerWidth, vh: innerHeight };
  });
  assert.ok(box.left >= 0 && box.right <= box.vw && box.top >= 0 && box.bottom <= box.vh, `the popover fits (${JSON.stringify(box)})`);
  await screenshot(page, 'extension-marks-zoom-200');
  await page.keyboard.press('Escape');
  await popover.waitFor({ state: 'detached' });
  await page.close();
});
