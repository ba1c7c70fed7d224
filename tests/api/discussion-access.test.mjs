// The discussion hub (DESIGN §7, issue 4): who may read, post and moderate a studio room,
// access ending on open connections, presence and typing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request, sqliteJson, waitFor, wsConnect } from './helpers.mjs';
import { Chat, FAST, RFC3339, clientId, disposeClean, signIn, sleep, startWithConfig } from './chat-helpers.mjs';

const ROOM = 'studio:1';
let server;
let s; // sessions by username
const open = [];

async function chat(username) {
  const c = await Chat.open(server, s[username]);
  open.push(c);
  return c;
}

// The error frame for room, with exactly these keys.
function assertRoomError(f, code, room, clientId) {
  assert.equal(f.type, 'error', JSON.stringify(f));
  assert.equal(f.code, code, JSON.stringify(f));
  assert.equal(f.room, room, JSON.stringify(f));
  assert.equal(typeof f.message, 'string');
  assert.ok(f.message.length > 0);
  const keys = ['code', 'message', 'room', 'type'];
  if (clientId !== undefined) keys.unshift('client_id');
  assert.deepEqual(Object.keys(f).sort(), keys, JSON.stringify(f));
  if (clientId !== undefined) assert.equal(f.client_id, clientId);
}

const roomFrames = (c, room = ROOM) => c.log.filter((f) => f.room === room);

before(async () => {
  server = await startWithConfig(FAST);
  s = await signIn(server, ['admin', 'master_li', 'teacher_wang', 'teacher_zhao', 'teacher_sun',
    'teacher_qian', 'expert_zhao', 'master_liu', 'zzu_admin', 'master_zhang']);
});

after(async () => {
  for (const c of open) c.terminate();
  if (server) await disposeClean(server);
});

describe('who may join studio:1', () => {
  it('its master, approved members, admins and experts get `joined`', async () => {
    for (const u of ['master_li', 'teacher_wang', 'teacher_zhao', 'teacher_sun', 'admin', 'expert_zhao']) {
      const c = await chat(u);
      const j = await c.joinOk(ROOM, 0);
      assert.deepEqual(Object.keys(j).sort(), ['history', 'members', 'more', 'room', 'type']);
      assert.equal(j.room, ROOM);
      assert.equal(j.more, false);
      assert.ok(Array.isArray(j.history));
      assert.ok(j.members.some((m) => m.id === s[u].user.id), `${u} among the members present`);
      const r = await request(server, 'GET', `/api/v1/rooms/${ROOM}/messages`, { cookie: s[u].cookie });
      assert.equal(r.status, 200, `${u} reads the history over REST: ${r.text}`);
      c.close();
    }
  });

  it('a pending applicant, another master, another master of the same university and a university admin get error forbidden', async () => {
    const li = await chat('master_li');
    await li.joinOk(ROOM);
    for (const u of ['teacher_qian', 'master_liu', 'master_zhang', 'zzu_admin']) {
      const c = await chat(u);
      assertRoomError(await c.join(ROOM), 'forbidden', ROOM);
      const r = await request(server, 'GET', `/api/v1/rooms/${ROOM}/messages`, { cookie: s[u].cookie });
      assert.equal(r.status, 403, `${u} over REST: ${r.text}`);
      assert.equal(r.json.error.code, 'forbidden');
      // not subscribed: a message posted now does not reach them
      await li.say(ROOM, `不给${u}看`);
      await c.ping();
      assert.deepEqual(c.log.filter((f) => f.type === 'message'), [], `${u} got a message of a room it may not read`);
      // and it cannot post either
      const cid = c.post(ROOM, 'x');
      assertRoomError(await c.answer(cid), 'invalid', ROOM, cid); // join first
      c.close();
    }
    li.close();
  });

  it('a room that does not exist is not_found; a malformed room name is invalid', async () => {
    const c = await chat('admin');
    assertRoomError(await c.join('studio:999'), 'not_found', 'studio:999');
    const t = await chat('teacher_wang'); // refused first, then told why: there is no such room
    assertRoomError(await t.join('studio:999'), 'not_found', 'studio:999');
    assertRoomError(await t.join('studio:2'), 'forbidden', 'studio:2');
    t.close();
    for (const room of ['studio:0', 'studio:abc', 'studio:01', 'lobby:1', 'studio', 'studio:1 ']) {
      c.raw({ type: 'join', room });
      const f = await c.next((m) => m.type === 'error');
      assert.equal(f.code, 'invalid', `${room}: ${JSON.stringify(f)}`);
    }
    await c.ping();
    c.close();
  });
});

