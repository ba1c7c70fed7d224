// The permission matrix (issue 3, DESIGN §1 and §6): every role, and a visitor with no
// session, against every endpoint, with the exact status each must get. Roles are checked by
// the route table, scope (own university, own studio, own record) by the handlers; this suite
// checks both from the outside.
//
// The route list comes from the binary itself (`mingshi routes`): a route that has no row in
// TABLE fails the suite, so a new endpoint cannot ship without its row. Rows run in order,
// each role in turn; bodies and targets are chosen so that every role's request is
// independent of the others' and succeeds or fails for the permission reason alone (unique
// names per role, one pending application or achievement per role, set up with sqlite3
// before the matrix runs). Signing out (DELETE /session) is the last row.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loginAll, request, runBin, sqlite, startServer } from './helpers.mjs';

const ROLES = ['anonymous', 'admin', 'zzu_admin', 'henu_admin', 'master_li', 'master_liu', 'teacher_wang', 'expert_zhao'];
// Demo users (db/demo.sql) and the role each has.
const USER_ID = { admin: 1, zzu_admin: 2, henu_admin: 6, master_li: 3, master_liu: 12, teacher_wang: 4, expert_zhao: 5 };
const ROLE_OF = { admin: 'admin', zzu_admin: 'university_admin', henu_admin: 'university_admin', master_li: 'master', master_liu: 'master', teacher_wang: 'teacher', expert_zhao: 'expert' };

// Setup (sqlite3, before the matrix), one target per role in ROLES order so that a role
// wrongly let through would succeed rather than collide with another role's request:
const FREE_MASTER_U1 = [101, 102, 103, 104, 105, 106, 107, 108]; // masters of 郑州大学 without a studio
const FREE_MASTER_U2 = [111, 112, 113, 114, 115, 116, 117, 118]; // masters of 河南大学 without a studio
const PENDING_S1 = [26, 27, 28, 29, 30, 31, 32, 33]; // pending applications to studio 1
const PENDING_S4 = [29, 30, 31, 32, 33, 34, 35, 36]; // pending applications to studio 4
const MEMBER_S1 = [38, 23, 25, 34, 24, 35, 36, 37]; // approved/pending members of studio 1 to remove
const ACH_S1 = [101, 102, 103, 104, 105, 106, 107, 108]; // achievements of studio 1 to delete
const idx = (role) => ROLES.indexOf(role);

// Expected statuses in ROLES order.
function E(anonymous, admin, zzuAdmin, henuAdmin, masterLi, masterLiu, teacherWang, expertZhao) {
  return { anonymous, admin, zzu_admin: zzuAdmin, henu_admin: henuAdmin, master_li: masterLi, master_liu: masterLiu, teacher_wang: teacherWang, expert_zhao: expertZhao };
}
const ALL = (s) => E(401, s, s, s, s, s, s, s);
const ADMIN_ONLY = (s) => E(401, s, 403, 403, 403, 403, 403, 403);
const PUBLIC = (s) => E(s, s, s, s, s, s, s, s);

const V1 = '/api/v1';
const studioBody = (role, university, masters) => ({
  name: `权限矩阵工作室-${university}-${role}`, master_id: masters[idx(role)], university_id: university,
  discipline: '数学', established_on: '2025-09-01',
});
const achievement = (role) => ({ kind: 'paper', title: `矩阵成果 ${role}`, achieved_on: '2025-10-01' });
const USERS_CSV = 'username,name,role,university_code\nmatrix_csv_user,矩阵导入用户,teacher,10459\n';
const STUDIOS_CSV = 'name,discipline,established_on,university_code,master_username,master_name\n'
  + '矩阵导入工作室,数学,2025-01-01,10459,matrix_csv_master,矩阵导入名师\n';

