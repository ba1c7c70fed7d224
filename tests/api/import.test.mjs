// CSV imports (issue 3 §1, DESIGN §6): POST /users/import and POST /studios/import take
// text/csv (UTF-8 with or without a BOM, RFC 4180 quoting with commas and newlines inside
// fields). ?dry_run=1 reports every row's errors and writes nothing; a real import writes
// every row or none. Row 2 is the first data row (the header is row 1).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, countRows, loginAll, request, sqlite, sqliteJson, startServer } from './helpers.mjs';

const V1 = '/api/v1';
const INITIAL = /^[A-HJ-NP-Za-km-z2-9]{16}$/;
const BOM = '\uFEFF';
const USERS_HEADER = 'username,name,role,university_code,title,phone,email';
const STUDIOS_HEADER = 'name,discipline,level,established_on,cycle,max_members,introduction,university_code,university_name,master_username,master_name,master_title,master_phone,master_email';

let server;
let S;

before(async () => {
  server = await startServer();
  S = await loginAll(server, ['admin', 'zzu_admin']);
});
after(async () => { if (server) await server.dispose(); });

const importCsv = (kind, csv, { dry = false, who = 'admin', contentType = 'text/csv; charset=utf-8', query } = {}) => request(server, 'POST',
  `${V1}/${kind}/import${query !== undefined ? query : dry ? '?dry_run=1' : ''}`,
  { cookie: S[who].cookie, csrf: S[who].csrf, body: csv, contentType });
// Everything an import may write, counted.
const counts = () => ({
  users: countRows(server, 'users'), studios: countRows(server, 'studios'),
  universities: countRows(server, 'universities'), audit: countRows(server, 'audit'),
});
const errorsOf = (list) => list.map(({ row, field, message }) => {
  assert.equal(typeof message, 'string');
  assert.ok(message.length > 0, `row ${row}: a message`);
  return { row, field };
});

