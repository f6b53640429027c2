// `npm run bench`: runs every benchmark under tests/bench, one after another, after a build.
// Benchmarks print ratios measured side by side in one run; they are never timed tests.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { main, root, run, step } from './lib.mjs';

main(async () => {
  run('node', ['scripts/setup.mjs', '--quiet']);
  run('node', ['scripts/build.mjs']);
  const dir = join(root, 'tests', 'bench');
  const only = process.argv[2];
  const benches = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bench.mjs')) : [];
  for (const file of benches.filter((f) => !only || f.includes(only))) {
    step(`bench: ${file}`);
    run('node', ['--expose-gc', join(dir, file)]);
  }
});
