// `npm start`: build, start the demo organization on the mock Azure DevOps, and open Chromium
// with the extension on its service connections page. Without a display it runs headless,
// saves a screenshot of the marked page and prints its path. The demo stays up until Ctrl-C.
import { main, run, step } from './lib.mjs';

main(async () => {
  run('node', ['scripts/setup.mjs', '--quiet']);
  run('node', ['scripts/build.mjs']);
  const { startMock, scenarioDemo } = await import('../tests/mock/server.mjs');
  const { launchBrowser, screenshot, waitForFederate } = await import('../tests/harness/browser.mjs');

  step('Starting the demo organization');
  const port = Number(process.env.FEDERATE_PORT ?? 0);
  const mock = await startMock({ port, scenario: scenarioDemo(), autoSignIn: true });
  const project = mock.state.projects[0].name;
  const listUrl = `${mock.orgUrl}/${encodeURIComponent(project)}/_settings/adminservices`;

  const headless = !process.env.DISPLAY || process.env.CI === 'true';
  step(`Opening Chromium with the extension (${headless ? 'headless: no display' : 'window'})`);
  const browser = await launchBrowser({ port: mock.port, headless });
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(mock.signInUrl(new URL(listUrl).pathname));
  await waitForFederate(page);
  await page.waitForSelector('.federate-mark');
  const shot = await screenshot(page, 'demo-service-connections');

  console.log(`\nDemo organization: ${listUrl}`);
  console.log(`  (served on https://127.0.0.1:${mock.port}; Chromium maps dev.azure.com there)`);
  console.log(`Screenshot of the marked page: ${shot}`);
  console.log('Press Ctrl-C to stop.');
  const stop = async () => {
    await browser.close().catch(() => {});
    await mock.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (!headless) browser.context.on('close', stop);
});