describe('users.csv', () => {
  const GOOD = `${BOM}${USERS_HEADER}\n`
    + 'imp_t1,"张, 三",teacher,10459,讲师,13900000001,t1@zzu.example.edu.cn\n'
    + 'imp_t2,"李\n四",teacher,10475,"副教授",,\n'
    + 'imp_m1,王五,master,10476,教授,,\n';
  let accounts;

  it('dry run (BOM, quoted comma, quoted newline): 200 with what it would create, and writes nothing', async () => {
    const before = counts();
    const res = await importCsv('users', GOOD, { dry: true });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { dry_run: true, rows: 3, would_create: { users: 3, studios: 0, universities: 0 }, errors: [] });
    assert.deepEqual(counts(), before);
    assert.equal(countRows(server, 'users', "username LIKE 'imp_%'"), 0);
  });

  it('the real import: 201 with the accounts and their initial passwords; the users exist as the file says; audited', async () => {
    const before = counts();
    const res = await importCsv('users', GOOD);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['accounts', 'created', 'dry_run', 'errors', 'rows']);
    assert.equal(res.json.dry_run, false);
    assert.equal(res.json.rows, 3);
    assert.deepEqual(res.json.created, { users: 3, studios: 0, universities: 0 });
    assert.deepEqual(res.json.errors, []);
    accounts = res.json.accounts;
    assert.deepEqual(accounts.map(({ username, name }) => ({ username, name })), [
      { username: 'imp_t1', name: '张, 三' }, { username: 'imp_t2', name: '李\n四' }, { username: 'imp_m1', name: '王五' },
    ]);
    for (const a of accounts) assert.match(a.initial_password, INITIAL);
    assert.equal(new Set(accounts.map((a) => a.initial_password)).size, 3, 'one password per account');
    assert.deepEqual(counts(), { ...before, users: before.users + 3, audit: before.audit + 3 });
    const rows = sqliteJson(server, "SELECT username, name, role, university_id, title, phone, email, must_change_password FROM users WHERE username LIKE 'imp_%' ORDER BY id");
    assert.deepEqual(rows, [
      { username: 'imp_t1', name: '张, 三', role: 'teacher', university_id: 1, title: '讲师', phone: '13900000001', email: 't1@zzu.example.edu.cn', must_change_password: 1 },
      { username: 'imp_t2', name: '李\n四', role: 'teacher', university_id: 2, title: '副教授', phone: '', email: '', must_change_password: 1 },
      { username: 'imp_m1', name: '王五', role: 'master', university_id: 3, title: '教授', phone: '', email: '', must_change_password: 1 },
    ]);
    assert.deepEqual(sqliteJson(server, 'SELECT user_id, action, entity FROM audit ORDER BY id DESC LIMIT 3').map((e) => e.action), ['user.create', 'user.create', 'user.create']);
  });

  it('an imported user signs in with the initial password and must change it', async () => {
    const res = await request(server, 'POST', `${V1}/session`, { body: { username: 'imp_t1', password: accounts[0].initial_password } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.user.username, 'imp_t1');
    assert.equal(res.json.user.must_change_password, true);
  });

  it('no BOM, CRLF line ends, columns in any order and any case, doubled quotes inside quotes', async () => {
    const csv = 'Email,ROLE,Username,Name\r\nimp_e1@example.edu.cn,expert,imp_e1,专家甲\r\n,teacher,imp_e2,"王""小""明, 老师"\r\n';
    const res = await importCsv('users', csv);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json.created, { users: 2, studios: 0, universities: 0 });
    assert.deepEqual(sqliteJson(server, "SELECT name, role, email, university_id FROM users WHERE username IN ('imp_e1', 'imp_e2') ORDER BY id"), [
      { name: '专家甲', role: 'expert', email: 'imp_e1@example.edu.cn', university_id: null },
      { name: '王"小"明, 老师', role: 'teacher', email: '', university_id: null },
    ]);
  });

  const BAD = `${USERS_HEADER}\n`
    + 'ok_user1,"多行\n姓名",teacher,10459,,,\n' // row 2: fine (one record over two lines)
    + 'Bad User,坏,teacher,10459,,,\n' // 3
    + 'ok_user2,,teacher,10459,,,\n' // 4: no name
    + 'ok_user3,某,boss,10459,,,\n' // 5
    + 'ok_user4,某,teacher,99999,,,\n' // 6: no such university
    + 'ok_user5,某,teacher,10459,,12ab,\n' // 7
    + 'ok_user6,某,teacher,10459,,,not-an-email\n' // 8
    + 'admin,某,teacher,,,,\n' // 9: taken
    + 'ok_user1,重复,teacher,10459,,,\n' // 10: taken by row 2
    + `ok_user7,${'名'.repeat(65)},teacher,,,,\n` // 11
    + `ok_user8,某,teacher,10459,${'职'.repeat(33)},,\n`; // 12
  const BAD_ERRORS = [
    { row: 3, field: 'username' }, { row: 4, field: 'name' }, { row: 5, field: 'role' }, { row: 6, field: 'university_code' },
    { row: 7, field: 'phone' }, { row: 8, field: 'email' }, { row: 9, field: 'username' }, { row: 10, field: 'username' },
    { row: 11, field: 'name' }, { row: 12, field: 'title' },
  ];

  it('dry run of a file with bad rows: 200 with every row\'s error (row number and field), writes nothing', async () => {
    const before = counts();
    const res = await importCsv('users', BAD, { dry: true });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['dry_run', 'errors', 'rows', 'would_create']);
    assert.equal(res.json.dry_run, true);
    assert.equal(res.json.rows, 11);
    assert.deepEqual(res.json.would_create, { users: 1, studios: 0, universities: 0 });
    assert.deepEqual(errorsOf(res.json.errors), BAD_ERRORS);
    assert.deepEqual(counts(), before);
  });

  it('the real import of that file: 400 validation_failed field csv with the same rows; nothing written, not even the good row', async () => {
    const before = counts();
    const res = await importCsv('users', BAD);
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(Object.keys(res.json), ['error']);
    assert.deepEqual(Object.keys(res.json.error).sort(), ['code', 'field', 'message', 'rows']);
    assert.equal(res.json.error.code, 'validation_failed');
    assert.equal(res.json.error.field, 'csv');
    assert.equal(typeof res.json.error.message, 'string');
    assert.deepEqual(errorsOf(res.json.error.rows), BAD_ERRORS);
    assert.deepEqual(counts(), before);
    assert.equal(countRows(server, 'users', "username = 'ok_user1'"), 0);
  });

  it('all or nothing: one good row and one bad row import nothing', async () => {
    const before = counts();
    const res = await importCsv('users', 'username,name,role\ngood_one,好,teacher\nBad,坏,teacher\n');
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(errorsOf(res.json.error.rows), [{ row: 3, field: 'username' }]);
    assert.deepEqual(counts(), before);
    assert.equal(countRows(server, 'users', "username = 'good_one'"), 0);
  });

  it('row errors name the CSV column: a university_admin without university_code', async () => {
    const res = await importCsv('users', 'username,name,role,university_code\nimp_ua,校管理员,university_admin,\n', { dry: true });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(errorsOf(res.json.errors), [{ row: 2, field: 'university_code' }]);
  });

  it('file-level problems: 400 validation_failed field csv (dry run or not), nothing written', async () => {
    const before = counts();
    const gbk = Buffer.concat([Buffer.from('username,name,role\nimp_gbk,'), Buffer.from([0xd5, 0xc5, 0xc8, 0xfd]), Buffer.from(',teacher\n')]);
    const cases = [
      ['an unknown column', 'username,name,role,password\nimp_x,某,teacher,secret\n'],
      ['a missing required column', 'username,name\nimp_x,某\n'],
      ['only a header', `${USERS_HEADER}\n`],
      ['not UTF-8 (GBK)', gbk],
      ['invalid UTF-8 after a BOM', Buffer.concat([Buffer.from(`${BOM}username,name,role\nimp_x,`), Buffer.from([0xff]), Buffer.from(',teacher\n')])],
      ['an unterminated quote', 'username,name,role\nimp_x,"某,teacher\n'],
      ['a stray quote', 'username,name,role\nimp_x,a"b,teacher\n'],
    ];
    for (const [what, csv] of cases) {
      for (const dry of [true, false]) {
        const res = await importCsv('users', csv, { dry });
        try {
          assertError(res, 400, 'validation_failed', 'csv');
        } catch (e) { e.message = `${what} (dry_run ${dry}): ${e.message}`; throw e; }
      }
    }
    assert.deepEqual(counts(), before);
  });

  it('an empty body: 400 field csv; JSON instead of CSV: 415; a bad dry_run: 400 field dry_run; non-admins: 403', async () => {
    const before = counts();
    assertError(await importCsv('users', ''), 400, 'validation_failed', 'csv');
    assertError(await importCsv('users', GOOD, { contentType: 'application/json' }), 415, 'unsupported_media_type');
    assertError(await importCsv('users', GOOD.replace(/imp_/g, 'imq_'), { query: '?dry_run=yes' }), 400, 'validation_failed', 'dry_run');
    assertError(await importCsv('users', GOOD.replace(/imp_/g, 'imq_'), { who: 'zzu_admin' }), 403, 'forbidden');
    assert.deepEqual(counts(), before);
  });
});

