// Studios (issue 3 §2, DESIGN §6): profiles, search and filters (Chinese substrings), sorting
// and paging, creation and updates with their scope rules, achievements, and bad input that
// must be refused with the exact §6 error while writing nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, countRows, loginAll, request, sqlite, sqliteJson, startServer } from './helpers.mjs';

const V1 = '/api/v1';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

// db/demo.sql: id → [name, established_on, university_id, master name]
const DEMO = {
  1: ['高等数学教学名师工作室', '2022-09-01', 1], 2: ['临床医学教学创新工作室', '2023-03-15', 1],
  3: ['化学工程与工艺名师工作室', '2023-09-01', 1], 4: ['中国古代文学名师工作室', '2021-10-10', 2],
  5: ['历史学教学名师工作室', '2022-04-20', 2], 6: ['大学英语教学名师工作室', '2023-05-08', 2],
  7: ['物理学教学名师工作室', '2021-09-01', 3], 8: ['教师教育名师工作室', '2022-11-11', 3],
  9: ['生物科学名师工作室', '2024-03-01', 3], 10: ['采矿工程名师工作室', '2022-06-18', 4],
  11: ['测绘工程名师工作室', '2023-04-22', 4], 12: ['计算机科学与技术名师工作室', '2022-09-10', 4],
  13: ['作物栽培学名师工作室', '2021-05-01', 5], 14: ['动物医学名师工作室', '2023-10-01', 5],
};
// Newest first: established_on descending.
const NEWEST = [9, 14, 3, 6, 11, 2, 8, 12, 1, 10, 5, 4, 7, 13];
const byName = (ids) => [...ids].sort((a, b) => Buffer.compare(Buffer.from(DEMO[a][0]), Buffer.from(DEMO[b][0])));

const LIST_KEYS = ['created_at', 'cycle', 'discipline', 'established_on', 'id', 'level', 'master', 'max_members', 'member_count', 'name', 'status', 'university', 'updated_at'];
const FULL_KEYS = [...LIST_KEYS, 'honours', 'introduction', 'pending_count', 'training_plan'].sort();

// Free masters for new studios (sqlite3 setup): 201–206 at 郑州大学, 207 at 河南大学, 208 disabled,
// 209 of no university.
const SETUP = `INSERT INTO users (id, username, name, role, university_id, title, password_hash, disabled) VALUES
  (201, 'free_master_a', '新名师甲', 'master', 1, '教授', 'x', 0), (202, 'free_master_b', '新名师乙', 'master', 1, '教授', 'x', 0),
  (203, 'free_master_c', '新名师丙', 'master', 1, '', 'x', 0), (204, 'free_master_d', '新名师丁', 'master', 1, '', 'x', 0),
  (205, 'free_master_e', '新名师戊', 'master', 1, '', 'x', 0), (206, 'free_master_f', '新名师己', 'master', 1, '', 'x', 0),
  (207, 'free_master_g', '新名师庚', 'master', 2, '', 'x', 0), (208, 'off_master', '停用名师', 'master', 1, '', 'x', 1),
  (209, 'nouni_master', '无校名师', 'master', NULL, '', 'x', 0);`;

let server;
let S; // sessions by username

before(async () => {
  server = await startServer();
  S = await loginAll(server, ['admin', 'zzu_admin', 'henu_admin', 'master_li', 'master_liu', 'teacher_wang']);
  sqlite(server, SETUP);
});
after(async () => { if (server) await server.dispose(); });

const get = (who, p) => request(server, 'GET', p, { cookie: S[who].cookie });
const send = (who, method, p, body, opts = {}) => request(server, method, p, { cookie: S[who].cookie, csrf: S[who].csrf, body, ...opts });
const ids = (res) => res.json.items.map((s) => s.id);
const auditCount = () => countRows(server, 'audit');

