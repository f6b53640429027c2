// The extension's console output: fixed words and codes only. Service text (a connection's name,
// an answer's message, with ESC or bidi characters) in an error reaches no devtools console.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const root = join(import.meta.dirname, '..', '..');
const SERVICE_TEXT = 'TF400813: conn \u001b[2Jprod\u202egnp.exe';

test('warnFailure logs its fixed sentence and a code from fixed lists, never the error text', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'federate-log-'));
  try {
    const out = join(dir, 'log.mjs');
    buildSync({
      entryPoints: [join(root, 'extension', 'src', 'shared', 'log.ts')],
      bundle: true,
      format: 'esm',
      outfile: out,
      logLevel: 'silent',
    });
    const { warnFailure } = await import(pathToFileURL(out).href);
    const lines = [];
    const warn = console.warn;
    console.warn = (...args) => lines.push(args);
    try {
      warnFailure('could not save the journal', Object.assign(new Error(SERVICE_TEXT), { kind: 'server' }));
      warnFailure('could not resume conversion jobs', Object.assign(new Error(SERVICE_TEXT), { name: SERVICE_TEXT }));
      warnFailure('could not resume conversion jobs', new DOMException(SERVICE_TEXT, 'QuotaExceededError'));
      warnFailure('could not resume conversion jobs', SERVICE_TEXT);
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(lines, [
      ['[Federate] could not save the journal (server)'],
      ['[Federate] could not resume conversion jobs (unknown)'],
      ['[Federate] could not resume conversion jobs (QuotaExceededError)'],
      ['[Federate] could not resume conversion jobs (unknown)'],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the extension calls the console with one string literal, or through log.ts', () => {
  const files = readdirSync(join(root, 'extension', 'src'), { recursive: true }).filter((f) => f.endsWith('.ts'));
  const found = [];
  for (const file of files) {
    if (file === join('shared', 'log.ts')) continue;
    const text = readFileSync(join(root, 'extension', 'src', file), 'utf8');
    for (const m of text.matchAll(/console\.\w+\(([\s\S]*?)\);/g)) {
      if (!/^\s*'[^'\\]*'\s*$/.test(m[1])) found.push(`${file}: ${m[0]}`);
    }
  }
  assert.deepEqual(found, []);
});