// Each row: method, pattern (as `mingshi routes` prints it), path (string or role → string),
// body (value or role → value), contentType, expect (status per role), note.
const TABLE = [
  { method: 'GET', pattern: '/healthz', path: '/healthz', expect: PUBLIC(200) },
  { method: 'GET', pattern: '/metrics', path: '/metrics', expect: PUBLIC(200), note: 'loopback' },
  // Public and CSRF-free: reaches the handler (which wants a password) with or without a session.
  { method: 'POST', pattern: `${V1}/session`, path: `${V1}/session`, body: { username: 'expert_sun' }, expect: PUBLIC(400) },
  { method: 'GET', pattern: `${V1}/me`, path: `${V1}/me`, expect: ALL(200) },
  // The policy refuses the new password before anything is hashed or changed.
  { method: 'POST', pattern: `${V1}/me/password`, path: `${V1}/me/password`, body: { old_password: 'mingshi-demo', new_password: 'short' }, expect: ALL(400) },

  // ---- users ----
  { method: 'GET', pattern: `${V1}/users`, path: `${V1}/users`, expect: ADMIN_ONLY(200) },
  { method: 'POST', pattern: `${V1}/users`, path: `${V1}/users`, body: (r) => ({ username: `matrix_${r}`, name: '矩阵用户', role: 'teacher', university_id: 1 }), expect: ADMIN_ONLY(201) },
  { method: 'POST', pattern: `${V1}/users/import`, path: `${V1}/users/import?dry_run=1`, body: USERS_CSV, contentType: 'text/csv', expect: ADMIN_ONLY(200) },
  // Whole personal data: admins and the person only (master_li reads himself).
  { method: 'GET', pattern: `${V1}/users/{id}`, path: `${V1}/users/3`, expect: E(401, 200, 403, 403, 200, 403, 403, 403), note: 'user 3 = master_li' },
  { method: 'GET', pattern: `${V1}/users/{id}`, path: (r) => `${V1}/users/${USER_ID[r] || 40}`, expect: ALL(200), note: 'own record' },
  { method: 'GET', pattern: `${V1}/users/{id}`, path: `${V1}/users/99999`, expect: E(401, 404, 403, 403, 403, 403, 403, 403) },
  { method: 'PATCH', pattern: `${V1}/users/{id}`, path: `${V1}/users/40`, body: { title: '研究员' }, expect: ADMIN_ONLY(200) },
  { method: 'PATCH', pattern: `${V1}/users/{id}`, path: `${V1}/users/99999`, body: { title: '研究员' }, expect: ADMIN_ONLY(404) },
  { method: 'POST', pattern: `${V1}/users/{id}/password-reset`, path: `${V1}/users/39/password-reset`, expect: ADMIN_ONLY(200), note: 'user 39 = expert_qian' },
  { method: 'POST', pattern: `${V1}/users/{id}/password-reset`, path: `${V1}/users/99999/password-reset`, expect: ADMIN_ONLY(404) },

  // ---- universities ----
  { method: 'GET', pattern: `${V1}/universities`, path: `${V1}/universities`, expect: ALL(200) },
  { method: 'POST', pattern: `${V1}/universities`, path: `${V1}/universities`, body: (r) => ({ name: `矩阵大学-${r}`, code: `M${idx(r)}` }), expect: ADMIN_ONLY(201) },
  { method: 'GET', pattern: `${V1}/universities/{id}`, path: `${V1}/universities/1`, expect: ALL(200) },
  { method: 'GET', pattern: `${V1}/universities/{id}`, path: `${V1}/universities/99999`, expect: ALL(404) },
  { method: 'PATCH', pattern: `${V1}/universities/{id}`, path: `${V1}/universities/5`, body: { name: '河南农业大学' }, expect: ADMIN_ONLY(200) },
  { method: 'PATCH', pattern: `${V1}/universities/{id}`, path: `${V1}/universities/99999`, body: { name: '不存在的大学' }, expect: ADMIN_ONLY(404) },

  // ---- studios ----
  { method: 'GET', pattern: `${V1}/studios`, path: `${V1}/studios`, expect: ALL(200) },
  // A university_admin creates only at their own university.
  { method: 'POST', pattern: `${V1}/studios`, path: `${V1}/studios`, body: (r) => studioBody(r, 1, FREE_MASTER_U1), expect: E(401, 201, 201, 403, 403, 403, 403, 403), note: '郑州大学' },
  { method: 'POST', pattern: `${V1}/studios`, path: `${V1}/studios`, body: (r) => studioBody(r, 2, FREE_MASTER_U2), expect: E(401, 201, 403, 201, 403, 403, 403, 403), note: '河南大学' },
  { method: 'POST', pattern: `${V1}/studios/import`, path: `${V1}/studios/import?dry_run=1`, body: STUDIOS_CSV, contentType: 'text/csv', expect: ADMIN_ONLY(200) },
  { method: 'GET', pattern: `${V1}/studios/{id}`, path: `${V1}/studios/1`, expect: ALL(200) },
  { method: 'GET', pattern: `${V1}/studios/{id}`, path: `${V1}/studios/99999`, expect: ALL(404) },
  // The profile texts: the studio's admins and its own master.
  { method: 'PATCH', pattern: `${V1}/studios/{id}`, path: `${V1}/studios/1`, body: (r) => ({ introduction: `由 ${r} 修改` }), expect: E(401, 200, 200, 403, 200, 403, 403, 403), note: 'studio 1: 郑州大学, master_li' },
  { method: 'PATCH', pattern: `${V1}/studios/{id}`, path: `${V1}/studios/4`, body: (r) => ({ introduction: `由 ${r} 修改` }), expect: E(401, 200, 403, 200, 403, 200, 403, 403), note: 'studio 4: 河南大学, master_liu' },
  // Fields beyond the profile texts: the studio's admins only.
  { method: 'PATCH', pattern: `${V1}/studios/{id}`, path: `${V1}/studios/1`, body: { max_members: 30 }, expect: E(401, 200, 200, 403, 403, 403, 403, 403), note: 'studio 1, max_members' },
  { method: 'PATCH', pattern: `${V1}/studios/{id}`, path: `${V1}/studios/99999`, body: { introduction: 'x' }, expect: E(401, 404, 404, 404, 404, 404, 403, 403) },

  // ---- discussion (DESIGN §7 rooms: the studio's members and master, admins; experts read) ----
  // Before the member rows below: teacher_wang is still an approved member of studio 1 here.
  { method: 'GET', pattern: `${V1}/rooms/{room}/messages`, path: `${V1}/rooms/studio:1/messages`, expect: E(401, 200, 403, 403, 200, 403, 200, 200), note: 'studio 1' },
  { method: 'GET', pattern: `${V1}/rooms/{room}/messages`, path: `${V1}/rooms/studio:4/messages`, expect: E(401, 200, 403, 403, 403, 200, 403, 200), note: 'studio 4' },
  { method: 'GET', pattern: `${V1}/rooms/{room}/messages`, path: `${V1}/rooms/studio:99999/messages`, expect: ALL(404) },
  { method: 'GET', pattern: `${V1}/search/messages`, path: `${V1}/search/messages?q=${encodeURIComponent('数学')}`, expect: ALL(200), note: 'over the rooms each may read' },

  // ---- members ----
  { method: 'GET', pattern: `${V1}/studios/{id}/members`, path: `${V1}/studios/1/members`, expect: ALL(200) },
  { method: 'GET', pattern: `${V1}/studios/{id}/members`, path: `${V1}/studios/99999/members`, expect: ALL(404) },
  { method: 'POST', pattern: `${V1}/studios/{id}/members`, path: `${V1}/studios/2/members`, body: { reason: '希望加入' }, expect: E(401, 403, 403, 403, 403, 403, 201, 403) },
  { method: 'POST', pattern: `${V1}/studios/{id}/members`, path: `${V1}/studios/99999/members`, body: { reason: '希望加入' }, expect: E(401, 403, 403, 403, 403, 403, 404, 403) },
  { method: 'PATCH', pattern: `${V1}/studios/{id}/members/{id}`, path: (r) => `${V1}/studios/1/members/${PENDING_S1[idx(r)]}`, body: { status: 'rejected' }, expect: E(401, 200, 200, 403, 200, 403, 403, 403), note: 'studio 1' },
  { method: 'PATCH', pattern: `${V1}/studios/{id}/members/{id}`, path: (r) => `${V1}/studios/4/members/${PENDING_S4[idx(r)]}`, body: { status: 'approved' }, expect: E(401, 200, 403, 200, 403, 200, 403, 403), note: 'studio 4' },
  { method: 'PATCH', pattern: `${V1}/studios/{id}/members/{id}`, path: `${V1}/studios/1/members/99999`, body: { status: 'approved' }, expect: E(401, 404, 404, 403, 404, 403, 403, 403), note: 'no application' },
  { method: 'PATCH', pattern: `${V1}/studios/{id}/members/{id}`, path: `${V1}/studios/99999/members/26`, body: { status: 'approved' }, expect: E(401, 404, 404, 404, 404, 404, 403, 403) },
  // Removing someone else: the studio's managers.
  { method: 'DELETE', pattern: `${V1}/studios/{id}/members/{id}`, path: (r) => `${V1}/studios/1/members/${MEMBER_S1[idx(r)]}`, expect: E(401, 200, 200, 403, 200, 403, 403, 403), note: 'remove' },
  // Leaving: your own row (only teacher_wang has one in studio 1).
  { method: 'DELETE', pattern: `${V1}/studios/{id}/members/{id}`, path: (r) => `${V1}/studios/1/members/${USER_ID[r] || 4}`, expect: E(401, 404, 404, 404, 404, 404, 200, 403), note: 'leave (self)' },
  { method: 'DELETE', pattern: `${V1}/studios/{id}/members/{id}`, path: `${V1}/studios/99999/members/26`, expect: E(401, 404, 404, 404, 404, 404, 404, 403) },

  // ---- achievements ----
  { method: 'GET', pattern: `${V1}/studios/{id}/achievements`, path: `${V1}/studios/1/achievements`, expect: ALL(200) },
  { method: 'GET', pattern: `${V1}/studios/{id}/achievements`, path: `${V1}/studios/99999/achievements`, expect: ALL(404) },
  { method: 'POST', pattern: `${V1}/studios/{id}/achievements`, path: `${V1}/studios/1/achievements`, body: achievement, expect: E(401, 201, 201, 403, 201, 403, 403, 403), note: 'studio 1' },
  { method: 'POST', pattern: `${V1}/studios/{id}/achievements`, path: `${V1}/studios/4/achievements`, body: achievement, expect: E(401, 201, 403, 201, 403, 201, 403, 403), note: 'studio 4' },
  { method: 'POST', pattern: `${V1}/studios/{id}/achievements`, path: `${V1}/studios/99999/achievements`, body: achievement, expect: E(401, 404, 404, 404, 404, 404, 403, 403) },
  { method: 'PATCH', pattern: `${V1}/studios/{id}/achievements/{id}`, path: `${V1}/studios/1/achievements/1`, body: (r) => ({ title: `由 ${r} 修改的成果` }), expect: E(401, 200, 200, 403, 200, 403, 403, 403) },
  { method: 'PATCH', pattern: `${V1}/studios/{id}/achievements/{id}`, path: `${V1}/studios/1/achievements/99999`, body: { title: '不存在' }, expect: E(401, 404, 404, 403, 404, 403, 403, 403) },
  { method: 'DELETE', pattern: `${V1}/studios/{id}/achievements/{id}`, path: (r) => `${V1}/studios/1/achievements/${ACH_S1[idx(r)]}`, expect: E(401, 204, 204, 403, 204, 403, 403, 403) },
  { method: 'DELETE', pattern: `${V1}/studios/{id}/achievements/{id}`, path: `${V1}/studios/1/achievements/99999`, expect: E(401, 404, 404, 403, 404, 403, 403, 403) },

  // ---- audit ----
  { method: 'GET', pattern: `${V1}/audit`, path: `${V1}/audit`, expect: ADMIN_ONLY(200) },
  { method: 'GET', pattern: `${V1}/audit/verify`, path: `${V1}/audit/verify`, expect: ADMIN_ONLY(200) },

  // ---- last: signing out ends each session ----
  { method: 'DELETE', pattern: `${V1}/session`, path: `${V1}/session`, expect: ALL(204) },
];

