// Users and universities (issue 3 §1, DESIGN §6 and §8): admins list, create, update and
// disable users; new and reset accounts get a one-time initial password that must be changed
// before anything else; disabling ends sessions and open WebSockets at once; personal data is
// masked in lists, whole only for admins and the person, and every whole read is logged.
// Universities: everyone reads, admins write; names and codes are unique.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertError, closed, countRows, DEMO_PASSWORD, loginAll, request, sqlite, sqliteJson, startServer, wsConnect,
} from './helpers.mjs';

const V1 = '/api/v1';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const INITIAL = /^[A-HJ-NP-Za-km-z2-9]{16}$/;
const USER_KEYS = ['created_at', 'disabled', 'email', 'id', 'must_change_password', 'name', 'phone', 'role', 'title', 'university_id', 'university_name', 'username'];

let server;
let S;

before(async () => {
  server = await startServer();
  S = await loginAll(server, ['admin', 'zzu_admin', 'master_li', 'teacher_wang', 'expert_sun']);
});
after(async () => { if (server) await server.dispose(); });

const get = (who, p) => request(server, 'GET', p, { cookie: (S[who] || who).cookie });
const send = (who, method, p, body, opts = {}) => request(server, method, p, { cookie: (S[who] || who).cookie, csrf: (S[who] || who).csrf, body, ...opts });
const signIn = (username, password) => request(server, 'POST', `${V1}/session`, { body: { username, password } });
const cookieOf = (res) => res.headers['set-cookie'][0].split(';')[0];
const auditCount = () => countRows(server, 'audit');
const lastAudit = () => {
  const [e] = sqliteJson(server, 'SELECT user_id, action, entity, entity_id, detail FROM audit ORDER BY id DESC LIMIT 1');
  return { ...e, detail: JSON.parse(e.detail) };
};
const piiReads = (reader, subject) => countRows(server, 'pii_reads', `reader_id = ${reader} AND subject_id = ${subject}`);
const strip = ({ created_at: c, ...rest }) => { assert.match(c, RFC3339); return rest; };

