// The discussion hub's limits (DESIGN §7–§8, issue 4): frame size, text length, UTF-8, the
// per-user rate limit, rooms per connection, slow readers (1013 and resume) and malformed frames.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sqliteJson, startServer, tmpDir } from './helpers.mjs';
import { Chat, FAST, assertIncreasing, clientId, configFile, disposeClean, flood, metric, signIn, sleep } from './chat-helpers.mjs';

const ROOM = 'studio:1';

describe('with the default limits', () => {
  let server;
  let s;
  const open = [];
  const chat = async (u) => { const c = await Chat.open(server, s[u]); open.push(c); return c; };

  before(async () => {
    server = await startServer();
    s = await signIn(server, ['admin', 'teacher_wang', 'teacher_zhao', 'teacher_sun']);
  });
  after(async () => {
    for (const c of open) c.terminate();
    if (server) await disposeClean(server);
  });

  it('a frame over 16 KiB closes with 1009', async () => {
    const c = await chat('admin');
    await c.joinOk(ROOM);
    c.raw({ type: 'send', room: ROOM, client_id: clientId('big'), text: 'x'.repeat(17000) });
    assert.equal((await c.closed()).code, 1009);
  });

  it('text over 4000 characters is invalid (with client_id); 4000 Chinese characters are accepted', async () => {
    const c = await chat('admin');
    await c.joinOk(ROOM);
    for (const text of ['a'.repeat(4001), '汉'.repeat(4001)]) {
      const cid = c.post(ROOM, text);
      const e = await c.answer(cid);
      assert.deepEqual({ ...e, message: 'x' }, { type: 'error', code: 'invalid', message: 'x', client_id: cid, room: ROOM });
    }
    const text = '汉'.repeat(4000); // 12 000 bytes of UTF-8
    const ok = await c.say(ROOM, text);
    const m = await c.message(ROOM, ok.id);
    assert.equal(m.message.text, text);
    assert.equal([...m.message.text].length, 4000);
    assert.deepEqual(sqliteJson(server, `SELECT length(text) AS n FROM messages WHERE id = ${ok.id}`), [{ n: 4000 }]);
    const ascii = await c.say(ROOM, 'a'.repeat(4000));
    assert.ok(ascii.id > ok.id);
    await c.ping();
  });

  it('invalid UTF-8 in a text frame closes with 1007', async () => {
    const bad = [
      Buffer.concat([Buffer.from('{"type":"send","room":"studio:1","client_id":"u1","text":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
      Buffer.concat([Buffer.from('{"type":"ping","x":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), // a UTF-16 surrogate
      Buffer.concat([Buffer.from('{"type":"ping","x":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), // overlong '/'
    ];
    for (const b of bad) {
      const c = await chat('teacher_wang');
      await c.joinOk(ROOM);
      c.ws.send(b, { binary: false });
      assert.equal((await c.closed()).code, 1007, b.toString('hex'));
    }
    assert.deepEqual(sqliteJson(server, "SELECT count(*) AS n FROM messages WHERE client_id = 'u1'"), [{ n: 0 }]);
  });

  it('malformed JSON or an unknown field in any frame type is invalid and the connection stays open', async () => {
    const c = await chat('teacher_wang');
    await c.joinOk(ROOM);
    const frames = [
      '{"type":"send",', 'null', '{}', '{"type":"join","room":"studio:1","since":"5"}', '{"type":"join","room":"studio:1","since":-1}',
      { type: 'join', room: ROOM, since: 0, x: 1 },
      { type: 'leave', room: ROOM, x: 1 },
      { type: 'send', room: ROOM, client_id: 'unk1', text: 'hi', kind: 'chat', reply_to: null, x: 1 },
      { type: 'upvote', room: ROOM, message_id: 1, x: 1 },
      { type: 'upvote', room: ROOM, message_id: '1' },
      { type: 'moderate', room: ROOM, action: 'pin', message_id: 1, x: 1 },
      { type: 'moderate', room: ROOM, action: 'ban', message_id: 1 },
      { type: 'typing', room: ROOM, x: 1 },
      { type: 'ping', x: 1 },
      { type: 'send', room: 5, client_id: 'unk2', text: 'hi' },
      { type: 'send', room: ROOM, client_id: 7, text: 'hi' },
      { type: 'send', room: ROOM, client_id: 'ctl1', text: 'a\u0001b' },
      '{"type":"ping","type":"ping"}',
    ];
    for (const f of frames) {
      c.raw(f);
      const e = await c.next((m) => m.type === 'error', 3000, `error for ${JSON.stringify(f)}`);
      assert.equal(e.code, 'invalid', `${JSON.stringify(f)} → ${JSON.stringify(e)}`);
      if (typeof f === 'object' && typeof f.client_id === 'string') assert.equal(e.client_id, f.client_id);
      await c.ping();
    }
    assert.equal(c.ws.readyState, 1);
    assert.deepEqual(sqliteJson(server, "SELECT count(*) AS n FROM messages WHERE client_id IN ('unk1', 'unk2', 'ctl1')"), [{ n: 0 }]);
    // still joined: a message gets through
    const m = await c.say(ROOM, '还在');
    await c.message(ROOM, m.id);
  });

  it('5 messages/s per user with burst 20: 30 quick sends → 20 acks, then rate_limited with client_id; later more succeed', async () => {
    const c1 = await chat('teacher_zhao');
    const c2 = await chat('teacher_zhao');
    await c1.joinOk(ROOM);
    await c2.joinOk(ROOM);
    // The server empties the bucket between `start` and the last answer (`emptied`): the
    // client's clock bounds the refill from both sides, however late the server gets to each
    // frame on a busy machine.
    const cids = [];
    const start = performance.now();
    for (let i = 0; i < 30; i++) cids.push(c1.post(ROOM, `限速${i}`));
    const answers = [];
    for (const cid of cids) answers.push(await c1.answer(cid));
    const emptied = performance.now();
    assert.deepEqual(answers.slice(0, 20).map((a) => a.type), Array(20).fill('ack'));
    assertIncreasing(answers.slice(0, 20).map((a) => a.id));
    for (const [i, a] of answers.slice(20).entries()) {
      assert.deepEqual({ ...a, message: 'x' }, { type: 'error', code: 'rate_limited', message: 'x', client_id: cids[20 + i], room: ROOM });
    }
    // the bucket is the user's, not the connection's
    const other = await c2.answer(c2.post(ROOM, '另一个连接'));
    assert.equal(other.code, 'rate_limited');
    assert.deepEqual(sqliteJson(server, `SELECT count(*) AS n FROM messages WHERE user_id = ${s.teacher_zhao.user.id}`), [{ n: 20 }]);

    await sleep(1100 - (performance.now() - emptied));
    const later = [];
    for (let i = 0; i < 10; i++) later.push(c1.post(ROOM, `一秒后${i}`));
    const got = [];
    for (const cid of later) got.push((await c1.answer(cid)).type);
    const most = (performance.now() - start) / 1000; // the longest the bucket can have refilled
    const acked = got.filter((t) => t === 'ack').length;
    assert.deepEqual(got, [...Array(acked).fill('ack'), ...Array(10 - acked).fill('error')], got.join(','));
    assert.ok(acked >= 5 && acked <= Math.floor(5 * most) + 1, `at most ${most.toFixed(2)} s after the bucket emptied: ${acked} acks (5/s)`);
    console.log(`# rate limit: ${acked} of 10 acked 1.1-${most.toFixed(2)} s after the bucket emptied`);
  });
});

describe('with 60 studios, a 64-frame send queue and no rate limit', () => {
  let server;
  let s;
  let dataDir;
  let conf;
  const open = [];
  const chat = async (u) => { const c = await Chat.open(server, s[u]); open.push(c); return c; };

  before(async () => {
    dataDir = tmpDir();
    conf = configFile({ ...FAST, ws_queue_frames: 64 });
    const first = await startServer({ dataDir, args: ['--config', conf] });
    await first.stop('SIGTERM');
    // 46 more masters and studios (ids 101…, 15…60), written while no server runs
    const rows = [];
    for (let i = 0; i < 46; i++) {
      rows.push(`INSERT INTO users (id, username, name, role, university_id, password_hash) VALUES (${101 + i}, 'm_extra${i}', '名师${i}', 'master', 1, 'x');`);
      rows.push(`INSERT INTO studios (id, name, master_id, university_id, discipline, established_on) VALUES (${15 + i}, '测试工作室${i}', ${101 + i}, 1, '数学', '2024-01-01');`);
    }
    execFileSync('sqlite3', [path.join(dataDir, 'mingshi.db'), `PRAGMA foreign_keys=ON; BEGIN; ${rows.join('\n')} COMMIT;`]);
    server = await startServer({ dataDir, demo: false, args: ['--config', conf] });
    s = await signIn(server, ['admin', 'master_li', 'teacher_wang']);
  });
  after(async () => {
    for (const c of open) c.terminate();
    if (server) await disposeClean(server);
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(path.dirname(conf), { recursive: true, force: true });
  });

  it('at most 50 rooms per connection: the 51st join is invalid; rejoining one held is fine; after a leave it works', async () => {
    const c = await chat('admin');
    for (let i = 1; i <= 50; i++) c.raw({ type: 'join', room: `studio:${i}` });
    for (let i = 1; i <= 50; i++) await c.next((f) => f.type === 'joined' && f.room === `studio:${i}`, 10000, `joined studio:${i}`);
    assert.deepEqual(c.peek((f) => f.type === 'error'), []);
    const e = await c.join('studio:51');
    assert.deepEqual({ ...e, message: 'x' }, { type: 'error', code: 'invalid', message: 'x', room: 'studio:51' });
    await c.joinOk('studio:1'); // already held: answered again
    c.raw({ type: 'leave', room: 'studio:50' });
    await c.joinOk('studio:51');
    assert.equal((await c.join('studio:52')).code, 'invalid');
    // the cap is per connection
    const d = await chat('admin');
    await d.joinOk('studio:52');
    await c.ping();
  });

  it('a slow reader is closed with 1013 when its queue overflows, counted in /metrics, and resumes with since', async () => {
    const drops0 = await metric(server, 'mingshi_ws_queue_drops_total');
    const w = await chat('teacher_wang');
    await w.joinOk(ROOM);
    const slow = await chat('master_li');
    await slow.joinOk(ROOM, 0);
    slow.ws._socket.pause();
    const big = '慢'.repeat(4000);
    const all = [];
    let drops = drops0;
    while (all.length < 3000) {
      all.push(...await flood(w, ROOM, 50, { window: 10, text: () => big }));
      w.drain();
      drops = await metric(server, 'mingshi_ws_queue_drops_total');
      if (drops > drops0) break;
    }
    assert.ok(drops >= drops0 + 1, `no queue drop after ${all.length} messages`);
    // a few more while the slow one is gone
    all.push(...await flood(w, ROOM, 5, { text: (i) => `之后${i}` }));
    slow.ws._socket.resume();
    const c = await slow.closed(20000);
    assert.equal(c.code, 1013);
    await w.ping(); // the fast sender stays connected
    const seen = slow.log.filter((f) => f.type === 'message').map((f) => f.message.id);
    assert.deepEqual(seen, all.slice(0, seen.length), 'what arrived is a gapless prefix');
    assert.ok(seen.length < all.length);
    const again = await chat('master_li');
    const since = seen.length ? seen[seen.length - 1] : 0;
    const j = await again.joinOk(ROOM, since);
    const rest = j.history.map((m) => m.id);
    assert.equal(j.more, rest.length === 500 && all.length - seen.length > 500);
    assert.deepEqual([...seen, ...rest], all.slice(0, seen.length + rest.length));
    assert.deepEqual([...seen, ...rest], all, 'after resuming, every message exactly once');
    console.log(`# slow reader: closed 1013 after ${all.length - 5} messages of 12 KB; had received ${seen.length}; drops ${drops0} → ${drops}`);
  });
});
