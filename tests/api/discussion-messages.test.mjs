// The discussion hub (DESIGN §7, issue 4): durable exactly-once sends, resuming without gaps
// (join since + REST paging), Q&A and moderation.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keepAliveAgent, request, sqliteJson } from './helpers.mjs';
import {
  Chat, FAST, assertIncreasing, assertMessageShape, clientId, disposeClean, flood, fullHistory, signIn, sleep, startWithConfig,
} from './chat-helpers.mjs';

const ROOM = 'studio:1';
let server;
let s;
const open = [];

async function chat(username) {
  const c = await Chat.open(server, s[username]);
  open.push(c);
  return c;
}

const WANG = { id: 4, name: '王晓雨', role: 'teacher' };
const LI = { id: 3, name: '李明华', role: 'master' };

before(async () => {
  server = await startWithConfig(FAST);
  s = await signIn(server, ['admin', 'master_li', 'teacher_wang', 'teacher_zhao', 'teacher_sun', 'expert_zhao']);
  assert.deepEqual(s.teacher_wang.user.id, WANG.id);
  assert.deepEqual(s.master_li.user.id, LI.id);
});

after(async () => {
  for (const c of open) c.terminate();
  if (server) await disposeClean(server);
});

function dbRows(where) {
  return sqliteJson(server, `SELECT id, room, user_id, client_id, text FROM messages WHERE ${where} ORDER BY id`);
}

