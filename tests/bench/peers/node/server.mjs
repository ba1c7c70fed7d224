// The Node.js peer of mingshi for the benchmarks: the server people would write instead, in
// idiomatic Node (https + ws + better-sqlite3, one process, one event loop). It speaks the same
// subset of the protocol (GET /healthz, GET /api/v1/studios, GET /api/v1/rooms/{room}/messages,
// WebSocket /ws: ping, join, leave, send, typing) on mingshi's own database, with the same
// checks and the same durability policy: a send is acked and broadcast only after COMMIT with
// synchronous=FULL, group-committed. Nothing mingshi reads from the database on each request or
// frame (sessions, users, room access, mutes) is cached here either.
//
//   node server.mjs --port 9443 --cert cert.pem --key key.pem --db mingshi.db \
//        [--host 127.0.0.1] [--origin https://a:1,https://b:2]...
// It speaks TLS 1.2 only, the version the benchmarks compare every peer at, or TLS 1.3 only with
// PEER_TLS=1.3 in its environment (bench.mjs's handshake figure at TLS 1.3).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { WebSocketServer } from 'ws';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '9443' }, host: { type: 'string', default: '127.0.0.1' },
    cert: { type: 'string' }, key: { type: 'string' }, db: { type: 'string' },
    origin: { type: 'string', multiple: true, default: [] },
  },
});
if (!args.cert || !args.key || !args.db) {
  console.error('usage: server.mjs --port N --cert PEM --key PEM --db FILE [--origin URL[,URL]]');
  process.exit(2);
}
const PORT = Number(args.port);
const TLS_VERSION = process.env.PEER_TLS === '1.3' ? 'TLSv1.3' : 'TLSv1.2';
let stopping = false; // set by SIGTERM: new requests get 503, new frames `unavailable`
const rooms = new Map(); // name → {subs: Set<sub>, members: Map<user id, {id, name, role, …}>}

// Limits and names as in mingshi (token.h, session.h, discussion.h, hub.h, ws.h).
const COOKIE = '__Host-mingshi_session', PROTOCOL = 'mingshi.v1';
const IDLE_SECS = 12 * 3600, MAX_SECS = 7 * 24 * 3600, TOUCH_EVERY_SECS = 60;
const CLIENT_ID_MAX = 64, TEXT_MAX = 4000, HISTORY_MAX = 500, MAX_ROOMS = 50;
const MAX_ID = 2 ** 53, QUEUE_MAX_BYTES = 8 << 20, TYPING_EVERY_MS = 3000;

// Allowed origins: the listen address's own (both loopback names), plus each --origin; compared
// without case, a trailing slash dropped — mingshi's config_finish_origins().
const origins = new Set(args.origin.flatMap((o) => o.split(',')).filter(Boolean)
  .map((o) => o.replace(/\/$/, '').toLowerCase()));
if (['127.0.0.1', 'localhost', '::1'].includes(args.host)) {
  origins.add(`https://localhost:${PORT}`).add(`https://127.0.0.1:${PORT}`);
} else origins.add(`https://${args.host.includes(':') ? `[${args.host}]` : args.host}:${PORT}`);

// ---- database: mingshi's pragmas, every statement prepared once ---------------------------
const db = new Database(args.db, { fileMustExist: true, timeout: 5000 });
for (const p of ['journal_mode = WAL', 'synchronous = FULL', 'foreign_keys = ON',
  'busy_timeout = 5000', 'trusted_schema = OFF', 'wal_autocheckpoint = 1000']) db.pragma(p);

// Message columns and joins copied from src/domain/discussion.c (?N → named parameters).
const COLS = `m.id, m.room, m.user_id, u.name AS user_name, u.role AS user_role, m.kind, m.text,
  m.reply_to, m.created_at, m.upvotes, m.pinned, m.answered, m.deleted
  FROM messages m JOIN users u ON u.id = m.user_id`;
const RANGE = `m.room = @room AND m.id > @after AND (@before = 0 OR m.id < @before)`;
// Studio list copied from src/domain/studio.c.
const STUDIO_FROM = ` FROM studios s JOIN users m ON m.id = s.master_id
  JOIN universities v ON v.id = s.university_id
  WHERE (@q IS NULL OR instr(s.name, @q) OR instr(m.name, @q) OR instr(s.discipline, @q)
         OR instr(lower(s.name), lower(@q)))
  AND (@discipline IS NULL OR s.discipline = @discipline)
  AND (@university_id IS NULL OR s.university_id = @university_id)
  AND (@level IS NULL OR s.level = @level) AND (@status IS NULL OR s.status = @status)`;

