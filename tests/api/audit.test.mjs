// The audit log (issue 3 §5, DESIGN §8): every write appends one entry whose hash chains it to
// the one before (hash = SHA-256(prev_hash ‖ canonical entry)); GET /audit lists entries newest
// first with filters; GET /audit/verify recomputes the chain. The table refuses UPDATE and
// DELETE through triggers; with a trigger dropped, tampering is detected at the first broken
// entry.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { assertError, countRows, loginAll, request, sqlite, sqliteFails, sqliteJson, startServer } from './helpers.mjs';

const V1 = '/api/v1';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const ZERO = '0'.repeat(64);
const ENTRY_KEYS = ['action', 'at', 'detail', 'entity', 'entity_id', 'hash', 'id', 'user_id', 'user_name'];

let server;
let S;

before(async () => {
  server = await startServer();
  S = await loginAll(server, ['admin', 'zzu_admin', 'teacher_wang']);
});
after(async () => { if (server) await server.dispose(); });

const get = (who, p) => request(server, 'GET', p, { cookie: S[who].cookie });
const send = (who, method, p, body) => request(server, method, p, { cookie: S[who].cookie, csrf: S[who].csrf, body });
const rows = () => sqliteJson(server, 'SELECT id, at, user_id, action, entity, entity_id, detail, prev_hash, hash FROM audit ORDER BY id');
const verify = async () => {
  const res = await get('admin', `${V1}/audit/verify`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json).sort(), ['entries', 'first_broken_id', 'ok']);
  return res.json;
};

// The canonical text the hash covers: compact JSON, keys sorted at every level.
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}
const entryHash = (prev, r) => createHash('sha256').update(prev + canonical({
  id: r.id, at: r.at, user_id: r.user_id, action: r.action, entity: r.entity, entity_id: r.entity_id, detail: JSON.parse(r.detail),
})).digest('hex');

