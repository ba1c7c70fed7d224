// Helpers for the black-box suites: start the real binary on a free port with a temporary
// data directory, talk to it over TLS with https (verifying the server's own self-signed
// certificate) and the npm `ws` client.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import WebSocket from 'ws';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const BIN = path.resolve(ROOT, process.env.MINGSHI_BIN || 'build/asan/mingshi');
export const DEMO_PASSWORD = 'mingshi-demo';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function tmpDir(prefix = 'mingshi-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts `mingshi serve`. Options: demo (default true), args (extra), dataDir, port, env,
// certFile. Resolves once /healthz answers. The returned object has base, origin, port, dataDir,
// ca (the PEM it serves), log() (stdout+stderr so far), stop(signal) → {code, signal}, and
// dispose() (stop, then remove the data directory if startServer made it).
//
// Twice in CI (never here, in thousands of start-ups) a server that had logged "listening"
// answered no probe until the deadline. Such a start is reported on stderr — probe failures,
// each thread's stack, the port's sockets — and made once more; a second stall fails the test.
export async function startServer(opts = {}) {
  const first = await launch(opts);
  if (first.server) return first.server;
  if (!first.stalled) throw first.error;
  console.error(`startServer: a start-up stalled, starting again. ${first.error.message}`);
  const second = await launch(opts);
  if (second.server) return second.server;
  throw second.error;
}

// One start-up: {server} once /healthz answers, or {error, stalled} (stalled: it is running
// but answered nothing in 20 s; it has been killed).
async function launch(opts) {
  const port = opts.port || (await freePort());
  const dataDir = opts.dataDir || tmpDir();
  const args = ['serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`,
    '--web', path.join(ROOT, 'web')];
  if (opts.demo !== false) args.push('--demo');
  args.push(...(opts.args || []));
  const proc = spawn(BIN, args, {
    cwd: ROOT,
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1', ...(opts.env || {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const server = {
    port, dataDir, proc, exited,
    base: `https://127.0.0.1:${port}`,
    origin: `https://127.0.0.1:${port}`,
    log: () => output,
    ca: null,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    // stop() and, when startServer made the data directory, remove it.
    async dispose() {
      const r = await server.stop();
      if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      return r;
    },
  };
  const deadline = Date.now() + 20000;
  const probes = new Map(); // how each failed /healthz probe failed → how often
  for (;;) {
    if (proc.exitCode !== null) {
      if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      return { error: new Error(`server exited ${proc.exitCode}:\n${output}`) };
    }
    const certFile = opts.certFile || path.join(dataDir, 'certs', 'cert.pem');
    if (fs.existsSync(certFile)) {
      server.ca = fs.readFileSync(certFile);
      try {
        const r = await request(server, 'GET', '/healthz', { timeoutMs: 3000 });
        if (r.status === 200) return { server };
        count(probes, `status ${r.status}`);
      } catch (e) {
        // Not listening yet, or no answer in 3 s: try again on a new connection.
        count(probes, e.code === 'ETIMEDOUT' ? `ETIMEDOUT:\n${e.sockets}` : e.code || e.message);
      }
    }
    if (Date.now() > deadline) {
      const report = stallReport(proc.pid, port, probes);
      proc.kill('SIGKILL');
      await exited;
      if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      return { stalled: true, error: new Error(`server did not start:\n${output}\n${report}`) };
    }
    await sleep(50);
  }
}

function count(map, key) {
  map.set(key, (map.get(key) || 0) + 1);
}

// What a server that never answered was doing: the probes' failures, each thread's state
// and stack (gdb, when installed) and the port's sockets. Short lines: CI shows the tail.
function stallReport(pid, port, probes) {
  const lines = [`probes: ${[...probes].map(([k, n]) => `${n}x ${k}`).join(', ') || 'none'}`];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      lines.push(`thread ${tid} ${name} state ${f[0]} utime ${f[11]} stime ${f[12]} policy ${f[38]}`);
    }
  } catch (e) {
    lines.push(`(threads: ${e.message})`);
  }
  try {
    const bt = execFileSync('gdb', ['-p', String(pid), '-batch', '-nx', '-ex', 'thread apply all bt 12'],
      { encoding: 'utf8', timeout: 15000, stdio: ['ignore', 'pipe', 'ignore'] });
    lines.push(...bt.split('\n').filter((l) => /^(Thread|#)/.test(l)).map((l) => l.slice(0, 160)));
  } catch (e) {
    lines.push(`(gdb: ${e.message.split('\n')[0]})`);
  }
  lines.push(socketState(port));
  return lines.join('\n');
}

// The kernel's view of the TCP connections on a port (queues, timers), for stall reports.
function socketState(port) {
  try {
    return execFileSync('ss', ['-tnoi', `( sport = :${port} or dport = :${port} )`], { encoding: 'utf8' });
  } catch (e) {
    return `(ss: ${e.message})`;
  }
}

// One HTTPS request. opts: cookie, csrf, body (object → JSON, string/Buffer → as is),
// headers, contentType, agent, timeoutMs (reject with code ETIMEDOUT when no answer has
// come by then). Resolves {status, headers, text, json, ms}.
export function request(server, method, urlPath, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  let body = opts.body;
  if (body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body)) {
    body = JSON.stringify(body);
    if (!('content-type' in lower(headers))) headers['Content-Type'] = 'application/json';
  }
  if (opts.contentType) headers['Content-Type'] = opts.contentType;
  if (opts.cookie) headers.Cookie = opts.cookie;
  if (opts.csrf) headers['X-CSRF-Token'] = opts.csrf;
  if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: server.port, method, path: urlPath, headers,
      ca: server.ca, agent: opts.agent || false, servername: 'localhost',
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json, ms: performance.now() - started });
      });
    });
    req.on('error', reject);
    if (opts.timeoutMs) {
      req.setTimeout(opts.timeoutMs, () => {
        const e = new Error(`${method} ${urlPath}: no answer in ${opts.timeoutMs} ms`);
        e.code = 'ETIMEDOUT';
        e.sockets = socketState(server.port); // before the stalled connection closes
        req.destroy(e);
      });
    }
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function lower(h) {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

// Signs in; resolves {cookie, csrf, user, res}. Throws unless 200.
export async function login(server, username, password = DEMO_PASSWORD) {
  const res = await request(server, 'POST', '/api/v1/session', { body: { username, password } });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${res.text}`);
  const cookie = res.headers['set-cookie'][0].split(';')[0];
  return { cookie, csrf: res.json.csrf_token, user: res.json.user, res };
}

// Opens /ws. opts: cookie, origin (default the server's), protocols (default ['mingshi.v1']).
// Resolves {ws, status} where status is 101 on success or the refusal's HTTP status with its
// body in `body` and its headers in `headers`.
export function wsConnect(server, opts = {}) {
  const headers = {};
  if (opts.cookie) headers.Cookie = opts.cookie;
  const origin = opts.origin === undefined ? server.origin : opts.origin;
  if (origin) headers.Origin = origin;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}${opts.path || '/ws'}`,
      opts.protocols || ['mingshi.v1'], { headers, ca: server.ca, servername: 'localhost' });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ ws: null, status: res.statusCode, body, headers: res.headers }));
    });
    ws.on('open', () => resolve({ ws, status: 101 }));
    ws.on('error', (e) => reject(e));
  });
}