const sql = {
  session: db.prepare(`SELECT s.id AS sid, s.last_seen_at, u.id, u.name, u.role,
      u.must_change_password FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.token_hash = ? AND u.disabled = 0 AND s.last_seen_at > @now - ${IDLE_SECS}
      AND s.created_at > @now - ${MAX_SECS}`),
  touch: db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?'),
  // Everything studio_may_read/_may_post (src/domain/room.c) and the mute check ask, as of now.
  access: db.prepare(`SELECT u.name, u.role, u.disabled,
      EXISTS (SELECT 1 FROM studios WHERE id = @sid) AS room_exists,
      EXISTS (SELECT 1 FROM studios WHERE id = @sid AND master_id = @uid UNION ALL
              SELECT 1 FROM studio_members WHERE studio_id = @sid AND user_id = @uid
                AND status = 'approved') AS insider,
      EXISTS (SELECT 1 FROM room_mutes WHERE room = @room AND user_id = @uid) AS muted
    FROM users u WHERE u.id = @uid`),
  forward: db.prepare(`SELECT ${COLS} WHERE ${RANGE} AND (@kind IS NULL OR m.kind = @kind)
    ORDER BY m.id LIMIT @limit`),
  newest: db.prepare(`SELECT * FROM (SELECT ${COLS} WHERE ${RANGE}
    AND (@kind IS NULL OR m.kind = @kind) ORDER BY m.id DESC LIMIT @limit) ORDER BY 1`),
  newestCount: db.prepare(`SELECT count(*) FROM (SELECT 1 FROM messages m WHERE ${RANGE}
    AND (@kind IS NULL OR m.kind = @kind) LIMIT @limit)`).pluck(),
  votes: db.prepare(`SELECT ${COLS} WHERE ${RANGE} AND m.kind = 'question'
    AND (@kind IS NULL OR @kind = 'question') ORDER BY m.upvotes DESC, m.id LIMIT @limit`),
  existing: db.prepare('SELECT id FROM messages WHERE room = ? AND user_id = ? AND client_id = ?')
    .pluck(),
  inRoom: db.prepare('SELECT 1 FROM messages WHERE id = ? AND room = ?').pluck(),
  lastId: db.prepare('SELECT coalesce(max(id), 0) FROM messages WHERE room = ?').pluck(),
  insert: db.prepare(`INSERT INTO messages (room, user_id, client_id, kind, text, reply_to,
    created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (room, user_id, client_id) DO NOTHING`),
  // messages_fts is external-content and trusted_schema=OFF forbids triggers writing it; as
  // discussion.c does, the text is indexed in batches after the commit (see indexChore).
  indexedUpto: db.prepare('SELECT indexed_upto FROM search_progress').pluck(),
  indexUpto: db.prepare('SELECT coalesce(max(id), 0) FROM messages WHERE id > ? AND id <= ? + ?').pluck(),
  indexAdd: db.prepare(`INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages
    WHERE id > ? AND id <= ? AND deleted = 0`),
  indexMark: db.prepare('UPDATE search_progress SET indexed_upto = ?'),
  indexMore: db.prepare('SELECT EXISTS (SELECT 1 FROM messages WHERE id > ?)').pluck(),
  mergeStep: db.prepare("INSERT INTO messages_fts (messages_fts, rank) VALUES ('merge', 16)"),
  totalChanges: db.prepare('SELECT total_changes()').pluck(),
  presenceOpen: db.prepare('INSERT INTO presence (room, user_id, joined_at) VALUES (?, ?, ?)'),
  presenceClose: db.prepare('UPDATE presence SET left_at = ? WHERE id = ? AND left_at IS NULL'),
  studioCount: db.prepare(`SELECT count(*)${STUDIO_FROM}`).pluck(),
  studios: db.prepare(`SELECT s.id, s.name, s.master_id, m.name AS master_name,
      m.title AS master_title, s.university_id, v.name AS university_name, s.discipline,
      s.level, s.established_on, s.cycle, s.max_members, s.status, s.created_at, s.updated_at,
      (SELECT count(*) FROM studio_members x WHERE x.studio_id = s.id
        AND x.status = 'approved') AS member_count,
      (SELECT count(*) FROM studio_members x WHERE x.studio_id = s.id
        AND x.status = 'pending') AS pending_count${STUDIO_FROM}
    ORDER BY CASE WHEN @by_name THEN s.name END, s.established_on DESC, s.id DESC
    LIMIT @limit OFFSET @offset`),
};

