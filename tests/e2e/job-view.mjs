// The engine's view of a stored job, in node: the tests read what the panel draws from the
// same header and records (`ConversionJob.restore(header, records).view()`), never a copy of
// the engine's rules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConversionJob, initSync } from '../../pkg/web/federate_wasm.js';

const root = join(import.meta.dirname, '..', '..');
let ready = false;

/** The engine's JobView of a stored job ({header, records}). */
export function viewOf(stored) {
  if (!ready) {
    initSync({ module: readFileSync(join(root, 'pkg', 'web', 'federate_wasm_bg.wasm')) });
    ready = true;
  }
  const job = ConversionJob.restore(stored.header, stored.records);
  try {
    return job.view();
  } finally {
    job.free();
  }
}

/**
 * A stored job as the tests read it: its header and records, the engine's view, and per
 * connection the kinds of its records in order (`planned` first for each planned connection,
 * then `sent`, `outcome`, `notRun`, ...; `answered` marks an outcome an HTTP answer decided,
 * `resolved` one a read decided after a send whose answer was lost).
 */
export function jobOf(stored) {
  const view = viewOf(stored);
  const steps = new Map(stored.header.items.map((i) => [i.id.toLowerCase(), ['planned']]));
  const last = new Map();
  for (const r of stored.records) {
    if (!('item' in r)) continue;
    const id = stored.header.items[r.item]?.id.toLowerCase();
    const list = steps.get(id);
    if (!list) continue;
    let kind = r.kind;
    if (r.kind === 'outcome') kind = r.status === null ? (last.get(id) === 'sent' ? 'resolved' : 'read') : 'answered';
    if (r.kind === 'notRun' && r.why.startsWith('read: unchanged after a lost answer')) kind = 'resolved';
    list.push(kind);
    last.set(id, r.kind);
  }
  return {
    id: stored.header.id,
    target: stored.target,
    header: stored.header,
    records: stored.records,
    view,
    items: view.items,
    skipped: view.skipped,
    state: view.state,
    steps: (id) => steps.get(id.toLowerCase()) ?? [],
  };
}
