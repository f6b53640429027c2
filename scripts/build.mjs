// `npm run build`: the wasm (size profile, wasm-bindgen at the pinned version, wasm-opt),
// then the unpacked extension (dist/extension), the npm library (pkg/, lib/) and the docs
// site (dist/www). Ends by printing the wasm size, raw and gzip.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { writeIcons } from './icons.mjs';
import { main, root, run, step } from './lib.mjs';

const wasmFeatures = [
  '--enable-bulk-memory',
  '--enable-multivalue',
  '--enable-mutable-globals',
  '--enable-nontrapping-float-to-int',
  '--enable-reference-types',
  '--enable-sign-ext',
];

/** Compiles the engine to wasm and binds it; skips bindgen and wasm-opt when the wasm is unchanged. */
export function buildWasm() {
  step('Building the engine to wasm (profile wasm-release)');
  run('cargo', ['build', '-p', 'federate-wasm', '--target', 'wasm32-unknown-unknown', '--profile', 'wasm-release', '--locked']);
  const raw = join(root, 'target', 'wasm32-unknown-unknown', 'wasm-release', 'federate_wasm.wasm');
  const out = join(root, 'pkg', 'web');
  const stamp = join(out, '.source-hash');
  const hash = createHash('sha256').update(readFileSync(raw)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) {
    console.log('wasm unchanged: bindings and wasm-opt skipped');
  } else {
    rmSync(out, { recursive: true, force: true });
    run('wasm-bindgen', ['--target', 'web', '--out-dir', out, '--out-name', 'federate_wasm', raw]);
    const bg = join(out, 'federate_wasm_bg.wasm');
    run('wasm-opt', ['-Oz', '--strip-debug', '--strip-producers', ...wasmFeatures, bg, '-o', bg]);
    writeFileSync(stamp, hash);
  }
  return join(out, 'federate_wasm_bg.wasm');
}

/**
 * Writes the engine's TypeScript types (pkg/web/federate_types.d.ts), generated from the Rust
 * types by ts-rs: a native run of federate-core's `typescript` example with the `ts` feature,
 * so the wasm never carries the derive. The wasm-bindgen `.d.ts` imports and re-exports them
 * (crates/federate-wasm/src/lib.rs). Incremental: cargo rebuilds only when the engine changed.
 */
export function generateTypes() {
  step('Generating the TypeScript types from the Rust types (ts-rs)');
  const out = join(root, 'pkg', 'web', 'federate_types.d.ts');
  run('cargo', ['run', '-q', '-p', 'federate-core', '--features', 'ts', '--example', 'typescript', '--locked', '--', out]);
  return out;
}

/** Bundles TypeScript entry points with esbuild. */
function bundle(entries, outdir, format) {
  run('esbuild', [
    ...entries,
    '--bundle',
    `--format=${format}`,
    '--target=chrome120,node20',
    `--outdir=${outdir}`,
    '--sourcemap=linked',
    '--log-level=warning',
    '--legal-comments=none',
  ]);
}

function copyWasm(dest) {
  mkdirSync(dest, { recursive: true });
  for (const f of ['federate_wasm.js', 'federate_wasm_bg.wasm', 'federate_wasm.d.ts', 'federate_types.d.ts']) {
    cpSync(join(root, 'pkg', 'web', f), join(dest, f));
  }
}

/** Copies the non-TypeScript files of a folder (html, css, json, images) as they are. */
function copyStatic(src, dest) {
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const from = join(src, entry.name);
    const to = join(dest, entry.name);
    if (entry.isDirectory()) {
      mkdirSync(to, { recursive: true });
      copyStatic(from, to);
    } else if (!/\.(ts|tsx|mts)$/.test(entry.name) && entry.name !== 'tsconfig.json') {
      cpSync(from, to);
    }
  }
}

function buildExtension() {
  step('Building the extension (dist/extension)');
  const out = join(root, 'dist', 'extension');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  copyStatic(join(root, 'extension', 'static'), out);
  writeIcons(out);
  // Web-accessible: panel.html alone (manifest.json). The files it loads (panel.js, the css,
  // wasm/*) are loaded by the extension page itself, from its own origin, so they need not be
  // and are not exposed to Azure DevOps pages. The conversion views live in the panel.
  // Source folders follow where code runs (worker/, content/, panel/, options/, shared/); the
  // bundles keep the names the manifest and the html files load.
  bundle(
    ['background=extension/src/worker/main.ts', 'panel=extension/src/panel/main.ts', 'options=extension/src/options/main.ts'],
    out,
    'esm',
  );
  bundle(['content=extension/src/content/main.ts'], out, 'iife');
  copyWasm(join(out, 'wasm'));
}

function buildWww() {
  step('Building the docs site (dist/www)');
  const out = join(root, 'dist', 'www');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  copyStatic(join(root, 'www', 'static'), out);
  bundle(['www/src/playground.ts'], out, 'esm');
  copyWasm(join(out, 'wasm'));
}

function reportSize(wasm) {
  const bytes = readFileSync(wasm);
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(
    `\nwasm size: ${kib(statSync(wasm).size)} raw, ${kib(gzipSync(bytes, { level: 9 }).length)} gzip (${wasm.replace(`${root}/`, '')})`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(async () => {
    const wasm = buildWasm();
    generateTypes();
    buildExtension();
    buildWww();
    reportSize(wasm);
  });
}