describe('listing users (admin): filters, paging, masked personal data', () => {
  it('GET /users: every user in id order with phone and email masked', async () => {
    const res = await get('admin', `${V1}/users`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.total, 40);
    assert.deepEqual(res.json.items.map((u) => u.id), Array.from({ length: 40 }, (_, i) => i + 1));
    for (const u of res.json.items) assert.deepEqual(Object.keys(u).sort(), USER_KEYS, `user ${u.id}`);
    const byId = Object.fromEntries(res.json.items.map((u) => [u.id, u]));
    assert.deepEqual(strip(byId[3]), {
      id: 3, username: 'master_li', name: '李明华', role: 'master', university_id: 1, university_name: '郑州大学',
      title: '教授', phone: '138****0001', email: 'l***@zzu.example.edu.cn', disabled: false, must_change_password: false,
    });
    assert.deepEqual(strip(byId[1]), {
      id: 1, username: 'admin', name: '省教育厅管理员', role: 'admin', university_id: null, university_name: null,
      title: '', phone: '', email: '', disabled: false, must_change_password: false,
    });
    assert.equal(byId[2].phone, '037****0000');
    assert.equal(byId[2].email, 'j***@zzu.example.edu.cn');
    assert.equal(byId[10].email, '');
    // No whole phone or email anywhere in the list.
    const raw = sqliteJson(server, 'SELECT id, phone, email FROM users');
    for (const r of raw) {
      if (r.phone) assert.notEqual(byId[r.id].phone, r.phone, `user ${r.id} phone`);
      if (r.email) assert.notEqual(byId[r.id].email, r.email, `user ${r.id} email`);
      assert.ok(!res.text.includes(r.phone || '\u0000'), `raw phone of ${r.id} in the list`);
      assert.ok(!res.text.includes(r.email || '\u0000'), `raw email of ${r.id} in the list`);
    }
  });

  it('filters q (username or name, Chinese too), role, university_id; limit and offset', async () => {
    const cases = [
      ['q=zhao', [5, 23]], ['q=ZHAO', [5, 23]], [`q=${encodeURIComponent('李')}`, [3, 26]],
      ['role=expert', [5, 39, 40]], ['university_id=2', [6, 12, 13, 14, 27, 28, 29]],
      ['role=master&university_id=4', [18, 19, 20]], ['q=teacher&university_id=5', [36, 37, 38]],
      [`q=${encodeURIComponent('没有这个人')}`, []],
    ];
    for (const [qs, want] of cases) {
      const res = await get('admin', `${V1}/users?${qs}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json.items.map((u) => u.id), want, qs);
      assert.equal(res.json.total, want.length, qs);
    }
    const page = await get('admin', `${V1}/users?limit=2&offset=2`);
    assert.deepEqual(page.json.items.map((u) => u.id), [3, 4]);
    assert.equal(page.json.total, 40);
  });

  it('bad parameters: 400 naming them; non-admins: 403', async () => {
    for (const [qs, field] of [['role=boss', 'role'], ['limit=201', 'limit'], ['limit=0', 'limit'], ['offset=-1', 'offset'], ['university_id=x', 'university_id']]) {
      assertError(await get('admin', `${V1}/users?${qs}`), 400, 'validation_failed', field);
    }
    for (const who of ['zzu_admin', 'master_li', 'teacher_wang']) assertError(await get(who, `${V1}/users`), 403, 'forbidden');
  });
});

describe('a user record with whole personal data: admins and the person, each read logged', () => {
  it('admin reads master_li whole; pii_reads records who, whose and what', async () => {
    const before = piiReads(1, 3);
    const res = await get('admin', `${V1}/users/3`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), USER_KEYS);
    assert.equal(res.json.phone, '13803710001');
    assert.equal(res.json.email, 'limh@zzu.example.edu.cn');
    assert.equal(piiReads(1, 3), before + 1);
    const [row] = sqliteJson(server, 'SELECT at, fields FROM pii_reads WHERE reader_id = 1 AND subject_id = 3 ORDER BY id DESC LIMIT 1');
    assert.match(row.at, RFC3339);
    assert.equal(row.fields, 'phone,email');
  });

  it('master_li reads himself whole (logged); zzu_admin and teacher_wang may not read him (nothing logged)', async () => {
    const res = await get('master_li', `${V1}/users/3`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.phone, '13803710001');
    assert.equal(piiReads(3, 3), 1);
    assertError(await get('zzu_admin', `${V1}/users/3`), 403, 'forbidden');
    assertError(await get('teacher_wang', `${V1}/users/3`), 403, 'forbidden');
    assert.equal(piiReads(2, 3) + piiReads(4, 3), 0);
    assertError(await get('admin', `${V1}/users/99999`), 404, 'not_found');
  });
});

describe('creating users: an initial password that must be changed first', () => {
  let created;
  let initial;
  let fresh; // the new user's session

  it('admin creates a teacher: 201 with the whole record and a 16-character initial_password; audited', async () => {
    const before = auditCount();
    const body = { username: 'new_teacher', name: '新教师', role: 'teacher', university_id: 2, title: '讲师', phone: '13900000099', email: 'new.teacher@henu.example.edu.cn' };
    const res = await send('admin', 'POST', `${V1}/users`, body);
    assert.equal(res.status, 201, res.text);
    created = res.json;
    initial = res.json.initial_password;
    assert.deepEqual(Object.keys(res.json).sort(), [...USER_KEYS, 'initial_password'].sort());
    const { id, initial_password: pw, created_at: at, ...rest } = res.json;
    assert.match(pw, INITIAL);
    assert.equal(auditCount(), before + 1);
    assert.deepEqual(lastAudit(), { user_id: 1, action: 'user.create', entity: 'user', entity_id: id, detail: { username: 'new_teacher', name: '新教师', role: 'teacher' } });
    assert.ok(!sqlite(server, 'SELECT group_concat(detail) FROM audit').includes('13900000099'), 'no phone in the audit log');
    // The full object (DESIGN §6), exactly as GET /users/{id} shows the stored user.
    const { initial_password: _p, ...shown } = res.json;
    assert.deepEqual(shown, (await get('admin', `${V1}/users/${id}`)).json, 'the 201 body is the stored user');
    assert.deepEqual(rest, { ...body, university_name: '河南大学', disabled: false, must_change_password: true });
    assert.match(at, RFC3339);
  });

  it('the account signs in with the initial password; the session says must_change_password', async () => {
    const res = await signIn('new_teacher', initial);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.user.must_change_password, true);
    fresh = { cookie: cookieOf(res), csrf: res.json.csrf_token };
    const me = await get(fresh, `${V1}/me`);
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.must_change_password, true);
    assert.equal(me.json.id, created.id);
  });

  it('until the password is changed: 403 password_change_required everywhere else, and no WebSocket', async () => {
    for (const p of [`${V1}/studios`, `${V1}/users/${created.id}`, `${V1}/universities`, `${V1}/studios/1/members`]) {
      assertError(await get(fresh, p), 403, 'password_change_required');
    }
    assertError(await send(fresh, 'POST', `${V1}/studios/1/members`, { reason: '想加入' }), 403, 'password_change_required');
    assert.equal(countRows(server, 'studio_members', `user_id = ${created.id}`), 0);
    const ws = await wsConnect(server, { cookie: fresh.cookie });
    assert.equal(ws.status, 403);
    assert.equal(JSON.parse(ws.body).error.code, 'password_change_required');
  });

  it('POST /me/password with the initial password: 200, a new session, must_change_password false; then everything works', async () => {
    const res = await send(fresh, 'POST', `${V1}/me/password`, { old_password: initial, new_password: 'Blue-Harbour-Lantern-42' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['csrf_token', 'user']);
    assert.equal(res.json.user.id, created.id);
    const next = { cookie: cookieOf(res), csrf: res.json.csrf_token };
    assertError(await get(fresh, `${V1}/me`), 401, 'unauthenticated');
    const me = await get(next, `${V1}/me`);
    assert.equal(me.json.must_change_password, false);
    assert.equal((await get(next, `${V1}/studios`)).status, 200);
    const ws = await wsConnect(server, { cookie: next.cookie });
    assert.equal(ws.status, 101);
    ws.ws.close();
    assert.equal(sqlite(server, `SELECT must_change_password FROM users WHERE id = ${created.id}`), '0');
    assert.equal(lastAudit().action, 'user.password_change');
    assert.equal(res.json.user.must_change_password, false, 'the user returned by POST /me/password has changed their password');
  });

  it('the limits: a name of 64 characters, title of 32, username of 32, formatted phone, email of 254 are accepted', async () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(254 - 64 - 1 - 3)}.cn`;
    assert.equal(email.length, 254);
    const body = { username: `u${'x'.repeat(31)}`, name: '名'.repeat(64), role: 'expert', title: '职'.repeat(32), phone: '+86 138-0000-1234', email };
    const res = await send('admin', 'POST', `${V1}/users`, body);
    assert.equal(res.status, 201, res.text);
    for (const k of Object.keys(body)) assert.equal(res.json[k], body[k], k);
    assert.equal(res.json.university_id, null);
  });

  const valid = { username: 'valid_user', name: '有效用户', role: 'teacher', university_id: 1 };
  const without = (k) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k));
  const BAD = [
    ['missing username', without('username'), 400, 'username'],
    ['username of 2 characters', { ...valid, username: 'ab' }, 400, 'username'],
    ['username of 33 characters', { ...valid, username: 'a'.repeat(33) }, 400, 'username'],
    ['username with a space', { ...valid, username: 'bad name' }, 400, 'username'],
    ['username with capitals', { ...valid, username: 'BadName' }, 400, 'username'],
    ['username starting with _', { ...valid, username: '_lead' }, 400, 'username'],
    ['username not a string', { ...valid, username: 12345 }, 400, 'username'],
    ['a username that is taken', { ...valid, username: 'master_li' }, 409, 'username'],
    ['missing name', without('name'), 400, 'name'],
    ['empty name', { ...valid, name: '' }, 400, 'name'],
    ['name of 65 characters', { ...valid, name: '名'.repeat(65) }, 400, 'name'],
    ['missing role', without('role'), 400, 'role'],
    ['role not an option', { ...valid, role: 'boss' }, 400, 'role'],
    ['role in capitals', { ...valid, role: 'ADMIN' }, 400, 'role'],
    ['a university_admin without a university', { ...valid, role: 'university_admin', university_id: null }, 400, 'university_id'],
    ['university_id that does not exist', { ...valid, university_id: 99999 }, 400, 'university_id'],
    ['university_id 0', { ...valid, university_id: 0 }, 400, 'university_id'],
    ['university_id as a string', { ...valid, university_id: '1' }, 400, 'university_id'],
    ['title of 33 characters', { ...valid, title: '职'.repeat(33) }, 400, 'title'],
    ['phone with letters', { ...valid, phone: '138abc01234' }, 400, 'phone'],
    ['phone of 4 digits', { ...valid, phone: '1234' }, 400, 'phone'],
    ['phone of 16 digits', { ...valid, phone: '1'.repeat(16) }, 400, 'phone'],
    ['phone of 21 characters', { ...valid, phone: '138 0000 1234 567 890' }, 400, 'phone'],
    ['email without @', { ...valid, email: 'no-at-sign.example.cn' }, 400, 'email'],
    ['email without a dot in the domain', { ...valid, email: 'a@localhost' }, 400, 'email'],
    ['email with two @', { ...valid, email: 'a@b@example.cn' }, 400, 'email'],
    ['email with a space', { ...valid, email: 'a b@example.cn' }, 400, 'email'],
    ['email of 255 characters', { ...valid, email: `${'a'.repeat(64)}@${'b'.repeat(255 - 64 - 1 - 3)}.cn` }, 400, 'email'],
    ['a password chosen by the admin', { ...valid, password: 'mingshi-demo-123' }, 400, 'password'],
    ['must_change_password', { ...valid, must_change_password: false }, 400, 'must_change_password'],
    ['disabled not a boolean', { ...valid, disabled: 'yes' }, 400, 'disabled'],
    ['an id', { ...valid, id: 77 }, 400, 'id'],
  ];
  for (const [what, body, status, field] of BAD) {
    it(`POST /users with ${what}: ${status} field ${field}, nothing written`, async () => {
      const before = [auditCount(), countRows(server, 'users')];
      assertError(await send('admin', 'POST', `${V1}/users`, body), status, status === 409 ? 'conflict' : 'validation_failed', field);
      assert.deepEqual([auditCount(), countRows(server, 'users')], before);
    });
  }

  it('POST /users with invalid UTF-8 or no JSON: invalid_json; by a non-admin: 403; nothing written', async () => {
    const before = [auditCount(), countRows(server, 'users')];
    const bad = Buffer.concat([Buffer.from('{"username":"utf_bad","name":"'), Buffer.from([0xe4, 0xb8]), Buffer.from('","role":"teacher"}')]);
    assertError(await send('admin', 'POST', `${V1}/users`, bad, { contentType: 'application/json' }), 400, 'invalid_json', null);
    assertError(await send('admin', 'POST', `${V1}/users`, 'username=x', { contentType: 'application/json' }), 400, 'invalid_json', null);
    assertError(await send('zzu_admin', 'POST', `${V1}/users`, { ...valid, username: 'by_zzu' }), 403, 'forbidden');
    assert.deepEqual([auditCount(), countRows(server, 'users')], before);
  });
});

