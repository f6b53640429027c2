// `npm test`: everything, in order from fastest to slowest feedback. `--only a,b` runs a subset
// (names below). Set-up comes first and is idempotent.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromedriverPath, main, root, run, step } from './lib.mjs';

const stages = {
  setup: () => run('node', ['scripts/setup.mjs', '--quiet']),
  fmt: () => run('cargo', ['fmt', '--all', '--check']),
  lint: () => run('biome', ['ci', '--error-on-warnings', '--reporter=summary']),
  clippy: () => {
    // With federate-core's `ts` feature, so the TypeScript generator and the derives are linted too.
    run('cargo', ['clippy', '--workspace', '--all-targets', '--features', 'federate-core/ts', '--locked', '--', '-D', 'warnings']);
    run('cargo', [
      'clippy',
      '-p',
      'federate-wasm',
      '--all-targets',
      '--target',
      'wasm32-unknown-unknown',
      '--locked',
      '--',
      '-D',
      'warnings',
    ]);
  },
  cargo: () => run('cargo', ['test', '--workspace', '--locked']),
  wasm: () =>
    run('cargo', ['test', '-p', 'federate-wasm', '--target', 'wasm32-unknown-unknown', '--locked'], {
      env: { CHROMEDRIVER: chromedriverPath, WASM_BINDGEN_TEST_TIMEOUT: '120' },
    }),
  build: () => run('node', ['scripts/build.mjs']),
  types: () => {
    run('tsc', ['-p', 'extension/tsconfig.json']);
    for (const p of ['www/tsconfig.json', 'tests/tsconfig.json']) if (existsSync(join(root, p))) run('tsc', ['-p', p]);
  },
  node: () => {
    const dirs = ['tests/node', 'tests/contract', 'tests/e2e'].filter((d) => existsSync(join(root, d)));
    const files = dirs.flatMap((d) =>
      readdirSync(join(root, d))
        .filter((f) => f.endsWith('.test.mjs'))
        .map((f) => join(d, f)),
    );
    // Browser tests share two cores: one file at a time keeps them from starving each other.
    run('node', ['--test', '--test-concurrency=1', ...files]);
  },
};

main(async () => {
  const only = process.argv
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',');
  for (const [name, fn] of Object.entries(stages)) {
    if (only && !only.includes(name) && name !== 'setup') continue;
    step(`test: ${name}`);
    fn();
  }
  console.log('\nAll tests passed.');
});