describe('durable exactly-once send', () => {
  let w; let li; let z;
  before(async () => {
    w = await chat('teacher_wang');
    li = await chat('master_li');
    z = await chat('teacher_zhao');
    for (const c of [w, li, z]) await c.joinOk(ROOM);
  });

  it('send → ack {type, client_id, id} after commit, then the message to every subscriber including the sender', async () => {
    const cid = clientId('first');
    const t0 = performance.now();
    w.post(ROOM, '大家好，今天讨论极限的定义。', { client_id: cid });
    const ack = await w.answer(cid);
    const ackMs = performance.now() - t0;
    assert.deepEqual(Object.keys(ack).sort(), ['client_id', 'id', 'type']);
    assert.equal(ack.type, 'ack');
    assert.equal(ack.client_id, cid);
    assert.equal(typeof ack.id, 'number');
    // committed by the time of the ack: another connection to the database sees it
    assert.deepEqual(dbRows(`client_id = '${cid}'`), [{ id: ack.id, room: ROOM, user_id: WANG.id, client_id: cid, text: '大家好，今天讨论极限的定义。' }]);
    // the ack comes before the sender's own copy of the message
    const ackAt = w.log.indexOf(ack);
    const mine = await w.message(ROOM, ack.id);
    assert.ok(w.log.indexOf(mine) > ackAt, 'ack first, then the message');
    const expected = {
      type: 'message',
      room: ROOM,
      message: {
        id: ack.id, room: ROOM, user: WANG, kind: 'chat', text: '大家好，今天讨论极限的定义。', reply_to: null,
        created_at: mine.message.created_at, upvotes: 0, pinned: false, answered: false, deleted: false,
      },
    };
    assert.deepEqual(mine, expected);
    assertMessageShape(mine.message);
    assert.deepEqual(await li.message(ROOM, ack.id), expected);
    assert.deepEqual(await z.message(ROOM, ack.id), expected);
    // and REST history holds the same object
    const h = await request(server, 'GET', `/api/v1/rooms/${ROOM}/messages?limit=1`, { cookie: s.master_li.cookie });
    assert.equal(h.status, 200);
    assert.deepEqual(h.json, { room: ROOM, items: [expected.message], more: h.json.more });
    console.log(`# ack latency (send → ack, one message): ${ackMs.toFixed(1)} ms`);
  });

  it('a retried client_id is acked again with the same id and not broadcast again', async () => {
    const first = await w.say(ROOM, '重试测试');
    await li.message(ROOM, first.id);
    await w.message(ROOM, first.id);
    const again = await w.say(ROOM, '重试测试', { client_id: first.cid });
    assert.deepEqual(again.ack, { type: 'ack', client_id: first.cid, id: first.id });
    // a different text under the same client_id is still the first message
    const third = await w.say(ROOM, '不同的文字', { client_id: first.cid });
    assert.equal(third.id, first.id);
    // from a new connection of the same user (a reconnect) too
    const w2 = await chat('teacher_wang');
    await w2.joinOk(ROOM, first.id);
    const fourth = await w2.say(ROOM, '重试测试', { client_id: first.cid });
    assert.equal(fourth.id, first.id);
    // the next message is the next frame: nothing was broadcast for the retries
    const next = await w.say(ROOM, '重试之后');
    const seen = await li.message(ROOM);
    assert.equal(seen.message.id, next.id, 'no duplicate broadcast before the next message');
    assert.ok(next.id > first.id);
    assert.equal(dbRows(`client_id = '${first.cid}'`).length, 1);
    assert.equal(dbRows(`client_id = '${first.cid}'`)[0].text, '重试测试');
    w2.close();
    w.drain();
    z.drain();
  });

  it('the same client_id sent twice at once is stored once, both acked with one id, broadcast once', async () => {
    const cid = clientId('twice');
    w.post(ROOM, '同时两次', { client_id: cid });
    w.post(ROOM, '同时两次', { client_id: cid });
    const a1 = await w.answer(cid);
    const a2 = await w.answer(cid);
    assert.equal(a1.type, 'ack');
    assert.deepEqual(a2, a1);
    const sentinel = await w.say(ROOM, '哨兵');
    assert.equal((await li.message(ROOM)).message.id, a1.id);
    assert.equal((await li.message(ROOM)).message.id, sentinel.id, 'only one broadcast of the doubled send');
    assert.equal(dbRows(`client_id = '${cid}'`).length, 1);
    w.drain();
    z.drain();
  });

  it('the same client_id from another user, or in another room, is a new message', async () => {
    const cid = clientId('shared');
    const a = await w.say(ROOM, '王的消息', { client_id: cid });
    const b = await z.say(ROOM, '赵的消息', { client_id: cid });
    assert.notEqual(a.id, b.id);
    assert.equal((await li.message(ROOM)).message.id, a.id);
    assert.equal((await li.message(ROOM)).message.id, b.id);
    const admin = await chat('admin');
    await admin.joinOk(ROOM);
    await admin.joinOk('studio:2');
    const c1 = await admin.say(ROOM, '一号房', { client_id: cid });
    const c2 = await admin.say('studio:2', '二号房', { client_id: cid });
    assert.notEqual(c1.id, c2.id);
    assert.equal(dbRows(`client_id = '${cid}'`).length, 4);
    // the admin's ack can come before li's copy: wait for it, or the next test reads it
    await li.message(ROOM, c1.id);
    admin.close();
    li.drain();
    w.drain();
    z.drain();
  });

  it('ids increase within a room and every subscriber gets the messages in that order', async () => {
    const cids = [];
    for (let i = 0; i < 20; i++) cids.push(w.post(ROOM, `顺序 ${i}`));
    const ids = [];
    for (const cid of cids) {
      const a = await w.answer(cid);
      assert.equal(a.type, 'ack');
      ids.push(a.id);
    }
    assertIncreasing(ids, 'acked ids');
    const got = [];
    for (let i = 0; i < 20; i++) got.push((await li.message(ROOM)).message);
    assert.deepEqual(got.map((m) => m.id), ids);
    assert.deepEqual(got.map((m) => m.text), cids.map((_, i) => `顺序 ${i}`));
    w.drain();
    z.drain();
  });

  it('with several senders at once, every subscriber receives the messages in id order', async () => {
    const others = [await chat('teacher_sun'), await chat('admin')];
    for (const c of others) await c.joinOk(ROOM);
    const reader = await chat('expert_zhao');
    await reader.joinOk(ROOM);
    const acked = (await Promise.all([w, z, ...others].map((c) => flood(c, ROOM, 60, { window: 6 })))).flat();
    const last = Math.max(...acked);
    await reader.message(ROOM, last, 10000);
    const seen = reader.log.filter((f) => f.type === 'message').map((f) => f.message.id);
    assertIncreasing(seen, 'ids as received');
    assert.deepEqual(seen, [...acked].sort((a, b) => a - b));
    for (const c of others) c.close();
    reader.close();
    for (const c of [w, li, z]) c.drain();
  });

  // Each loop pass writes to only as many sockets as fit its time budget (16 or so); the rest
  // take the next passes, which must follow at once, not on the next unrelated event.
  it('a message reaches 80 subscribers at once, more than one loop pass writes to', async () => {
    const many = [];
    for (let i = 0; i < 80; i++) many.push(await chat('teacher_sun'));
    await Promise.all(many.map((c) => c.joinOk(ROOM)));
    const cid = w.post(ROOM, '八十位听众');
    const ack = await w.answer(cid);
    const got = await Promise.all(many.map((c) => c.message(ROOM, ack.id, 2000)));
    assert.deepEqual(got.map((f) => f.message.text), many.map(() => '八十位听众'));
    for (const c of many) c.close();
    for (const c of [w, li, z]) c.drain();
  });

  it('kind and reply_to: question and a reply are stored; a reply to no message of this room is invalid', async () => {
    const q = await w.say(ROOM, '什么是一致连续？', { kind: 'question' });
    const m = (await li.message(ROOM, q.id)).message;
    assert.equal(m.kind, 'question');
    const r = await li.say(ROOM, '请看教材第三章。', { reply_to: q.id });
    assert.equal((await w.message(ROOM, r.id)).message.reply_to, q.id);
    const admin = await chat('admin');
    await admin.joinOk('studio:3');
    const other = await admin.say('studio:3', '别的房间');
    for (const bad of [999999, other.id]) {
      const cid = w.post(ROOM, '回复', { reply_to: bad });
      const e = await w.answer(cid);
      assert.deepEqual({ ...e, message: 'x' }, { type: 'error', code: 'invalid', message: 'x', client_id: cid, room: ROOM });
      assert.equal(dbRows(`client_id = '${cid}'`).length, 0);
    }
    for (const [f, v] of [['kind', 'poll'], ['text', ''], ['text', 5], ['reply_to', 'x'], ['reply_to', 0]]) {
      const cid = clientId('bad');
      w.raw({ type: 'send', room: ROOM, client_id: cid, text: 'ok', [f]: v });
      const e = await w.answer(cid);
      assert.equal(e.type, 'error', `${f}=${JSON.stringify(v)}`);
      assert.equal(e.code, 'invalid', `${f}=${JSON.stringify(v)}`);
    }
    admin.close();
    li.drain();
    w.drain();
    z.drain();
  });

  it('client_id is 1 to 64 characters and comes back exactly, Chinese included', async () => {
    const ascii = 'a'.repeat(64);
    assert.equal((await w.say(ROOM, '64', { client_id: ascii })).ack.client_id, ascii);
    const long = 'b'.repeat(65);
    const e = await w.answer(w.post(ROOM, '65', { client_id: long }));
    assert.equal(e.code, 'invalid');
    const zh = '重'.repeat(30); // 30 characters, 90 bytes
    const cid = w.post(ROOM, '中文 client_id', { client_id: zh });
    const ack = await w.answer(cid, 3000);
    assert.deepEqual(Object.keys(ack).sort(), ['client_id', 'id', 'type']);
    assert.equal(ack.client_id, zh);
    assert.deepEqual(sqliteJson(server, `SELECT client_id FROM messages WHERE id = ${ack.id}`), [{ client_id: zh }]);
    const retry = await w.answer(w.post(ROOM, '中文 client_id', { client_id: zh }), 3000);
    assert.equal(retry.id, ack.id);
  });
});