describe('updating users', () => {
  it('a password reset that shows the whole phone and email is a whole read, and is logged (DESIGN §8)', async () => {
    const before = piiReads(1, 39);
    const res = await send('admin', 'POST', `${V1}/users/39/password-reset`);
    assert.equal(res.status, 200, res.text);
    if (res.json.user.phone === '13903710039') {
      assert.equal(piiReads(1, 39), before + 1, 'POST /users/39/password-reset returned the whole phone without a pii_reads row');
    }
  });

  it('admin changes a title: 200, audited with the change; personal data changes are audited without their values', async () => {
    let res = await send('admin', 'PATCH', `${V1}/users/40`, { title: '研究员（二级）' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.title, '研究员（二级）');
    assert.deepEqual(lastAudit(), { user_id: 1, action: 'user.update', entity: 'user', entity_id: 40, detail: { title: '研究员（二级）' } });
    res = await send('admin', 'PATCH', `${V1}/users/40`, { phone: '13912345678', email: 'sunwg@example.edu.cn' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(lastAudit().detail, { phone: 'changed', email: 'changed' });
    const log = sqlite(server, 'SELECT group_concat(detail) FROM audit');
    assert.ok(!log.includes('13912345678') && !log.includes('sunwg@'), 'no personal data in the audit log');
  });

  it('a response that shows a user\'s whole phone and email is a whole read, and is logged (DESIGN §8)', async () => {
    const before = piiReads(1, 40);
    const res = await send('admin', 'PATCH', `${V1}/users/40`, { title: '研究员' });
    assert.equal(res.status, 200, res.text);
    if (res.json.phone === '13912345678' || res.json.email === 'sunwg@example.edu.cn') {
      assert.equal(piiReads(1, 40), before + 1, 'PATCH /users/40 returned the whole phone/email without a pii_reads row');
    }
  });

  it('moving a teacher to another university: the response names the new university', async () => {
    const res = await send('admin', 'PATCH', `${V1}/users/38`, { university_id: 1 });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.university_id, 1);
    assert.equal(res.json.university_name, '郑州大学');
    assert.deepEqual(lastAudit(), { user_id: 1, action: 'user.update', entity: 'user', entity_id: 38, detail: { university_id: 1 } });
    assert.equal((await get('admin', `${V1}/users?q=teacher_zhu`)).json.items[0].university_name, '郑州大学');
  });

  it('bad updates: 400/409 naming the field, nothing changed', async () => {
    const before = [auditCount(), sqlite(server, 'SELECT * FROM users WHERE id IN (2, 3, 40) ORDER BY id')];
    const cases = [
      [40, { username: 'Bad Name' }, 400, 'username'], [40, { username: 'admin' }, 409, 'username'],
      [40, { role: 'boss' }, 400, 'role'], [40, { university_id: 99999 }, 400, 'university_id'],
      [40, { phone: 'call me' }, 400, 'phone'], [40, { email: 'nobody' }, 400, 'email'], [40, { name: '' }, 400, 'name'],
      [40, { password: 'x'.repeat(12) }, 400, 'password'], [40, { disabled: 1 }, 400, 'disabled'],
      [2, { university_id: null }, 400, 'university_id'], // a university_admin needs a university
      [3, { role: 'teacher' }, 409, 'role'], // master_li runs studio 1
    ];
    for (const [id, body, status, field] of cases) {
      assertError(await send('admin', 'PATCH', `${V1}/users/${id}`, body), status, status === 409 ? 'conflict' : 'validation_failed', field);
    }
    assertError(await send('admin', 'PATCH', `${V1}/users/99999`, { title: 'x' }), 404, 'not_found');
    assertError(await send('zzu_admin', 'PATCH', `${V1}/users/4`, { title: 'x' }), 403, 'forbidden');
    assert.deepEqual([auditCount(), sqlite(server, 'SELECT * FROM users WHERE id IN (2, 3, 40) ORDER BY id')], before);
  });

  it('admin cannot disable their own account: 409 field disabled', async () => {
    assertError(await send('admin', 'PATCH', `${V1}/users/1`, { disabled: true }), 409, 'conflict', 'disabled');
    assert.equal(sqlite(server, 'SELECT disabled FROM users WHERE id = 1'), '0');
    assert.equal((await get('admin', `${V1}/me`)).status, 200);
  });
});

describe('disabling a user ends their sessions and sockets at once', () => {
  it('teacher_wang is disabled: his cookie is refused, his open /ws closes with 1008, and he cannot sign in', async () => {
    const ws = await wsConnect(server, { cookie: S.teacher_wang.cookie });
    assert.equal(ws.status, 101);
    const closing = closed(ws.ws);
    const res = await send('admin', 'PATCH', `${V1}/users/4`, { disabled: true });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.disabled, true);
    const { code } = await closing;
    assert.equal(code, 1008);
    assertError(await get('teacher_wang', `${V1}/me`), 401, 'unauthenticated');
    assertError(await send('teacher_wang', 'POST', `${V1}/studios/2/members`, { reason: 'x' }), 401, 'unauthenticated');
    assert.equal(countRows(server, 'sessions', 'user_id = 4'), 0);
    assertError(await signIn('teacher_wang', DEMO_PASSWORD), 401, 'unauthenticated');
    assert.deepEqual(lastAudit(), { user_id: 1, action: 'user.disable', entity: 'user', entity_id: 4, detail: { disabled: true } });
    const list = await get('admin', `${V1}/users?q=teacher_wang`);
    assert.equal(list.json.items[0].disabled, true);
    const refused = await wsConnect(server, { cookie: S.teacher_wang.cookie });
    assert.equal(refused.status, 401);
  });

  it('enabled again, he signs in', async () => {
    const res = await send('admin', 'PATCH', `${V1}/users/4`, { disabled: false });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.disabled, false);
    assert.equal(lastAudit().action, 'user.enable');
    const again = await signIn('teacher_wang', DEMO_PASSWORD);
    assert.equal(again.status, 200, again.text);
  });
});

