// Idempotent set-up for `npm start` and `npm test`: the rustup target, the wasm-bindgen CLI
// at the pinned version, npm packages, and Debian's Chromium. Quiet when all is in place.
// Only Node built-ins: this runs before `npm ci`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumPath, haveChromium, main, pinnedWasmBindgen, root, run, step } from './lib.mjs';

const quiet = process.argv.includes('--quiet');
const say = (msg) => {
  if (!quiet) console.log(msg);
};

function rustTarget() {
  const installed = run('rustup', ['target', 'list', '--installed'], { capture: true }).stdout;
  if (installed.split('\n').includes('wasm32-unknown-unknown')) return say('rustup target: wasm32-unknown-unknown present');
  step('Adding the wasm32-unknown-unknown target');
  run('rustup', ['target', 'add', 'wasm32-unknown-unknown']);
}

function wasmBindgenCli() {
  const want = pinnedWasmBindgen();
  const have = run('wasm-bindgen', ['--version'], { capture: true, allowFail: true }).stdout.trim();
  if (have === `wasm-bindgen ${want}`) return say(`wasm-bindgen CLI: ${want} present`);
  step(`Installing wasm-bindgen-cli ${want} (found: ${have || 'none'}; about 3 minutes)`);
  run('cargo', ['install', 'wasm-bindgen-cli', '--version', want, '--force']);
}

function npmPackages() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) {
    return say('npm packages: present');
  }
  step('Installing npm packages (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

function chromium() {
  if (haveChromium()) return say(`chromium: ${chromiumPath} present`);
  const cmd = 'apt-get update && apt-get install -y chromium chromium-driver';
  if (process.getuid?.() !== 0) {
    throw new Error(
      `Chromium is missing (${chromiumPath}) and installing it needs root. Run:\n  sudo sh -c '${cmd}'\nthen run this command again.`,
    );
  }
  step("Installing Debian's chromium and chromium-driver");
  run('sh', ['-c', `DEBIAN_FRONTEND=noninteractive ${cmd}`]);
}

main(async () => {
  const needBrowser = !process.argv.includes('--no-browser');
  rustTarget();
  wasmBindgenCli();
  npmPackages();
  if (needBrowser) chromium();
  // Fail early and clearly if something above silently did not work.
  if (!existsSync(join(root, 'node_modules', 'playwright-core'))) throw new Error('npm packages did not install');
  if (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name !== 'federate-ado')
    throw new Error('run from the Federate checkout');
});