describe('every write appends one hash-chained entry', () => {
  const ids = {};
  // [who, method, path ({uni}, {user}, {studio}, {ach}: ids made by earlier writes), body (or () => body),
  // response → the expected entry]
  const WRITES = [
    ['admin', 'POST', `${V1}/universities`, { name: '审计大学', code: '77001' },
      (r) => { ids.uni = r.json.id; return { user_id: 1, action: 'university.create', entity: 'university', entity_id: ids.uni, detail: { name: '审计大学', code: '77001' } }; }],
    ['admin', 'PATCH', `${V1}/universities/{uni}`, { name: '审计大学二' },
      () => ({ user_id: 1, action: 'university.update', entity: 'university', entity_id: ids.uni, detail: { name: '审计大学二', code: '77001' } })],
    ['admin', 'POST', `${V1}/users`, () => ({ username: 'audit_master', name: '审计名师', role: 'master', university_id: ids.uni, phone: '13700000077' }),
      (r) => { ids.user = r.json.id; return { user_id: 1, action: 'user.create', entity: 'user', entity_id: ids.user, detail: { username: 'audit_master', name: '审计名师', role: 'master' } }; }],
    ['admin', 'PATCH', `${V1}/users/{user}`, { title: '教授', phone: '13700000078' },
      () => ({ user_id: 1, action: 'user.update', entity: 'user', entity_id: ids.user, detail: { title: '教授', phone: 'changed' } })],
    ['admin', 'POST', `${V1}/studios`, () => ({ name: '审计工作室', master_id: ids.user, university_id: ids.uni, discipline: '审计学', established_on: '2025-01-01' }),
      (r) => { ids.studio = r.json.id; return { user_id: 1, action: 'studio.create', entity: 'studio', entity_id: ids.studio, detail: { name: '审计工作室', master_id: ids.user, university_id: ids.uni, discipline: '审计学' } }; }],
    ['admin', 'PATCH', `${V1}/studios/{studio}`, { max_members: 2, honours: '省级' },
      () => ({ user_id: 1, action: 'studio.update', entity: 'studio', entity_id: ids.studio, detail: { changed: ['honours', 'max_members'] } })],
    ['teacher_wang', 'POST', `${V1}/studios/{studio}/members`, { reason: '申请' },
      () => ({ user_id: 4, action: 'member.apply', entity: 'studio', entity_id: ids.studio, detail: { user_id: 4 } })],
    ['admin', 'PATCH', `${V1}/studios/{studio}/members/4`, { status: 'approved' },
      () => ({ user_id: 1, action: 'member.approve', entity: 'studio', entity_id: ids.studio, detail: { user_id: 4 } })],
    ['teacher_wang', 'DELETE', `${V1}/studios/{studio}/members/4`, undefined,
      () => ({ user_id: 4, action: 'member.leave', entity: 'studio', entity_id: ids.studio, detail: { user_id: 4 } })],
    ['teacher_wang', 'POST', `${V1}/studios/{studio}/members`, { reason: '再申请' },
      () => ({ user_id: 4, action: 'member.apply', entity: 'studio', entity_id: ids.studio, detail: { user_id: 4 } })],
    ['admin', 'PATCH', `${V1}/studios/{studio}/members/4`, { status: 'rejected' },
      () => ({ user_id: 1, action: 'member.reject', entity: 'studio', entity_id: ids.studio, detail: { user_id: 4 } })],
    ['teacher_wang', 'POST', `${V1}/studios/{studio}/members`, {},
      () => ({ user_id: 4, action: 'member.apply', entity: 'studio', entity_id: ids.studio, detail: { user_id: 4 } })],
    ['admin', 'PATCH', `${V1}/studios/{studio}/members/4`, { status: 'approved' },
      () => ({ user_id: 1, action: 'member.approve', entity: 'studio', entity_id: ids.studio, detail: { user_id: 4 } })],
    ['admin', 'DELETE', `${V1}/studios/{studio}/members/4`, undefined,
      () => ({ user_id: 1, action: 'member.remove', entity: 'studio', entity_id: ids.studio, detail: { user_id: 4 } })],
    ['admin', 'POST', `${V1}/studios/{studio}/achievements`, { kind: 'award', title: '审计奖', achieved_on: '2025-05-05' },
      (r) => { ids.ach = r.json.id; return { user_id: 1, action: 'achievement.create', entity: 'studio', entity_id: ids.studio, detail: { achievement_id: ids.ach, kind: 'award', title: '审计奖' } }; }],
    ['admin', 'PATCH', `${V1}/studios/{studio}/achievements/{ach}`, { description: '说明' },
      () => ({ user_id: 1, action: 'achievement.update', entity: 'studio', entity_id: ids.studio, detail: { achievement_id: ids.ach } })],
    ['admin', 'DELETE', `${V1}/studios/{studio}/achievements/{ach}`, undefined,
      () => ({ user_id: 1, action: 'achievement.delete', entity: 'studio', entity_id: ids.studio, detail: { achievement_id: ids.ach } })],
    ['admin', 'PATCH', `${V1}/users/{user}`, { disabled: true },
      () => ({ user_id: 1, action: 'user.disable', entity: 'user', entity_id: ids.user, detail: { disabled: true } })],
    ['admin', 'PATCH', `${V1}/users/{user}`, { disabled: false },
      () => ({ user_id: 1, action: 'user.enable', entity: 'user', entity_id: ids.user, detail: { disabled: false } })],
    ['admin', 'POST', `${V1}/users/{user}/password-reset`, undefined,
      () => ({ user_id: 1, action: 'user.password_reset', entity: 'user', entity_id: ids.user, detail: {} })],
    ['teacher_wang', 'POST', `${V1}/me/password`, { old_password: 'mingshi-demo', new_password: 'Quiet-Orchard-Bridge-77' },
      (r) => { S.teacher_wang = { cookie: r.headers['set-cookie'][0].split(';')[0], csrf: r.json.csrf_token }; return { user_id: 4, action: 'user.password_change', entity: 'user', entity_id: 4, detail: {} }; }],
  ];

  it('the demo database starts with an empty, valid log', async () => {
    assert.deepEqual(await verify(), { ok: true, entries: 0, first_broken_id: null });
    assert.deepEqual((await get('admin', `${V1}/audit`)).json, { items: [], total: 0 });
  });

  WRITES.forEach(([who, method, p, body, expected], i) => {
    it(`write ${i + 1}: ${who} ${method} ${p.slice(V1.length)} appends exactly one entry`, async () => {
      const before = countRows(server, 'audit');
      const res = await send(who, method, p.replace(/\{(\w+)\}/g, (_, k) => ids[k]), typeof body === 'function' ? body() : body);
      assert.ok(res.status >= 200 && res.status < 300, `${res.status} ${res.text}`);
      const want = expected(res);
      assert.equal(countRows(server, 'audit'), before + 1, 'exactly one entry');
      const [last] = rows().slice(-1);
      assert.equal(last.id, before + 1, 'ids are consecutive');
      assert.match(last.at, RFC3339);
      assert.deepEqual({ user_id: last.user_id, action: last.action, entity: last.entity, entity_id: last.entity_id, detail: JSON.parse(last.detail) }, want);
    });
  });

  it('failed writes append nothing', async () => {
    const before = countRows(server, 'audit');
    assert.equal((await send('admin', 'POST', `${V1}/universities`, { name: '审计大学二', code: '77002' })).status, 409);
    assert.equal((await send('admin', 'PATCH', `${V1}/studios/${ids.studio}`, { max_members: 0 })).status, 400);
    assert.equal((await send('zzu_admin', 'PATCH', `${V1}/studios/${ids.studio}`, { honours: 'x' })).status, 403);
    assert.equal((await send('admin', 'PATCH', `${V1}/studios/${ids.studio}/members/4`, { status: 'approved' })).status, 409);
    assert.equal(countRows(server, 'audit'), before);
  });

  it('the chain, recomputed independently: each prev_hash is the previous hash; each hash is SHA-256(prev_hash ‖ canonical entry)', () => {
    let prev = ZERO;
    const all = rows();
    assert.equal(all.length, WRITES.length);
    for (const r of all) {
      assert.equal(r.prev_hash, prev, `entry ${r.id} prev_hash`);
      assert.match(r.hash, /^[0-9a-f]{64}$/);
      assert.equal(r.hash, entryHash(prev, r), `entry ${r.id} hash`);
      prev = r.hash;
    }
  });

  it('personal data never enters the log', () => {
    const text = sqlite(server, 'SELECT group_concat(detail) FROM audit');
    assert.ok(!text.includes('13700000077') && !text.includes('13700000078'), text);
  });
});

