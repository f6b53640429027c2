// Shared helpers of the contract tests: HTTPS calls to the mock under any host name, the
// reference samples, and a small JSON Schema validator for the subset the OpenAPI specs use.
import { request } from 'node:https';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The official samples, as committed in the repository (byte-for-byte MIT copies of
 * shared/reference/ado-api-samples, licence in its README): the OpenAPI specs as
 * `serviceEndpoint-{7.1,7.2}.json`, and the httpExamples beside them. The engine's Rust
 * fixture tests read the same files, so both sides test against one copy.
 */
export const samplesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'crates', 'federate-core', 'tests', 'fixtures');

/** Reads a JSON file that may start with a UTF-8 BOM. */
export const readJson = (p) => JSON.parse(readFileSync(p, 'utf8').replace(/^\uFEFF/, ''));

/** The serviceEndpoint OpenAPI spec of an api-version (`7.1` or `7.2`). */
export const specPath = (version) => join(samplesDir, `serviceEndpoint-${version}.json`);

/** Every official httpExamples file among the samples (request method + responses). */
export function exampleFiles(dir = samplesDir) {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => join(dir, name))
    .filter((p) => {
      const doc = readJson(p);
      return typeof doc === 'object' && doc !== null && 'responses' in doc && 'parameters' in doc;
    })
    .sort();
}

/**
 * One HTTPS request to the mock. `host` (default dev.azure.com) is sent as Host and SNI;
 * `auth`: 'pat' | 'bearer' | 'none' | a cookie value. Resolves {status, headers, text, json}.
 */
export function call(mock, { method = 'GET', path, host = 'dev.azure.com', headers = {}, body, auth = 'pat', timeoutMs = 10_000 } = {}) {
  const h = { host, ...headers };
  if (auth === 'pat') h.authorization = `Basic ${Buffer.from(`:${mock.pat}`).toString('base64')}`;
  else if (auth === 'bearer') h.authorization = `Bearer ${mock.bearer}`;
  else if (auth && auth !== 'none') h.cookie = `UserAuthentication=${auth}`;
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  if (payload !== undefined && !h['content-type']) h['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: mock.port, path, method, headers: h, ca: mock.ca, servername: host.replace(/:\d+$/, '') },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {}
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${path}`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/**
 * Validates `value` against a Swagger 2.0 schema: $ref, allOf, type, properties, items,
 * additionalProperties, enum, format (uuid, date-time). Azure DevOps serializes absent values
 * as null, so null is accepted for any property. Returns a list of "path: problem" strings.
 */
export function validate(value, schema, definitions, path = '$', errors = []) {
  if (!schema) return errors;
  if (schema.$ref) {
    const name = schema.$ref.replace('#/definitions/', '');
    const def = definitions[name];
    if (!def) errors.push(`${path}: unknown $ref ${schema.$ref}`);
    else validate(value, def, definitions, path, errors);
    return errors;
  }
  if (schema.allOf) for (const s of schema.allOf) validate(value, s, definitions, path, errors);
  if (value === null) return errors;
  const t = schema.type ?? (schema.properties || schema.additionalProperties ? 'object' : undefined);
  const actual = Array.isArray(value) ? 'array' : typeof value;
  switch (t) {
    case 'object':
      if (actual !== 'object') {
        errors.push(`${path}: expected object, got ${actual}`);
        return errors;
      }
      for (const [k, v] of Object.entries(value)) {
        if (schema.properties && k in schema.properties) validate(v, schema.properties[k], definitions, `${path}.${k}`, errors);
        else if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
          validate(v, schema.additionalProperties, definitions, `${path}.${k}`, errors);
        else if (schema.additionalProperties === false) errors.push(`${path}.${k}: property not allowed`);
      }
      break;
    case 'array':
      if (actual !== 'array') {
        errors.push(`${path}: expected array, got ${actual}`);
        return errors;
      }
      for (const [i, v] of value.entries()) validate(v, schema.items, definitions, `${path}[${i}]`, errors);
      break;
    case 'string':
      if (actual !== 'string') errors.push(`${path}: expected string, got ${actual}`);
      else if (schema.format === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
        errors.push(`${path}: not a uuid: ${value}`);
      else if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) errors.push(`${path}: not a date-time: ${value}`);
      break;
    case 'integer':
      if (!Number.isInteger(value)) errors.push(`${path}: expected integer, got ${JSON.stringify(value)}`);
      break;
    case 'number':
      if (actual !== 'number') errors.push(`${path}: expected number, got ${actual}`);
      break;
    case 'boolean':
      if (actual !== 'boolean') errors.push(`${path}: expected boolean, got ${actual}`);
      break;
    default:
      break;
  }
  if (
    schema.enum &&
    actual === 'string' &&
    !schema.enum
      .map(String)
      .map((s) => s.toLowerCase())
      .includes(value.toLowerCase())
  ) {
    errors.push(`${path}: ${value} not in enum ${schema.enum.join(',')}`);
  }
  return errors;
}

/** Looks up the 200 response schema of a spec operation, e.g. ('get', '/{organization}/{project}/_apis/serviceendpoint/endpoints'). */
export function responseSchema(spec, method, template) {
  const op = spec.paths[template]?.[method.toLowerCase()];
  if (!op) throw new Error(`no operation ${method} ${template} in the spec`);
  return op.responses['200']?.schema ?? null;
}
