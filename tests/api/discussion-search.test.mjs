// Message search (DESIGN §6 /search/messages, issue 4) over the rooms the caller may read,
// and the hub's figures in /metrics.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request, sqliteJson, waitFor } from './helpers.mjs';
import { Chat, FAST, RFC3339, disposeClean, metric, signIn, startWithConfig } from './chat-helpers.mjs';

let server;
let s;
const open = [];
const posted = {}; // name → {id, room, text}

async function chat(u) {
  const c = await Chat.open(server, s[u]);
  open.push(c);
  return c;
}

async function search(user, query) {
  const r = await request(server, 'GET', `/api/v1/search/messages?${query}`, { cookie: s[user].cookie });
  return r;
}

async function hits(user, q, extra = '') {
  const r = await search(user, `q=${encodeURIComponent(q)}${extra}`);
  assert.equal(r.status, 200, `${user} q=${q}: ${r.text}`);
  assert.deepEqual(Object.keys(r.json).sort(), ['items', 'total']);
  for (const h of r.json.items) {
    assert.deepEqual(Object.keys(h).sort(), ['created_at', 'id', 'room', 'snippet', 'user_name']);
    assert.match(h.created_at, RFC3339);
  }
  return r.json;
}

before(async () => {
  server = await startWithConfig(FAST);
  s = await signIn(server, ['admin', 'master_li', 'teacher_wang', 'master_liu', 'expert_zhao', 'zzu_admin']);
  const li = await chat('master_li');
  const wang = await chat('teacher_wang');
  const liu = await chat('master_liu');
  await li.joinOk('studio:1');
  await wang.joinOk('studio:1');
  await liu.joinOk('studio:4');
  const put = async (name, c, room, text, kind) => {
    const r = await c.say(room, text, kind ? { kind } : {});
    posted[name] = { id: r.id, room, text };
  };
  await put('limitConcept', wang, 'studio:1', '高等数学的极限概念怎么讲解才清楚', 'question');
  await put('calculus', li, 'studio:1', '微积分基本定理的证明思路可以从面积函数入手');
  await put('secret', li, 'studio:1', '这条会被删除：保密的教学设计方案');
  await put('limitPoetry', liu, 'studio:4', '古代文学中的极限思想与庄子');
  await put('tang', liu, 'studio:4', '唐诗宋词的诵读教学方法');
  await put('english', wang, 'studio:1', 'Flipped Classroom works well for calculus');
  li.raw({ type: 'moderate', room: 'studio:1', action: 'delete', message_id: posted.secret.id });
  await li.next((f) => f.type === 'update' && f.message.id === posted.secret.id && f.message.deleted);
});

after(async () => {
  for (const c of open) c.terminate();
  if (server) await disposeClean(server);
});

describe('search over the rooms the caller may read', () => {
  it('three or more Chinese characters match through the trigram index; the snippet marks the match with 【】', async () => {
    const r = await hits('teacher_wang', '极限概念');
    assert.equal(r.total, 1);
    assert.equal(r.items.length, 1);
    const h = r.items[0];
    assert.equal(h.id, posted.limitConcept.id);
    assert.equal(h.room, 'studio:1');
    assert.equal(h.user_name, '王晓雨');
    assert.ok(h.snippet.includes('【极限概念】'), h.snippet);
    assert.equal(h.snippet.replace(/[【】]/g, ''), posted.limitConcept.text);
    // a substring across "words"
    const x = await hits('teacher_wang', '数学的极');
    assert.deepEqual(x.items.map((i) => i.id), [posted.limitConcept.id]);
    assert.ok(x.items[0].snippet.includes('【数学的极】'), x.items[0].snippet);
    // no match
    assert.deepEqual(await hits('teacher_wang', '线性代数'), { items: [], total: 0 });
  });

  it('a master of another studio sees only their rooms; admins and experts see all; a university admin sees none', async () => {
    const liu = await hits('master_liu', '极限思想');
    assert.deepEqual(liu.items.map((i) => i.id), [posted.limitPoetry.id]);
    assert.deepEqual(await hits('master_liu', '极限概念'), { items: [], total: 0 });
    assert.deepEqual(await hits('master_liu', '极限概念', '&room=studio:1'), { items: [], total: 0 });
    assert.deepEqual(await hits('teacher_wang', '极限思想'), { items: [], total: 0 });
    for (const u of ['admin', 'expert_zhao']) {
      const r = await hits(u, '极限');
      assert.deepEqual(r.items.map((i) => i.id).sort((a, b) => a - b), [posted.limitConcept.id, posted.limitPoetry.id].sort((a, b) => a - b), u);
      assert.equal(r.total, 2);
    }
    assert.deepEqual(await hits('zzu_admin', '极限'), { items: [], total: 0 });
  });

  it('one or two characters fall back to a substring scan', async () => {
    const two = await hits('master_liu', '极限');
    assert.deepEqual(two.items.map((i) => i.id), [posted.limitPoetry.id]);
    assert.equal(two.total, 1);
    assert.ok(two.items[0].snippet.includes('极限'), two.items[0].snippet);
    const one = await hits('teacher_wang', '微');
    assert.deepEqual(one.items.map((i) => i.id), [posted.calculus.id]);
    const admin = await hits('admin', '诵');
    assert.deepEqual(admin.items.map((i) => i.id), [posted.tang.id]);
    assert.equal(admin.items[0].room, 'studio:4');
    assert.equal(admin.items[0].user_name, '刘雅琴');
  });

  it('Latin text matches without regard to case', async () => {
    const r = await hits('teacher_wang', 'flipped classroom');
    assert.deepEqual(r.items.map((i) => i.id), [posted.english.id]);
  });

  it('deleted messages are not found, by either path', async () => {
    for (const q of ['保密的教学设计', '保密', '删']) {
      assert.deepEqual(await hits('admin', q), { items: [], total: 0 }, q);
      assert.deepEqual(await hits('master_li', q), { items: [], total: 0 }, q);
    }
  });

  it('room= narrows; newest first; limit and offset page the hits', async () => {
    const all = await hits('admin', '的');
    const expected = [posted.limitPoetry.id, posted.tang.id, posted.calculus.id, posted.limitConcept.id].sort((a, b) => b - a);
    assert.deepEqual(all.items.map((i) => i.id), expected);
    assert.equal(all.total, 4);
    const four = await hits('admin', '的', '&room=studio:4');
    assert.deepEqual(four.items.map((i) => i.id), [posted.tang.id, posted.limitPoetry.id]);
    assert.equal(four.total, 2);
    const p1 = await hits('admin', '的', '&limit=2');
    assert.deepEqual(p1.items.map((i) => i.id), expected.slice(0, 2));
    assert.equal(p1.total, 4);
    const p2 = await hits('admin', '的', '&limit=2&offset=2');
    assert.deepEqual(p2.items.map((i) => i.id), expected.slice(2, 4), 'offset pages the hits');
  });

  it('bad queries are refused; query syntax is not interpreted', async () => {
    assert.equal((await search('admin', `q=${encodeURIComponent('字'.repeat(100))}`)).status, 200, '100 characters are fine');
    for (const q of ['', `q=${encodeURIComponent('字'.repeat(101))}`, 'q=%E6%9E', 'q=abc&room=lobby', 'q=abc&limit=0']) {
      const r = await search('admin', q);
      assert.equal(r.status, 400, `${q}: ${r.text}`);
      assert.equal(r.json.error.code, 'validation_failed');
    }
    for (const q of ['"极限"', '极限 OR 唐诗', 'NEAR(极限 唐诗)', '极限*', "'; DROP TABLE messages; --"]) {
      const r = await search('admin', `q=${encodeURIComponent(q)}`);
      assert.equal(r.status, 200, `${q}: ${r.text}`);
      assert.deepEqual(r.json, { items: [], total: 0 }, q);
    }
    const anon = await request(server, 'GET', '/api/v1/search/messages?q=abc');
    assert.equal(anon.status, 401);
  });
});