describe('studios.csv', () => {
  const GOOD = `${BOM}${STUDIOS_HEADER}\r\n`
    + '"导入工作室, 甲",数学,provincial,2025-01-01,2025-2027,8,"第一行\r\n第二行, 含逗号",10459,郑州大学,imp_master_a,新名师甲,教授,13900001111,a@zzu.example.edu.cn\r\n'
    + '导入工作室乙,物理学,national,2025-02-01,,,,10499,新建大学,imp_master_b,新名师乙,,,\r\n' // a new university
    + '导入工作室丙,化学,,2025-03-01,,,,10499,新建大学,imp_master_c,新名师丙,,,\r\n' // the university of the row above
    + '导入工作室丁,历史学,,2025-04-01,,,,10476,,imp_m1,,,,\r\n'; // an existing master (users.csv above)
  let accounts;

  it('dry run: 200 with what it would create (studios, new masters, new universities); writes nothing', async () => {
    const before = counts();
    const res = await importCsv('studios', GOOD, { dry: true });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { dry_run: true, rows: 4, would_create: { users: 3, studios: 4, universities: 1 }, errors: [] });
    assert.deepEqual(counts(), before);
  });

  it('the real import: 201; studios, masters and the university exist as the file says; new masters get accounts', async () => {
    const before = counts();
    const res = await importCsv('studios', GOOD);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual({ ...res.json, accounts: undefined }, {
      dry_run: false, rows: 4, created: { users: 3, studios: 4, universities: 1 }, errors: [], accounts: undefined,
    });
    accounts = res.json.accounts;
    assert.deepEqual(accounts.map(({ username, name }) => ({ username, name })), [
      { username: 'imp_master_a', name: '新名师甲' }, { username: 'imp_master_b', name: '新名师乙' }, { username: 'imp_master_c', name: '新名师丙' },
    ]);
    for (const a of accounts) assert.match(a.initial_password, INITIAL);
    assert.deepEqual(counts(), { users: before.users + 3, studios: before.studios + 4, universities: before.universities + 1, audit: before.audit + 8 });

    const uni = sqliteJson(server, "SELECT id, name FROM universities WHERE code = '10499'");
    assert.deepEqual(uni.map((u) => u.name), ['新建大学']);
    const list = await request(server, 'GET', `${V1}/studios?q=${encodeURIComponent('导入工作室')}&sort=name&limit=10`, { cookie: S.admin.cookie });
    assert.equal(list.json.total, 4);
    const byName = Object.fromEntries(await Promise.all(list.json.items.map(async (s) => {
      const one = await request(server, 'GET', `${V1}/studios/${s.id}`, { cookie: S.admin.cookie });
      return [s.name, one.json];
    })));
    const pick = (s) => ({
      master: s.master, university: s.university, discipline: s.discipline, level: s.level, established_on: s.established_on,
      cycle: s.cycle, max_members: s.max_members, introduction: s.introduction, status: s.status,
    });
    const masterId = (u) => Number(sqlite(server, `SELECT id FROM users WHERE username = '${u}'`));
    assert.deepEqual(pick(byName['导入工作室, 甲']), {
      master: { id: masterId('imp_master_a'), name: '新名师甲', title: '教授' }, university: { id: 1, name: '郑州大学' }, discipline: '数学',
      level: 'provincial', established_on: '2025-01-01', cycle: '2025-2027', max_members: 8, introduction: '第一行\r\n第二行, 含逗号', status: 'active',
    });
    assert.deepEqual(pick(byName['导入工作室乙']), {
      master: { id: masterId('imp_master_b'), name: '新名师乙', title: '' }, university: { id: uni[0].id, name: '新建大学' }, discipline: '物理学',
      level: 'national', established_on: '2025-02-01', cycle: '', max_members: 6, introduction: '', status: 'active',
    });
    assert.deepEqual(pick(byName['导入工作室丙']).university, { id: uni[0].id, name: '新建大学' });
    assert.equal(byName['导入工作室丙'].level, 'provincial');
    assert.deepEqual(pick(byName['导入工作室丁']).master, { id: masterId('imp_m1'), name: '王五', title: '教授' });
    assert.deepEqual(pick(byName['导入工作室丁']).university, { id: 3, name: '河南师范大学' });
    // The new masters: role master at the row's university, contact data as given, must change the password.
    assert.deepEqual(sqliteJson(server, "SELECT username, role, university_id, title, phone, email, must_change_password FROM users WHERE username = 'imp_master_a'"),
      [{ username: 'imp_master_a', role: 'master', university_id: 1, title: '教授', phone: '13900001111', email: 'a@zzu.example.edu.cn', must_change_password: 1 }]);
    assert.equal(sqlite(server, "SELECT university_id FROM users WHERE username = 'imp_master_b'"), String(uni[0].id));
    const actions = sqliteJson(server, 'SELECT action FROM audit ORDER BY id DESC LIMIT 8').map((e) => e.action).sort();
    assert.deepEqual(actions, ['studio.create', 'studio.create', 'studio.create', 'studio.create', 'university.create', 'user.create', 'user.create', 'user.create']);
  });

  it('an imported master signs in with the initial password; GET /me names the studio', async () => {
    const res = await request(server, 'POST', `${V1}/session`, { body: { username: 'imp_master_b', password: accounts[1].initial_password } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.user.must_change_password, true);
    const me = await request(server, 'GET', `${V1}/me`, { cookie: res.headers['set-cookie'][0].split(';')[0] });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.role, 'master');
    assert.equal(me.json.studio_id, Number(sqlite(server, "SELECT id FROM studios WHERE name = '导入工作室乙'")));
  });

  const row = (name, over = {}) => {
    const r = { name, discipline: '数学', level: '', established_on: '2025-01-01', cycle: '', max_members: '', introduction: '', university_code: '10459', university_name: '', master_username: '', master_name: '', master_title: '', master_phone: '', master_email: '', ...over };
    return STUDIOS_HEADER.split(',').map((k) => r[k]).join(',');
  };
  const BAD = [
    STUDIOS_HEADER,
    row('错误测试工作室A', { master_username: 'imp_master_x', master_name: '新名师X' }), // 2: fine
    row('错误测试工作室B', { university_code: '10888', master_username: 'imp_master_y', master_name: '新名师Y' }), // 3: a new university without a name
    row('错误测试工作室C', { university_name: '河南大学', master_username: 'imp_master_z', master_name: '新名师Z' }), // 4: the code is 郑州大学
    row('错误测试工作室D', { master_username: 'imp_master_w' }), // 5: a new master without a name
    row('错误测试工作室E', { master_username: 'teacher_wang' }), // 6: a teacher
    row('错误测试工作室F', { established_on: '2026-02-30', master_username: 'imp_master_v', master_name: '新名师V' }), // 7
    row('错误测试工作室G', { max_members: '0', master_username: 'imp_master_u', master_name: '新名师U' }), // 8
    row('错误测试工作室H', { max_members: 'abc', master_username: 'imp_master_t', master_name: '新名师T' }), // 9
    row('错误测试工作室I', { level: 'state', master_username: 'imp_master_s', master_name: '新名师S' }), // 10
    row('高等数学教学名师工作室', { master_username: 'imp_master_r', master_name: '新名师R' }), // 11: the name is taken
    row('', { master_username: 'imp_master_q', master_name: '新名师Q' }), // 12: no name
    row('错误测试工作室J', { master_username: 'Bad Master', master_name: '新名师J' }), // 13
    row('错误测试工作室K', { max_members: '201', master_username: 'imp_master_o', master_name: '新名师O' }), // 14
    row('错误测试工作室L', { cycle: '2025', master_username: 'imp_master_n', master_name: '新名师N' }), // 15
  ].join('\n');
  const BAD_ERRORS = [
    { row: 3, field: 'university_name' }, { row: 4, field: 'university_name' }, { row: 5, field: 'master_name' },
    { row: 6, field: 'master_username' }, { row: 7, field: 'established_on' }, { row: 8, field: 'max_members' },
    { row: 9, field: 'max_members' }, { row: 10, field: 'level' }, { row: 11, field: 'name' }, { row: 12, field: 'name' },
    { row: 13, field: 'master_username' }, { row: 14, field: 'max_members' }, { row: 15, field: 'cycle' },
  ];

  it('dry run of a file with bad rows: every row\'s error with its row number and column; nothing written', async () => {
    const before = counts();
    const res = await importCsv('studios', BAD, { dry: true });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.rows, 14);
    assert.deepEqual(errorsOf(res.json.errors), BAD_ERRORS);
    assert.equal(res.json.would_create.studios, 1);
    assert.deepEqual(counts(), before);
  });

  it('the real import of that file: 400 field csv with the same rows; nothing written', async () => {
    const before = counts();
    const res = await importCsv('studios', BAD);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.code, 'validation_failed');
    assert.equal(res.json.error.field, 'csv');
    assert.deepEqual(errorsOf(res.json.error.rows), BAD_ERRORS);
    assert.deepEqual(counts(), before);
    assert.equal(countRows(server, 'users', "username = 'imp_master_x'"), 0);
  });

  it('all or nothing: a new university and master in a good row are not kept when another row fails', async () => {
    const before = counts();
    const csv = [STUDIOS_HEADER,
      row('全有全无工作室', { university_code: '10777', university_name: '全有全无大学', master_username: 'imp_master_aa', master_name: '新名师AA' }),
      row('全有全无工作室二', { established_on: '2025-13-01', master_username: 'imp_master_bb', master_name: '新名师BB' })].join('\n');
    const res = await importCsv('studios', csv);
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(errorsOf(res.json.error.rows), [{ row: 3, field: 'established_on' }]);
    assert.deepEqual(counts(), before);
    assert.equal(countRows(server, 'universities', "code = '10777'"), 0);
    assert.equal(countRows(server, 'users', "username = 'imp_master_aa'"), 0);
  });

  it('a dry run counts only what the valid rows would create (a failing row\'s new university and master are not counted)', async () => {
    const csv = [STUDIOS_HEADER,
      row('高等数学教学名师工作室', { university_code: '10778', university_name: '计数大学', master_username: 'imp_master_cc', master_name: '新名师CC' })].join('\n');
    const res = await importCsv('studios', csv, { dry: true });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(errorsOf(res.json.errors), [{ row: 2, field: 'name' }]);
    assert.deepEqual(res.json.would_create, { users: 0, studios: 0, universities: 0 });
  });

  it('row errors name the CSV column: master_phone, master_email, and master_username for a master who cannot take the studio', async () => {
    const csv = [STUDIOS_HEADER,
      row('列名测试工作室A', { master_username: 'imp_master_dd', master_name: '新名师DD', master_phone: '12ab' }), // 2
      row('列名测试工作室B', { master_username: 'imp_master_ee', master_name: '新名师EE', master_email: 'not-an-email' }), // 3
      row('列名测试工作室C', { master_username: 'master_li' }), // 4: runs studio 1 already
      row('列名测试工作室D', { master_username: 'master_liu' }), // 5: a master of 河南大学
    ].join('\n');
    const res = await importCsv('studios', csv, { dry: true });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(errorsOf(res.json.errors), [
      { row: 2, field: 'master_phone' }, { row: 3, field: 'master_email' }, { row: 4, field: 'master_username' }, { row: 5, field: 'master_username' },
    ]);
  });

  it('file-level problems: unknown or missing columns, not UTF-8: 400 field csv; non-admins 403; nothing written', async () => {
    const before = counts();
    const cases = [
      ['an unknown column', `${STUDIOS_HEADER},funding\n${row('文件级A', { master_username: 'imp_f1', master_name: '甲' })},100\n`],
      ['a missing master_username column', 'name,discipline,established_on,university_code\n文件级B,数学,2025-01-01,10459\n'],
      ['a missing university_code column', 'name,discipline,established_on,master_username,master_name\n文件级C,数学,2025-01-01,imp_f2,乙\n'],
      ['not UTF-8', Buffer.concat([Buffer.from(`${STUDIOS_HEADER}\n`), Buffer.from([0xb8, 0xdf, 0xb5, 0xc8]), Buffer.from(`,数学,,2025-01-01,,,,10459,,imp_f3,丙,,,\n`)])],
    ];
    for (const [what, csv] of cases) {
      for (const dry of [true, false]) {
        const res = await importCsv('studios', csv, { dry });
        try {
          assertError(res, 400, 'validation_failed', 'csv');
        } catch (e) { e.message = `${what} (dry_run ${dry}): ${e.message}`; throw e; }
      }
    }
    assertError(await importCsv('studios', GOOD, { who: 'zzu_admin' }), 403, 'forbidden');
    assertError(await importCsv('studios', GOOD, { contentType: 'application/json' }), 415, 'unsupported_media_type');
    assert.deepEqual(counts(), before);
  });
});
