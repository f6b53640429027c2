// Shared steps of the panel tests: a project's service connections list on the mock, the panel
// opened over it from the summary bar, and waits on the panel's readiness attributes (never
// on sleeps).
import { waitForFederate } from '../harness/browser.mjs';

/** The path of `project`'s service connections list in the mock's organization. */
export const listPath = (mock, project) => `/${mock.org}/${encodeURIComponent(project)}/_settings/adminservices`;

/** Waits until the panel's scan state (data-federate-scan) is one of `states`. */
export const scanState = (panel, states, timeout = 60_000) =>
  panel.waitForFunction((s) => s.includes(document.documentElement.dataset.federateScan), states, { timeout });

/** Waits until the element at `selector` in `frame` has one of `states` as data-convert-state. */
export const convertState = (frame, selector, states, timeout = 30_000) =>
  frame.waitForFunction(([sel, s]) => s.includes(document.querySelector(sel)?.dataset.convertState ?? ''), [selector, states], {
    timeout,
  });

/** The panel's frame over `page`, once the panel is open and its engine loaded (its project scan starts then). */
export async function panelFrame(page) {
  await page.waitForFunction(() => document.documentElement.dataset.federatePanel === 'open');
  const frame = await (await page.waitForSelector('iframe.federate-panel-frame')).contentFrame();
  await frame.waitForFunction(() => document.documentElement.dataset.federate === 'ready', null, { timeout: 20_000 });
  return frame;
}

/** The panel's frame over `page`, once its project scan is done. */
export async function scannedPanel(page) {
  const frame = await panelFrame(page);
  await scanState(frame, ['done'], 30_000);
  return frame;
}

/** Opens `project`'s list in a new page and the panel from its summary bar; returns both once the project scan is done. */
export async function openPanel(browser, mock, project) {
  const page = await browser.context.newPage();
  await page.goto(mock.signInUrl(listPath(mock, project)));
  await waitForFederate(page);
  await page.click('.federate-bar .federate-open-panel');
  return { page, panel: await scannedPanel(page) };
}