describe('resume without gaps', () => {
  const BIG = 'studio:5'; // no other test posts here
  let admin; let ids;

  before(async () => {
    admin = await chat('admin');
    await admin.joinOk(BIG);
    ids = await flood(admin, BIG, 530, { window: 50, text: (i) => `第${i}条` });
    admin.drain();
  });

  it('join since 0 returns the oldest 500 after it with more:true; REST after= pages the rest', async () => {
    assert.equal(ids.length, 530);
    assertIncreasing(ids);
    const ex = await chat('expert_zhao');
    const j = await ex.joinOk(BIG, 0);
    assert.equal(j.history.length, 500);
    assert.equal(j.more, true);
    assert.deepEqual(j.history.map((m) => m.id), ids.slice(0, 500));
    assert.deepEqual(j.history.map((m) => m.text), ids.slice(0, 500).map((_, i) => `第${i}条`));
    j.history.forEach(assertMessageShape);
    const r = await request(server, 'GET', `/api/v1/rooms/${BIG}/messages?after=${ids[499]}&limit=200`, { cookie: s.expert_zhao.cookie });
    assert.equal(r.status, 200);
    assert.equal(r.json.room, BIG);
    assert.equal(r.json.more, false);
    assert.deepEqual(r.json.items.map((m) => m.id), ids.slice(500));
    // pages of 10 after= are oldest first and say more until the end
    const p = await request(server, 'GET', `/api/v1/rooms/${BIG}/messages?after=${ids[9]}&limit=10`, { cookie: s.expert_zhao.cookie });
    assert.deepEqual(p.json.items.map((m) => m.id), ids.slice(10, 20));
    assert.equal(p.json.more, true);
    const last = await request(server, 'GET', `/api/v1/rooms/${BIG}/messages?after=${ids[519]}&limit=10`, { cookie: s.expert_zhao.cookie });
    assert.deepEqual(last.json.items.map((m) => m.id), ids.slice(520));
    assert.equal(last.json.more, false);
    ex.close();
  });

  it('join since an id returns exactly the messages after it (more:false when ≤ 500)', async () => {
    const ex = await chat('expert_zhao');
    const j = await ex.joinOk(BIG, ids[29]);
    assert.equal(j.more, false);
    assert.deepEqual(j.history.map((m) => m.id), ids.slice(30));
    const j2 = await ex.joinOk(BIG, ids[28]); // a second join of the same room answers again
    assert.equal(j2.more, true);
    assert.deepEqual(j2.history.map((m) => m.id), ids.slice(29, 529));
    const j3 = await ex.joinOk(BIG, ids[529]);
    assert.deepEqual([j3.history, j3.more], [[], false]);
    ex.close();
  });

  it('regression: join with since beyond the newest id still receives the messages sent afterwards', async () => {
    const ex = await chat('expert_zhao');
    const j = await ex.joinOk(BIG, 2 ** 52);
    assert.deepEqual([j.history, j.more], [[], false]);
    const ad = await chat('admin');
    await ad.joinOk(BIG, 2 ** 52);
    const { id } = await ad.say(BIG, 'after a far-future since');
    const m = await ex.message(BIG, id);
    assert.equal(m.message.text, 'after a far-future since');
    ids.push(id);
    ex.close();
    ad.close();
  });

  it('REST without after is the newest page before `before`; paging back with before reaches the start', async () => {
    const get = async (q) => {
      const r = await request(server, 'GET', `/api/v1/rooms/${BIG}/messages?${q}`, { cookie: s.admin.cookie });
      assert.equal(r.status, 200, r.text);
      return r.json;
    };
    const newest = await get('');
    assert.deepEqual(newest.items.map((m) => m.id), ids.slice(-50), 'default limit 50, oldest first within the page');
    assert.equal(newest.more, true);
    const page = await get(`before=${ids[100]}&limit=30`);
    assert.deepEqual(page.items.map((m) => m.id), ids.slice(70, 100));
    assert.equal(page.more, true);
    const first = await get(`before=${ids[10]}&limit=30`);
    assert.deepEqual(first.items.map((m) => m.id), ids.slice(0, 10));
    assert.equal(first.more, false);
    const all = await fullHistory(server, s.admin, BIG);
    assert.deepEqual(all.map((m) => m.id), ids);
    for (const q of ['limit=0', 'limit=201', 'after=-1', 'before=x', 'kind=poll', 'sort=votes']) {
      const r = await request(server, 'GET', `/api/v1/rooms/${BIG}/messages?${q}`, { cookie: s.admin.cookie });
      assert.equal(r.status, 400, q);
      assert.equal(r.json.error.code, 'validation_failed', q);
    }
    const nf = await request(server, 'GET', '/api/v1/rooms/studio:999/messages', { cookie: s.admin.cookie });
    assert.equal(nf.status, 404);
  });

  it('a connection killed mid-stream resumes with since = the last id seen: every message once, in order', async () => {
    const ROOM6 = 'studio:6';
    const sender = await chat('admin');
    await sender.joinOk(ROOM6);
    let reader = await chat('expert_zhao');
    await reader.joinOk(ROOM6, 0);
    const TOTAL = 600;
    const sending = flood(sender, ROOM6, TOTAL, { window: 5, text: (i) => `流${i}` });
    const stream = []; // every message id the reader saw, across its connections, in arrival order
    const take = (c) => c.log.filter((f) => f.type === 'message' && f.room === ROOM6).map((f) => f.message.id);
    let kills = 0;
    let sentIds = null;
    sending.then((x) => { sentIds = x; });
    while (kills < 5) {
      const seenBefore = stream.length;
      // wait until this connection saw some live messages
      for (let t = 0; t < 400 && take(reader).length < 40 && !sentIds; t++) await sleep(5);
      reader.terminate();
      const live = take(reader);
      stream.push(...live);
      kills += 1;
      const since = stream.length ? stream[stream.length - 1] : 0;
      reader = await chat('expert_zhao');
      const j = await reader.joinOk(ROOM6, since);
      assert.equal(j.more, false);
      stream.push(...j.history.map((m) => m.id));
      assert.ok(stream.length >= seenBefore);
      if (sentIds) break;
    }
    const all = await sending;
    // the last connection keeps receiving until the final message
    await reader.next((f) => f.type === 'message' && f.message.id === all[all.length - 1], 10000)
      .catch(() => { /* it may have come in history */ });
    stream.push(...take(reader));
    const unique = [...new Set(stream)];
    assert.deepEqual(unique, all, `the union of what the reader saw is every message, in order (${kills} kills)`);
    assert.deepEqual(stream, all, 'and no message reached the reader twice');
    reader.close();
    sender.close();
    console.log(`# kill/resume: ${kills} kills during ${TOTAL} messages, reader saw ${stream.length} frames`);
  });

  it('joining while messages are being committed never repeats or reorders a message', async () => {
    const ROOM7 = 'studio:7';
    const senders = [await chat('admin'), await chat('admin')];
    for (const c of senders) await c.joinOk(ROOM7);
    let stop = false;
    let lastAck = 0;
    const sending = Promise.all(senders.map(async (c) => {
      let sent = 0;
      while (!stop) {
        sent += (await flood(c, ROOM7, 20, { window: 20, onAck: (a) => { lastAck = Math.max(lastAck, a.id); } })).length;
        c.drain();
      }
      return sent;
    }));
    // one reader leaves and rejoins with since over and over; on one connection the frames
    // of each subscription lie between its `joined` and the next one
    const r = await chat('expert_zhao');
    const JOINS = 150;
    for (let k = 0; k < JOINS; k++) {
      r.raw({ type: 'leave', room: ROOM7 });
      await r.joinOk(ROOM7, Math.max(0, lastAck - 10));
    }
    stop = true;
    await sending;
    await r.ping();
    const bad = [];
    let seq = null;
    let joins = 0;
    const check = () => {
      if (!seq) return;
      for (let i = 1; i < seq.length; i++) {
        if (seq[i] <= seq[i - 1]) { bad.push({ join: joins, around: seq.slice(Math.max(0, i - 3), i + 3) }); return; }
      }
    };
    for (const f of r.log) {
      if (f.type === 'joined' && f.room === ROOM7) {
        check();
        joins += 1;
        seq = f.history.map((m) => m.id);
      } else if (f.type === 'message' && f.room === ROOM7 && seq) {
        seq.push(f.message.id);
      }
    }
    check();
    assert.equal(joins, JOINS);
    assert.deepEqual(bad, [], `${bad.length} of ${joins} joins got a message both in history and live (or out of order)`);
  });
});