// RFC 3339 UTC to the second, like clock_rfc3339(); formatted once per second.
let clockSec = 0, clockText = '';
function nowText() {
  const s = Math.floor(Date.now() / 1000);
  if (s !== clockSec) [clockSec, clockText] = [s, new Date(s * 1000).toISOString().slice(0, 19) + 'Z'];
  return clockText;
}
// Intervals a crash left open are closed at start, as mingshi's hub_init() does.
db.prepare('UPDATE presence SET left_at = ? WHERE left_at IS NULL').run(nowText());

// ---- group commit ---------------------------------------------------------------------------
// Writes wait in `queue`; the first one schedules a flush with setImmediate, so every frame read
// in one event-loop turn shares one BEGIN IMMEDIATE … COMMIT (and one fsync). Each op runs in its
// own savepoint (a nested db.transaction), so one failing op does not undo the others — the same
// contract as mingshi's writer. Acks and broadcasts go out only after COMMIT returned.
const queue = [];
function enqueue(op) {
  if (queue.length === 0) setImmediate(flush);
  queue.push(op);
}

// One op: a send (discussion_post()), a presence interval opened or closed, a session touch.
const runOp = db.transaction((op) => {
  switch (op.kind) {
    case 'touch':
      sql.touch.run(op.now, op.sid);
      return;
    case 'open':
      op.rec.id = Number(sql.presenceOpen.run(op.room, op.uid, nowText()).lastInsertRowid);
      return;
    case 'close':
      if (op.rec.id) sql.presenceClose.run(nowText(), op.rec.id);
      return;
  }
  const m = op.m;
  const first = sql.existing.get(m.room, m.user_id, m.client_id);
  if (first) { // a retried client_id: acked with the first id, stored and broadcast once
    op.duplicate = true;
    m.id = first;
    return;
  }
  if (m.reply_to && !sql.inRoom.get(m.reply_to, m.room)) {
    op.error = ['invalid', `no message ${m.reply_to} in this room`];
    return;
  }
  m.created_at = nowText();
  const r = sql.insert.run(m.room, m.user_id, m.client_id, m.kind, m.text, m.reply_to, m.created_at);
  m.id = Number(r.lastInsertRowid);
  indexSoon();
});
const runBatch = db.transaction((ops) => {
  for (const op of ops) {
    try { runOp(op); } catch (err) {
      if (!db.inTransaction) throw err; // SQLite rolled the whole batch back (I/O, disk full)
      console.error('peer: a write failed:', err.message);
      op.error = ['internal', 'internal error (database)'];
    }
  }
});

// The search index, as mingshi's writer chore keeps it (domain/discussion.h): runs of one kind
// each, every one a transaction of its own. Indexing: at most every 100 ms while messages
// arrive (at once again while more wait), up to 1 000 ids at a time, moving the same mark.
const INDEX_EVERY_MS = 100;
const INDEX_BATCH = 1000;
// Merging (migration 0006 turned FTS5's automerge off): after a run that indexed, up to two
// runs of 16 leaf pages a step for up to 1 ms each, until a step merges nothing (it then adds
// < 2 changes). Merge work still left is done by the next indexing run that finds nothing.
const MERGE_RUNS = 2;
const MERGE_BUDGET_NS = 1000000n;
let indexTimer = null;
let indexLast = 0;
let indexLeft = false;
let mergeRuns = 0;
let mergeLeft = false;
function indexSoon(delay = Math.max(0, indexLast + INDEX_EVERY_MS - Date.now())) {
  if (!indexTimer) indexTimer = setTimeout(indexChore, delay);
}
// true: the time ran out before the merge work did
const mergeSteps = db.transaction(() => {
  const start = process.hrtime.bigint();
  do {
    const before = sql.totalChanges.get();
    sql.mergeStep.run();
    if (sql.totalChanges.get() - before < 2) return false;
  } while (process.hrtime.bigint() - start < MERGE_BUDGET_NS);
  return true;
});
// [indexed, more left]
const indexBatch = db.transaction(() => {
  const from = sql.indexedUpto.get();
  const to = sql.indexUpto.get(from, from, INDEX_BATCH);
  if (to <= from) return [0, false];
  const added = sql.indexAdd.run(from, to).changes;
  sql.indexMark.run(to);
  return [added, sql.indexMore.get(to) === 1];
});
function indexChore() {
  indexTimer = null;
  indexLast = Date.now();
  try {
    if (mergeRuns > 0) {
      mergeLeft = mergeSteps.immediate();
      mergeRuns = mergeLeft ? mergeRuns - 1 : 0;
    } else {
      const [added, left] = indexBatch.immediate();
      indexLeft = left;
      if (added > 0) mergeRuns = MERGE_RUNS;
      else if (mergeLeft) mergeLeft = mergeSteps.immediate();
    }
  } catch (err) {
    console.error('peer: indexing failed:', err.message);
    indexSoon();
    return;
  }
  if (indexLeft || mergeRuns > 0) indexSoon(0);
  else if (mergeLeft) indexSoon();
}

