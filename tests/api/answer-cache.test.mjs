// Kept answers (api/cache.h): a history page or the studio list is served as kept only while
// the database is unchanged, so every answer is the one the handler would build now, and the
// access check still runs first.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request, sqlite, sqliteJson, waitFor } from './helpers.mjs';
import { Chat, FAST, disposeClean, metric, signIn, startWithConfig } from './chat-helpers.mjs';

const ROOM = 'studio:1';
const PAGE = `/api/v1/rooms/${encodeURIComponent(ROOM)}/messages?limit=5`;

async function counts(server) {
  return { hits: await metric(server, 'mingshi_answer_cache_hits_total'), misses: await metric(server, 'mingshi_answer_cache_misses_total') };
}

// Waits until the writer's search-index chore has caught up (its commit changes the database).
async function indexed(server) {
  await waitFor(() => sqliteJson(server, 'SELECT (SELECT max(id) FROM messages) - indexed_upto AS lag FROM search_progress')[0].lag === 0,
    { what: 'the search index to catch up' });
  await new Promise((r) => setTimeout(r, 50));
}

// GETs path as who and returns the answer with how the cache counters moved.
async function getCounted(server, s, who, path) {
  const c0 = await counts(server);
  const r = await request(server, 'GET', path, { cookie: s[who].cookie });
  const c1 = await counts(server);
  return { r, hit: c1.hits - c0.hits, miss: c1.misses - c0.misses };
}

describe('kept answers', () => {
  let server; let s; let li;

  before(async () => {
    server = await startWithConfig(FAST);
    s = await signIn(server, ['admin', 'master_li', 'teacher_wang', 'teacher_qian']);
    li = await Chat.open(server, s.master_li);
    await li.joinOk(ROOM);
  });

  after(async () => {
    if (li) li.terminate();
    if (server) await disposeClean(server);
  });

  it('a history page asked twice is built once, then served as kept, byte for byte', async () => {
    for (let i = 1; i <= 6; i++) await li.say(ROOM, `缓存第${i}条`);
    await indexed(server); // the search index's own commit would otherwise retire the page between the two asks
    const first = await getCounted(server, s, 'teacher_wang', PAGE);
    assert.equal(first.r.status, 200);
    assert.deepEqual(first.r.json.items.map((m) => m.text), [2, 3, 4, 5, 6].map((i) => `缓存第${i}条`));
    assert.deepEqual([first.hit, first.miss], [0, 1]);
    const again = await getCounted(server, s, 'master_li', PAGE);
    assert.deepEqual([again.hit, again.miss], [1, 0]);
    assert.equal(again.r.text, first.r.text);
    assert.equal(again.r.headers['content-type'], 'application/json; charset=utf-8');
    // another page of the same room is its own answer
    const other = await getCounted(server, s, 'teacher_wang', `/api/v1/rooms/${encodeURIComponent(ROOM)}/messages?limit=4`);
    assert.deepEqual([other.hit, other.miss], [0, 1]);
    assert.deepEqual(other.r.json.items, first.r.json.items.slice(1));
  });

  it('a message acked a moment ago is on the next page: a commit retires every kept answer', async () => {
    await request(server, 'GET', PAGE, { cookie: s.teacher_wang.cookie });
    const { id } = await li.say(ROOM, '缓存之后的新消息');
    const { r, hit, miss } = await getCounted(server, s, 'teacher_wang', PAGE);
    assert.deepEqual([hit, miss], [0, 1]);
    assert.equal(r.json.items.at(-1).id, id);
    assert.equal(r.json.items.at(-1).text, '缓存之后的新消息');
  });

  it('a pin, and a rename of the author, show on the next page', async () => {
    const { id } = await li.say(ROOM, '请置顶');
    assert.equal((await request(server, 'GET', PAGE, { cookie: s.teacher_wang.cookie })).json.items.at(-1).pinned, false);
    li.raw({ type: 'moderate', room: ROOM, action: 'pin', message_id: id });
    await li.next((f) => f.type === 'update' && f.message && f.message.id === id);
    let r = await request(server, 'GET', PAGE, { cookie: s.teacher_wang.cookie });
    assert.equal(r.json.items.at(-1).pinned, true);
    const ren = await request(server, 'PATCH', `/api/v1/users/${s.master_li.user.id}`,
      { cookie: s.admin.cookie, csrf: s.admin.csrf, body: { name: '李明华（改名）' } });
    assert.equal(ren.status, 200, ren.text);
    r = await request(server, 'GET', PAGE, { cookie: s.teacher_wang.cookie });
    assert.equal(r.json.items.at(-1).user.name, '李明华（改名）');
  });

  it('a change made by another process (the sqlite3 tool) shows too', async () => {
    const before = await request(server, 'GET', PAGE, { cookie: s.teacher_wang.cookie });
    const last = before.json.items.at(-1);
    sqlite(server, `UPDATE messages SET text = '外部修改' WHERE id = ${last.id}`);
    const r = await request(server, 'GET', PAGE, { cookie: s.teacher_wang.cookie });
    assert.equal(r.json.items.at(-1).text, '外部修改');
  });

  it('a user who may not read the room is refused even while the page is kept', async () => {
    const ok = await request(server, 'GET', PAGE, { cookie: s.teacher_wang.cookie });
    assert.equal(ok.status, 200);
    const { r, hit } = await getCounted(server, s, 'teacher_qian', PAGE); // a pending applicant
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'forbidden');
    assert.equal(hit, 0);
    assert.equal((await request(server, 'GET', PAGE)).status, 401);
  });

  it('the studio list is kept too, and a studio renamed shows at once', async () => {
    await indexed(server);
    const first = await getCounted(server, s, 'teacher_wang', '/api/v1/studios?sort=name');
    const again = await getCounted(server, s, 'admin', '/api/v1/studios?sort=name');
    assert.deepEqual([first.miss, again.hit], [1, 1]);
    assert.equal(again.r.text, first.r.text);
    // a query that differs only in a filter value is another answer
    const q = await getCounted(server, s, 'teacher_wang', '/api/v1/studios?sort=name&q=%E6%95%B0%E5%AD%A6');
    assert.deepEqual([q.hit, q.miss], [0, 1]);
    assert.ok(q.r.json.total < first.r.json.total);
    const ren = await request(server, 'PATCH', '/api/v1/studios/1', { cookie: s.admin.cookie, csrf: s.admin.csrf, body: { name: '高等数学名师工作室（新）' } });
    assert.equal(ren.status, 200, ren.text);
    const r = await request(server, 'GET', '/api/v1/studios?sort=name', { cookie: s.teacher_wang.cookie });
    assert.equal(r.json.items.find((x) => x.id === 1).name, '高等数学名师工作室（新）');
  });

  it('errors are never kept', async () => {
    for (let i = 0; i < 2; i++) {
      const { r, hit } = await getCounted(server, s, 'teacher_wang', '/api/v1/rooms/studio%3A999/messages');
      assert.equal(r.status, 404);
      assert.equal(hit, 0);
    }
  });
});

describe('answer_cache: false', () => {
  it('builds every answer afresh and counts nothing', async () => {
    const server = await startWithConfig({ ...FAST, answer_cache: false });
    try {
      const s = await signIn(server, ['teacher_wang']);
      for (let i = 0; i < 3; i++) assert.equal((await request(server, 'GET', PAGE, { cookie: s.teacher_wang.cookie })).status, 200);
      assert.deepEqual(await counts(server), { hits: 0, misses: 0 });
    } finally { await disposeClean(server); }
  });
});