describe('GET /audit: newest first, filters, paging (admin only)', () => {
  it('lists every entry newest first with {id, at, user_id, user_name, action, entity, entity_id, detail, hash}', async () => {
    const all = rows();
    const res = await get('admin', `${V1}/audit`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.total, all.length);
    assert.deepEqual(res.json.items.map((e) => e.id), all.map((r) => r.id).reverse());
    const names = { 1: '省教育厅管理员', 4: '王晓雨' };
    for (const e of res.json.items) {
      assert.deepEqual(Object.keys(e).sort(), ENTRY_KEYS);
      const r = all.find((x) => x.id === e.id);
      assert.deepEqual(e, {
        id: r.id, at: r.at, user_id: r.user_id, user_name: names[r.user_id], action: r.action, entity: r.entity,
        entity_id: r.entity_id, detail: JSON.parse(r.detail), hash: r.hash,
      });
    }
  });

  it('filters by entity and entity_id; limit and offset page; total counts the matches', async () => {
    const all = rows();
    const ofEntity = (entity, id) => all.filter((r) => r.entity === entity && (id === undefined || r.entity_id === id)).map((r) => r.id).reverse();
    const studioId = all.find((r) => r.action === 'studio.create').entity_id;
    const userId = all.find((r) => r.action === 'user.create').entity_id;
    const cases = [
      ['entity=studio', ofEntity('studio')],
      [`entity=studio&entity_id=${studioId}`, ofEntity('studio', studioId)],
      [`entity=user&entity_id=${userId}`, ofEntity('user', userId)],
      ['entity=user&entity_id=4', ofEntity('user', 4)],
      ['entity=university', ofEntity('university')],
      ['entity=nothing', []],
      [`entity=studio&entity_id=${studioId + 1000}`, []],
    ];
    for (const [qs, want] of cases) {
      const res = await get('admin', `${V1}/audit?${qs}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json.items.map((e) => e.id), want, qs);
      assert.equal(res.json.total, want.length, qs);
    }
    assert.equal(ofEntity('studio', studioId).length, 13);
    const page = await get('admin', `${V1}/audit?limit=3&offset=2`);
    assert.deepEqual(page.json.items.map((e) => e.id), all.map((r) => r.id).reverse().slice(2, 5));
    assert.equal(page.json.total, all.length);
    const filteredPage = await get('admin', `${V1}/audit?entity=studio&entity_id=${studioId}&limit=2&offset=1`);
    assert.deepEqual(filteredPage.json.items.map((e) => e.id), ofEntity('studio', studioId).slice(1, 3));
    assert.equal(filteredPage.json.total, 13);
  });

  it('bad parameters: 400 naming them; non-admins: 403', async () => {
    for (const [qs, field] of [['limit=0', 'limit'], ['limit=201', 'limit'], ['offset=-1', 'offset'], ['entity_id=abc', 'entity_id'], ['entity_id=0', 'entity_id']]) {
      assertError(await get('admin', `${V1}/audit?${qs}`), 400, 'validation_failed', field);
    }
    assertError(await get('zzu_admin', `${V1}/audit`), 403, 'forbidden');
    assertError(await get('zzu_admin', `${V1}/audit/verify`), 403, 'forbidden');
    assertError(await get('teacher_wang', `${V1}/audit?entity=user&entity_id=4`), 403, 'forbidden');
  });
});

describe('verification and tampering', () => {
  it('verify: {ok: true, entries, first_broken_id: null}', async () => {
    assert.deepEqual(await verify(), { ok: true, entries: countRows(server, 'audit'), first_broken_id: null });
  });

  it('the triggers refuse UPDATE and DELETE: sqlite3 fails with "audit entries are immutable", the row is untouched', () => {
    const before = sqlite(server, 'SELECT detail || hash FROM audit WHERE id = 3');
    for (const sql of ['UPDATE audit SET detail = \'{"x":1}\' WHERE id = 3;', 'DELETE FROM audit WHERE id = 3;', 'UPDATE audit SET hash = prev_hash;', 'DELETE FROM audit;']) {
      const r = sqliteFails(server, sql);
      assert.notEqual(r.status, 0, `${sql} succeeded`);
      assert.match(r.stderr, /audit entries are immutable/, sql);
    }
    assert.equal(sqlite(server, 'SELECT detail || hash FROM audit WHERE id = 3'), before);
    assert.equal(countRows(server, 'audit'), rows().length);
  });

  it('with the UPDATE trigger dropped, an edited detail breaks the chain at that entry: ok false, first_broken_id k', async () => {
    const n = countRows(server, 'audit');
    const k = 3;
    const original = sqlite(server, `SELECT detail FROM audit WHERE id = ${k}`);
    sqlite(server, `DROP TRIGGER audit_no_update; UPDATE audit SET detail='{"x":1}' WHERE id=${k}`);
    assert.equal(sqlite(server, `SELECT detail FROM audit WHERE id = ${k}`), '{"x":1}');
    assert.deepEqual(await verify(), { ok: false, entries: n, first_broken_id: k });
    // The list shows what is stored now.
    const listed = await get('admin', `${V1}/audit?limit=200`);
    assert.deepEqual(listed.json.items.find((e) => e.id === k).detail, { x: 1 });
    // Put the original text back: the chain is whole again.
    sqlite(server, `UPDATE audit SET detail = '${original.replace(/'/g, "''")}' WHERE id = ${k}`);
    assert.deepEqual(await verify(), { ok: true, entries: n, first_broken_id: null });
  });

  it('other fields are covered too: a changed actor, time, action or hash is found', async () => {
    const n = countRows(server, 'audit');
    const edits = [
      [5, 'user_id', '2', 'user_id'], [6, 'at', "'2020-01-01T00:00:00Z'", 'at'], [7, 'action', "'studio.delete'", 'action'],
      [8, 'entity_id', '999', 'entity_id'],
    ];
    for (const [id, col, value] of edits) {
      const old = sqliteJson(server, `SELECT quote(${col}) AS v FROM audit WHERE id = ${id}`)[0].v;
      sqlite(server, `UPDATE audit SET ${col} = ${value} WHERE id = ${id}`);
      assert.deepEqual(await verify(), { ok: false, entries: n, first_broken_id: id }, `${col} of ${id}`);
      sqlite(server, `UPDATE audit SET ${col} = ${old} WHERE id = ${id}`);
    }
    // A recomputed hash for an edited entry still breaks the link to the next one.
    const r = rows().find((x) => x.id === 9);
    const forged = { ...r, detail: '{"user_id":99}' };
    sqlite(server, `UPDATE audit SET detail = '${forged.detail}', hash = '${entryHash(r.prev_hash, forged)}' WHERE id = 9`);
    assert.deepEqual(await verify(), { ok: false, entries: n, first_broken_id: 10 });
    sqlite(server, `UPDATE audit SET detail = '${r.detail}', hash = '${r.hash}' WHERE id = 9`);
    assert.deepEqual(await verify(), { ok: true, entries: n, first_broken_id: null });
  });

  it('with the DELETE trigger dropped, a deleted entry breaks the chain at the next one', async () => {
    const n = countRows(server, 'audit');
    sqlite(server, 'DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 4');
    assert.deepEqual(await verify(), { ok: false, entries: n - 1, first_broken_id: 5 });
  });

  it('new writes still append after the break, and verify still names the first broken entry', async () => {
    const n = countRows(server, 'audit');
    const res = await send('admin', 'POST', `${V1}/universities`, { name: '审计大学三', code: '77003' });
    assert.equal(res.status, 201, res.text);
    const [last] = rows().slice(-1);
    assert.equal(last.action, 'university.create');
    assert.equal(last.prev_hash, rows().slice(-2)[0].hash);
    assert.deepEqual(await verify(), { ok: false, entries: n + 1, first_broken_id: 5 });
  });
});