function setupSql() {
  const hash = 'x'; // never signed in
  const users = [];
  FREE_MASTER_U1.forEach((id, i) => users.push(`(${id}, 'freem1_${i}', '矩阵名师甲${i}', 'master', 1, '${hash}')`));
  FREE_MASTER_U2.forEach((id, i) => users.push(`(${id}, 'freem2_${i}', '矩阵名师乙${i}', 'master', 2, '${hash}')`));
  const pending = (studio, ids) => ids.map((u) => `(${studio}, ${u}, 'pending', '矩阵申请', '2026-11-01T00:00:00Z')`);
  const extra = MEMBER_S1.filter((u) => ![23, 24, 25].includes(u));
  const ach = ACH_S1.map((id) => `(${id}, 1, 'other', '待删除成果 ${id}', '2025-01-01', 3)`);
  return [
    `INSERT INTO users (id, username, name, role, university_id, password_hash) VALUES ${users.join(', ')};`,
    `INSERT INTO studio_members (studio_id, user_id, status, reason, applied_at) VALUES ${[...pending(1, PENDING_S1), ...pending(4, PENDING_S4), ...pending(1, extra)].join(', ')};`,
    `INSERT INTO achievements (id, studio_id, kind, title, achieved_on, created_by) VALUES ${ach.join(', ')};`,
  ].join('\n');
}

