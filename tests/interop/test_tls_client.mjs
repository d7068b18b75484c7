// Interop: Node's own `tls` module (no npm package) talks JSON-RPC to kithd's
// TLS listener: a single call, 300 requests pipelined in one write, a batch
// with a notification in it, a request split over many TLS records, a reply
// of several MiB, and a client that trusts another CA refused.  The CA and
// the server certificate are made with the `openssl` command in a temporary
// folder.
//
// Environment: KITH_BIN_DIR (the build folder holding kithd) and
// KITH_SOURCE_DIR (the repository root).  Prints one line per check and
// "N passed, N failed"; exits 0 when every check passes.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = process.env.KITH_SOURCE_DIR || path.resolve(here, '..', '..');
const binDir = process.env.KITH_BIN_DIR || path.join(sourceDir, 'build');
const kithd = path.join(binDir, 'kithd');

let failures = 0;
let passes = 0;
function check(cond, what, detail) {
  if (cond) {
    passes++;
    console.log(`ok   ${what}`);
  } else {
    failures++;
    console.log(`FAIL ${what}${detail !== undefined ? `: ${JSON.stringify(detail).slice(0, 500)}` : ''}`);
  }
}
function equal(actual, expected, what) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  check(a === e, what, a === e ? undefined : { actual, expected });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir().length > 60 ? '/tmp' : os.tmpdir(), 'kith-tls-'));
const stderrPath = path.join(tmp, 'kithd.stderr');
const stderrFd = fs.openSync(stderrPath, 'a');
let server = null;

function serverStderr() {
  try { return fs.readFileSync(stderrPath, 'utf8'); } catch { return '(no stderr)'; }
}
process.on('exit', () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    try { server.kill('SIGKILL'); } catch { /* already gone */ }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));

// --- certificates ---------------------------------------------------------
function openssl(...args) {
  execFileSync('openssl', args, { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
}
function makeCa(name) {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
          '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`);
}
function makeCerts() {
  makeCa('ca');
  makeCa('otherca');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
          '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  fs.writeFileSync(path.join(tmp, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
          '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
}

// --- the server -------------------------------------------------------------
function startServer() {
  const args = ['--config', path.join(sourceDir, 'config', 'kith.conf'), '--data', tmp,
                '--listen', '127.0.0.1:0', '--unix', path.join(tmp, 'kith.sock'),
                '--scripts', path.join(tmp, 'scripts'), '--plugins', path.join(tmp, 'plugins'),
                '--tls-listen', '127.0.0.1:0', '--tls-cert', path.join(tmp, 'server.pem'),
                '--tls-key', path.join(tmp, 'server.key')];
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
        const m = /^kithd ready tcp=\S+ unix=\S+ tls=(\S+):(\d+)\s*$/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[2]));
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

// --- a line-reading TLS connection ----------------------------------------------
function connect(port, caFile, servername = 'localhost') {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername,
                               ca: fs.readFileSync(path.join(tmp, caFile)),
                               minVersion: 'TLSv1.2' }, () => resolve(makeConn(sock)));
    sock.once('error', reject);
  });
}

function makeConn(sock) {
  const lines = [];
  const waiters = [];
  let buf = '';
  let closed = false;
  sock.setNoDelay(true);
  sock.setEncoding('utf8');
  sock.on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    while (waiters.length && lines.length) waiters.shift().resolve(JSON.parse(lines.shift()));
  });
  sock.on('close', () => {
    closed = true;
    while (waiters.length) waiters.shift().reject(new Error('connection closed'));
  });
  let nextId = 1;
  const conn = {
    sock,
    next() {
      if (lines.length) return Promise.resolve(JSON.parse(lines.shift()));
      if (closed) return Promise.reject(new Error('connection closed'));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    request(method, params) {
      const req = { jsonrpc: '2.0', id: nextId++, method };
      if (params !== undefined) req.params = params;
      return req;
    },
    async call(method, params) {
      const req = conn.request(method, params);
      sock.write(JSON.stringify(req) + '\n');
      const reply = await conn.next();
      if (reply.id !== req.id) throw new Error(`reply ${JSON.stringify(reply)} for ${req.id}`);
      return reply;
    },
  };
  return conn;
}