describe('experts read studio rooms only', () => {
  it('an expert receives the room but send, typing, upvote and moderate are forbidden', async () => {
    const li = await chat('master_li');
    const ex = await chat('expert_zhao');
    await li.joinOk(ROOM);
    await ex.joinOk(ROOM);
    const q = await li.say(ROOM, '专家可以看到这个问题吗？', { kind: 'question' });
    await ex.message(ROOM, q.id);

    const cid = ex.post(ROOM, '专家发言');
    assertRoomError(await ex.answer(cid), 'forbidden', ROOM, cid);
    ex.raw({ type: 'typing', room: ROOM });
    assertRoomError(await ex.next((f) => f.type === 'error'), 'forbidden', ROOM);
    ex.raw({ type: 'upvote', room: ROOM, message_id: q.id });
    assertRoomError(await ex.next((f) => f.type === 'error'), 'forbidden', ROOM);
    ex.raw({ type: 'moderate', room: ROOM, action: 'pin', message_id: q.id });
    assertRoomError(await ex.next((f) => f.type === 'error'), 'forbidden', ROOM);

    // still subscribed: the next message reaches the expert; nothing of theirs was stored
    const m = await li.say(ROOM, '专家仍在房间里');
    await ex.message(ROOM, m.id);
    await li.ping();
    assert.deepEqual(li.log.filter((f) => f.type === 'typing' || (f.type === 'message' && f.message.user.id === s.expert_zhao.user.id)), []);
    const stored = sqliteJson(server, `SELECT count(*) AS n FROM messages WHERE user_id = ${s.expert_zhao.user.id}`);
    assert.deepEqual(stored, [{ n: 0 }]);
    const votes = sqliteJson(server, `SELECT upvotes, pinned FROM messages WHERE id = ${q.id}`);
    assert.deepEqual(votes, [{ upvotes: 0, pinned: 0 }]);
    li.close();
    ex.close();
  });
});

