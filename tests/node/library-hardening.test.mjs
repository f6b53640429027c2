// The npm library (the packed install) against hostile callers: objects nested too deep,
// cycles and deep JSON text fail with a clear Error (never a crashed wasm stack); a token goes
// only over https (an http listener receives nothing unless allowHttp); the sanitizer and the
// CSV exports are there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installPacked } from './packed.mjs';

let pkg;
let server;
const seen = { connections: 0, authorization: [] };

const SCRIPT = `
import * as federate from 'federate-ado';
const out = {};
const attempt = async (name, fn) => {
  try {
    out[name] = { value: await fn() };
  } catch (err) {
    out[name] = { error: { isError: err instanceof Error, name: err?.name, kind: err?.kind ?? null, message: String(err?.message ?? err) } };
  }
};
let deep = [];
for (let i = 0; i < 100000; i++) deep = [deep];
const cyclic = { value: [] };
cyclic.value.push(cyclic);
await attempt('deepObject', () => federate.classifyEndpoints({ value: deep }));
await attempt('deepText', () => federate.classifyEndpoints('['.repeat(100000) + ']'.repeat(100000)));
await attempt('cyclic', () => federate.classifyEndpoints(cyclic));
await attempt('deepContext', () => federate.classifyEndpoints([], { now: deep }));
await attempt('fine', () => federate.classifyEndpoints({ value: [] }).length);
await attempt('http', () => federate.scanLive({ orgUrl: process.env.HTTP_ORG, project: 'p', token: 'tok-must-not-travel' }));
await attempt('httpOrg', () => federate.scanLive({ orgUrl: process.env.HTTP_ORG, token: 'tok-must-not-travel' }));
await attempt('allowed', () => federate.scanLive({ orgUrl: process.env.HTTP_ORG, project: 'p', token: 'tok-allowed', allowHttp: true }));
await attempt('sanitize', () => federate.sanitizeText('a\\u001b[2Jb\\u202e', 'terminal'));
await attempt('csv', () => federate.csvTable([['=1', 'a,b', null, 3]]));
console.log(JSON.stringify(out));
`;

before(async () => {
  pkg = installPacked();
  writeFileSync(join(pkg.dir, 'hardening.mjs'), SCRIPT);
  server = createServer((req, res) => {
    seen.authorization.push(req.headers.authorization ?? null);
    res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('no');
  });
  server.on('connection', () => {
    seen.connections++;
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await new Promise((r) => server?.close(r));
  pkg?.cleanup();
});

test('deep, cyclic and too-deep inputs fail with a clear Error; a token goes over http only with allowHttp', async () => {
  const res = await pkg.node(['hardening.mjs'], { env: { HTTP_ORG: `http://127.0.0.1:${server.address().port}/o` } });
  assert.equal(res.code, 0, res.stderr);
  const out = JSON.parse(res.stdout);
  for (const name of ['deepObject', 'deepText', 'deepContext']) {
    const e = out[name].error;
    assert.ok(e, `${name} throws`);
    assert.equal(e.isError, true, `${name}: a real Error`);
    assert.match(e.message, /nested deeper than 64 levels|cannot be read as JSON/, `${name}: ${e.message}`);
  }
  assert.equal(out.cyclic.error?.isError, true);
  assert.match(out.cyclic.error.message, /cannot be read as JSON \(a cycle/, out.cyclic.error.message);
  assert.equal(out.fine.value, 0, 'an ordinary input still works');

  for (const name of ['http', 'httpOrg']) {
    assert.equal(out[name].error?.kind, 'insecure', JSON.stringify(out[name]));
    assert.match(out[name].error.message, /plain http.*allowHttp/);
  }
  // Only the allowHttp call reached the listener, with its own token.
  assert.equal(out.allowed.error?.kind, 'signedOut', JSON.stringify(out.allowed));
  assert.ok(seen.connections >= 1 && seen.authorization.length >= 1);
  const sent = seen.authorization.map((a) => Buffer.from(String(a).split(' ')[1] ?? '', 'base64').toString());
  assert.ok(
    sent.every((t) => t === ':tok-allowed'),
    `every request the listener saw was the allowed one: ${sent}`,
  );
  assert.ok(!res.stdout.includes('tok-') && !res.stderr.includes('tok-'), 'the token is never printed');

  assert.equal(out.sanitize.value, 'a\\x1b[2Jb\\u{202e}');
  assert.equal(out.csv.value, '\'=1,"a,b",,3\r\n');
});