const label = (row) => `${row.method} ${typeof row.path === 'function' ? row.pattern : row.path}${row.note ? ` (${row.note})` : ''}`;

function renderTable(results) {
  const w = Math.max(...results.map((r) => label(r.row).length));
  const head = `${'request'.padEnd(w)} | ${ROLES.map((r) => r.slice(0, 11).padEnd(11)).join(' ')}`;
  const lines = results.map(({ row, got }) => `${label(row).padEnd(w)} | ${ROLES.map((r) => {
    const cell = got[r] === row.expect[r] ? String(got[r]) : `${got[r]}≠${row.expect[r]}`;
    return cell.padEnd(11);
  }).join(' ')}`);
  return [head, '-'.repeat(head.length), ...lines].join('\n');
}

describe('permission matrix: every role against every endpoint', () => {
  let server;
  let sessions;
  let routes;

  before(async () => {
    const out = await runBin(['routes']);
    assert.equal(out.code, 0, out.stderr);
    routes = JSON.parse(out.stdout);
    server = await startServer();
    sessions = await loginAll(server, ROLES.filter((r) => r !== 'anonymous'));
    sqlite(server, setupSql());
  });
  after(async () => { if (server) await server.dispose(); });

  it('`mingshi routes` lists the route table: method, pattern, roles, public', () => {
    assert.ok(Array.isArray(routes) && routes.length >= 30, `got ${routes && routes.length} routes`);
    for (const r of routes) {
      assert.deepEqual(Object.keys(r).sort(), ['method', 'pattern', 'public', 'roles']);
      assert.ok(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method), r.method);
      assert.equal(r.public, r.roles.length === 0, `${r.method} ${r.pattern}`);
    }
    const seen = new Set();
    for (const r of routes) {
      const key = `${r.method} ${r.pattern}`;
      assert.ok(!seen.has(key), `route listed twice: ${key}`);
      seen.add(key);
    }
  });

  it('every route printed by `mingshi routes` has a row in the table, and every row names a route', () => {
    const have = new Set(TABLE.map((r) => `${r.method} ${r.pattern}`));
    const missing = routes.filter((r) => !have.has(`${r.method} ${r.pattern}`)).map((r) => `${r.method} ${r.pattern}`);
    assert.deepEqual(missing, [], `routes without a row in the permission table:\n  ${missing.join('\n  ')}`);
    const known = new Set(routes.map((r) => `${r.method} ${r.pattern}`));
    const stale = TABLE.filter((r) => !known.has(`${r.method} ${r.pattern}`)).map(label);
    assert.deepEqual(stale, [], 'rows for routes the binary does not have');
    for (const row of TABLE) assert.deepEqual(Object.keys(row.expect), ROLES, label(row));
  });

  it('the table agrees with the roles the binary declares: a role outside a route\'s roles gets 403, a visitor 401 unless public', () => {
    const byKey = new Map(routes.map((r) => [`${r.method} ${r.pattern}`, r]));
    const problems = [];
    for (const row of TABLE) {
      const route = byKey.get(`${row.method} ${row.pattern}`);
      if (!route) continue;
      if (route.public) {
        if (row.expect.anonymous === 401) problems.push(`${label(row)}: public, but the table expects 401 for a visitor`);
        continue;
      }
      if (row.expect.anonymous !== 401) problems.push(`${label(row)}: the table expects ${row.expect.anonymous} for a visitor`);
      for (const r of ROLES.slice(1)) {
        const allowed = route.roles.includes(ROLE_OF[r]);
        if (!allowed && row.expect[r] !== 403) problems.push(`${label(row)}: ${r} (${ROLE_OF[r]}) is not in [${route.roles}] but the table expects ${row.expect[r]}`);
        if (allowed && row.expect[r] === 401) problems.push(`${label(row)}: ${r} is signed in but the table expects 401`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('every role and a visitor get exactly the expected status on every endpoint', async () => {
    const results = [];
    for (const row of TABLE) {
      const got = {};
      for (const role of ROLES) {
        const s = sessions[role];
        const p = typeof row.path === 'function' ? row.path(role) : row.path;
        const body = typeof row.body === 'function' ? row.body(role) : row.body;
        const res = await request(server, row.method, p, {
          cookie: s && s.cookie, csrf: s && s.csrf, body, contentType: row.contentType,
        });
        got[role] = res.status;
        if (res.status !== row.expect[role]) got[`${role}:body`] = res.text.slice(0, 160);
      }
      results.push({ row, got });
    }
    const bad = results.filter(({ row, got }) => ROLES.some((r) => got[r] !== row.expect[r]));
    if (bad.length) {
      const details = bad.flatMap(({ row, got }) => ROLES.filter((r) => got[r] !== row.expect[r])
        .map((r) => `  ${label(row)} as ${r}: got ${got[r]}, expected ${row.expect[r]}: ${got[`${r}:body`]}`));
      assert.fail(`${bad.length} of ${results.length} rows differ (got≠expected):\n${renderTable(results)}\n\n${details.join('\n')}`);
    }
  });

  it('after the matrix: each role\'s write landed exactly once (the statuses were not luck)', () => {
    // Created by the 201s above and nothing else.
    assert.equal(sqlite(server, "SELECT group_concat(username, ',') FROM (SELECT username FROM users WHERE username LIKE 'matrix\\_%' ESCAPE '\\' ORDER BY id)"), 'matrix_admin');
    assert.equal(sqlite(server, "SELECT group_concat(code, ',') FROM (SELECT code FROM universities WHERE name LIKE '矩阵大学-%' ORDER BY id)"), 'M1');
    assert.equal(sqlite(server, "SELECT group_concat(name, ',') FROM (SELECT name FROM studios WHERE name LIKE '权限矩阵工作室-%' ORDER BY id)"),
      '权限矩阵工作室-1-admin,权限矩阵工作室-1-zzu_admin,权限矩阵工作室-2-admin,权限矩阵工作室-2-henu_admin');
    // Dry-run imports wrote nothing.
    assert.equal(sqlite(server, "SELECT count(*) FROM users WHERE username LIKE 'matrix_csv_%'"), '0');
    assert.equal(sqlite(server, "SELECT count(*) FROM studios WHERE name = '矩阵导入工作室'"), '0');
    // Applications: only teacher_wang's to studio 2.
    assert.equal(sqlite(server, "SELECT group_concat(s, ',') FROM (SELECT user_id || ':' || status AS s FROM studio_members WHERE studio_id = 2 ORDER BY user_id)"), '4:pending,26:approved');
    // Decisions: exactly the permitted roles' targets changed.
    const states = (studio, ids) => ids.map((u) => sqlite(server, `SELECT status FROM studio_members WHERE studio_id = ${studio} AND user_id = ${u}`));
    assert.deepEqual(states(1, PENDING_S1), ['pending', 'rejected', 'rejected', 'pending', 'rejected', 'pending', 'pending', 'pending']);
    assert.deepEqual(states(4, PENDING_S4), ['pending', 'approved', 'pending', 'approved', 'pending', 'approved', 'pending', 'pending']);
    assert.deepEqual(states(1, MEMBER_S1), ['pending', 'removed', 'removed', 'pending', 'removed', 'pending', 'pending', 'pending']);
    assert.equal(sqlite(server, 'SELECT status FROM studio_members WHERE studio_id = 1 AND user_id = 4'), 'left');
    assert.deepEqual(ACH_S1.map((id) => sqlite(server, `SELECT count(*) FROM achievements WHERE id = ${id}`)), ['1', '0', '0', '1', '0', '1', '1', '1']);
    assert.equal(sqlite(server, 'SELECT max_members FROM studios WHERE id = 1'), '30');
    assert.equal(sqlite(server, 'SELECT introduction FROM studios WHERE id = 1'), '由 master_li 修改');
    assert.equal(sqlite(server, 'SELECT introduction FROM studios WHERE id = 4'), '由 master_liu 修改');
    // Every session was signed out by the last row.
    assert.equal(sqlite(server, 'SELECT count(*) FROM sessions'), '0');
  });
});
