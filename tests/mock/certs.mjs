// A self-signed certificate for the mock, made at run time with the `openssl` CLI and kept in
// tests/.certs (gitignored). It is its own CA: pass `cert.pem` as `ca` to Node clients.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const certDir = join(dirname(fileURLToPath(import.meta.url)), '..', '.certs');
const SAN = 'DNS:dev.azure.com,DNS:*.dev.azure.com,DNS:*.visualstudio.com,DNS:*.vssps.visualstudio.com,DNS:localhost,IP:127.0.0.1';
const MAX_AGE_MS = 20 * 86_400_000;

/** Returns {key, cert, certPath} (PEM strings; certPath holds the certificate alone), creating them on first use. */
export function ensureCerts(dir = certDir) {
  const pairPath = join(dir, 'mock-pair.pem');
  const certPath = join(dir, 'mock-cert.pem');
  const fresh = existsSync(pairPath) && Date.now() - statSync(pairPath).mtimeMs < MAX_AGE_MS;
  if (!fresh) {
    mkdirSync(dir, { recursive: true });
    // Made in a scratch folder and renamed as one file, so parallel test processes never see half a pair.
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-days',
        '30',
        '-keyout',
        join(tmp, 'key.pem'),
        '-out',
        join(tmp, 'cert.pem'),
        '-subj',
        '/CN=dev.azure.com/O=Federate mock (test only)',
        '-addext',
        `subjectAltName=${SAN}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
        '-addext',
        'extendedKeyUsage=serverAuth',
      ],
      { stdio: 'pipe' },
    );
    writeFileSync(join(tmp, 'pair.pem'), readFileSync(join(tmp, 'key.pem'), 'utf8') + readFileSync(join(tmp, 'cert.pem'), 'utf8'));
    renameSync(join(tmp, 'pair.pem'), pairPath);
    rmSync(tmp, { recursive: true, force: true });
  }
  const pair = readFileSync(pairPath, 'utf8');
  const key = pair.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/)[0];
  const cert = pair.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/)[0];
  if (!existsSync(certPath) || readFileSync(certPath, 'utf8') !== cert) {
    const tmpCert = `${certPath}.${process.pid}.tmp`;
    writeFileSync(tmpCert, cert);
    renameSync(tmpCert, certPath);
  }
  return { key, cert, certPath };
}