describe('/metrics', () => {
  it('counts WebSocket frames in and out and writer batches', async () => {
    const inBefore = await metric(server, 'mingshi_ws_frames_total{direction="in"}');
    const outBefore = await metric(server, 'mingshi_ws_frames_total{direction="out"}');
    const batches = await metric(server, 'mingshi_writer_batch_jobs_count');
    const jobs = await metric(server, 'mingshi_writer_batch_jobs_sum');
    assert.ok(inBefore >= 9, `in ${inBefore}`);
    assert.ok(batches >= 1);
    const c = await chat('teacher_wang');
    await c.joinOk('studio:1');
    for (let i = 0; i < 3; i++) await c.say('studio:1', `计数${i}`);
    await c.ping();
    const inAfter = await metric(server, 'mingshi_ws_frames_total{direction="in"}');
    const outAfter = await metric(server, 'mingshi_ws_frames_total{direction="out"}');
    // this connection alone: in = join + 3 sends + ping; out ≥ joined + 3 acks + 3 messages + pong
    assert.ok(inAfter - inBefore >= 5, `in ${inBefore} → ${inAfter}`);
    assert.ok(outAfter - outBefore >= 8, `out ${outBefore} → ${outAfter}`);
    assert.ok(await metric(server, 'mingshi_writer_batch_jobs_count') > batches);
    assert.ok(await metric(server, 'mingshi_writer_batch_jobs_sum') >= jobs + 3);
    const text = (await request(server, 'GET', '/metrics')).text;
    assert.match(text, /# TYPE mingshi_ws_frames_total counter/);
    assert.match(text, /# TYPE mingshi_writer_batch_jobs histogram/);
    assert.match(text, /^mingshi_ws_queue_drops_total 0$/m);
  });
});

describe('the search index follows the messages', () => {
  it('a message is found as soon as it is acked, and reads the same once the index has it', async () => {
    const wang = await chat('teacher_wang');
    await wang.joinOk('studio:1');
    const m = await wang.say('studio:1', '刚刚发出的翻转课堂讨论');
    const now = await hits('teacher_wang', '翻转课堂');
    assert.deepEqual(now.items.map((i) => [i.id, i.snippet]), [[m.id, '刚刚发出的【翻转课堂】讨论']]);
    // the writer indexes in batches, every 100 ms while messages arrive
    await waitFor(() => sqliteJson(server, 'SELECT indexed_upto AS n FROM search_progress')[0].n >= m.id,
      { what: 'the search index to reach the message' });
    // the index alone (no positions, detail=none): the message holds both trigrams
    assert.equal(sqliteJson(server, `SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH '"翻转课" AND "转课堂"' AND rowid = ${m.id}`)[0].n, 1);
    assert.deepEqual(await hits('teacher_wang', '翻转课堂'), now);
    // the deleted message is in no index row (its text was taken out, or never put in)
    assert.equal(sqliteJson(server, `SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH '"保密的" AND "密的教" AND "的教学"'`)[0].n, 0);
  });
});