// Collects JSON messages of a socket; next(pred) resolves with the first unseen message
// matching pred (or any), rejecting after ms.
export function messages(ws) {
  const queue = [];
  const waiters = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    const i = waiters.findIndex((w) => w.pred(msg));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(msg);
    else queue.push(msg);
  });
  return {
    queue,
    next(pred = () => true, ms = 5000) {
      const i = queue.findIndex(pred);
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => {
          const j = waiters.indexOf(w);
          if (j >= 0) { waiters.splice(j, 1); reject(new Error('no matching message')); }
        }, ms);
      });
    },
  };
}

// Resolves {code, reason} when ws closes.
export function closed(ws, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('socket did not close')), ms);
    ws.on('close', (code, reason) => { clearTimeout(t); resolve({ code, reason: reason.toString() }); });
  });
}

// Runs the sqlite3 CLI on the server's database.
export function sqlite(server, sql) {
  return execFileSync('sqlite3', [path.join(server.dataDir, 'mingshi.db'), sql], { encoding: 'utf8' }).trim();
}

// Runs the binary with args; resolves {code, stdout, stderr, ms}. With timeoutMs the process
// is killed (SIGKILL) after that long and `timedOut` is true.
export function runBin(args, { input, env, timeoutMs } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const p = spawn(BIN, args, { cwd: ROOT, env: { ...process.env, ...(env || {}) } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = timeoutMs ? setTimeout(() => { timedOut = true; p.kill('SIGKILL'); }, timeoutMs) : null;
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, ms: performance.now() - started });
    });
    p.stdin.on('error', () => { /* exited before reading stdin */ });
    if (input !== undefined) p.stdin.end(input);
    else p.stdin.end();
  });
}

