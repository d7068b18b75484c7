// Interop: a third-party JSON-RPC 2.0 client (the npm package json-rpc-2.0)
// talks to a real kithd over TCP, newline-delimited, and the rpc.discover
// document is validated against the OpenRPC meta-schema
// (@open-rpc/meta-schema, whose JSON Schema part comes from
// @json-schema-tools/meta-schema) with ajv (draft-07).
//
// Needs `npm ci --prefix tests/interop` once.  Environment: KITH_BIN_DIR (the
// build folder holding kithd) and KITH_SOURCE_DIR (the repository root).
// Exits 0 when every check passes; otherwise prints what failed, and the
// server's stderr, and exits 1.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = process.env.KITH_SOURCE_DIR || path.resolve(here, '..', '..');
const binDir = process.env.KITH_BIN_DIR || path.join(sourceDir, 'build');
const kithd = path.join(binDir, 'kithd');

function die(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}

// --- dependencies -------------------------------------------------------
const require = createRequire(path.join(here, 'package.json'));
let JSONRPCClient, JSONRPCErrorException, Ajv, openrpcDocument, jsonSchema;
try {
  ({ JSONRPCClient, JSONRPCErrorException } = require('json-rpc-2.0'));
  const ajvModule = require('ajv');
  Ajv = ajvModule.default || ajvModule;
  ({ openrpcDocument } = require('@open-rpc/meta-schema'));
  ({ jsonSchema } = require('@json-schema-tools/meta-schema'));
} catch (e) {
  die(`the interop test's npm packages are missing (${e.message.split('\n')[0]}).\n` +
      `Run: npm ci --prefix tests/interop`);
}
if (!fs.existsSync(kithd)) die(`kithd not found at ${kithd} (set KITH_BIN_DIR)`);

// --- checks -------------------------------------------------------------
let failures = 0;
let passes = 0;
function check(cond, what, detail) {
  if (cond) {
    passes++;
    console.log(`ok   ${what}`);
  } else {
    failures++;
    console.log(`FAIL ${what}${detail !== undefined ? `: ${JSON.stringify(detail)}` : ''}`);
  }
}
function equal(actual, expected, what) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  check(a === e, what, a === e ? undefined : { actual, expected });
}

// --- the server ---------------------------------------------------------
const tmp = fs.mkdtempSync(path.join(os.tmpdir().length > 60 ? '/tmp' : os.tmpdir(), 'kith-interop-'));
const stderrPath = path.join(tmp, 'kithd.stderr');
const stderrFd = fs.openSync(stderrPath, 'a');
let server = null;

function serverStderr() {
  try { return fs.readFileSync(stderrPath, 'utf8'); } catch { return '(no stderr)'; }
}

function cleanup() {
  if (server && server.exitCode === null && server.signalCode === null) {
    try { server.kill('SIGKILL'); } catch { /* already gone */ }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));

function startServer() {
  const args = ['--config', path.join(sourceDir, 'config', 'kith.conf'), '--data', tmp,
                '--listen', '127.0.0.1:0', '--unix', path.join(tmp, 'kith.sock'),
                '--scripts', path.join(tmp, 'scripts'), '--plugins', path.join(tmp, 'plugins')];
  server = spawn(kithd, args, { stdio: ['ignore', 'pipe', stderrFd] });
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('no ready line within 20 s')), 20000);
    server.stdout.setEncoding('utf8');
    server.stdout.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^kithd ready tcp=(\S+):(\d+) unix=(\S+)\s*$/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve({ host: m[1], port: Number(m[2]) });
        }
      }
    });
    server.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`kithd exited early (code ${code}, signal ${sig})`));
    });
  });
}

function stopServer() {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.kill('SIGKILL');
      resolve('did not exit within 60 s of SIGTERM');
    }, 60000);
    server.removeAllListeners('exit');
    server.on('exit', (code, sig) => {
      clearTimeout(timer);
      resolve(code === 0 ? null : `exited with code ${code}, signal ${sig}`);
    });
    server.kill('SIGTERM');
  });
}

// --- a newline-delimited JSON-RPC transport for json-rpc-2.0 -------------
function connect(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => resolve(sock));
    sock.on('error', reject);
  });
}

function makeClient(sock) {
  const client = new JSONRPCClient((payload) => {
    sock.write(JSON.stringify(payload) + '\n');
  });
  const lines = [];
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      let msg;
      try { msg = JSON.parse(line); } catch (e) {
        check(false, 'every reply line is JSON', line);
        continue;
      }
      client.receive(msg);
    }
  });
  sock.on('close', () => client.rejectAllPendingRequests('connection closed'));
  return { client: client.timeout(30000), raw: client, lines };
}

