// Packs the npm package (`npm pack`) and installs the tarball into an empty scratch folder, as a
// user would. Everything in tests/node runs the library and the CLI from that install, never
// from the source tree. Once per test process.
import { execFileSync, spawn as spawnAsync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../../scripts/lib.mjs';

let installed;

/** `{dir, tarball, files, bin, run(args, opts), npx(args, opts), cleanup()}` for the installed package. */
export function installPacked() {
  if (installed) return installed;
  const dir = mkdtempSync(join(tmpdir(), 'federate-pack-'));
  const quiet = { npm_config_loglevel: 'error', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  const env = { ...process.env, ...quiet };
  const packOut = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, env, encoding: 'utf8' });
  const [info] = JSON.parse(packOut.slice(packOut.indexOf('[')));
  const tarball = join(dir, info.filename);
  const app = join(dir, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  execFileSync('npm', ['install', tarball, '--no-audit', '--no-fund', '--offline', '--no-package-lock'], {
    cwd: app,
    env,
    encoding: 'utf8',
  });
  const bin = join(app, 'node_modules', '.bin', 'federate');
  const spawn = (cmd, args, { input, env: extra = {} } = {}) => {
    const res = spawnSync(cmd, args, { cwd: app, input, encoding: 'utf8', env: { ...env, ...extra }, timeout: 120_000 });
    if (res.error) throw res.error;
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
  };
  // Async, for anything that talks to a mock served by this same process (a sync spawn would
  // block the event loop the mock answers on).
  const spawnLive = (cmd, args, { input, env: extra = {} } = {}) =>
    new Promise((resolve, reject) => {
      const child = spawnAsync(cmd, args, { cwd: app, env: { ...env, ...extra }, timeout: 120_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d) => {
        stdout += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d) => {
        stderr += d;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
  installed = {
    dir: app,
    tarball,
    files: info.files.map((f) => f.path).sort(),
    installedFiles: readdirSync(join(app, 'node_modules', 'federate-ado'), { recursive: true })
      .map(String)
      .sort(),
    bin,
    /** Runs the installed `federate` bin. */
    run: (args, opts) => spawn(bin, args, opts),
    /** Runs `npx federate` in the scratch folder (no registry: the local bin). */
    npx: (args, opts) => spawn('npx', ['--no', 'federate', ...args], opts),
    /** Runs the installed `federate` bin without blocking this process (for the mock). */
    runLive: (args, opts) => spawnLive(bin, args, opts),
    /** Runs node on a script inside the scratch folder, without blocking this process. */
    node: (args, opts) => spawnLive(process.execPath, args, opts),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  return installed;
}
