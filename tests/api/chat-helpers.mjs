// Helpers for the discussion-hub suites (DESIGN §7): a WebSocket chat client that keeps every
// frame it received, servers started with a config file, sign-ins and REST history paging.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { login, request, startServer, tmpDir, wsConnect } from './helpers.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The rate limit out of the way, for suites that send many messages.
export const FAST = { ws_rate_per_sec: 100000, ws_rate_burst: 100000 };

// Writes `config` (an object) to a fresh config file; returns its path.
export function configFile(config) {
  const file = path.join(tmpDir('mingshi-conf-'), 'config.json');
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

// Starts a server whose config file holds `config`. opts as startServer's.
export async function startWithConfig(config, opts = {}) {
  const file = configFile(config);
  const server = await startServer({ ...opts, args: ['--config', file, ...(opts.args || [])] });
  const dispose = server.dispose;
  server.configFile = file;
  server.dispose = async () => {
    const r = await dispose();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    return r;
  };
  return server;
}

// Signs users in two at a time (the server hashes on a small worker pool);
// resolves {username: {cookie, csrf, user}}.
export async function signIn(server, usernames) {
  const out = {};
  const queue = [...usernames];
  const worker = async () => {
    while (queue.length) {
      const u = queue.shift();
      out[u] = await login(server, u);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

let seq = 0;
export function clientId(prefix = 'c') {
  seq += 1;
  return `${prefix}-${seq}-${randomUUID().slice(0, 8)}`;
}

export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

// A chat connection. Every JSON frame received is appended to `log`; next(pred) hands out
// (and consumes) the first not yet consumed frame matching pred.
export class Chat {
  static async open(server, session, { name } = {}) {
    const r = await wsConnect(server, { cookie: session.cookie });
    assert.equal(r.status, 101, `upgrade refused: ${r.status} ${r.body}`);
    return new Chat(r.ws, session, name);
  }

  constructor(ws, session, name) {
    this.ws = ws;
    this.session = session;
    this.user = session.user;
    this.name = name || (session.user && session.user.username);
    this.log = [];
    this.pending = [];
    this.waiters = [];
    this.closeInfo = null;
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
      });
    });
    ws.on('error', () => { /* surfaced through close */ });
    ws.on('message', (data, isBinary) => {
      let msg;
      try { msg = JSON.parse(data.toString()); } catch { msg = { type: '__not_json__', raw: data.toString(), isBinary }; }
      this.log.push(msg);
      const i = this.waiters.findIndex((w) => w.pred(msg));
      if (i >= 0) {
        const w = this.waiters.splice(i, 1)[0];
        clearTimeout(w.timer);
        w.resolve(msg);
      } else {
        this.pending.push(msg);
      }
    });
  }

  next(pred = () => true, ms = 5000, what = 'a matching frame') {
    const i = this.pending.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.pending.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        const j = this.waiters.indexOf(w);
        if (j >= 0) this.waiters.splice(j, 1);
        reject(new Error(`${this.name}: no ${what} within ${ms} ms; last frames: ${JSON.stringify(this.log.slice(-4)).slice(0, 1200)}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  // Drops the frames not consumed yet.
  drain() { this.pending.length = 0; }

  // Frames not yet consumed that match pred (left in place).
  peek(pred = () => true) { return this.pending.filter(pred); }

  raw(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }

  // Sends join and resolves the `joined` (or the error) for that room.
  async join(room, since) {
    const f = { type: 'join', room };
    if (since !== undefined) f.since = since;
    this.raw(f);
    return this.next((m) => (m.type === 'joined' || m.type === 'error') && m.room === room, 10000, `joined ${room}`);
  }

  async joinOk(room, since) {
    const j = await this.join(room, since);
    assert.equal(j.type, 'joined', `${this.name} join ${room}: ${JSON.stringify(j)}`);
    return j;
  }

  // Sends a `send` frame; returns its client_id.
  post(room, text, opts = {}) {
    const cid = opts.client_id || clientId(opts.prefix || this.name);
    const f = { type: 'send', room, client_id: cid, text };
    if (opts.kind !== undefined) f.kind = opts.kind;
    if (opts.reply_to !== undefined) f.reply_to = opts.reply_to;
    this.raw(f);
    return cid;
  }

  // Resolves the ack or error answering client_id.
  answer(cid, ms = 5000) {
    return this.next((m) => (m.type === 'ack' || m.type === 'error') && m.client_id === cid, ms, `answer to ${cid}`);
  }

  // post() then the answer, which must be an ack; resolves {cid, id, ack}.
  async say(room, text, opts = {}) {
    const cid = this.post(room, text, opts);
    const ack = await this.answer(cid);
    assert.equal(ack.type, 'ack', `${this.name} send in ${room}: ${JSON.stringify(ack)}`);
    return { cid, id: ack.id, ack };
  }

  // Resolves the next `message` frame of room with the given id (or any).
  message(room, id, ms = 5000) {
    return this.next((m) => m.type === 'message' && m.room === room && (id === undefined || m.message.id === id), ms, `message ${id} in ${room}`);
  }

  // A ping whose pong proves every frame queued before it has been delivered.
  async ping(ms = 5000) {
    this.raw({ type: 'ping' });
    const p = await this.next((m) => m.type === 'pong', ms, 'pong');
    assert.deepEqual(p, { type: 'pong' });
  }

  closed(ms = 5000) {
    if (this.closeInfo) return Promise.resolve(this.closeInfo);
    let t;
    return Promise.race([this.closedPromise.finally(() => clearTimeout(t)),
      new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`${this.name}: socket did not close within ${ms} ms`)), ms); })]);
  }

  close() { if (this.ws.readyState <= 1) this.ws.close(); }
  terminate() { this.ws.terminate(); }
}

// All messages of a room over REST, oldest first: the newest page, then back with before=
// (pages of 200) until more is false.
export async function fullHistory(server, session, room) {
  const pages = [];
  let before = 0;
  for (;;) {
    const q = before ? `before=${before}&limit=200` : 'limit=200';
    const r = await request(server, 'GET', `/api/v1/rooms/${room}/messages?${q}`, { cookie: session.cookie });
    assert.equal(r.status, 200, r.text);
    pages.unshift(r.json.items);
    if (!r.json.more) return pages.flat();
    assert.ok(r.json.items.length > 0, 'more:true with an empty page');
    before = r.json.items[0].id;
  }
}

// Reads a sample from /metrics text: metric(server, 'name{labels}').
export async function metric(server, name) {
  const r = await request(server, 'GET', '/metrics');
  assert.equal(r.status, 200, r.text);
  for (const line of r.text.split('\n')) {
    if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
  }
  throw new Error(`metric ${name} not in /metrics`);
}

// Every sample of /metrics: a Map from 'name{labels}' to its value.
export async function metricSamples(server) {
  const r = await request(server, 'GET', '/metrics');
  assert.equal(r.status, 200, r.text);
  const out = new Map();
  for (const line of r.text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

// Asserts ids strictly increase.
export function assertIncreasing(ids, what = 'ids') {
  for (let i = 1; i < ids.length; i++) {
    if (!(ids[i] > ids[i - 1])) assert.fail(`${what} not strictly increasing at ${i}: ${ids.slice(Math.max(0, i - 3), i + 3).join(',')}`);
  }
}

// Checks a message object against DESIGN §7's shape with exact keys.
export function assertMessageShape(m) {
  assert.deepEqual(Object.keys(m).sort(), ['answered', 'created_at', 'deleted', 'id', 'kind', 'pinned',
    'reply_to', 'room', 'text', 'upvotes', 'user'], JSON.stringify(m));
  assert.deepEqual(Object.keys(m.user).sort(), ['id', 'name', 'role']);
  assert.equal(typeof m.id, 'number');
  assert.match(m.created_at, RFC3339);
}

// Sends n messages from chat c into room keeping at most `window` unanswered; resolves the
// acked ids in order. text(i) gives the i-th text.
export async function flood(c, room, n, { window = 10, text = (i) => `m${i}`, onAck } = {}) {
  const ids = [];
  const inflight = [];
  for (let i = 0; i < n; i++) {
    inflight.push(c.post(room, text(i)));
    if (inflight.length >= window || i === n - 1) {
      while (inflight.length) {
        const a = await c.answer(inflight.shift(), 15000);
        assert.equal(a.type, 'ack', JSON.stringify(a));
        ids.push(a.id);
        if (onAck) onAck(a);
      }
    }
  }
  return ids;
}

// Stops the server with SIGTERM and asserts a clean exit: status 0 and no sanitizer report.
export async function disposeClean(server) {
  const r = await server.dispose();
  const log = server.log();
  assert.ok(!/AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/.test(log),
    `sanitizer report at shutdown:\n${log.slice(log.search(/Sanitizer|runtime error:/) - 200).slice(0, 4000)}`);
  assert.deepEqual(r, { code: 0, signal: null }, `exit after SIGTERM:\n${log.slice(-2000)}`);
  return r;
}
