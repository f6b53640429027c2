// The browser harness: Debian's Chromium driven by playwright-core, with the unpacked
// extension loaded, pointed at the mock Azure DevOps under its real hostnames.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumPath, root } from '../../scripts/lib.mjs';

export const extensionDir = join(root, 'dist', 'extension');
export const screenshotDir = join(root, 'tests', '.out', 'screenshots');

/**
 * Launches Chromium with the extension (`extensionPath`, default dist/extension). `mapAllHosts`
 * sends every host name to the mock (so it sees any request to any host). `port` is the
 * mock's port: dev.azure.com and *.visualstudio.com resolve to it. Returns the context, the extension id and a close().
 */
export async function launchBrowser({ port, headless = true, extension = true, extensionPath = extensionDir, mapAllHosts = false } = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'federate-chromium-'));
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--no-default-browser-check',
    '--ignore-certificate-errors',
  ];
  if (port && mapAllHosts) args.push(`--host-resolver-rules=MAP * 127.0.0.1:${port}, EXCLUDE localhost`);
  else if (port)
    args.push(`--host-resolver-rules=MAP dev.azure.com 127.0.0.1:${port}, MAP *.visualstudio.com 127.0.0.1:${port}, EXCLUDE localhost`);
  if (extension) args.push(`--disable-extensions-except=${extensionPath}`, `--load-extension=${extensionPath}`);
  if (headless) args.push('--headless=new');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: false, // the real flag is in args: --headless=new keeps extensions working
    args,
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 900 },
  });
  let extensionId = null;
  if (extension) {
    let [worker] = context.serviceWorkers();
    worker ??= await context.waitForEvent('serviceworker', { timeout: 15_000 });
    extensionId = new URL(worker.url()).host;
  }
  return {
    context,
    extensionId,
    /** The service worker of the extension (re-resolved: MV3 may restart it). */
    serviceWorker: () => context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${extensionId}/`)),
    /** Opens an extension page such as `panel.html`. */
    async openExtensionPage(path) {
      const page = await context.newPage();
      await page.goto(`chrome-extension://${extensionId}/${path}`);
      return page;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until the page's `data-federate` readiness attribute is set to a final state. */
export async function waitForFederate(page, { state = 'ready', timeout = 20_000 } = {}) {
  const handle = await page.waitForFunction(
    () => {
      const s = document.documentElement.dataset.federate;
      return s === 'ready' || s === 'error' ? s : null;
    },
    null,
    { timeout },
  );
  const got = await handle.jsonValue();
  if (got !== state) {
    const error = await page.evaluate(() => document.documentElement.dataset.federateError ?? '');
    throw new Error(`expected data-federate="${state}", got "${got}" ${error}`);
  }
}

/** Saves a screenshot under tests/.out/screenshots and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
