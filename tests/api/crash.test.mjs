// Durability of the discussion hub (DESIGN §4, §7; issue 4): under a steady send load the
// server is killed with SIGKILL and restarted on the same data directory, five times. Every
// acked message must be stored exactly once with the id its ack gave; a message sent but not
// acked is stored at most once; retrying it with the same client_id after the restart stores
// it once and acks it (with the stored id when it had been committed).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sqliteJson, startServer, tmpDir, waitFor } from './helpers.mjs';
import { Chat, FAST, assertIncreasing, clientId, configFile, fullHistory, signIn, sleep } from './chat-helpers.mjs';

const ROOM = 'studio:1';
const USERS = ['teacher_wang', 'teacher_zhao', 'teacher_sun', 'master_li'];
const CYCLES = 5;
const LOAD_MS = 1200;
const WINDOW = 8;

let dataDir;
let conf;
let server;
let s;

// sqlite3 -json with room for many rows.
function rowsOf(sql) {
  const out = execFileSync('sqlite3', ['-json', path.join(dataDir, 'mingshi.db'), sql], { encoding: 'utf8', maxBuffer: 512 << 20 }).trim();
  return out ? JSON.parse(out) : [];
}

before(async () => {
  dataDir = tmpDir();
  conf = configFile(FAST);
  server = await startServer({ dataDir, args: ['--config', conf] });
  s = await signIn(server, USERS);
});

after(async () => {
  if (server) await server.stop('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(path.dirname(conf), { recursive: true, force: true });
});

// One sender: keeps WINDOW sends in flight until its socket closes. Records every send in
// `sent` (key user/cid) and every ack in `acked`, and the time from send to ack.
async function sender(c, user, cycle, sent, acked, latencies) {
  const inflight = new Map();
  let n = 0;
  c.ws.on('message', (data) => {
    const f = JSON.parse(data.toString());
    if (f.type === 'ack' && inflight.has(f.client_id)) {
      latencies.push(performance.now() - inflight.get(f.client_id));
      inflight.delete(f.client_id);
      const key = `${user}/${f.client_id}`;
      assert.ok(!acked.has(key) || acked.get(key) === f.id, `${key} acked with two ids`);
      acked.set(key, f.id);
    } else if (f.type === 'error' && f.client_id) {
      assert.fail(`send refused: ${JSON.stringify(f)}`);
    }
  });
  while (c.ws.readyState === 1) {
    while (inflight.size < WINDOW && c.ws.readyState === 1) {
      const cid = clientId(`k${cycle}-${user}`);
      const text = `第${cycle}轮 ${user} 第${n++}条`;
      sent.set(`${user}/${cid}`, { user, cid, text });
      inflight.set(cid, performance.now());
      c.post(ROOM, text, { client_id: cid });
    }
    await sleep(1);
  }
}

describe('kill -9 under load, five times', () => {
  it('every acked message survives exactly once; unacked ones at most once; retries store them once', async () => {
    const sent = new Map(); // `${user}/${cid}` → {user, cid, text}
    const acked = new Map(); // `${user}/${cid}` → id
    const figures = [];
    const latencies = [];
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const ackedBefore = acked.size;
      const sentBefore = sent.size;
      const chats = [];
      for (const u of USERS) {
        const c = await Chat.open(server, s[u]);
        await c.joinOk(ROOM);
        chats.push(c);
      }
      const loops = chats.map((c, i) => sender(c, USERS[i], cycle, sent, acked, latencies));
      await sleep(LOAD_MS);
      // and long enough for the load to have run, however slow the machine's commits
      await waitFor(() => acked.size - ackedBefore > 50, { ms: 60000, what: 'more than 50 acks' });
      const killed = await server.stop('SIGKILL');
      assert.equal(killed.signal, 'SIGKILL');
      await Promise.all(chats.map((c) => c.closed(5000)));
      await Promise.all(loops);

      server = await startServer({ dataDir, demo: false, args: ['--config', conf] });
      const rows = rowsOf(`SELECT m.id, u.username AS user, m.client_id AS cid, m.text FROM messages m JOIN users u ON u.id = m.user_id WHERE m.room = '${ROOM}' ORDER BY m.id`);
      const byKey = new Map();
      for (const r of rows) {
        const key = `${r.user}/${r.cid}`;
        assert.ok(!byKey.has(key), `${key} stored twice`);
        byKey.set(key, r);
        assert.ok(sent.has(key), `a message nobody sent: ${JSON.stringify(r)}`);
        assert.equal(r.text, sent.get(key).text, `${key}: the stored text is the sent text`);
      }
      for (const [key, id] of acked) {
        assert.ok(byKey.has(key), `cycle ${cycle}: acked ${key} (id ${id}) lost by the crash`);
        assert.equal(byKey.get(key).id, id, `${key}: stored under the id its ack gave`);
      }
      const unacked = [...sent.keys()].filter((k) => !acked.has(k));
      const unackedStored = unacked.filter((k) => byKey.has(k)).length;
      // intervals the crash left open are closed at start
      await waitFor(() => sqliteJson(server, 'SELECT count(*) AS n FROM presence WHERE left_at IS NULL')[0].n === 0,
        { what: 'open presence intervals closed after the restart' });

      // the sessions survived the restart: retry every unacked send with its client_id
      const retry = await Chat.open(server, s.teacher_wang);
      const byUser = new Map();
      for (const u of USERS) {
        const c = u === 'teacher_wang' ? retry : await Chat.open(server, s[u]);
        await c.joinOk(ROOM);
        byUser.set(u, c);
      }
      for (const key of unacked) {
        const { user, cid, text } = sent.get(key);
        const a = await byUser.get(user).answer(byUser.get(user).post(ROOM, text, { client_id: cid }));
        assert.equal(a.type, 'ack', JSON.stringify(a));
        if (byKey.has(key)) assert.equal(a.id, byKey.get(key).id, `${key}: a retry of a committed send gets its stored id`);
        acked.set(key, a.id);
      }
      for (const c of byUser.values()) c.close();
      const after = sqliteJson(server, `SELECT count(*) AS n, count(DISTINCT user_id || '/' || client_id) AS k FROM messages WHERE room = '${ROOM}'`)[0];
      assert.deepEqual(after, { n: sent.size, k: sent.size }, 'after the retries every sent message is stored exactly once');
      figures.push({
        cycle, sent: sent.size - sentBefore, acked: acked.size - ackedBefore - unacked.length,
        unacked: unacked.length, unackedButStored: unackedStored,
      });
    }
    // REST agrees: every message once, ids increasing
    const history = await fullHistory(server, s.master_li, ROOM);
    assert.equal(history.length, sent.size);
    assertIncreasing(history.map((m) => m.id));
    assert.deepEqual(new Set(history.map((m) => m.id)), new Set(acked.values()));
    latencies.sort((a, b) => a - b);
    const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1);
    for (const f of figures) {
      console.log(`# cycle ${f.cycle}: ${f.sent} sent, ${f.acked} acked before the kill, ${f.unacked} in flight (${f.unackedButStored} of them committed)`);
    }
    console.log(`# ack latency under load (${USERS.length} senders × ${WINDOW} in flight): p50 ${p(0.5)} ms, p99 ${p(0.99)} ms over ${latencies.length} acks`);
    for (const f of figures) assert.ok(f.acked > 50, `cycle ${f.cycle}: the load ran (${f.acked} acks)`);
  });
});