describe('presence', () => {
  it('joined.members lists each present user once; presence join/leave goes to others on the first join and last leave', async () => {
    const li = await chat('master_li');
    await li.joinOk(ROOM);
    const w1 = await chat('teacher_wang');
    const j1 = await w1.joinOk(ROOM);
    const wang = { id: s.teacher_wang.user.id, name: '王晓雨', role: 'teacher' };
    const liUser = { id: s.master_li.user.id, name: '李明华', role: 'master' };
    const ids = (j) => j.members.map((m) => m.id).sort((a, b) => a - b);
    assert.deepEqual(ids(j1), [liUser.id, wang.id].sort((a, b) => a - b));
    assert.deepEqual(j1.members.find((m) => m.id === wang.id), wang);
    assert.deepEqual(j1.members.find((m) => m.id === liUser.id), liUser);
    assert.deepEqual(await li.next((f) => f.type === 'presence'), { type: 'presence', room: ROOM, user: wang, state: 'join' });

    // a second connection of the same user: listed once, no second presence event
    const w2 = await chat('teacher_wang');
    const j2 = await w2.joinOk(ROOM);
    assert.deepEqual(ids(j2), [liUser.id, wang.id].sort((a, b) => a - b));
    const zhao = await chat('teacher_zhao');
    const j3 = await zhao.joinOk(ROOM);
    assert.equal(j3.members.length, 3, JSON.stringify(j3.members));
    assert.equal(new Set(j3.members.map((m) => m.id)).size, 3);
    await li.next((f) => f.type === 'presence' && f.user.id === s.teacher_zhao.user.id && f.state === 'join');
    await li.ping();
    assert.deepEqual(li.peek((f) => f.type === 'presence'), [], 'no presence event for the second connection');
    // the joiner is not told about itself
    await w1.ping();
    await w2.ping();
    assert.deepEqual([...w1.log, ...w2.log].filter((f) => f.type === 'presence' && f.user.id === wang.id), []);

    // one of the two leaves: still present
    w1.raw({ type: 'leave', room: ROOM });
    await w1.ping();
    await li.ping();
    assert.deepEqual(li.peek((f) => f.type === 'presence'), [], 'no leave while another connection is present');
    // a message after leaving does not reach the left connection
    const m = await li.say(ROOM, '离开后不应收到');
    await w2.message(ROOM, m.id);
    await w1.ping();
    assert.equal(w1.log.filter((f) => f.type === 'message' && f.message.id === m.id).length, 0);

    // the last one disconnects: leave to the others
    w2.terminate();
    assert.deepEqual(await li.next((f) => f.type === 'presence'), { type: 'presence', room: ROOM, user: wang, state: 'leave' });
    assert.deepEqual(await zhao.next((f) => f.type === 'presence' && f.user.id === wang.id && f.state === 'leave'),
      { type: 'presence', room: ROOM, user: wang, state: 'leave' });
    const j4 = await (await chat('admin')).joinOk(ROOM);
    assert.deepEqual(ids(j4), [1, liUser.id, s.teacher_zhao.user.id].sort((a, b) => a - b));
    w1.close();
    zhao.close();
    li.close();
  });

  it('every join is an interval in table presence, closed at leave or disconnect', async () => {
    const sun = s.teacher_sun.user.id;
    const before = sqliteJson(server, `SELECT count(*) AS n FROM presence WHERE user_id = ${sun} AND room = '${ROOM}'`)[0].n;
    const a = await chat('teacher_sun');
    const b = await chat('teacher_sun');
    await a.joinOk(ROOM);
    await b.joinOk(ROOM);
    const openRows = await waitFor(() => {
      const rows = sqliteJson(server, `SELECT joined_at, left_at FROM presence WHERE user_id = ${sun} AND room = '${ROOM}' ORDER BY id`);
      return rows.length === before + 2 ? rows : null;
    }, { what: 'two presence rows' });
    assert.equal(openRows[before].left_at, null);
    assert.equal(openRows[before + 1].left_at, null);
    a.raw({ type: 'leave', room: ROOM });
    b.terminate();
    const rows = await waitFor(() => {
      const r = sqliteJson(server, `SELECT joined_at, left_at FROM presence WHERE user_id = ${sun} AND room = '${ROOM}' ORDER BY id`);
      return r.slice(before).every((x) => x.left_at) ? r.slice(before) : null;
    }, { what: 'left_at set' });
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.match(r.joined_at, RFC3339);
      assert.match(r.left_at, RFC3339);
      assert.ok(r.left_at >= r.joined_at, JSON.stringify(r));
    }
    a.close();
  });
});

describe('typing', () => {
  it('goes to the others only, at most one per user per 3 s', async () => {
    const w = await chat('teacher_wang');
    const li = await chat('master_li');
    const zhao = await chat('teacher_zhao');
    for (const c of [w, li, zhao]) await c.joinOk(ROOM);
    for (let i = 0; i < 5; i++) w.raw({ type: 'typing', room: ROOM });
    const expected = { type: 'typing', room: ROOM, user: { id: s.teacher_wang.user.id, name: '王晓雨', role: 'teacher' } };
    assert.deepEqual(await li.next((f) => f.type === 'typing'), expected);
    assert.deepEqual(await zhao.next((f) => f.type === 'typing'), expected);
    await sleep(200);
    for (const c of [w, li, zhao]) await c.ping();
    assert.equal(li.log.filter((f) => f.type === 'typing').length, 1, 'five quick typings → one event');
    assert.equal(zhao.log.filter((f) => f.type === 'typing').length, 1);
    assert.equal(w.log.filter((f) => f.type === 'typing').length, 0, 'not echoed to the typist');
    assert.equal(w.log.filter((f) => f.type === 'error').length, 0, 'dropped typings are not errors');

    // after 3 s another one goes through
    await sleep(3050);
    w.raw({ type: 'typing', room: ROOM });
    assert.deepEqual(await li.next((f) => f.type === 'typing', 2000), expected);
    w.close();
    li.close();
    zhao.close();
  });

  it('the 3 s limit is per user, not per connection', async () => {
    const w1 = await chat('teacher_sun');
    const w2 = await chat('teacher_sun');
    const li = await chat('master_li');
    for (const c of [w1, w2, li]) await c.joinOk(ROOM);
    w1.raw({ type: 'typing', room: ROOM });
    w2.raw({ type: 'typing', room: ROOM });
    await li.next((f) => f.type === 'typing');
    await sleep(200);
    await w1.ping();
    await w2.ping();
    await li.ping();
    assert.equal(li.log.filter((f) => f.type === 'typing').length, 1,
      'two connections of one user typing at once → one typing event within 3 s');
    w1.close();
    w2.close();
    li.close();
  });

  it('typing in a room not joined is invalid', async () => {
    const w = await chat('teacher_wang');
    w.raw({ type: 'typing', room: ROOM });
    assertRoomError(await w.next((f) => f.type === 'error'), 'invalid', ROOM);
    w.close();
  });
});