function flush() {
  if (queue.length === 0) return;
  const ops = queue.splice(0);
  try {
    runBatch.immediate(ops);
  } catch (err) {
    console.error('peer: COMMIT failed:', err.message);
    for (const op of ops) {
      op.error = ['unavailable', 'the service is unavailable; try again later'];
      if (op.kind === 'open') op.rec.id = 0; // its presence row was rolled back
    }
  }
  for (const op of ops) {
    if (op.kind !== 'send') continue;
    const { conn, m } = op;
    if (op.error) { sendError(conn, op.error[0], op.error[1], m.client_id, m.room); continue; }
    send(conn.ws, JSON.stringify({ type: 'ack', client_id: m.client_id, id: m.id }));
    if (!op.duplicate) {
      publish(m.room, { type: 'message', room: m.room, message: viewMessage(m) }, 0, m.id);
    }
  }
}

// ---- JSON views (key order as in src/api/views.c) -------------------------------------------
const viewMessage = (r) => ({
  id: r.id, room: r.room, user: { id: r.user_id, name: r.user_name, role: r.user_role },
  kind: r.kind, text: r.text, reply_to: r.reply_to || null, created_at: r.created_at,
  upvotes: r.upvotes, pinned: !!r.pinned, answered: !!r.answered, deleted: !!r.deleted,
});
const viewStudio = (s) => ({
  id: s.id, name: s.name, master: { id: s.master_id, name: s.master_name, title: s.master_title },
  university: { id: s.university_id, name: s.university_name }, discipline: s.discipline,
  level: s.level, established_on: s.established_on, cycle: s.cycle, max_members: s.max_members,
  member_count: s.member_count, status: s.status, created_at: s.created_at, updated_at: s.updated_at,
});

// ---- sessions and access --------------------------------------------------------------------
// The cookie value is exactly 43 base64url characters (token_from_cookie); the database holds
// SHA-256 of those characters. Looked up on every request and handshake, as mingshi does.
function authenticate(cookieHeader) {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(';')) {
    const c = part.trimStart();
    if (!c.startsWith(COOKIE + '=')) continue;
    const token = /^[A-Za-z0-9_-]{43}(?= |$)/.exec(c.slice(COOKIE.length + 1));
    if (!token) return null;
    const now = Math.floor(Date.now() / 1000);
    const s = sql.session.get(createHash('sha256').update(token[0]).digest(), { now });
    // last_seen_at is refreshed at most once a minute, through the writer (api/auth.c)
    if (s && now - s.last_seen_at >= TOUCH_EVERY_SECS) enqueue({ kind: 'touch', sid: s.sid, now });
    return s || null;
  }
  return null;
}

// "studio:3" → {name, id}; the only room kind mingshi has (room_parse()).
function parseRoom(name) {
  const m = typeof name === 'string' && /^studio:([1-9][0-9]{0,14})$/.exec(name);
  return m ? { name, id: Number(m[1]) } : null;
}

// Who may read/post, decided against the database as it is now (studio_may_read/_may_post).
function roomAccess(uid, ref) {
  const a = sql.access.get({ uid, sid: ref.id, room: ref.name });
  if (!a) return null;
  a.mayPost = !a.disabled && (a.role === 'admin' ? !!a.room_exists : !!a.insider);
  a.mayRead = (!a.disabled && a.role === 'expert') ? !!a.room_exists : a.mayPost;
  return a;
}

// ---- HTTP -----------------------------------------------------------------------------------
const HEADERS = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin', 'x-frame-options': 'DENY',
  'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store',
};
function reply(res, status, obj, extra) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { ...HEADERS, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}
const errorBody = (code, message, field) => ({ error: field ? { code, message, field } : { code, message } });
const fail = (res, status, code, message, field, extra) =>
  reply(res, status, errorBody(code, message, field), extra);
const invalid = (res, field, message) => fail(res, 400, 'validation_failed', message, field);
const oneOf = (v, allowed) => v === null || allowed.includes(v);

