// Where every benchmark writes its figures: tests/.out/bench.json, one object whose stable
// dotted names (`marks.listToMarksMs.50`, `scan.budget.engineMs`, ...) are nested keys. Each
// bench merges its own keys into what is there, so benches run one at a time (or another
// engineer's `usage.*`) never erase each other's figures. Also records the machine's core
// count, since every figure depends on it.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { root } from '../../scripts/lib.mjs';

export const benchJson = join(root, 'tests', '.out', 'bench.json');

function read() {
  try {
    const parsed = JSON.parse(readFileSync(benchJson, 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/**
 * Merges `figures` (`{'marks.listToMarksMs.50': 12.3, ...}`; a value may be null when a run
 * could not measure it) into tests/.out/bench.json, with the machine's core count. Written to a
 * temporary file and renamed, so a reader never sees half a file.
 */
export function recordFigures(figures) {
  const out = read();
  for (const [name, value] of Object.entries({ 'machine.cores': availableParallelism(), ...figures })) {
    const path = name.split('.');
    let node = out;
    for (const key of path.slice(0, -1)) {
      if (!node[key] || typeof node[key] !== 'object') node[key] = {};
      node = node[key];
    }
    node[path.at(-1)] = typeof value === 'number' && Number.isFinite(value) ? Math.round(value * 1000) / 1000 : (value ?? null);
  }
  out.machine.updatedAt = new Date().toISOString();
  mkdirSync(dirname(benchJson), { recursive: true });
  const tmp = `${benchJson}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(out, null, 2)}\n`);
  renameSync(tmp, benchJson);
}