// A keep-alive agent (one connection) for many small requests to one server: measures the
// server's answer time rather than a TLS handshake per request.
export function keepAliveAgent(server) {
  return new https.Agent({ keepAlive: true, maxSockets: 1, ca: server.ca, servername: 'localhost' });
}

// Writes `text` verbatim over a fresh TLS connection and collects what comes back until the
// server closes (or ms pass). Resolves {status, headers, body, raw, closed}; status is 0 when
// no status line arrived. For requests a normal client would not send (bad lengths, chunked
// bodies, dot-segments).
export function rawRequest(server, text, { ms = 5000 } = {}) {
  return new Promise((resolve) => {
    const chunks = [];
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const raw = Buffer.concat(chunks).toString('utf8');
      const cut = raw.indexOf('\r\n\r\n');
      const head = cut >= 0 ? raw.slice(0, cut) : raw;
      const lines = head.split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] || '');
      const headers = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: m ? Number(m[1]) : 0, headers, body: cut >= 0 ? raw.slice(cut + 4) : '', raw, closed });
    };
    const sock = tls.connect({ host: '127.0.0.1', port: server.port, ca: server.ca, servername: 'localhost' },
      () => sock.write(text));
    const timer = setTimeout(() => finish(false), ms);
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
  });
}

// Polls fn() every `every` ms until it returns a truthy value; rejects after ms.
export async function waitFor(fn, { ms = 5000, every = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

// ---- helpers for the resource suites (studios, members, users, imports, audit) ----------

// Asserts the DESIGN §6 error body {"error":{"code","message","field"}} and nothing else.
// field: a string to match exactly, null when the error must name no field, undefined to
// skip the check.
export function assertError(res, status, code, field) {
  const where = `${res.status} ${res.text}`;
  if (res.status !== status || !res.json || !res.json.error) {
    throw new assert.AssertionError({ message: `expected ${status} ${code}${field ? ` (field ${field})` : ''}, got ${where}`, actual: res.status, expected: status, operator: 'assertError' });
  }
  assert.deepEqual(Object.keys(res.json), ['error'], `only "error" at the top: ${where}`);
  assert.equal(res.json.error.code, code, `error code: ${where}`);
  assert.equal(typeof res.json.error.message, 'string', `error message: ${where}`);
  assert.ok(res.json.error.message.length > 0, `error message not empty: ${where}`);
  if (field === null) assert.ok(!('field' in res.json.error), `no field expected: ${where}`);
  else if (field !== undefined) assert.equal(res.json.error.field, field, `error field: ${where}`);
}

// Runs the sqlite3 CLI in JSON mode; resolves to an array of row objects ([] for none).
export function sqliteJson(server, sql) {
  const out = execFileSync('sqlite3', ['-json', path.join(server.dataDir, 'mingshi.db'), sql], { encoding: 'utf8' }).trim();
  return out ? JSON.parse(out) : [];
}

// Runs the sqlite3 CLI expecting failure; returns {status, stderr} (status 0 if it succeeded).
export function sqliteFails(server, sql) {
  try {
    execFileSync('sqlite3', [path.join(server.dataDir, 'mingshi.db'), sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, stderr: '' };
  } catch (e) {
    return { status: e.status, stderr: String(e.stderr || '') };
  }
}

// count(*) of a table (optionally with a WHERE clause), via the sqlite3 CLI.
export function countRows(server, table, where = '') {
  return Number(sqlite(server, `SELECT count(*) FROM ${table}${where ? ` WHERE ${where}` : ''}`));
}

// Signs several users in (two at a time: the server hashes on a small pool); resolves
// {username: {cookie, csrf, user}}.
export async function loginAll(server, usernames, password = DEMO_PASSWORD) {
  const out = {};
  const queue = [...usernames];
  const worker = async () => {
    while (queue.length) {
      const u = queue.shift();
      out[u] = await login(server, u, password);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}