// A decimal in lo..hi as strtoll reads it (query_int in views.c), def when absent, NaN when bad.
function queryInt(q, key, lo, hi, def) {
  const v = q.get(key);
  if (v === null) return def;
  const n = /^\s*[+-]?\d+$/.test(v) ? Number(v) : NaN;
  return n >= lo && n <= hi ? n : NaN;
}

function roomMessages(res, user, roomText, q) {
  // checked in the order of history_query_or_reply() (api/rooms.c), before room access
  const limit = queryInt(q, 'limit', 1, 200, 50);
  if (Number.isNaN(limit)) return invalid(res, 'limit', 'limit must be 1 to 200');
  if (Number.isNaN(queryInt(q, 'offset', 0, 2 ** 40, 0))) return invalid(res, 'offset', 'offset must be 0 or more');
  const ids = {};
  for (const key of ['after', 'before']) {
    ids[key] = queryInt(q, key, 0, MAX_ID, 0);
    if (Number.isNaN(ids[key])) return invalid(res, key, `${key} is a message id (0 or more)`);
  }
  const kind = q.get('kind'), sort = q.get('sort');
  if (!oneOf(kind, ['question', 'chat'])) return invalid(res, 'kind', 'kind is question or chat');
  if (!oneOf(sort, ['upvotes', 'id'])) return invalid(res, 'sort', 'sort is upvotes or id');
  const ref = parseRoom(roomText), a = ref && roomAccess(user.id, ref);
  if (!ref || !a || !a.room_exists) return fail(res, 404, 'not_found', `no room ${roomText}`);
  if (!a.mayRead) return fail(res, 403, 'forbidden', `you may not read ${ref.name}`);
  const p = { room: ref.name, after: ids.after, before: ids.before, kind, limit };
  let items, more;
  if (sort === 'upvotes' || q.has('after')) { // oldest first; one row more tells `more`
    items = (sort === 'upvotes' ? sql.votes : sql.forward).all({ ...p, limit: limit + 1 });
    more = items.length > limit;
    if (more) items.pop();
  } else { // the newest page (before `before`), oldest first
    more = sql.newestCount.get({ ...p, limit: limit + 1 }) > limit;
    items = sql.newest.all(p);
  }
  reply(res, 200, { room: ref.name, items: items.map(viewMessage), more });
}

function studioList(res, q) {
  const limit = queryInt(q, 'limit', 1, 200, 50), offset = queryInt(q, 'offset', 0, 2 ** 40, 0);
  const university = queryInt(q, 'university_id', 1, MAX_ID, null);
  const [level, status, sort] = [q.get('level'), q.get('status'), q.get('sort')];
  // checked in the order of filter_or_reply() (api/studios.c)
  if (Number.isNaN(limit)) return invalid(res, 'limit', 'limit must be 1 to 200');
  if (Number.isNaN(offset)) return invalid(res, 'offset', 'offset must be 0 or more');
  if (Number.isNaN(university)) return invalid(res, 'university_id', 'university_id must be a positive integer');
  if (!oneOf(level, ['provincial', 'national'])) return invalid(res, 'level', 'level is provincial or national');
  if (!oneOf(status, ['active', 'suspended', 'closed'])) return invalid(res, 'status', 'status is active, suspended or closed');
  if (!oneOf(sort, ['name', 'newest'])) return invalid(res, 'sort', 'sort is name or newest');
  const f = { q: q.get('q') || null, discipline: q.get('discipline') || null,
    university_id: university, level: level || null, status: status || null };
  const total = sql.studioCount.get(f);
  const items = sql.studios.all({ ...f, by_name: sort === 'name' ? 1 : 0, limit, offset });
  reply(res, 200, { items: items.map(viewStudio), total });
}

const ROOM_PATH = /^\/api\/v1\/rooms\/([a-z]+:[1-9][0-9]{0,15})\/messages$/;
function onRequest(req, res) {
  if (stopping) {
    return fail(res, 503, 'unavailable', 'the server is shutting down', null, { connection: 'close' });
  }
  const qm = req.url.indexOf('?');
  let path = qm < 0 ? req.url : req.url.slice(0, qm);
  try { path = decodeURIComponent(path); } catch { return fail(res, 404, 'not_found', 'no such resource'); }
  const room = ROOM_PATH.exec(path);
  const route = path === '/healthz' ? 'health' : path === '/api/v1/studios' ? 'studios'
    : room && Number(room[1].split(':')[1]) <= MAX_ID ? 'messages' : null;
  if (!route) return fail(res, 404, 'not_found', 'no such resource');
  if (req.method !== 'GET') {
    return fail(res, 405, 'method_not_allowed', 'method not allowed on this resource', null, { allow: 'GET' });
  }
  if (route === 'health') return reply(res, 200, { status: 'ok' });
  const user = authenticate(req.headers.cookie);
  if (!user) return fail(res, 401, 'unauthenticated', 'sign in first');
  if (user.must_change_password) {
    return fail(res, 403, 'password_change_required', 'change your initial password first');
  }
  const q = new URLSearchParams(qm < 0 ? '' : req.url.slice(qm + 1));
  if (route === 'studios') return studioList(res, q);
  return roomMessages(res, user, room[1], q);
}

