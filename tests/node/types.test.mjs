// The package's TypeScript types, as a user's compiler sees them: tsc on a small program in the
// scratch folder where the packed tarball is installed, once with Node's resolution (the `node`
// condition: lib/node.d.ts) and once with a bundler's (the `default` condition: lib/web.d.ts);
// and a misuse that must not compile, so the types can't silently be `any`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../../scripts/lib.mjs';
import { installPacked } from './packed.mjs';

const tsc = join(root, 'node_modules', '.bin', 'tsc');
let pkg;

function compile(config, files) {
  const name = `tsconfig.${config.compilerOptions.moduleResolution}.${files.join('+')}.json`;
  writeFileSync(join(pkg.dir, name), JSON.stringify({ ...config, files }));
  const res = spawnSync(tsc, ['-p', name], { cwd: pkg.dir, encoding: 'utf8' });
  if (res.error) throw res.error;
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

const strict = { target: 'es2022', lib: ['es2022', 'dom'], types: [], strict: true, noEmit: true, skipLibCheck: false };
const nodeConfig = { compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext' } };
const bundlerConfig = { compilerOptions: { ...strict, module: 'esnext', moduleResolution: 'bundler' } };

before(() => {
  pkg = installPacked();
  copyFileSync(join(root, 'tests', 'node', 'types-check.ts'), join(pkg.dir, 'types-check.ts'));
  copyFileSync(join(root, 'tests', 'node', 'types-misuse.ts'), join(pkg.dir, 'types-misuse.ts'));
  // The bundler build sees the browser entry, which has no tokenFromEnv: check the rest there.
  writeFileSync(
    join(pkg.dir, 'types-web.ts'),
    [
      "import init, { classifyEndpoints, scanLive, verdictRules, type Verdict } from 'federate-ado';",
      'await init();',
      "const v: Verdict[] = classifyEndpoints('[]', null);",
      "const r = await scanLive({ orgUrl: 'https://dev.azure.com/contoso', token: 't' });",
      'export const n: number = v.length + r.verdicts.length + verdictRules().length;',
      '',
    ].join('\n'),
  );
});

after(() => pkg?.cleanup());

test('the packed types compile a program using every public function (Node resolution, no skipLibCheck)', () => {
  const r = compile(nodeConfig, ['types-check.ts']);
  assert.equal(r.code, 0, r.out);
});

test('a bundler resolves the browser entry and its types (default condition)', () => {
  const r = compile(bundlerConfig, ['types-web.ts']);
  assert.equal(r.code, 0, r.out);
});

test('misuse does not compile: a wrong credential literal, a wrong remedy format, a missing field', () => {
  const r = compile(nodeConfig, ['types-misuse.ts']);
  assert.notEqual(r.code, 0, 'the misuse compiled: the types are too loose');
  assert.match(r.out, /types-misuse\.ts\(5,/, 'the credential comparison is rejected');
  assert.match(r.out, /types-misuse\.ts\(6,/, 'the remedy format is rejected');
  assert.match(r.out, /types-misuse\.ts\(7,/, 'the unknown field is rejected');
});

test('extension misuse does not compile: engine calls through the adapter with wrong argument types', () => {
  // With the extension's own compiler settings (extension/tsconfig.json): the file imports the
  // extension's engine adapter, which passes on the types generated from the Rust types.
  const out = join(root, 'tests', '.out');
  mkdirSync(out, { recursive: true });
  const config = join(out, 'tsconfig.extension-misuse.json');
  writeFileSync(
    config,
    JSON.stringify({ extends: '../../extension/tsconfig.json', include: [], files: ['../node/types-misuse-extension.ts'] }),
  );
  const res = spawnSync(tsc, ['-p', config], { cwd: root, encoding: 'utf8' });
  if (res.error) throw res.error;
  const text = `${res.stdout}${res.stderr}`;
  assert.notEqual(res.status, 0, 'the misuse compiled: the extension calls the engine untyped');
  assert.match(text, /types-misuse-extension\.ts\(5,/, 'a number is not an endpoint');
  assert.match(text, /types-misuse-extension\.ts\(6,/, 'the context has a string organization name');
  assert.match(text, /types-misuse-extension\.ts\(7,/, 'the selection is a list of ids or null');
  assert.match(text, /types-misuse-extension\.ts\(8,/, 'the remedy format is one the engine has');
  assert.match(text, /types-misuse-extension\.ts\(9,/, 'the verdict field exists');
  // Nothing else fails: the errors are the misuse's, not a broken adapter's.
  assert.doesNotMatch(text, /extension\/src\//, text);
});