describe('Q&A and moderation', () => {
  let li; let w; let z; let sun; let admin;
  const upd = (c, id, pred = () => true) => c.next((f) => f.type === 'update' && f.message && f.message.id === id && pred(f.message), 5000, `update of ${id}`);

  before(async () => {
    li = await chat('master_li');
    w = await chat('teacher_wang');
    z = await chat('teacher_zhao');
    sun = await chat('teacher_sun');
    admin = await chat('admin');
    for (const c of [li, w, z, sun, admin]) await c.joinOk(ROOM);
  });

  it('upvotes: one per user; each counted vote is an update to every subscriber', async () => {
    const q = await w.say(ROOM, '洛必达法则何时不能用？', { kind: 'question' });
    z.raw({ type: 'upvote', room: ROOM, message_id: q.id });
    for (const c of [li, w, z, sun, admin]) {
      const u = await upd(c, q.id);
      assert.deepEqual(Object.keys(u).sort(), ['message', 'room', 'type']);
      assert.equal(u.room, ROOM);
      assert.equal(u.message.upvotes, 1);
      assert.equal(u.message.kind, 'question');
      assert.equal(u.message.text, '洛必达法则何时不能用？');
      assertMessageShape(u.message);
    }
    z.raw({ type: 'upvote', room: ROOM, message_id: q.id }); // again: no change, no update
    sun.raw({ type: 'upvote', room: ROOM, message_id: q.id });
    assert.equal((await upd(li, q.id)).message.upvotes, 2, 'the next update is sun\'s vote, not a second one by zhao');
    await z.ping();
    assert.equal(z.log.filter((f) => f.type === 'error').length, 0, 'a repeated vote is not an error');
    assert.deepEqual(sqliteJson(server, `SELECT user_id FROM message_votes WHERE message_id = ${q.id} ORDER BY user_id`),
      [{ user_id: s.teacher_zhao.user.id }, { user_id: s.teacher_sun.user.id }]);
    const h = await fullHistory(server, s.master_li, ROOM);
    assert.equal(h.find((m) => m.id === q.id).upvotes, 2);
    for (const c of [w, z, sun, admin]) c.drain();
  });

  it('only questions take votes; a missing message is not_found', async () => {
    const chatMsg = await w.say(ROOM, '普通发言');
    z.raw({ type: 'upvote', room: ROOM, message_id: chatMsg.id });
    const e = await z.next((f) => f.type === 'error');
    assert.equal(e.code, 'invalid');
    z.raw({ type: 'upvote', room: ROOM, message_id: 99999999 });
    assert.equal((await z.next((f) => f.type === 'error')).code, 'not_found');
    for (const c of [li, w, z, sun, admin]) c.drain();
  });

  it('the host marks answered, pins and unpins; an admin moderates too; every change is an update and in history', async () => {
    const q = await z.say(ROOM, '定积分的几何意义如何讲？', { kind: 'question' });
    li.raw({ type: 'moderate', room: ROOM, action: 'answered', message_id: q.id });
    for (const c of [li, w, z, sun, admin]) assert.equal((await upd(c, q.id)).message.answered, true);
    li.raw({ type: 'moderate', room: ROOM, action: 'pin', message_id: q.id });
    for (const c of [li, w, z]) assert.equal((await upd(c, q.id)).message.pinned, true);
    admin.raw({ type: 'moderate', room: ROOM, action: 'unpin', message_id: q.id });
    for (const c of [li, w, z]) assert.equal((await upd(c, q.id)).message.pinned, false);
    admin.raw({ type: 'moderate', room: ROOM, action: 'pin', message_id: q.id });
    const last = await upd(w, q.id);
    assert.deepEqual({ ...last.message, created_at: 'x' }, {
      id: q.id, room: ROOM, user: { id: s.teacher_zhao.user.id, name: '赵一鸣', role: 'teacher' }, kind: 'question',
      text: '定积分的几何意义如何讲？', reply_to: null, created_at: 'x', upvotes: 0, pinned: true, answered: true, deleted: false,
    });
    const h = (await fullHistory(server, s.teacher_sun, ROOM)).find((m) => m.id === q.id);
    assert.deepEqual(h, last.message);
    // answered is for questions only
    const c = await w.say(ROOM, '不是问题');
    li.raw({ type: 'moderate', room: ROOM, action: 'answered', message_id: c.id });
    assert.equal((await li.next((f) => f.type === 'error')).code, 'invalid');
    for (const x of [li, w, z, sun, admin]) x.drain();
  });

  it('teachers cannot moderate (forbidden) and nothing changes', async () => {
    const q = await sun.say(ROOM, '老师能置顶吗？', { kind: 'question' });
    for (const action of ['pin', 'answered', 'delete']) {
      w.raw({ type: 'moderate', room: ROOM, action, message_id: q.id });
      const e = await w.next((f) => f.type === 'error');
      assert.equal(e.code, 'forbidden', action);
      assert.equal(e.room, ROOM);
    }
    w.raw({ type: 'moderate', room: ROOM, action: 'mute', user_id: s.teacher_zhao.user.id });
    assert.equal((await w.next((f) => f.type === 'error')).code, 'forbidden');
    await li.ping();
    assert.deepEqual(li.peek((f) => f.type === 'update'), []);
    assert.deepEqual(sqliteJson(server, `SELECT pinned, answered, deleted FROM messages WHERE id = ${q.id}`), [{ pinned: 0, answered: 0, deleted: 0 }]);
    assert.deepEqual(sqliteJson(server, "SELECT count(*) AS n FROM room_mutes"), [{ n: 0 }]);
    for (const x of [li, w, z, sun, admin]) x.drain();
  });

  it('delete leaves a tombstone (text "" and deleted true) in the update, REST history and join history', async () => {
    const m = await w.say(ROOM, '这条消息将被删除：秘密口令', { kind: 'question' });
    li.raw({ type: 'moderate', room: ROOM, action: 'pin', message_id: m.id });
    await upd(z, m.id);
    li.raw({ type: 'moderate', room: ROOM, action: 'delete', message_id: m.id });
    for (const c of [li, w, z, sun, admin]) {
      const u = await upd(c, m.id, (x) => x.deleted);
      assert.equal(u.message.text, '');
      assert.equal(u.message.deleted, true);
      assert.equal(u.message.pinned, false);
      assert.equal(u.message.id, m.id);
    }
    const h = (await fullHistory(server, s.teacher_zhao, ROOM)).find((x) => x.id === m.id);
    assert.equal(h.text, '');
    assert.equal(h.deleted, true);
    const fresh = await chat('teacher_sun');
    const j = await fresh.joinOk(ROOM, m.id - 1);
    assert.equal(j.history[0].id, m.id);
    assert.equal(j.history[0].text, '');
    assert.equal(j.history[0].deleted, true);
    fresh.close();
    assert.deepEqual(sqliteJson(server, `SELECT text, deleted FROM messages WHERE id = ${m.id}`), [{ text: '', deleted: 1 }]);
    // a deleted question takes no votes and no pin
    z.raw({ type: 'upvote', room: ROOM, message_id: m.id });
    assert.equal((await z.next((f) => f.type === 'error')).code, 'invalid');
    li.raw({ type: 'moderate', room: ROOM, action: 'pin', message_id: m.id });
    assert.equal((await li.next((f) => f.type === 'error')).code, 'invalid');
    for (const x of [li, w, z, sun, admin]) x.drain();
  });

  it('mute and unmute: an update {user:{id}, muted} to all; a muted user\'s send is error muted with client_id', async () => {
    const zid = s.teacher_zhao.user.id;
    li.raw({ type: 'moderate', room: ROOM, action: 'mute', user_id: zid });
    for (const c of [li, w, z, sun, admin]) {
      assert.deepEqual(await c.next((f) => f.type === 'update' && f.user), { type: 'update', room: ROOM, user: { id: zid }, muted: true });
    }
    const cid = z.post(ROOM, '我被禁言了吗');
    const e = await z.answer(cid);
    assert.deepEqual({ ...e, message: 'x' }, { type: 'error', code: 'muted', message: 'x', client_id: cid, room: ROOM });
    assert.equal(dbRows(`client_id = '${cid}'`).length, 0);
    // others still post
    const ok = await w.say(ROOM, '我没有被禁言');
    await z.message(ROOM, ok.id); // the muted user still reads
    admin.raw({ type: 'moderate', room: ROOM, action: 'unmute', user_id: zid });
    for (const c of [li, z]) {
      assert.deepEqual(await c.next((f) => f.type === 'update' && f.user), { type: 'update', room: ROOM, user: { id: zid }, muted: false });
    }
    const back = await z.say(ROOM, '解除禁言了');
    await li.message(ROOM, back.id);
    for (const x of [li, w, z, sun, admin]) x.drain();
  });

  it('GET ?kind=question&sort=upvotes lists the questions by votes (ties oldest first)', async () => {
    const qa = await w.say(ROOM, '问题甲', { kind: 'question' });
    const qb = await w.say(ROOM, '问题乙', { kind: 'question' });
    const qc = await w.say(ROOM, '问题丙', { kind: 'question' });
    for (const [c, id] of [[z, qb.id], [sun, qb.id], [li, qb.id], [z, qc.id]]) {
      c.raw({ type: 'upvote', room: ROOM, message_id: id });
      await upd(c, id);
    }
    const all = await fullHistory(server, s.teacher_wang, ROOM);
    const questions = all.filter((m) => m.kind === 'question');
    const expected = [...questions].sort((a, b) => b.upvotes - a.upvotes || a.id - b.id).map((m) => m.id);
    const r = await request(server, 'GET', `/api/v1/rooms/${ROOM}/messages?kind=question&sort=upvotes&limit=200`, { cookie: s.teacher_wang.cookie });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.items.map((m) => m.id), expected);
    assert.ok(r.json.items.every((m) => m.kind === 'question'));
    assert.equal(r.json.items[0].id, qb.id);
    assert.equal(r.json.items[0].upvotes, 3);
    const pos = (id) => r.json.items.findIndex((m) => m.id === id);
    assert.ok(pos(qc.id) < pos(qa.id));
    const plain = await request(server, 'GET', `/api/v1/rooms/${ROOM}/messages?kind=question&limit=200`, { cookie: s.teacher_wang.cookie });
    assert.deepEqual(plain.json.items.map((m) => m.id), questions.map((m) => m.id));
    for (const x of [li, w, z, sun, admin]) x.drain();
  });

  it('GET ?kind=chat (accepted by the API) lists chat messages only', async () => {
    const all = await fullHistory(server, s.teacher_wang, ROOM);
    const r = await request(server, 'GET', `/api/v1/rooms/${ROOM}/messages?kind=chat&limit=200`, { cookie: s.teacher_wang.cookie });
    assert.equal(r.status, 200, r.text);
    assert.ok(all.some((m) => m.kind === 'question'));
    assert.deepEqual(r.json.items.map((m) => m.kind).filter((k) => k !== 'chat'), [], 'no questions under kind=chat');
    assert.deepEqual(r.json.items.map((m) => m.id), all.filter((m) => m.kind === 'chat').slice(-200).map((m) => m.id));
  });
});