describe('password reset (admin)', () => {
  it('resets expert_sun: 200 {user, initial_password}; old sessions and sockets end; only the new password works; it must be changed', async () => {
    const ws = await wsConnect(server, { cookie: S.expert_sun.cookie });
    assert.equal(ws.status, 101);
    const closing = closed(ws.ws);
    const res = await send('admin', 'POST', `${V1}/users/40/password-reset`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['initial_password', 'user']);
    assert.match(res.json.initial_password, INITIAL);
    assert.equal(res.json.user.id, 40);
    assert.equal(res.json.user.must_change_password, true);
    assert.equal((await closing).code, 1008);
    assertError(await get('expert_sun', `${V1}/me`), 401, 'unauthenticated');
    assert.deepEqual(lastAudit(), { user_id: 1, action: 'user.password_reset', entity: 'user', entity_id: 40, detail: {} });
    assertError(await signIn('expert_sun', DEMO_PASSWORD), 401, 'unauthenticated');
    const fresh = await signIn('expert_sun', res.json.initial_password);
    assert.equal(fresh.status, 200, fresh.text);
    assert.equal(fresh.json.user.must_change_password, true);
    const s = { cookie: cookieOf(fresh), csrf: fresh.json.csrf_token };
    assertError(await get(s, `${V1}/studios`), 403, 'password_change_required');
    // Signing out is allowed before the change.
    const out = await send(s, 'DELETE', `${V1}/session`);
    assert.equal(out.status, 204, out.text);
    assertError(await get(s, `${V1}/me`), 401, 'unauthenticated');
  });

  it('reset of a user that does not exist: 404; by a non-admin: 403; nothing written', async () => {
    const before = auditCount();
    assertError(await send('admin', 'POST', `${V1}/users/99999/password-reset`), 404, 'not_found');
    assertError(await send('zzu_admin', 'POST', `${V1}/users/3/password-reset`), 403, 'forbidden');
    assert.equal(auditCount(), before);
    assert.equal((await get('master_li', `${V1}/me`)).status, 200, 'master_li keeps his session');
  });
});

