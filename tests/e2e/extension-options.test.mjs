// The ways to open the panel other than the summary bar, and the "active on" option:
//  - the keyboard command `open-panel` (manifest `commands`),
//  - the popup's "Open the Federate panel on this tab" button,
//  - organizations: an organization not in the list gets no marks and no requests from
//    Federate; back to "every organization" brings them back.
// Every wait is on a readiness attribute or a DOM condition, never a sleep.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMock } from '../mock/server.mjs';
import { launchBrowser, screenshot, waitForFederate } from '../harness/browser.mjs';
import { listPath, scannedPanel } from './panel-helpers.mjs';

let mock;
let browser;
let project;

before(async () => {
  mock = await startMock({ seed: 31, projects: 1, connectionsPerProject: 12, autoSignIn: true });
  project = mock.state.projects[0].name;
  browser = await launchBrowser({ port: mock.port });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

/** Requests Federate made (the page's own list call asks for api-version 7.2-preview.4; Federate's never do). */
const federateRequests = (since) =>
  mock.requests.slice(since).filter((r) => r.path.includes('/_apis/') && !String(r.headers?.accept ?? '').includes('7.2-preview.4'));

async function openList() {
  const page = await browser.context.newPage();
  await page.goto(mock.signInUrl(listPath(mock, project)));
  await waitForFederate(page);
  await page.waitForFunction(() => Number(document.documentElement.dataset.federateMarks) > 0);
  return page;
}

test('the keyboard command opens the panel on the active Azure DevOps tab', async () => {
  const page = await openList();
  await page.bringToFront();
  const worker = browser.serviceWorker();
  assert.ok(worker, 'the service worker is running');
  // The command is declared with its shortcut and the worker listens for it.
  const command = await worker.evaluate(async () => {
    const all = await chrome.commands.getAll();
    return { command: all.find((c) => c.name === 'open-panel') ?? null, listening: chrome.commands.onCommand.hasListeners() };
  });
  assert.ok(command.command, 'the open-panel command is registered');
  assert.equal(command.command.description, 'Open the Federate panel');
  assert.equal(command.listening, true, 'the service worker listens for commands');

  // The shortcut itself: headless Chromium does not route synthetic key events to the
  // browser's extension-command accelerators (shortcuts are handled by the browser window,
  // not the page), so pressing Alt+Shift+F can't be tested here. Try it; if it does not open
  // the panel, say so and dispatch what the command handler does instead, through the worker.
  await page.keyboard.press('Alt+Shift+F');
  const viaShortcut = await page
    .waitForFunction(() => document.documentElement.dataset.federatePanel === 'open', null, { timeout: 2_000 })
    .then(() => true)
    .catch(() => false);
  if (!viaShortcut) {
    console.log(
      '# the Alt+Shift+F shortcut is not delivered to extension commands in headless Chromium; dispatching the command through the service worker',
    );
    const dispatched = await worker.evaluate(async () => {
      // What the handler does for `open-panel`: the active tab of the focused window, if it is Azure DevOps.
      const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
      if (!tab?.id || !/^https:\/\/(dev\.azure\.com|[^/]+\.visualstudio\.com)\//.test(tab.url ?? ''))
        return `not an Azure DevOps tab: ${tab?.url}`;
      await chrome.tabs.sendMessage(tab.id, { type: 'mountPanel' }, { frameId: 0 });
      return 'sent';
    });
    assert.equal(dispatched, 'sent');
  }
  await scannedPanel(page);
  await page.close();
});

test('the popup: "Open the Federate panel on this tab" opens it over the Azure DevOps tab', async () => {
  const page = await openList();
  await page.bringToFront();
  // The popup as its own small window that does not take focus, so the Azure DevOps tab stays
  // the active tab of the last focused window, as it is when the toolbar popup opens.
  const popupPromise = browser.context.waitForEvent('page', (p) => p.url().endsWith('/options.html'));
  await browser.serviceWorker().evaluate(async () => {
    await chrome.windows.create({ url: chrome.runtime.getURL('options.html'), type: 'popup', focused: false, width: 400, height: 500 });
  });
  const popup = await popupPromise;
  await popup.waitForFunction(() => document.documentElement.dataset.federate === 'ready');
  const button = popup.locator('#open-panel');
  await popup.waitForFunction(() => !document.getElementById('open-panel').disabled || document.getElementById('open-status').textContent);
  assert.equal(await button.isDisabled(), false, `enabled on an Azure DevOps tab (${await popup.textContent('#open-status')})`);
  await button.click();
  await page
    .waitForFunction(() => document.documentElement.dataset.federatePanel === 'open', null, { timeout: 15_000 })
    .catch(async (err) => {
      throw new Error(`${err.message}; the popup says: ${await popup.textContent('#open-status')}`);
    });
  // The popup then closes itself (window.close(); whether a window made by chrome.windows.create
  // may close itself varies, so: closed, or open with no error).
  if (!popup.isClosed()) {
    const status = await popup.textContent('#open-status').catch(() => '');
    assert.equal(status, '', 'no error shown');
    await popup.close().catch(() => undefined);
  }
  await page.close();

  // On a page that is not Azure DevOps the button is disabled and says why.
  const other = await browser.context.newPage();
  await other.goto('about:blank');
  await other.bringToFront();
  const popup2Promise = browser.context.waitForEvent('page', (p) => p.url().endsWith('/options.html'));
  await browser.serviceWorker().evaluate(async () => {
    await chrome.windows.create({ url: chrome.runtime.getURL('options.html'), type: 'popup', focused: false, width: 400, height: 500 });
  });
  const popup2 = await popup2Promise;
  await popup2.waitForFunction(() => document.getElementById('open-status').textContent.length > 0);
  assert.equal(await popup2.locator('#open-panel').isDisabled(), true);
  assert.match(await popup2.textContent('#open-status'), /Azure DevOps page/);
  await popup2.close();
  await other.close();
});

test('active organizations: an organization not in the list gets no marks and no requests; "every organization" restores them', async () => {
  const options = await browser.openExtensionPage('options.html');
  await options.waitForFunction(() => document.documentElement.dataset.federate === 'ready');
  assert.ok(await options.isChecked('#mode-all'), 'every organization by default');
  assert.ok(await options.isDisabled('#names'), 'the list is off while every organization is chosen');

  // Only another organization (keyboard: the radio, then the list).
  await options.check('#mode-only');
  await options.fill('#names', `someone-else\n${mock.org}-not`);
  await options.locator('#names').blur();
  await options.waitForFunction(() => /Saved: active on someone-else/.test(document.getElementById('saved').textContent));
  const stored = await browser.serviceWorker().evaluate(() => chrome.storage.sync.get('organizations'));
  assert.deepEqual(stored.organizations, { mode: 'only', names: ['someone-else', `${mock.org}-not`] });

  const since = mock.requests.length;
  const page = await browser.context.newPage();
  await page.goto(mock.signInUrl(listPath(mock, project)));
  await page.waitForFunction(() => document.body?.dataset.mockReady === 'list');
  await page.waitForFunction(() => document.documentElement.dataset.federate === 'off');
  assert.equal(await page.locator('.federate-mark, .federate-bar').count(), 0, 'no marks and no summary bar');
  // The page's own list call happened; none of Federate's did.
  assert.ok(
    mock.requests.slice(since).some((r) => r.path.endsWith('/_apis/serviceendpoint/endpoints')),
    'the page read its list',
  );
  assert.deepEqual(
    federateRequests(since).map((r) => `${r.method} ${r.path}`),
    [],
    'Federate sent nothing for an organization it is off for',
  );
  await screenshot(options, 'extension-options');

  // The organization in the list (any case): on again.
  await options.fill('#names', mock.org.toUpperCase());
  await options.locator('#names').blur();
  await options.waitForFunction((org) => document.getElementById('saved').textContent.includes(org), mock.org.toUpperCase());
  await page.reload();
  await waitForFederate(page);
  await page.waitForFunction(() => Number(document.documentElement.dataset.federateMarks) > 0);

  // Back to every organization.
  await options.check('#mode-only');
  await options.fill('#names', 'someone-else');
  await options.locator('#names').blur();
  await options.waitForFunction(() => /someone-else/.test(document.getElementById('saved').textContent));
  await options.check('#mode-all');
  await options.waitForFunction(() => /every organization/.test(document.getElementById('saved').textContent));
  assert.ok(await options.isDisabled('#names'));
  const since2 = mock.requests.length;
  await page.reload();
  await waitForFederate(page);
  await page.waitForFunction(() => Number(document.documentElement.dataset.federateMarks) > 0);
  assert.ok(federateRequests(since2).length > 0, 'Federate reads the list again');
  await page.close();
  await options.close();
});