// --- the test -----------------------------------------------------------
async function run() {
  const { port } = await startServer();
  const sock = await connect(port);
  const { client, raw, lines } = makeClient(sock);

  equal(await client.request('system.ping'), 'pong', 'system.ping returns "pong"');

  const created = await client.request('customer.create',
    { name: 'Ada Lovelace', email: 'ada@example.com', tags: ['vip'], attrs: { plan: 'gold' } });
  check(Number.isInteger(created.id), 'customer.create returns an integer id', created);
  equal([created.name, created.email, created.tags, created.attrs, created.stage],
        ['Ada Lovelace', 'ada@example.com', ['vip'], { plan: 'gold' }, 'prospect'],
        'customer.create returns the customer');

  const got = await client.request('customer.get', { id: created.id });
  equal([got.id, got.name, got.tags], [created.id, 'Ada Lovelace', ['vip']], 'customer.get by id');
  equal(got.stats && got.stats.orders, 0, 'customer.get includes stats');
  const byEmail = await client.request('customer.get', { email: 'ada@example.com' });
  equal(byEmail.id, created.id, 'customer.get by email');

  // An error: the library surfaces code, message and data.
  try {
    await client.request('customer.get', { id: 987654321 });
    check(false, 'customer.get of a missing id fails');
  } catch (e) {
    check(e instanceof JSONRPCErrorException, 'error is a JSONRPCErrorException', String(e));
    equal([e.code, e.data && e.data.kind], [-32004, 'not_found'], 'missing customer is -32004 not_found');
    check(typeof e.message === 'string' && e.message.length > 0, 'error has a message', e.message);
  }
  try {
    await client.request('order.create', { customer_id: created.id, amount: 1.234 });
    check(false, 'an amount with three decimals fails');
  } catch (e) {
    equal([e.code, e.data && e.data.param], [-32602, 'amount'], 'invalid params name the param');
  }
  try {
    await client.request('no.such.method', {});
    check(false, 'an unknown method fails');
  } catch (e) {
    equal(e.code, -32601, 'unknown method is -32601');
  }

  // A notification gets no reply; the library just sends it.
  const before = lines.length;
  raw.notify('system.ping');
  equal(await client.request('system.ping'), 'pong', 'ping after a notification');
  equal(lines.length - before, 1, 'the notification got no reply line');

  // A batch (the library supports requestAdvanced with an array).
  const batch = await client.requestAdvanced([
    { jsonrpc: '2.0', method: 'system.ping', id: 'b1' },
    { jsonrpc: '2.0', method: 'order.create', params: { customer_id: created.id, amount: 12.34 }, id: 'b2' },
    { jsonrpc: '2.0', method: 'customer.get', params: { id: 987654321 }, id: 'b3' },
  ]);
  check(Array.isArray(batch) && batch.length === 3, 'a batch gets three replies', batch);
  const byId = Object.fromEntries((batch || []).map((r) => [r.id, r]));
  equal(byId.b1 && byId.b1.result, 'pong', 'batch: ping');
  equal(byId.b2 && byId.b2.result && [byId.b2.result.amount, byId.b2.result.currency], [12.34, 'USD'],
        'batch: order.create');
  equal(byId.b3 && byId.b3.error && byId.b3.error.code, -32004, 'batch: the failing entry');
  const after = await client.request('customer.get', { id: created.id });
  equal([after.stats.orders, after.stats.total_spent], [1, 12.34], 'the batch order counts in stats');

  // rpc.discover against the OpenRPC meta-schema.
  const doc = await client.request('rpc.discover');
  equal(doc.openrpc, '1.3.2', 'rpc.discover says openrpc 1.3.2');
  const strip = (s) => { const c = structuredClone(s); delete c.$schema; return c; };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(strip(jsonSchema), 'https://meta.json-schema.tools');
  const validate = ajv.compile(strip(openrpcDocument));
  const valid = validate(doc);
  check(valid, 'rpc.discover is valid against the OpenRPC meta-schema',
        valid ? undefined : (validate.errors || []).slice(0, 10));
  // The validator itself must be able to say no, or the check above is void.
  const broken = structuredClone(doc);
  if (broken.methods && broken.methods[0]) broken.methods[0].params = [{ schema: { type: 'strin' } }];
  check(!validate(broken), 'the meta-schema rejects a broken copy of the document (validator self-check)');
  const names = new Set((doc.methods || []).map((m) => m.name));
  for (const m of ['auth', 'system.ping', 'system.info', 'system.stats', 'rpc.discover',
                   'customer.create', 'customer.get', 'customer.update', 'customer.delete',
                   'customer.list', 'interaction.log', 'interaction.list', 'order.create',
                   'order.list']) {
    check(names.has(m), `rpc.discover lists ${m}`);
  }
  // Each param schema must itself be a JSON Schema the validator accepts.
  for (const m of doc.methods || []) {
    for (const p of m.params || []) {
      let ok = true;
      try { ajv.compile(p.schema === undefined ? {} : p.schema); } catch { ok = false; }
      if (!ok) check(false, `schema of ${m.name}.${p.name} compiles`, p.schema);
    }
  }

  sock.end();
  const stopProblem = await stopServer();
  check(stopProblem === null, 'kithd exits 0 on SIGTERM', stopProblem);
}

const overall = setTimeout(() => {
  console.error('FAIL: the interop test did not finish within 100 s');
  console.error(`kithd stderr:\n${serverStderr()}`);
  process.exit(1);
}, 100000);

try {
  await run();
} catch (e) {
  failures++;
  console.log(`FAIL unexpected exception: ${e && e.stack ? e.stack : e}`);
}
clearTimeout(overall);
console.log(`${passes} passed, ${failures} failed`);
if (failures) {
  console.error(`kithd stderr:\n${serverStderr()}`);
  process.exit(1);
}
process.exit(0);