describe('universities', () => {
  let made;

  it('everyone signed in reads the list (by code) and one university, with studio counts', async () => {
    const res = await get('master_li', `${V1}/universities`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.total, 5);
    assert.deepEqual(res.json.items.map((u) => [u.id, u.name, u.code, u.studio_count]), [
      [1, '郑州大学', '10459', 3], [4, '河南理工大学', '10460', 3], [5, '河南农业大学', '10466', 2],
      [2, '河南大学', '10475', 3], [3, '河南师范大学', '10476', 3],
    ]);
    for (const u of res.json.items) {
      assert.deepEqual(Object.keys(u).sort(), ['code', 'created_at', 'id', 'name', 'studio_count']);
      assert.match(u.created_at, RFC3339);
    }
    const one = await get('master_li', `${V1}/universities/2`);
    assert.deepEqual(strip(one.json), { id: 2, name: '河南大学', code: '10475', studio_count: 3 });
    assertError(await get('master_li', `${V1}/universities/99999`), 404, 'not_found');
  });

  it('admin creates one: 201, audited', async () => {
    const res = await send('admin', 'POST', `${V1}/universities`, { name: '河南工业大学', code: '10463' });
    assert.equal(res.status, 201, res.text);
    made = res.json;
    const { id, ...rest } = res.json;
    assert.ok(Number.isInteger(id) && id > 5);
    assert.deepEqual(strip(rest), { name: '河南工业大学', code: '10463', studio_count: 0 });
    assert.deepEqual(lastAudit(), { user_id: 1, action: 'university.create', entity: 'university', entity_id: made.id, detail: { name: '河南工业大学', code: '10463' } });
  });

  it('names and codes are unique: 409 field code / name; bad fields: 400; nothing written', async () => {
    const before = [auditCount(), countRows(server, 'universities')];
    const cases = [
      [{ name: '另一所大学', code: '10459' }, 409, 'code'],
      [{ name: '郑州大学', code: '99901' }, 409, 'name'],
      [{ name: '另一所大学', code: '104-59' }, 400, 'code'],
      [{ name: '另一所大学', code: '' }, 400, 'code'],
      [{ name: '另一所大学', code: 'C'.repeat(21) }, 400, 'code'],
      [{ name: '另一所大学' }, 400, 'code'],
      [{ name: '学', code: '99902' }, 400, 'name'],
      [{ name: '学'.repeat(101), code: '99903' }, 400, 'name'],
      [{ code: '99904' }, 400, 'name'],
      [{ name: '另一所大学', code: 99905 }, 400, 'code'],
      [{ name: '另一所大学', code: '99906', city: '郑州' }, 400, 'city'],
    ];
    for (const [body, status, field] of cases) {
      assertError(await send('admin', 'POST', `${V1}/universities`, body), status, status === 409 ? 'conflict' : 'validation_failed', field);
    }
    assertError(await send('zzu_admin', 'POST', `${V1}/universities`, { name: '越权大学', code: '99907' }), 403, 'forbidden');
    assert.deepEqual([auditCount(), countRows(server, 'universities')], before);
  });

  it('admin renames it; taking another\'s code or name is 409; a university that does not exist is 404', async () => {
    const res = await send('admin', 'PATCH', `${V1}/universities/${made.id}`, { name: '河南工业大学（新）' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.name, '河南工业大学（新）');
    assert.equal(res.json.code, '10463');
    assert.deepEqual(lastAudit(), { user_id: 1, action: 'university.update', entity: 'university', entity_id: made.id, detail: { name: '河南工业大学（新）', code: '10463' } });
    const before = auditCount();
    assertError(await send('admin', 'PATCH', `${V1}/universities/${made.id}`, { code: '10475' }), 409, 'conflict', 'code');
    assertError(await send('admin', 'PATCH', `${V1}/universities/${made.id}`, { name: '河南大学' }), 409, 'conflict', 'name');
    assertError(await send('admin', 'PATCH', `${V1}/universities/${made.id}`, { code: 'a b' }), 400, 'validation_failed', 'code');
    assertError(await send('admin', 'PATCH', `${V1}/universities/99999`, { name: '不存在' }), 404, 'not_found');
    assertError(await send('zzu_admin', 'PATCH', `${V1}/universities/1`, { name: '改名' }), 403, 'forbidden');
    assert.equal(auditCount(), before);
    assert.equal(sqlite(server, `SELECT name || '/' || code FROM universities WHERE id = ${made.id}`), '河南工业大学（新）/10463');
  });
});