describe('listing, search, filters, sorting, paging', () => {
  it('GET /studios: every studio, newest first (established_on descending), list fields only', async () => {
    const res = await get('teacher_wang', `${V1}/studios`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['items', 'total']);
    assert.equal(res.json.total, 14);
    assert.deepEqual(ids(res), NEWEST);
    for (const s of res.json.items) {
      assert.deepEqual(Object.keys(s).sort(), LIST_KEYS, `studio ${s.id}: no long texts in lists`);
      assert.equal(s.name, DEMO[s.id][0]);
      assert.equal(s.established_on, DEMO[s.id][1]);
      assert.equal(s.university.id, DEMO[s.id][2]);
      assert.match(s.created_at, RFC3339);
      assert.match(s.updated_at, RFC3339);
    }
    const one = res.json.items.find((s) => s.id === 1);
    const { created_at: _c, updated_at: _u, ...rest } = one;
    assert.deepEqual(rest, {
      id: 1, name: '高等数学教学名师工作室', master: { id: 3, name: '李明华', title: '教授' },
      university: { id: 1, name: '郑州大学' }, discipline: '数学', level: 'national',
      established_on: '2022-09-01', cycle: '2024-2026', max_members: 6, member_count: 3, status: 'active',
    });
  });

  it('GET /studios/{id}: the whole profile with its texts and pending_count', async () => {
    const res = await get('teacher_wang', `${V1}/studios/1`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), FULL_KEYS);
    assert.equal(res.json.introduction, '以“数学思维进课堂”为主线，开展高等数学课程思政与混合式教学研究，带动青年教师提升课堂教学能力。');
    assert.equal(res.json.training_plan, '每月开展一次集体备课与示范课观摩；每学期组织一次教学沙龙和一次校际交流。');
    assert.equal(res.json.honours, '国家级教学名师；省级教学名师');
    assert.equal(res.json.member_count, 3);
    assert.equal(res.json.pending_count, 1);
    assert.deepEqual(res.json.master, { id: 3, name: '李明华', title: '教授' });
    assertError(await get('teacher_wang', `${V1}/studios/99999`), 404, 'not_found');
    assertError(await get('teacher_wang', `${V1}/studios/abc`), 404, 'not_found');
    assertError(await get('teacher_wang', `${V1}/studios/0`), 404, 'not_found');
  });

  it('q matches Chinese substrings of the name, the master\'s name and the discipline', async () => {
    const cases = [
      ['数学', [1]], // name and discipline
      ['李明华', [1]], // master
      ['王', [9]], // master 王建平 only
      ['刘雅琴', [4]],
      ['教育学', [8]], // discipline only (the name has 教育, not 教育学)
      ['工程', [3, 11, 10]],
      ['医学', [14, 2]], // 动物医学 (name), 临床医学 (name and discipline)
      ['名师', NEWEST.filter((id) => id !== 2)],
      ['不存在的工作室', []],
    ];
    for (const [q, want] of cases) {
      const res = await get('master_liu', `${V1}/studios?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(ids(res), want, `q=${q}`);
      assert.equal(res.json.total, want.length, `q=${q} total`);
    }
  });

  it('filters: discipline (exact), university_id, level, status, and combinations', async () => {
    const cases = [
      [`discipline=${encodeURIComponent('数学')}`, [1]],
      [`discipline=${encodeURIComponent('数')}`, []],
      ['university_id=2', [6, 5, 4]],
      ['university_id=5', [14, 13]],
      ['level=national', [12, 1, 4, 7, 13]],
      ['level=provincial', NEWEST.filter((id) => ![12, 1, 4, 7, 13].includes(id))],
      ['status=active', NEWEST],
      ['status=suspended', []],
      ['university_id=1&level=provincial', [3, 2]],
      [`q=${encodeURIComponent('工作室')}&university_id=4&sort=name`, byName([10, 11, 12])],
      [`q=${encodeURIComponent('名师')}&level=national&university_id=3`, [7]],
    ];
    for (const [qs, want] of cases) {
      const res = await get('zzu_admin', `${V1}/studios?${qs}`);
      assert.equal(res.status, 200, `${qs}: ${res.text}`);
      assert.deepEqual(ids(res), want, qs);
      assert.equal(res.json.total, want.length, `${qs} total`);
    }
  });

  it('sort=name orders by name; sort=newest is the default order', async () => {
    const all = NEWEST;
    const res = await get('teacher_wang', `${V1}/studios?sort=name`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(ids(res), byName(all));
    const newest = await get('teacher_wang', `${V1}/studios?sort=newest`);
    assert.deepEqual(ids(newest), NEWEST);
  });

  it('limit and offset page the list; total counts every match', async () => {
    let res = await get('teacher_wang', `${V1}/studios?limit=5`);
    assert.deepEqual(ids(res), NEWEST.slice(0, 5));
    assert.equal(res.json.total, 14);
    res = await get('teacher_wang', `${V1}/studios?limit=5&offset=5`);
    assert.deepEqual(ids(res), NEWEST.slice(5, 10));
    res = await get('teacher_wang', `${V1}/studios?limit=5&offset=10`);
    assert.deepEqual(ids(res), NEWEST.slice(10));
    res = await get('teacher_wang', `${V1}/studios?offset=14`);
    assert.deepEqual(res.json, { items: [], total: 14 });
    res = await get('teacher_wang', `${V1}/studios?sort=name&limit=3&offset=2`);
    assert.deepEqual(ids(res), byName(NEWEST).slice(2, 5));
    res = await get('teacher_wang', `${V1}/studios?limit=200`);
    assert.equal(res.json.items.length, 14);
  });

  it('bad list parameters: 400 validation_failed naming the parameter', async () => {
    const cases = [
      ['level=state', 'level'], ['status=open', 'status'], ['sort=oldest', 'sort'],
      ['university_id=abc', 'university_id'], ['university_id=0', 'university_id'], ['university_id=-1', 'university_id'],
      ['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=ten', 'limit'], ['offset=-1', 'offset'], ['offset=x', 'offset'],
    ];
    for (const [qs, field] of cases) assertError(await get('teacher_wang', `${V1}/studios?${qs}`), 400, 'validation_failed', field);
  });
});

describe('creating studios: who, for which university, with which master', () => {
  const base = (over = {}) => ({ name: '新建测试工作室', master_id: 201, university_id: 1, discipline: '教育技术', established_on: '2025-09-01', ...over });

  it('admin creates with the required fields: 201, the full profile with defaults (provincial, 6, active), audited', async () => {
    const before = auditCount();
    const res = await send('admin', 'POST', `${V1}/studios`, base());
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), FULL_KEYS);
    const { id, created_at: c, updated_at: u, ...rest } = res.json;
    assert.ok(Number.isInteger(id) && id > 14);
    assert.match(c, RFC3339);
    assert.match(u, RFC3339);
    assert.deepEqual(rest, {
      name: '新建测试工作室', master: { id: 201, name: '新名师甲', title: '教授' }, university: { id: 1, name: '郑州大学' },
      discipline: '教育技术', level: 'provincial', established_on: '2025-09-01', cycle: '', max_members: 6,
      member_count: 0, status: 'active', introduction: '', training_plan: '', honours: '', pending_count: 0,
    });
    assert.equal(auditCount(), before + 1);
    const [entry] = sqliteJson(server, 'SELECT user_id, action, entity, entity_id, detail FROM audit ORDER BY id DESC LIMIT 1');
    assert.deepEqual({ ...entry, detail: JSON.parse(entry.detail) }, {
      user_id: 1, action: 'studio.create', entity: 'studio', entity_id: id,
      detail: { name: '新建测试工作室', master_id: 201, university_id: 1, discipline: '教育技术' },
    });
    assert.deepEqual((await get('teacher_wang', `${V1}/studios/${id}`)).json, res.json);
    assert.equal((await get('teacher_wang', `${V1}/universities/1`)).json.studio_count, 4);
  });

  it('zzu_admin creates at their own university with every field; an en dash in cycle is stored as "-"', async () => {
    const body = base({
      name: '郑大全字段工作室', master_id: 202, level: 'national', cycle: '2025–2027', introduction: '简介\n第二行',
      training_plan: '计划', honours: '荣誉', max_members: 12, status: 'suspended',
    });
    const res = await send('zzu_admin', 'POST', `${V1}/studios`, body);
    assert.equal(res.status, 201, res.text);
    for (const k of ['name', 'level', 'introduction', 'training_plan', 'honours', 'max_members', 'status']) assert.equal(res.json[k], body[k], k);
    assert.equal(res.json.cycle, '2025-2027');
    assert.deepEqual(res.json.master, { id: 202, name: '新名师乙', title: '教授' });
  });

  it('a name of exactly 60 characters (Chinese) is accepted; names count characters, not bytes', async () => {
    const name = '名'.repeat(60);
    const res = await send('admin', 'POST', `${V1}/studios`, base({ name, master_id: 203 }));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.name, name);
  });

  it('henu_admin cannot create a studio for 郑州大学: 403 field university_id, nothing written', async () => {
    const before = [auditCount(), countRows(server, 'studios')];
    assertError(await send('henu_admin', 'POST', `${V1}/studios`, base({ name: '河大越权工作室', master_id: 204 })), 403, 'forbidden', 'university_id');
    assert.deepEqual([auditCount(), countRows(server, 'studios')], before);
  });

  it('henu_admin creates for 河南大学 with a master of 河南大学', async () => {
    const res = await send('henu_admin', 'POST', `${V1}/studios`, base({ name: '河大新工作室', master_id: 207, university_id: 2 }));
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json.university, { id: 2, name: '河南大学' });
  });

  it('master_id must be an enabled master of that university who runs no studio yet', async () => {
    const before = [auditCount(), countRows(server, 'studios')];
    const cases = [
      [{ master_id: 4 }, 400, 'validation_failed'], // a teacher
      [{ master_id: 99999 }, 400, 'validation_failed'], // nobody
      [{ master_id: 12 }, 400, 'validation_failed'], // master_liu is at 河南大学
      [{ master_id: 208 }, 400, 'validation_failed'], // disabled
      [{ master_id: 3 }, 409, 'conflict'], // master_li runs studio 1
      [{ master_id: 201 }, 409, 'conflict'], // runs the studio created above
    ];
    for (const [over, status, code] of cases) {
      assertError(await send('admin', 'POST', `${V1}/studios`, base({ name: '主持人校验工作室', ...over })), status, code, 'master_id');
    }
    assertError(await send('admin', 'POST', `${V1}/studios`, base({ name: '主持人校验工作室', master_id: 204, university_id: 99999 })), 400, 'validation_failed', 'university_id');
    assertError(await send('admin', 'POST', `${V1}/studios`, base({ name: '主持人校验工作室', master_id: 207 })), 400, 'validation_failed', 'master_id');
    assertError(await send('admin', 'POST', `${V1}/studios`, base({ name: '高等数学教学名师工作室', master_id: 204 })), 409, 'conflict', 'name');
    assert.deepEqual([auditCount(), countRows(server, 'studios')], before);
  });
});

describe('updating studios: admins change anything, the master only the profile texts', () => {
  it('master_li edits introduction, training_plan and honours of studio 1: 200, audited with the changed fields', async () => {
    const before = auditCount();
    const body = { introduction: '新的简介', training_plan: '新的计划', honours: '新的荣誉' };
    const res = await send('master_li', 'PATCH', `${V1}/studios/1`, body);
    assert.equal(res.status, 200, res.text);
    for (const k of Object.keys(body)) assert.equal(res.json[k], body[k]);
    assert.equal(res.json.name, '高等数学教学名师工作室');
    assert.equal(res.json.max_members, 6);
    assert.equal(auditCount(), before + 1);
    const [entry] = sqliteJson(server, 'SELECT user_id, action, entity, entity_id, detail FROM audit ORDER BY id DESC LIMIT 1');
    assert.deepEqual({ ...entry, detail: JSON.parse(entry.detail) }, {
      user_id: 3, action: 'studio.update', entity: 'studio', entity_id: 1, detail: { changed: ['introduction', 'training_plan', 'honours'] },
    });
  });

  it('texts of exactly the limits are accepted: introduction 4000, training_plan 8000, honours 4000 characters', async () => {
    const body = { introduction: '简'.repeat(4000), training_plan: '计'.repeat(8000), honours: '荣'.repeat(4000) };
    const res = await send('master_li', 'PATCH', `${V1}/studios/1`, body);
    assert.equal(res.status, 200, res.text.slice(0, 200));
    for (const k of Object.keys(body)) assert.equal(res.json[k], body[k], k);
  });

  it('master_li may not change other fields of his studio: 403 naming the field, nothing changed', async () => {
    const before = [auditCount(), (await get('admin', `${V1}/studios/1`)).text];
    for (const [body, field] of [[{ max_members: 8 }, 'max_members'], [{ name: '改名' }, 'name'],
      [{ introduction: 'x', status: 'closed' }, 'status'], [{ level: 'provincial' }, 'level'],
      [{ master_id: 201 }, 'master_id'], [{ university_id: 1 }, 'university_id']]) {
      assertError(await send('master_li', 'PATCH', `${V1}/studios/1`, body), 403, 'forbidden', field);
    }
    assert.deepEqual([auditCount(), (await get('admin', `${V1}/studios/1`)).text], before);
  });

  it('a master cannot edit another master\'s studio; a university_admin cannot edit another university\'s', async () => {
    const before = auditCount();
    assertError(await send('master_li', 'PATCH', `${V1}/studios/4`, { introduction: 'x' }), 403, 'forbidden');
    assertError(await send('master_liu', 'PATCH', `${V1}/studios/1`, { introduction: 'x' }), 403, 'forbidden');
    assertError(await send('henu_admin', 'PATCH', `${V1}/studios/1`, { introduction: 'x' }), 403, 'forbidden');
    assertError(await send('zzu_admin', 'PATCH', `${V1}/studios/4`, { max_members: 10 }), 403, 'forbidden');
    assertError(await send('teacher_wang', 'PATCH', `${V1}/studios/1`, { introduction: 'x' }), 403, 'forbidden');
    assert.equal(auditCount(), before);
  });

  it('zzu_admin cannot move a studio to another university: 403 field university_id', async () => {
    assertError(await send('zzu_admin', 'PATCH', `${V1}/studios/1`, { university_id: 2 }), 403, 'forbidden', 'university_id');
    assert.equal(sqlite(server, 'SELECT university_id FROM studios WHERE id = 1'), '1');
  });

  it('max_members below the approved members: 409 field max_members; at the count: 200', async () => {
    assertError(await send('zzu_admin', 'PATCH', `${V1}/studios/1`, { max_members: 2 }), 409, 'conflict', 'max_members');
    assert.equal(sqlite(server, 'SELECT max_members FROM studios WHERE id = 1'), '6');
    const res = await send('zzu_admin', 'PATCH', `${V1}/studios/1`, { max_members: 3 });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.max_members, 3);
    assert.equal(res.json.member_count, 3);
  });

  it('admin changes status; the status filter finds it', async () => {
    const res = await send('admin', 'PATCH', `${V1}/studios/5`, { status: 'suspended' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'suspended');
    const list = await get('teacher_wang', `${V1}/studios?status=suspended&university_id=2`);
    assert.deepEqual(ids(list), [5]);
  });

  it('a master of no university is not a master of 郑州大学: 400 field master_id', async () => {
    const before = [auditCount(), countRows(server, 'studios')];
    assertError(await send('admin', 'POST', `${V1}/studios`, {
      name: '无校名师工作室', master_id: 209, university_id: 1, discipline: '数学', established_on: '2025-09-01',
    }), 400, 'validation_failed', 'master_id');
    assertError(await send('zzu_admin', 'PATCH', `${V1}/studios/2`, { master_id: 209 }), 400, 'validation_failed', 'master_id');
    assert.deepEqual([auditCount(), countRows(server, 'studios')], before);
    assert.equal(sqlite(server, 'SELECT master_id FROM studios WHERE id = 2'), '10');
  });

  it('a master of another university cannot take over a studio: 400 field master_id', async () => {
    assertError(await send('admin', 'PATCH', `${V1}/studios/2`, { master_id: 207 }), 400, 'validation_failed', 'master_id');
    assert.equal(sqlite(server, 'SELECT master_id FROM studios WHERE id = 2'), '10');
  });

  it('admin hands studio 3 to another free master of the same university', async () => {
    const res = await send('admin', 'PATCH', `${V1}/studios/3`, { master_id: 204 });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.master, { id: 204, name: '新名师丁', title: '' });
  });

  it('PATCH /studios/99999: 404', async () => {
    assertError(await send('admin', 'PATCH', `${V1}/studios/99999`, { introduction: 'x' }), 404, 'not_found');
  });
});

describe('bad input: the exact §6 error, and nothing written', () => {
  const valid = { name: '坏输入工作室', master_id: 205, university_id: 1, discipline: '数学', established_on: '2025-09-01' };
  const without = (k) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k));
  const CREATE_CASES = [
    ['missing name', without('name'), 'name'],
    ['name not a string', { ...valid, name: 123 }, 'name'],
    ['name of 1 character', { ...valid, name: '坏' }, 'name'],
    ['name of 61 characters', { ...valid, name: '名'.repeat(61) }, 'name'],
    ['name with a control character', { ...valid, name: '坏\u0001输入' }, 'name'],
    ['missing master_id', without('master_id'), 'master_id'],
    ['master_id as a string', { ...valid, master_id: '205' }, 'master_id'],
    ['master_id 0', { ...valid, master_id: 0 }, 'master_id'],
    ['master_id -5', { ...valid, master_id: -5 }, 'master_id'],
    ['master_id 1.5', { ...valid, master_id: 1.5 }, 'master_id'],
    ['master_id null', { ...valid, master_id: null }, 'master_id'],
    ['master_id that does not exist', { ...valid, master_id: 99999 }, 'master_id'],
    ['university_id that does not exist', { ...valid, university_id: 99999 }, 'university_id'],
    ['missing university_id', without('university_id'), 'university_id'],
    ['missing discipline', without('discipline'), 'discipline'],
    ['empty discipline', { ...valid, discipline: '' }, 'discipline'],
    ['discipline of 41 characters', { ...valid, discipline: '学'.repeat(41) }, 'discipline'],
    ['level not an option', { ...valid, level: 'state' }, 'level'],
    ['level not a string', { ...valid, level: 1 }, 'level'],
    ['missing established_on', without('established_on'), 'established_on'],
    ['established_on 2026-02-30', { ...valid, established_on: '2026-02-30' }, 'established_on'],
    ['established_on 2025-02-29 (not a leap year)', { ...valid, established_on: '2025-02-29' }, 'established_on'],
    ['established_on 2026-2-3', { ...valid, established_on: '2026-2-3' }, 'established_on'],
    ['established_on 20260203', { ...valid, established_on: '20260203' }, 'established_on'],
    ['established_on as a number', { ...valid, established_on: 20260203 }, 'established_on'],
    ['cycle that is not a span of years', { ...valid, cycle: '2025' }, 'cycle'],
    ['cycle backwards', { ...valid, cycle: '2027-2025' }, 'cycle'],
    ['introduction of 4001 characters', { ...valid, introduction: '简'.repeat(4001) }, 'introduction'],
    ['training_plan of 8001 characters', { ...valid, training_plan: '计'.repeat(8001) }, 'training_plan'],
    ['honours of 4001 characters', { ...valid, honours: '荣'.repeat(4001) }, 'honours'],
    ['max_members -1', { ...valid, max_members: -1 }, 'max_members'],
    ['max_members 0', { ...valid, max_members: 0 }, 'max_members'],
    ['max_members 201', { ...valid, max_members: 201 }, 'max_members'],
    ['max_members 1e30', '1e30', 'max_members'],
    ['max_members 9007199254740993', '9007199254740993', 'max_members'],
    ['max_members "6"', { ...valid, max_members: '6' }, 'max_members'],
    ['max_members 6.5', { ...valid, max_members: 6.5 }, 'max_members'],
    ['max_members true', { ...valid, max_members: true }, 'max_members'],
    ['status not an option', { ...valid, status: 'open' }, 'status'],
    ['an unknown field', { ...valid, foo: 1 }, 'foo'],
    ['an id in the body', { ...valid, id: 99 }, 'id'],
  ];

  for (const [what, body, field] of CREATE_CASES) {
    it(`POST /studios with ${what}: 400 validation_failed field ${field}`, async () => {
      const before = [auditCount(), countRows(server, 'studios')];
      // Numbers JavaScript cannot hold exactly are spliced into the JSON text.
      const raw = typeof body === 'string' ? Buffer.from(JSON.stringify(valid).replace(/}$/, `,"max_members":${body}}`)) : body;
      const res = await send('admin', 'POST', `${V1}/studios`, raw, typeof body === 'string' ? { contentType: 'application/json' } : {});
      assertError(res, 400, 'validation_failed', field);
      assert.deepEqual([auditCount(), countRows(server, 'studios')], before, 'nothing written');
    });
  }

  it('bodies that are not one valid JSON object: invalid_json (raw 0xff in a string, truncated, duplicate keys) or validation_failed (an array)', async () => {
    const before = [auditCount(), countRows(server, 'studios')];
    const json = (b) => send('admin', 'POST', `${V1}/studios`, b, { contentType: 'application/json' });
    const ff = Buffer.concat([Buffer.from('{"name":"坏'), Buffer.from([0xff]), Buffer.from('工作室","master_id":205,"university_id":1,"discipline":"数学","established_on":"2025-09-01"}')]);
    assertError(await json(ff), 400, 'invalid_json', null);
    assertError(await json(Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])), 400, 'invalid_json', null); // {"n":"\xc3("}
    assertError(await json('{"name":"坏输入工作室"'), 400, 'invalid_json', null);
    assertError(await json('{"name":"a","name":"b"}'), 400, 'invalid_json', null);
    assertError(await json('[]'), 400, 'validation_failed', null);
    assertError(await json(''), 400, 'invalid_json', null);
    assertError(await send('admin', 'POST', `${V1}/studios`, JSON.stringify(valid), { contentType: 'text/plain' }), 415, 'unsupported_media_type');
    assert.deepEqual([auditCount(), countRows(server, 'studios')], before, 'nothing written');
  });

  it('PATCH with bad values: 400 naming the field, studio unchanged', async () => {
    const before = [auditCount(), (await get('admin', `${V1}/studios/2`)).text];
    const cases = [
      [{ max_members: 201 }, 'max_members'], [{ max_members: -1 }, 'max_members'], [{ established_on: '2026-02-30' }, 'established_on'],
      [{ master_id: 99999 }, 'master_id'], [{ university_id: 99999 }, 'university_id'], [{ name: 'x' }, 'name'],
      [{ introduction: '简'.repeat(4001) }, 'introduction'], [{ status: 'deleted' }, 'status'], [{ nope: true }, 'nope'],
      [{ name: null }, 'name'],
    ];
    for (const [body, field] of cases) assertError(await send('admin', 'PATCH', `${V1}/studios/2`, body), 400, 'validation_failed', field);
    assertError(await send('admin', 'PATCH', `${V1}/studios/2`, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), { contentType: 'application/json' }), 400, 'invalid_json', null);
    assert.deepEqual([auditCount(), (await get('admin', `${V1}/studios/2`)).text], before);
  });
});

describe('achievements', () => {
  const A_KEYS = ['achieved_on', 'created_at', 'created_by', 'description', 'id', 'kind', 'link', 'studio_id', 'title'];
  let created;

  it('GET /studios/1/achievements: newest first, every field', async () => {
    const res = await get('teacher_wang', `${V1}/studios/1/achievements`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.total, 3);
    assert.deepEqual(res.json.items.map((a) => [a.kind, a.title, a.achieved_on]), [
      ['award', '河南省高等学校青年教师教学竞赛一等奖', '2025-11-08'],
      ['paper', '课程思政视域下高等数学教学设计研究', '2025-06-15'],
      ['course', '高等数学（国家级线上线下混合式一流课程）', '2024-12-20'],
    ]);
    for (const a of res.json.items) {
      assert.deepEqual(Object.keys(a).sort(), A_KEYS);
      assert.equal(a.studio_id, 1);
      assert.equal(a.created_by, 3);
    }
    assert.deepEqual((await get('teacher_wang', `${V1}/studios/2/achievements`)).json, { items: [], total: 0 });
  });

  it('master_li adds one: 201 with every field; listed by date; audited on the studio', async () => {
    const before = auditCount();
    const body = { kind: 'teaching_case', title: '混合式教学案例', achieved_on: '2025-08-01', description: '案例说明', link: 'https://example.edu.cn/case/1' };
    const res = await send('master_li', 'POST', `${V1}/studios/1/achievements`, body);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), A_KEYS);
    created = res.json;
    const { id, created_at: c, ...rest } = res.json;
    assert.match(c, RFC3339);
    assert.deepEqual(rest, { ...body, studio_id: 1, created_by: 3 });
    const list = await get('teacher_wang', `${V1}/studios/1/achievements`);
    assert.equal(list.json.items.map((a) => a.id).indexOf(id), 1, 'after 2025-11-08, before 2025-06-15');
    assert.equal(list.json.items[1].achieved_on, '2025-08-01');
    assert.equal(auditCount(), before + 1);
    const [entry] = sqliteJson(server, 'SELECT user_id, action, entity, entity_id, detail FROM audit ORDER BY id DESC LIMIT 1');
    assert.deepEqual({ ...entry, detail: JSON.parse(entry.detail) }, {
      user_id: 3, action: 'achievement.create', entity: 'studio', entity_id: 1,
      detail: { achievement_id: id, kind: 'teaching_case', title: '混合式教学案例' },
    });
  });

  it('every kind is accepted; optional fields default to ""; title of 200 and link of 500 characters are accepted', async () => {
    for (const kind of ['paper', 'award', 'course', 'other']) {
      const res = await send('zzu_admin', 'POST', `${V1}/studios/1/achievements`, { kind, title: `成果-${kind}`, achieved_on: '2024-01-01' });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.json.description, '');
      assert.equal(res.json.link, '');
      assert.equal(res.json.created_by, 2);
    }
    const link = `http://example.edu.cn/${'a'.repeat(500 - 'http://example.edu.cn/'.length)}`;
    const res = await send('admin', 'POST', `${V1}/studios/1/achievements`, { kind: 'other', title: '题'.repeat(200), achieved_on: '2024-02-29', link });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.link, link);
  });

  it('limits count characters, not bytes: a link of 200 characters with a Chinese path is accepted', async () => {
    const link = `https://example.edu.cn/成果/${'案'.repeat(200 - 'https://example.edu.cn/成果/'.length)}`;
    assert.equal([...link].length, 200);
    const res = await send('master_li', 'POST', `${V1}/studios/1/achievements`, { kind: 'other', title: '中文链接', achieved_on: '2024-03-01', link });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.link, link);
  });

  it('only the studio\'s admins and master write: henu_admin, master_liu, teacher_wang are refused and nothing is written', async () => {
    const before = [auditCount(), countRows(server, 'achievements')];
    const body = { kind: 'paper', title: '越权成果', achieved_on: '2025-01-01' };
    assertError(await send('henu_admin', 'POST', `${V1}/studios/1/achievements`, body), 403, 'forbidden');
    assertError(await send('master_liu', 'POST', `${V1}/studios/1/achievements`, body), 403, 'forbidden');
    assertError(await send('teacher_wang', 'POST', `${V1}/studios/1/achievements`, body), 403, 'forbidden');
    assertError(await send('master_liu', 'PATCH', `${V1}/studios/1/achievements/${created.id}`, { title: 'x' }), 403, 'forbidden');
    assertError(await send('master_liu', 'DELETE', `${V1}/studios/1/achievements/${created.id}`), 403, 'forbidden');
    assertError(await send('master_li', 'PATCH', `${V1}/studios/4/achievements/4`, { title: 'x' }), 403, 'forbidden');
    assert.deepEqual([auditCount(), countRows(server, 'achievements')], before);
  });

  it('PATCH changes the given fields; an achievement of another studio is 404 under this one', async () => {
    const res = await send('master_li', 'PATCH', `${V1}/studios/1/achievements/${created.id}`, { title: '混合式教学案例（修订）', link: null });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { ...created, title: '混合式教学案例（修订）', link: '' });
    assertError(await send('master_li', 'PATCH', `${V1}/studios/1/achievements/4`, { title: 'x' }), 404, 'not_found');
    assert.equal(sqlite(server, 'SELECT title FROM achievements WHERE id = 4'), '《诗经》研讨式教学案例');
    assertError(await send('master_li', 'DELETE', `${V1}/studios/1/achievements/4`), 404, 'not_found');
    assert.equal(countRows(server, 'achievements', 'id = 4'), 1);
  });

  it('DELETE: 204 with no body; gone from the list; again: 404', async () => {
    const res = await send('master_li', 'DELETE', `${V1}/studios/1/achievements/${created.id}`);
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    const list = await get('teacher_wang', `${V1}/studios/1/achievements`);
    assert.ok(!list.json.items.some((a) => a.id === created.id));
    assertError(await send('master_li', 'DELETE', `${V1}/studios/1/achievements/${created.id}`), 404, 'not_found');
    const [entry] = sqliteJson(server, 'SELECT action, entity_id, detail FROM audit ORDER BY id DESC LIMIT 1');
    assert.deepEqual({ ...entry, detail: JSON.parse(entry.detail) }, { action: 'achievement.delete', entity_id: 1, detail: { achievement_id: created.id } });
  });

  const valid = { kind: 'paper', title: '坏输入成果', achieved_on: '2025-01-01' };
  const BAD = [
    ['kind not an option', { ...valid, kind: 'book' }, 'kind'],
    ['missing kind', { title: 't', achieved_on: '2025-01-01' }, 'kind'],
    ['missing title', { kind: 'paper', achieved_on: '2025-01-01' }, 'title'],
    ['empty title', { ...valid, title: '' }, 'title'],
    ['title of 201 characters', { ...valid, title: '题'.repeat(201) }, 'title'],
    ['title as a number', { ...valid, title: 5 }, 'title'],
    ['missing achieved_on', { kind: 'paper', title: 't' }, 'achieved_on'],
    ['achieved_on 2025-13-01', { ...valid, achieved_on: '2025-13-01' }, 'achieved_on'],
    ['achieved_on 2026-02-30', { ...valid, achieved_on: '2026-02-30' }, 'achieved_on'],
    ['description of 4001 characters', { ...valid, description: '述'.repeat(4001) }, 'description'],
    ['link with ftp://', { ...valid, link: 'ftp://example.edu.cn/x' }, 'link'],
    ['link with javascript:', { ...valid, link: 'javascript:alert(1)' }, 'link'],
    ['link without a scheme', { ...valid, link: 'example.edu.cn' }, 'link'],
    ['link of 501 characters', { ...valid, link: `https://e.cn/${'a'.repeat(501 - 'https://e.cn/'.length)}` }, 'link'],
    ['a studio_id in the body', { ...valid, studio_id: 4 }, 'studio_id'],
  ];
  for (const [what, body, field] of BAD) {
    it(`POST achievement with ${what}: 400 validation_failed field ${field}, nothing written`, async () => {
      const before = [auditCount(), countRows(server, 'achievements')];
      assertError(await send('master_li', 'POST', `${V1}/studios/1/achievements`, body), 400, 'validation_failed', field);
      assert.deepEqual([auditCount(), countRows(server, 'achievements')], before);
    });
  }

  it('PATCH achievement with bad values: 400 naming the field, unchanged', async () => {
    const before = sqlite(server, 'SELECT kind, title, achieved_on, link FROM achievements WHERE id = 1');
    for (const [body, field] of [[{ kind: 'book' }, 'kind'], [{ achieved_on: '2025-02-29' }, 'achieved_on'], [{ link: 'ftp://x' }, 'link'], [{ title: '' }, 'title'], [{ id: 2 }, 'id']]) {
      assertError(await send('master_li', 'PATCH', `${V1}/studios/1/achievements/1`, body), 400, 'validation_failed', field);
    }
    assert.equal(sqlite(server, 'SELECT kind, title, achieved_on, link FROM achievements WHERE id = 1'), before);
  });

  it('achievements of a studio that does not exist: 404', async () => {
    assertError(await get('teacher_wang', `${V1}/studios/99999/achievements`), 404, 'not_found');
    assertError(await send('admin', 'POST', `${V1}/studios/99999/achievements`, valid), 404, 'not_found');
  });
});

describe('list conventions (DESIGN §6)', () => {
  it('every list takes limit (1–200) and offset: studios, members, achievements, universities', async () => {
    const problems = [];
    for (const list of [`${V1}/studios`, `${V1}/studios/4/members`, `${V1}/studios/1/achievements`, `${V1}/universities`]) {
      const all = await get('admin', list);
      assert.equal(all.status, 200, all.text);
      assert.ok(all.json.total >= 2, `${list}: at least two items`);
      const one = await get('admin', `${list}?limit=1&offset=1`);
      if (one.status !== 200 || one.json.items.length !== 1 || one.json.total !== all.json.total
        || JSON.stringify(one.json.items[0]) !== JSON.stringify(all.json.items[1])) {
        problems.push(`${list}?limit=1&offset=1 → ${one.status}, ${one.json && one.json.items ? one.json.items.length : '?'} items (want 1: the second of ${all.json.total})`);
      }
      const bad = await get('admin', `${list}?limit=201`);
      if (bad.status !== 400 || !bad.json.error || bad.json.error.field !== 'limit') problems.push(`${list}?limit=201 → ${bad.status} (want 400 field limit)`);
    }
    assert.deepEqual(problems, []);
  });
});