// --- the checks -------------------------------------------------------------------
async function run() {
  makeCerts();
  const port = await startServer();
  const c = await connect(port, 'ca.pem');
  check(c.sock.authorized, 'the server certificate verifies against our CA and "localhost"');
  check(['TLSv1.2', 'TLSv1.3'].includes(c.sock.getProtocol()), 'TLS 1.2 or newer',
        c.sock.getProtocol());
  equal((await c.call('system.ping')).result, 'pong', 'system.ping over TLS');

  // 300 requests in one write; replies come back in request order.
  const reqs = [];
  for (let i = 0; i < 300; i++) {
    reqs.push(i % 3 === 0 ? c.request('customer.create', { name: `P${i}` })
                          : c.request('system.ping'));
  }
  c.sock.write(reqs.map((r) => JSON.stringify(r) + '\n').join(''));
  const replies = [];
  for (let i = 0; i < reqs.length; i++) replies.push(await c.next());
  equal(replies.map((r) => r.id), reqs.map((r) => r.id), '300 pipelined replies in request order');
  check(replies.every((r, i) => (i % 3 === 0 ? r.result.name === `P${i}` : r.result === 'pong')),
        'every pipelined reply is the right one');

  // A batch with a notification (no reply for it) and a failing call.
  const batch = [c.request('system.ping'), { jsonrpc: '2.0', method: 'system.ping' },
                 c.request('customer.get', { id: replies[0].result.id }),
                 c.request('customer.get', { id: 999999 })];
  c.sock.write(JSON.stringify(batch) + '\n');
  const br = await c.next();
  equal(br.map((r) => r.id), [batch[0].id, batch[2].id, batch[3].id], 'batch reply ids');
  equal(br[0].result, 'pong', 'batch: ping');
  equal(br[1].result && br[1].result.name, 'P0', 'batch: customer.get');
  equal(br[2].error && br[2].error.code, -32004, 'batch: not found');

  // One request written a few bytes at a time: many TLS records, one message.
  const split = JSON.stringify(c.request('system.ping')) + '\n';
  for (let i = 0; i < split.length; i += 5) c.sock.write(split.slice(i, i + 5));
  equal((await c.next()).result, 'pong', 'a request split over many records');

  // A reply over 1 MiB: 600 customers of 3 KB, listed at once.
  const note = 'z'.repeat(3000);
  const creates = [];
  for (let i = 0; i < 600; i++) creates.push(c.request('customer.create', { name: `L${i}`, attrs: { note } }));
  c.sock.write(creates.map((r) => JSON.stringify(r) + '\n').join(''));
  for (let i = 0; i < creates.length; i++) {
    const r = await c.next();
    if (r.id !== creates[i].id || !r.result) { equal(r, creates[i].id, 'bulk create reply'); break; }
  }
  const listReq = c.request('customer.list', { limit: 1000 });
  c.sock.write(JSON.stringify(listReq) + '\n');
  const list = await c.next();
  const items = list.result ? list.result.items : [];
  check(JSON.stringify(list).length > (1 << 20), 'the list reply is over 1 MiB',
        JSON.stringify(list).length);
  equal(items.filter((it) => it.attrs && it.attrs.note === note).length, 600,
        'every large record arrives intact');

  // A client that trusts another CA does not get in.
  let refused = null;
  try {
    const bad = await connect(port, 'otherca.pem');
    bad.sock.destroy();
  } catch (e) {
    refused = e;
  }
  check(refused !== null, 'a client trusting another CA refuses the server',
        refused && refused.code);
  // Nor one that expects another name.
  refused = null;
  try {
    const bad = await connect(port, 'ca.pem', 'kith.example');
    bad.sock.destroy();
  } catch (e) {
    refused = e;
  }
  check(refused !== null && /ERR_TLS_CERT_ALTNAME_INVALID|altname/i.test(String(refused.code || refused)),
        'a client expecting another host name refuses the server', refused && refused.code);
  equal((await c.call('system.ping')).result, 'pong', 'the first connection is unharmed');

  c.sock.end();
  const stopProblem = await stopServer();
  check(stopProblem === null, 'kithd exits 0 on SIGTERM', stopProblem);
}

const overall = setTimeout(() => {
  console.error('FAIL: the TLS interop test did not finish within 110 s');
  console.error(`kithd stderr:\n${serverStderr()}`);
  process.exit(1);
}, 110000);

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