const server = https.createServer({
  cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key),
  minVersion: TLS_VERSION, maxVersion: TLS_VERSION, keepAlive: true, noDelay: true,
}, onRequest);

// ---- WebSocket: handshake -------------------------------------------------------------------
const wss = new WebSocketServer({
  noServer: true, perMessageDeflate: false, maxPayload: 16 * 1024, handleProtocols: () => PROTOCOL,
});

server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => {});
  const refuse = (status, code, message) => {
    const body = JSON.stringify(errorBody(code, message));
    const lines = Object.entries({ ...HEADERS, 'content-length': Buffer.byteLength(body), connection: 'close' })
      .map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n${lines}\r\n${body}`);
  };
  // The same checks in the same order as ws_confirm_upgrade().
  const offered = (req.headers['sec-websocket-protocol'] || '').split(/[, ]+/);
  if ((req.headers.upgrade || '').toLowerCase() !== 'websocket') {
    return refuse(400, 'validation_failed', 'only WebSocket upgrades');
  }
  if (req.method !== 'GET' || req.url.split('?')[0] !== '/ws') return refuse(404, 'not_found', 'WebSockets live at /ws');
  if (stopping) return refuse(503, 'unavailable', 'the server is shutting down');
  if (!offered.includes(PROTOCOL)) return refuse(400, 'validation_failed', `ask for subprotocol ${PROTOCOL}`);
  if (!origins.has((req.headers.origin || '').toLowerCase())) return refuse(403, 'forbidden', 'this Origin is not allowed');
  const who = authenticate(req.headers.cookie);
  if (!who) return refuse(401, 'unauthenticated', 'sign in first');
  if (who.must_change_password) {
    return refuse(403, 'password_change_required', 'change your initial password first');
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const conn = { ws, user: { id: who.id, name: who.name, role: who.role }, subs: new Map() };
    ws.on('message', (data, isBinary) => onFrame(conn, data, isBinary));
    ws.on('close', () => { for (const sub of conn.subs.values()) leave(sub); });
    ws.on('error', () => {}); // ws has already closed with 1007/1009; nothing more to do
  });
});

// ---- WebSocket: rooms, subscribers, fan-out --------------------------------------------------

// Text frame out; a client that falls 8 MiB behind is closed with 1013 (mingshi's ws_queue).
function send(ws, data) {
  if (ws.readyState !== ws.OPEN) return;
  if (ws.bufferedAmount + data.length > QUEUE_MAX_BYTES) return ws.close(1013, 'too slow; rejoin with since');
  ws.send(data, { binary: false });
}

function sendError(conn, code, message, clientId, room) {
  const e = { type: 'error', code, message };
  if (typeof clientId === 'string') e.client_id = clientId;
  if (typeof room === 'string') e.room = room;
  send(conn.ws, JSON.stringify(e));
}

// Serialised and UTF-8 encoded once, the same bytes queued on every socket (hub_publish()).
function publish(roomName, obj, exceptUser, messageId) {
  const room = rooms.get(roomName);
  if (!room) return;
  const bytes = Buffer.from(JSON.stringify(obj));
  for (const sub of room.subs) {
    if (exceptUser && sub.conn.user.id === exceptUser) continue;
    if (messageId && messageId <= sub.upto) continue; // already in its `joined` history
    send(sub.conn.ws, bytes);
  }
}

function sendJoined(sub, since) {
  const room = rooms.get(sub.room);
  const history = sql.forward.all({
    room: sub.room, after: since, before: 0, kind: null, limit: HISTORY_MAX + 1,
  });
  const more = history.length > HISTORY_MAX;
  if (more) history.pop();
  // Live copies of what the history holds are not sent again (nor anything at or below
  // `since`); a `since` beyond the room's newest message counts as that newest id, so it does
  // not silence the messages still to come (hub.c send_joined()).
  const upto = history.length ? history[history.length - 1].id : Math.min(since, sql.lastId.get(sub.room));
  sub.upto = Math.max(sub.upto, upto);
  const members = [...room.members.values()].map(({ id, name, role }) => ({ id, name, role }));
  send(sub.conn.ws, JSON.stringify({
    type: 'joined', room: sub.room, members, history: history.map(viewMessage), more,
  }));
}

// Presence: a presence interval is recorded per subscription (through the group commit, as
// mingshi's writer jobs do), and `presence` join/leave go to the others when a user's first
// connection joins and last leaves.
function join(conn, ref, since) {
  let sub = conn.subs.get(ref.name);
  if (sub) return sendJoined(sub, since);
  if (conn.subs.size >= MAX_ROOMS) {
    return sendError(conn, 'invalid', `at most ${MAX_ROOMS} rooms per connection`, null, ref.name);
  }
  let room = rooms.get(ref.name);
  if (!room) rooms.set(ref.name, (room = { subs: new Set(), members: new Map() }));
  sub = { conn, room: ref.name, upto: 0, rec: { id: 0 } };
  room.subs.add(sub);
  conn.subs.set(ref.name, sub);
  enqueue({ kind: 'open', rec: sub.rec, room: ref.name, uid: conn.user.id });
  const member = room.members.get(conn.user.id);
  if (member) member.conns++;
  else {
    room.members.set(conn.user.id, { ...conn.user, conns: 1, typedAt: 0 });
    publish(ref.name, { type: 'presence', room: ref.name, user: conn.user, state: 'join' }, conn.user.id);
  }
  sendJoined(sub, since);
}

function leave(sub) {
  const room = rooms.get(sub.room), uid = sub.conn.user.id;
  room.subs.delete(sub);
  sub.conn.subs.delete(sub.room);
  enqueue({ kind: 'close', rec: sub.rec });
  const member = room.members.get(uid);
  if (--member.conns === 0) {
    room.members.delete(uid);
    publish(sub.room, { type: 'presence', room: sub.room, user: sub.conn.user, state: 'leave' }, uid);
  }
  if (room.subs.size === 0) rooms.delete(sub.room);
}

// ---- WebSocket: frames (src/api/chat.c) -----------------------------------------------------
// String fields as json_get_string(): type, no control characters, length in code points.
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
function codePoints(s) { // UTF-16 units minus the low halves of surrogate pairs
  let n = s.length;
  for (let i = 0; i < s.length; i++) if ((s.charCodeAt(i) & 0xfc00) === 0xdc00) n--;
  return n;
}
function checkString(msg, key, required, min, max) {
  const v = msg[key];
  if (v === undefined || v === null) return required ? `${key} is required` : null;
  if (typeof v !== 'string' || !v.isWellFormed()) return `${key} must be a string`;
  if (CONTROLS.test(v)) return `${key} contains control characters`;
  // code points ≤ UTF-16 units: count them only when the unit count is out of range
  if (v.length >= min && v.length <= max) return null;
  const n = codePoints(v);
  return n < min || n > max ? `${key} must be ${min} to ${max} characters` : null;
}
function checkInt(msg, key, required, lo, hi) {
  const v = msg[key];
  if (v === undefined || v === null) return required ? `${key} is required` : null;
  if (!Number.isInteger(v)) return `${key} must be an integer`;
  return v < lo || v > hi ? `${key} must be between ${lo} and ${hi}` : null;
}

// Only the allowed fields, and a room that parses; else an error frame and null.
function frameRoom(conn, msg, allowed) {
  const unknown = Object.keys(msg).find((k) => !allowed.includes(k));
  if (unknown !== undefined) {
    sendError(conn, 'invalid', `unknown field '${unknown.slice(0, 40)}'`, msg.client_id, msg.room);
    return null;
  }
  const ref = parseRoom(msg.room);
  if (!ref) sendError(conn, 'invalid', 'room is a name like studio:3', msg.client_id, msg.room);
  return ref;
}

// Decided against the database on every frame, as access_ok(): a disabled account is closed
// with 1008; a subscriber who lost read access leaves the room at once.
function allowed(conn, ref, post, clientId) {
  const a = roomAccess(conn.user.id, ref);
  if (!a || a.disabled) return conn.ws.close(1008, 'account disabled'), null;
  if (!a.room_exists) return sendError(conn, 'not_found', `no room ${ref.name}`, clientId, ref.name), null;
  if (post ? a.mayPost : a.mayRead) return a;
  sendError(conn, 'forbidden', `you may not ${post ? 'post in' : 'read'} ${ref.name}`, clientId, ref.name);
  const sub = conn.subs.get(ref.name);
  if (sub && !a.mayRead) leave(sub);
  return null;
}

function joinedOrError(conn, ref, clientId) {
  if (conn.subs.has(ref.name)) return true;
  sendError(conn, 'invalid', `join ${ref.name} first`, clientId, ref.name);
  return false;
}

const PONG = JSON.stringify({ type: 'pong' });
function onFrame(conn, data, isBinary) {
  if (isBinary) return sendError(conn, 'invalid', 'send text frames');
  let msg;
  try { msg = JSON.parse(data.toString()); } catch { /* answered below */ }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg) || typeof msg.type !== 'string') {
    return sendError(conn, 'invalid', 'send one JSON object with a string "type"');
  }
  if (stopping && msg.type !== 'ping') {
    return sendError(conn, 'unavailable', 'the server is shutting down', msg.client_id);
  }
  let ref, err;
  switch (msg.type) {
    case 'ping': {
      const extra = Object.keys(msg).find((k) => k !== 'type');
      if (extra !== undefined) return sendError(conn, 'invalid', `unknown field '${extra.slice(0, 40)}'`);
      return send(conn.ws, PONG);
    }
    case 'join':
      if (!(ref = frameRoom(conn, msg, ['type', 'room', 'since']))) return;
      if ((err = checkInt(msg, 'since', false, 0, MAX_ID))) return sendError(conn, 'invalid', err, null, ref.name);
      if (allowed(conn, ref, false)) join(conn, ref, msg.since ?? 0);
      return;
    case 'leave':
      if ((ref = frameRoom(conn, msg, ['type', 'room'])) && conn.subs.has(ref.name)) leave(conn.subs.get(ref.name));
      return;
    case 'typing': {
      ref = frameRoom(conn, msg, ['type', 'room']);
      if (!ref || !joinedOrError(conn, ref) || !allowed(conn, ref, true)) return;
      const me = rooms.get(ref.name).members.get(conn.user.id), now = Date.now();
      if (now - me.typedAt < TYPING_EVERY_MS) return; // at most one per user per 3 s
      me.typedAt = now;
      return publish(ref.name, { type: 'typing', room: ref.name, user: conn.user }, conn.user.id);
    }
    case 'send': {
      const clientId = msg.client_id;
      if (!(ref = frameRoom(conn, msg, ['type', 'room', 'client_id', 'kind', 'text', 'reply_to']))) return;
      if (!joinedOrError(conn, ref, clientId)) return;
      const a = allowed(conn, ref, true, clientId);
      if (!a) return;
      if (a.muted) return sendError(conn, 'muted', `you are muted in ${ref.name}`, clientId, ref.name);
      err = checkString(msg, 'client_id', true, 1, CLIENT_ID_MAX) || checkString(msg, 'text', true, 1, TEXT_MAX)
        || checkString(msg, 'kind', false, 1, 10) || checkInt(msg, 'reply_to', false, 1, MAX_ID)
        || (msg.kind != null && msg.kind !== 'chat' && msg.kind !== 'question' ? 'kind is chat or question' : null);
      if (err) return sendError(conn, 'invalid', err, clientId, ref.name);
      // no rate limit: the benchmark lifts mingshi's out of the way
      return enqueue({ kind: 'send', conn, m: {
        room: ref.name, user_id: conn.user.id, user_name: a.name, user_role: a.role,
        client_id: clientId, kind: msg.kind ?? 'chat', text: msg.text, reply_to: msg.reply_to ?? null,
        upvotes: 0, pinned: 0, answered: 0, deleted: 0,
      } });
    }
    default: // upvote and moderate are not part of the benchmark subset
      return sendError(conn, 'invalid', `unknown type '${msg.type.slice(0, 32)}'`, msg.client_id);
  }
}

// ---- start and stop -------------------------------------------------------------------------
server.on('error', (err) => { // e.g. the port is taken
  console.error(`peer: cannot listen on ${args.host}:${PORT}: ${err.message}`);
  process.exit(1);
});
server.listen(PORT, args.host, () => console.log(`listening ${PORT}`));

// SIGTERM/SIGINT: refuse new work, commit what is queued (its acks go out), close WebSockets
// with 1001, fold the WAL back into the database file, exit 0.
function shutdown() {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeIdleConnections();
  flush();
  for (const ws of wss.clients) ws.close(1001, 'server shutting down');
  const t0 = Date.now();
  (function wait() {
    if (wss.clients.size > 0 && Date.now() - t0 < 3000) return setTimeout(wait, 20);
    for (const ws of wss.clients) ws.terminate();
    server.closeAllConnections();
    flush(); // the presence intervals the closes ended
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    process.exit(0);
  })();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
