// Small helpers shared by the scripts: run a command, find tools, print steps.
// Only Node built-ins here: scripts/setup.mjs runs before `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { homedir } from 'node:os';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const cargoBin = join(process.env.CARGO_HOME ?? join(homedir(), '.cargo'), 'bin');
/** PATH with cargo's bin and the project's node_modules/.bin in front. */
export const toolPath = [join(root, 'node_modules', '.bin'), cargoBin, process.env.PATH].join(':');

/** Prints a step heading. */
export function step(title) {
  console.log(`\n\x1b[1m== ${title}\x1b[0m`);
}

/**
 * Runs a command (inherits stdio unless `capture`), in the repo root; throws with a clear
 * message when it fails.
 */
export function run(cmd, args, { capture = false, env = {}, cwd = root, allowFail = false } = {}) {
  const res = spawnSync(cmd, args, {
    cwd,
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
    env: { ...process.env, PATH: toolPath, ...env },
  });
  if (res.error) {
    if (allowFail) return { ok: false, stdout: '', stderr: String(res.error) };
    throw new Error(`could not run ${cmd}: ${res.error.message}`);
  }
  if (res.status !== 0 && !allowFail) {
    const tail = capture ? `\n${res.stdout ?? ''}${res.stderr ?? ''}` : '';
    throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${res.status}${tail}`);
  }
  return { ok: res.status === 0, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

/** The wasm-bindgen version pinned in the workspace Cargo.toml (`wasm-bindgen = "=X"`). */
export function pinnedWasmBindgen() {
  const toml = readFileSync(join(root, 'Cargo.toml'), 'utf8');
  const m = toml.match(/^wasm-bindgen\s*=\s*"=([0-9.]+)"/m);
  if (!m) throw new Error('Cargo.toml must pin wasm-bindgen with "=X.Y.Z"');
  return m[1];
}

export const chromiumPath = process.env.FEDERATE_CHROMIUM ?? '/usr/bin/chromium';
export const chromedriverPath = process.env.CHROMEDRIVER ?? '/usr/bin/chromedriver';
export const haveChromium = () => existsSync(chromiumPath) && existsSync(chromedriverPath);

/** Runs `main` and turns a thrown error into a one-line message and exit code 1. */
export function main(fn) {
  fn().catch((err) => {
    console.error(`\n\x1b[31merror:\x1b[0m ${err.message}`);
    process.exit(1);
  });
}