describe('large answers', () => {
  const ROOM8 = 'studio:8'; // no other test posts here

  it('a history page of many TLS records arrives whole, and the connection then serves the next request', async () => {
    const admin = await chat('admin');
    await admin.joinOk(ROOM8);
    const text = (i) => `${i}`.padEnd(4000, '名'); // the longest message: 4 000 characters
    const ids = await flood(admin, ROOM8, 40, { window: 10, text });
    admin.drain();
    const agent = keepAliveAgent(server);
    try {
      const r = await request(server, 'GET', `/api/v1/rooms/${ROOM8}/messages?limit=40`, { cookie: s.expert_zhao.cookie, agent });
      assert.equal(r.status, 200);
      assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.text));
      assert.ok(Buffer.byteLength(r.text) > 25 * 16384, `${Buffer.byteLength(r.text)} bytes`);
      assert.deepEqual(r.json.items.map((m) => m.id), ids);
      assert.deepEqual(r.json.items.map((m) => m.text), ids.map((_, i) => text(i)));
      const small = await request(server, 'GET', `/api/v1/rooms/${ROOM8}/messages?limit=1`, { cookie: s.expert_zhao.cookie, agent });
      assert.equal(small.status, 200);
      assert.deepEqual(small.json.items.map((m) => m.id), ids.slice(-1));
      assert.equal(small.json.more, true);
    } finally { agent.destroy(); }
  });
});
