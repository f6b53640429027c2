// The mock's service connections page behaves as shared/reference/ado-page.md describes: drawn
// after load, three row layouts, virtualized, row elements reused on filtering, in-app
// navigation, names as text, both URL forms.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { chromiumPath } from '../../scripts/lib.mjs';
import { startMock } from '../mock/server.mjs';

let mock;
let browser;
before(async () => {
  mock = await startMock({ seed: 21, projects: 2, connectionsPerProject: 70, autoSignIn: true });
  browser = await chromium.launch({ executablePath: chromiumPath, args: mock.chromiumArgs() });
});
after(async () => {
  await browser?.close();
  await mock?.close();
});

const rowSel = '.mock-row[data-row-index]';

for (const layout of ['rowLink', 'nameLink', 'noLink']) {
  test(`layout ${layout}: rendered after load, virtualized, reused on filter, names as text`, async () => {
    mock.control({ layout });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const p = mock.state.projects[0];
    const total = mock.endpointsFor(p.id).length;
    await page.goto(mock.signInUrl(`/contoso/${encodeURIComponent(p.name)}/_settings/adminservices`));
    await page.waitForSelector('body[data-mock-ready="list"]');
    assert.equal(Number(await page.getAttribute('body', 'data-mock-count')), total);
    const rows = await page.$$(rowSel);
    assert.ok(total > 31 && rows.length === 31, `only 31 of ${total} rows in the DOM (${rows.length})`);
    const tag = await rows[0].evaluate((r) => r.tagName);
    assert.equal(tag, layout === 'rowLink' ? 'A' : 'TR');
    const links = await page.$$eval('a[href*="resourceId="]', (as) => as.length);
    assert.equal(links, layout === 'noLink' ? 0 : 31);
    assert.equal(await page.$$eval('img', (i) => i.length), 0, 'HTML-looking names are text');
    assert.ok(
      (await page.textContent('body')).includes('<img src=x onerror=alert(1)>') ||
        !mock.endpointsFor(p.id).some((e) => e.name.includes('<img')),
    );

    // Filtering reuses the first row element for another connection.
    const firstText = await rows[0].evaluate((r) => r.querySelector('.mock-name-text').textContent);
    const handle = rows[0];
    const other = mock
      .endpointsFor(p.id)
      .map((e) => e.name)
      .sort((a, b) => a.localeCompare(b, undefined, { sensitivity: 'base' }))
      .find((n) => n !== firstText && !n.startsWith(firstText.slice(0, 3)));
    await page.fill('.mock-filter', other);
    await page.waitForFunction((n) => document.querySelector('.mock-row .mock-name-text')?.textContent === n, other);
    assert.equal(await handle.evaluate((r) => r.isConnected), true, 'the same element stayed');
    assert.equal(await handle.evaluate((r) => r.querySelector('.mock-name-text').textContent), other, 'and now shows another connection');
    await page.fill('.mock-filter', '');

    // Scrolling adds and removes rows.
    await page.$eval('[data-mock-scroll]', (s) => (s.scrollTop = s.scrollHeight));
    await page.waitForFunction((n) => [...document.querySelectorAll('.mock-row')].some((r) => Number(r.dataset.rowIndex) === n - 1), total);
    assert.ok((await page.$$(rowSel)).length <= 31);

    // In-app navigation to one connection (no page load).
    await page.evaluate(() => (window.__sameDocument = true));
    await page.click(layout === 'nameLink' ? '.mock-name-link >> nth=0' : `${rowSel} >> nth=0`);
    await page.waitForSelector('body[data-mock-ready="endpoint"]');
    assert.equal(await page.evaluate(() => window.__sameDocument), true);
    assert.match(page.url(), /\?resourceId=[0-9a-f-]{36}$/);
    assert.ok((await page.textContent('.mock-endpoint-name')).length > 0);
    await page.close();
  });
}

test('the other URL form, project links, CSP without inline scripts', async () => {
  mock.control({ layout: 'rowLink' });
  const page = await browser.newPage();
  const violations = [];
  page.on('console', (m) => /Content Security Policy/.test(m.text()) && violations.push(m.text()));
  const [p0, p1] = mock.state.projects;
  const res = await page.goto(`https://contoso.visualstudio.com/${encodeURIComponent(p0.name)}/_settings/adminservices`);
  await page.waitForSelector('body[data-mock-ready="list"]');
  assert.match(res.headers()['content-security-policy'], /script-src 'self' 'nonce-/);
  assert.match(page.url(), /^https:\/\/contoso\.visualstudio\.com\//);
  const ids = await page.$$eval('a[href*="resourceId="]', (as) => as.map((a) => new URL(a.href).searchParams.get('resourceId')));
  assert.ok(ids.every((id) => mock.endpointsFor(p0.id).some((e) => e.id === id)));
  await page.click(`.mock-project-link:text-is("${p1.name}")`);
  await page.waitForFunction(
    (n) => decodeURIComponent(location.pathname).includes(n) && document.body.dataset.mockReady === 'list',
    p1.name,
  );
  assert.equal(Number(await page.getAttribute('body', 'data-mock-count')), mock.endpointsFor(p1.id).length);
  assert.deepEqual(violations, []);
  await page.close();
});