describe('access ends at once on open connections', () => {
  it('a mute refuses the very next send, though the sender had just posted; a mute written by another process counts within a second', async () => {
    const li = await chat('master_li');
    const sun = await chat('teacher_sun');
    const sid = s.teacher_sun.user.id;
    await li.joinOk(ROOM);
    await sun.joinOk(ROOM);
    await sun.say(ROOM, '禁言之前');
    li.raw({ type: 'moderate', room: ROOM, action: 'mute', user_id: sid });
    await sun.next((f) => f.type === 'update' && f.user && f.muted === true);
    const cid = sun.post(ROOM, '禁言之后');
    assert.equal((await sun.answer(cid)).code, 'muted');
    li.raw({ type: 'moderate', room: ROOM, action: 'unmute', user_id: sid });
    await sun.next((f) => f.type === 'update' && f.user && f.muted === false);
    await sun.say(ROOM, '解除之后');
    // a write the server did not make itself (here the sqlite3 tool) is seen after at most 1 s
    sqliteJson(server, `INSERT INTO room_mutes VALUES ('${ROOM}', ${sid}, ${s.master_li.user.id}, '2026-01-01T00:00:00Z')`);
    await sleep(1100);
    const cid2 = sun.post(ROOM, '外部禁言之后');
    assert.equal((await sun.answer(cid2)).code, 'muted');
    sqliteJson(server, `DELETE FROM room_mutes WHERE user_id = ${sid}`);
    await sun.say(ROOM, '外部解除之后');
    assert.equal(sqliteJson(server, `SELECT count(*) AS n FROM messages WHERE client_id IN ('${cid}', '${cid2}')`)[0].n, 0);
    li.close();
    sun.close();
  });

  it('a member who leaves the studio gets error forbidden for the room and no more of its messages', async () => {
    const li = await chat('master_li');
    await li.joinOk(ROOM);
    const w1 = await chat('teacher_wang');
    const w2 = await chat('teacher_wang');
    await w1.joinOk(ROOM);
    await w2.joinOk(ROOM);
    const m0 = await li.say(ROOM, '离开之前');
    await w1.message(ROOM, m0.id);
    await w2.message(ROOM, m0.id);

    const r = await request(server, 'DELETE', `/api/v1/studios/1/members/${s.teacher_wang.user.id}`,
      { cookie: s.teacher_wang.cookie, csrf: s.teacher_wang.csrf });
    assert.equal(r.status, 200, r.text);
    for (const w of [w1, w2]) {
      const f = await w.next((x) => x.type === 'error');
      assertRoomError(f, 'forbidden', ROOM);
    }
    await li.next((f) => f.type === 'presence' && f.state === 'leave' && f.user.id === s.teacher_wang.user.id);

    const m1 = await li.say(ROOM, '离开之后');
    const m2 = await li.say(ROOM, '离开之后二', { kind: 'question' });
    li.raw({ type: 'moderate', room: ROOM, action: 'pin', message_id: m0.id });
    await li.next((f) => f.type === 'update' && f.message.id === m0.id);
    for (const w of [w1, w2]) {
      await w.ping();
      const after = w.log.slice(w.log.findIndex((f) => f.type === 'error' && f.code === 'forbidden') + 1);
      assert.deepEqual(after.filter((f) => f.room === ROOM), [], 'nothing of the room after the revocation');
      assert.equal(w.ws.readyState, 1, 'the connection stays open');
    }
    assert.ok(m2.id > m1.id);
    // sending, rejoining and REST are refused too
    const cid = w1.post(ROOM, '还能发吗');
    const f = await w1.answer(cid);
    assert.equal(f.type, 'error');
    assert.ok(['invalid', 'forbidden'].includes(f.code), JSON.stringify(f));
    assertRoomError(await w2.join(ROOM), 'forbidden', ROOM);
    const h = await request(server, 'GET', `/api/v1/rooms/${ROOM}/messages`, { cookie: s.teacher_wang.cookie });
    assert.equal(h.status, 403);
    assert.equal(sqliteJson(server, `SELECT count(*) AS n FROM messages WHERE client_id = '${cid}'`)[0].n, 0);
    li.close();
  });

  it('a member removed by the master gets error forbidden at once', async () => {
    const li = await chat('master_li');
    await li.joinOk(ROOM);
    const z = await chat('teacher_zhao');
    await z.joinOk(ROOM);
    const r = await request(server, 'DELETE', `/api/v1/studios/1/members/${s.teacher_zhao.user.id}`,
      { cookie: s.master_li.cookie, csrf: s.master_li.csrf });
    assert.equal(r.status, 200, r.text);
    assertRoomError(await z.next((x) => x.type === 'error'), 'forbidden', ROOM);
    const m = await li.say(ROOM, '移除之后');
    await z.ping();
    assert.equal(z.log.filter((f) => f.type === 'message' && f.message.id === m.id).length, 0);
    assert.deepEqual(roomFrames(z).filter((f) => f.type !== 'joined' && f.type !== 'error'), []);
    li.close();
  });

  it('a user disabled by an admin has their socket closed with 1008 and cannot reconnect', async () => {
    const sun = await chat('teacher_sun');
    await sun.joinOk(ROOM);
    const r = await request(server, 'PATCH', `/api/v1/users/${s.teacher_sun.user.id}`,
      { cookie: s.admin.cookie, csrf: s.admin.csrf, body: { disabled: true } });
    assert.equal(r.status, 200, r.text);
    const c = await sun.closed();
    assert.equal(c.code, 1008);
    const again = await wsConnect(server, { cookie: s.teacher_sun.cookie });
    assert.equal(again.status, 401);
    assert.equal(sqliteJson(server, `SELECT count(*) AS n FROM presence WHERE user_id = ${s.teacher_sun.user.id} AND left_at IS NULL`)[0].n, 0,
      'the closed socket left the room');
  });

  it('a master replaced as the studio\'s master loses the room at once', async () => {
    const created = await request(server, 'POST', '/api/v1/users', {
      cookie: s.admin.cookie, csrf: s.admin.csrf,
      body: { username: 'master_new', name: '新名师', role: 'master', university_id: 1 },
    });
    assert.equal(created.status, 201, created.text);
    const li = await chat('master_li');
    const a = await chat('admin');
    await li.joinOk(ROOM);
    await a.joinOk(ROOM);
    const r = await request(server, 'PATCH', '/api/v1/studios/1', {
      cookie: s.admin.cookie, csrf: s.admin.csrf, body: { master_id: created.json.id },
    });
    assert.equal(r.status, 200, r.text);
    const m = await a.say(ROOM, '换了名师之后');
    await a.message(ROOM, m.id);
    await li.ping();
    assert.equal(li.log.filter((f) => f.type === 'message' && f.message.id === m.id).length, 0,
      'the former master still receives the room');
    assert.ok(li.log.some((f) => f.type === 'error' && f.code === 'forbidden' && f.room === ROOM), 'error forbidden for the room');
    assertRoomError(await li.join(ROOM), 'forbidden', ROOM);
  });
});

describe('frames that need a joined room', () => {
  it('send, upvote and moderate in a room not joined are invalid (echoing client_id for send)', async () => {
    const a = await chat('admin');
    const cid = clientId('nj');
    a.post(ROOM, 'x', { client_id: cid });
    assertRoomError(await a.answer(cid), 'invalid', ROOM, cid);
    a.raw({ type: 'upvote', room: ROOM, message_id: 1 });
    assertRoomError(await a.next((f) => f.type === 'error'), 'invalid', ROOM);
    a.raw({ type: 'moderate', room: ROOM, action: 'pin', message_id: 1 });
    assertRoomError(await a.next((f) => f.type === 'error'), 'invalid', ROOM);
    await a.ping();
    a.close();
  });
});
