// Studio membership (issue 3 §3, DESIGN §6 /studios/{id}/members): a teacher applies with a
// reason; the master, an admin or the studio's university admin approves or rejects;
// approving beyond max_members is 409 `full`; members leave (DELETE their own row); managers
// remove. Everyone sees the approved members with title and university; managers also see
// applications, their states and reasons.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, countRows, loginAll, request, sqlite, sqliteJson, startServer } from './helpers.mjs';

const V1 = '/api/v1';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const ZZU = { id: 1, name: '郑州大学' };

// Studio 1 in db/demo.sql: approved 4 (王晓雨), 23 (赵一鸣), 25 (孙乐); pending 24 (钱思雨).
const WANG = { user: { id: 4, name: '王晓雨', title: '讲师', university: ZZU }, status: 'approved', applied_at: '2024-09-02T08:00:00Z', decided_at: '2024-09-03T09:00:00Z' };
const ZHAO = { user: { id: 23, name: '赵一鸣', title: '讲师', university: ZZU }, status: 'approved', applied_at: '2024-09-05T08:00:00Z', decided_at: '2024-09-06T09:00:00Z' };
const SUN = { user: { id: 25, name: '孙乐', title: '讲师', university: ZZU }, status: 'approved', applied_at: '2024-09-10T08:00:00Z', decided_at: '2024-09-11T09:00:00Z' };
const QIAN = { user: { id: 24, name: '钱思雨', title: '助教', university: ZZU }, status: 'pending', applied_at: '2026-11-20T08:00:00Z', decided_at: null };
const REASONS = { 4: '希望在高等数学混合式教学方面得到指导。', 23: '参与课程思政案例建设。', 25: '提升课堂教学设计能力。', 24: '我是新入职助教，希望加入工作室学习。' };
const withReason = (m) => ({ ...m, reason: REASONS[m.user.id] });

let server;
let S;

before(async () => {
  server = await startServer();
  // teacher_li (26) is an approved member of studio 2 and applies to studio 1 below.
  S = await loginAll(server, ['admin', 'zzu_admin', 'henu_admin', 'master_li', 'master_liu', 'teacher_wang', 'teacher_li']);
});
after(async () => { if (server) await server.dispose(); });

const get = (who, p) => request(server, 'GET', p, { cookie: S[who].cookie });
const send = (who, method, p, body, opts = {}) => request(server, method, p, { cookie: S[who].cookie, csrf: S[who].csrf, body, ...opts });
const auditCount = () => countRows(server, 'audit');
const lastAudit = () => {
  const [e] = sqliteJson(server, 'SELECT user_id, action, entity, entity_id, detail FROM audit ORDER BY id DESC LIMIT 1');
  return { ...e, detail: JSON.parse(e.detail) };
};
const memberRow = (studio, user) => sqlite(server, `SELECT status FROM studio_members WHERE studio_id = ${studio} AND user_id = ${user}`);
const members = async (who, studio) => {
  const res = await get(who, `${V1}/studios/${studio}/members`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.total, res.json.items.length);
  return res.json.items;
};

describe('who sees which members', () => {
  it('a teacher, another university\'s admin and another master see the approved members only, with title and university, no reasons', async () => {
    for (const who of ['teacher_wang', 'henu_admin', 'master_liu', 'teacher_li']) {
      assert.deepEqual(await members(who, 1), [WANG, ZHAO, SUN], who);
    }
  });

  it('the master, the university admin and admin see every application with its state and reason, approved first', async () => {
    for (const who of ['master_li', 'zzu_admin', 'admin']) {
      assert.deepEqual(await members(who, 1), [WANG, ZHAO, SUN, QIAN].map(withReason), who);
    }
    // Studio 3 has only a rejected application: its managers see it, nobody else.
    assert.deepEqual(await members('admin', 3), [{
      user: { id: 24, name: '钱思雨', title: '助教', university: ZZU }, status: 'rejected',
      applied_at: '2024-10-01T08:00:00Z', decided_at: '2024-10-03T09:00:00Z', reason: '希望学习工程案例教学。',
    }]);
    assert.deepEqual(await members('teacher_wang', 3), []);
  });

  it('members of a studio that does not exist: 404', async () => {
    assertError(await get('teacher_wang', `${V1}/studios/99999/members`), 404, 'not_found');
  });
});

describe('applying', () => {
  it('teacher_li applies to studio 1 with a reason: 201 pending, audited, shown to the managers and in her /me', async () => {
    const before = auditCount();
    const res = await send('teacher_li', 'POST', `${V1}/studios/1/members`, { reason: '希望学习混合式教学' });
    assert.equal(res.status, 201, res.text);
    const { applied_at: at, ...rest } = res.json;
    assert.match(at, RFC3339);
    assert.deepEqual(rest, {
      user: { id: 26, name: '李沐阳', title: '副教授', university: ZZU }, status: 'pending', decided_at: null, reason: '希望学习混合式教学',
    });
    assert.equal(auditCount(), before + 1);
    assert.deepEqual(lastAudit(), { user_id: 26, action: 'member.apply', entity: 'studio', entity_id: 1, detail: { user_id: 26 } });
    const all = await members('master_li', 1);
    assert.deepEqual(all.find((m) => m.user.id === 26), res.json);
    const pending = all.filter((m) => m.status === 'pending');
    assert.deepEqual(all.slice(0, 3).map((m) => m.status), ['approved', 'approved', 'approved'], 'approved first');
    assert.deepEqual(pending.map((m) => m.applied_at), pending.map((m) => m.applied_at).sort(), 'then pending, oldest first');
    assert.deepEqual((await members('teacher_wang', 1)).map((m) => m.user.id), [4, 23, 25]);
    assert.equal((await get('teacher_wang', `${V1}/studios/1`)).json.pending_count, 2);
    const me = await get('teacher_li', `${V1}/me`);
    assert.deepEqual(me.json.memberships, [
      { studio_id: 1, studio_name: '高等数学教学名师工作室', status: 'pending' },
      { studio_id: 2, studio_name: '临床医学教学创新工作室', status: 'approved' },
    ]);
  });

  it('applying while pending or approved: 409 conflict, nothing written', async () => {
    const before = auditCount();
    assertError(await send('teacher_li', 'POST', `${V1}/studios/1/members`, { reason: '再次申请' }), 409, 'conflict');
    assertError(await send('teacher_wang', 'POST', `${V1}/studios/1/members`, { reason: '已经是成员' }), 409, 'conflict');
    assert.equal(auditCount(), before);
    assert.equal(sqlite(server, 'SELECT reason FROM studio_members WHERE studio_id = 1 AND user_id = 26'), '希望学习混合式教学');
  });

  it('the reason is optional; one of 500 characters is accepted', async () => {
    let res = await send('teacher_wang', 'POST', `${V1}/studios/5/members`, {});
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.reason, '');
    res = await send('teacher_wang', 'POST', `${V1}/studios/7/members`, { reason: '因'.repeat(500) });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.reason, '因'.repeat(500));
  });

  it('bad applications: 400 with the exact code and field, nothing written', async () => {
    const before = [auditCount(), countRows(server, 'studio_members')];
    const cases = [
      [{ reason: '因'.repeat(501) }, 'validation_failed', 'reason'],
      [{ reason: 5 }, 'validation_failed', 'reason'],
      [{ reason: ['a'] }, 'validation_failed', 'reason'],
      [{ reason: '好\u0001' }, 'validation_failed', 'reason'],
      [{ reason: 'x', user_id: 3 }, 'validation_failed', 'user_id'],
      [{ reason: 'x', status: 'approved' }, 'validation_failed', 'status'],
    ];
    for (const [body, code, field] of cases) assertError(await send('teacher_wang', 'POST', `${V1}/studios/8/members`, body), 400, code, field);
    const raw = (b) => send('teacher_wang', 'POST', `${V1}/studios/8/members`, b, { contentType: 'application/json' });
    assertError(await raw(Buffer.concat([Buffer.from('{"reason":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])), 400, 'invalid_json', null);
    assertError(await raw('{"reason":'), 400, 'invalid_json', null);
    assertError(await raw('"reason"'), 400, 'invalid_json', null);
    assertError(await raw('[{"reason":"x"}]'), 400, 'validation_failed', null);
    assert.deepEqual([auditCount(), countRows(server, 'studio_members')], before);
  });

  it('only teachers apply; a studio that does not exist is 404; a closed studio takes no applications (409)', async () => {
    assertError(await send('master_li', 'POST', `${V1}/studios/2/members`, { reason: 'x' }), 403, 'forbidden');
    assertError(await send('admin', 'POST', `${V1}/studios/2/members`, { reason: 'x' }), 403, 'forbidden');
    assertError(await send('teacher_wang', 'POST', `${V1}/studios/99999/members`, { reason: 'x' }), 404, 'not_found');
    const closed = await send('admin', 'PATCH', `${V1}/studios/9`, { status: 'closed' });
    assert.equal(closed.status, 200, closed.text);
    const before = auditCount();
    assertError(await send('teacher_wang', 'POST', `${V1}/studios/9/members`, { reason: 'x' }), 409, 'conflict', 'studio_id');
    assert.equal(auditCount(), before);
    assert.equal(countRows(server, 'studio_members', 'studio_id = 9'), 0);
  });
});

describe('deciding', () => {
  it('master_li approves teacher_li: 200 approved with decided_at, audited; now listed for everyone', async () => {
    const before = auditCount();
    const res = await send('master_li', 'PATCH', `${V1}/studios/1/members/26`, { status: 'approved' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'approved');
    assert.match(res.json.decided_at, RFC3339);
    assert.equal(res.json.reason, '希望学习混合式教学');
    assert.deepEqual(res.json.user, { id: 26, name: '李沐阳', title: '副教授', university: ZZU });
    assert.equal(auditCount(), before + 1);
    assert.deepEqual(lastAudit(), { user_id: 3, action: 'member.approve', entity: 'studio', entity_id: 1, detail: { user_id: 26 } });
    assert.deepEqual((await members('teacher_wang', 1)).map((m) => m.user.id), [4, 23, 25, 26]);
    const { reason: _r, ...pub } = res.json;
    assert.deepEqual((await members('teacher_wang', 1)).at(-1), pub);
  });

  it('deciding twice: 409 field status, nothing written', async () => {
    const before = auditCount();
    assertError(await send('master_li', 'PATCH', `${V1}/studios/1/members/26`, { status: 'approved' }), 409, 'conflict', 'status');
    assertError(await send('master_li', 'PATCH', `${V1}/studios/1/members/26`, { status: 'rejected' }), 409, 'conflict', 'status');
    assert.equal(auditCount(), before);
    assert.equal(memberRow(1, 26), 'approved');
  });

  it('master_li rejects teacher_qian: 200 rejected, audited; not listed publicly', async () => {
    const res = await send('master_li', 'PATCH', `${V1}/studios/1/members/24`, { status: 'rejected' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'rejected');
    assert.match(res.json.decided_at, RFC3339);
    assert.deepEqual(lastAudit(), { user_id: 3, action: 'member.reject', entity: 'studio', entity_id: 1, detail: { user_id: 24 } });
    assert.ok(!(await members('teacher_wang', 1)).some((m) => m.user.id === 24));
    assert.equal((await members('master_li', 1)).find((m) => m.user.id === 24).status, 'rejected');
  });

  it('bad decisions: 400 naming the field; a user with no application and a studio that does not exist are 404', async () => {
    sqlite(server, "INSERT INTO studio_members (studio_id, user_id, status, reason, applied_at) VALUES (1, 27, 'pending', '申请', '2026-11-22T08:00:00Z')");
    const before = auditCount();
    for (const [body, field] of [[{ status: 'left' }, 'status'], [{ status: 'removed' }, 'status'], [{}, 'status'],
      [{ status: 1 }, 'status'], [{ status: null }, 'status'], [{ status: 'approved', note: '同意' }, 'note']]) {
      assertError(await send('master_li', 'PATCH', `${V1}/studios/1/members/27`, body), 400, 'validation_failed', field);
    }
    assertError(await send('master_li', 'PATCH', `${V1}/studios/1/members/27`, Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]), { contentType: 'application/json' }), 400, 'invalid_json', null);
    assertError(await send('master_li', 'PATCH', `${V1}/studios/1/members/30`, { status: 'approved' }), 404, 'not_found');
    assertError(await send('master_li', 'PATCH', `${V1}/studios/1/members/99999`, { status: 'approved' }), 404, 'not_found');
    assertError(await send('admin', 'PATCH', `${V1}/studios/99999/members/27`, { status: 'approved' }), 404, 'not_found');
    assert.equal(auditCount(), before);
    assert.equal(memberRow(1, 27), 'pending');
  });

  it('only the studio\'s managers decide: henu_admin, master_liu and teachers are refused, nothing written', async () => {
    const before = auditCount();
    assertError(await send('henu_admin', 'PATCH', `${V1}/studios/1/members/27`, { status: 'approved' }), 403, 'forbidden');
    assertError(await send('master_liu', 'PATCH', `${V1}/studios/1/members/27`, { status: 'approved' }), 403, 'forbidden');
    assertError(await send('teacher_wang', 'PATCH', `${V1}/studios/1/members/27`, { status: 'approved' }), 403, 'forbidden');
    assertError(await send('teacher_li', 'PATCH', `${V1}/studios/1/members/27`, { status: 'approved' }), 403, 'forbidden');
    assert.equal(auditCount(), before);
    assert.equal(memberRow(1, 27), 'pending');
  });

  it('zzu_admin and admin approve too; approving beyond max_members is 409 `full` and writes nothing', async () => {
    sqlite(server, "INSERT INTO studio_members (studio_id, user_id, status, reason, applied_at) VALUES (1, 28, 'pending', '申请', '2026-11-22T09:00:00Z'), (1, 29, 'pending', '申请', '2026-11-22T10:00:00Z')");
    // Studio 1: max_members 6; approved 4, 23, 25, 26.
    let res = await send('zzu_admin', 'PATCH', `${V1}/studios/1/members/27`, { status: 'approved' });
    assert.equal(res.status, 200, res.text);
    assert.equal(lastAudit().user_id, 2);
    res = await send('admin', 'PATCH', `${V1}/studios/1/members/28`, { status: 'approved' });
    assert.equal(res.status, 200, res.text);
    assert.equal(lastAudit().user_id, 1);
    assert.equal((await get('teacher_wang', `${V1}/studios/1`)).json.member_count, 6);
    const before = auditCount();
    for (const who of ['master_li', 'zzu_admin', 'admin']) {
      assertError(await send(who, 'PATCH', `${V1}/studios/1/members/29`, { status: 'approved' }), 409, 'full');
    }
    assert.equal(auditCount(), before);
    assert.equal(memberRow(1, 29), 'pending');
    assert.equal(countRows(server, 'studio_members', "studio_id = 1 AND status = 'approved'"), 6);
    // Raising the cap makes room.
    assert.equal((await send('zzu_admin', 'PATCH', `${V1}/studios/1`, { max_members: 7 })).status, 200);
    res = await send('master_li', 'PATCH', `${V1}/studios/1/members/29`, { status: 'approved' });
    assert.equal(res.status, 200, res.text);
    assert.equal((await get('teacher_wang', `${V1}/studios/1`)).json.member_count, 7);
  });

  it('two approvals racing for the last place: exactly one wins, the other is 409 full', async () => {
    // Studio 4 (master_liu, 河南大学): approved 27 and 28; make room for exactly one more.
    assert.equal((await send('admin', 'PATCH', `${V1}/studios/4`, { max_members: 3 })).status, 200);
    sqlite(server, "INSERT INTO studio_members (studio_id, user_id, status, reason, applied_at) VALUES (4, 29, 'pending', '申请', '2026-11-22T08:00:00Z'), (4, 30, 'pending', '申请', '2026-11-22T09:00:00Z')");
    const [a, b] = await Promise.all([
      send('master_liu', 'PATCH', `${V1}/studios/4/members/29`, { status: 'approved' }),
      send('henu_admin', 'PATCH', `${V1}/studios/4/members/30`, { status: 'approved' }),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [200, 409], `${a.text} / ${b.text}`);
    assertError([a, b].find((r) => r.status === 409), 409, 'full');
    assert.equal(countRows(server, 'studio_members', "studio_id = 4 AND status = 'approved'"), 3);
  });

  it('the same application sent twice at once is stored once', async () => {
    const before = auditCount();
    const [a, b] = await Promise.all([1, 2].map(() => send('teacher_li', 'POST', `${V1}/studios/11/members`, { reason: '并发申请' })));
    assert.deepEqual([a.status, b.status].sort(), [201, 409], `${a.text} / ${b.text}`);
    assert.equal(countRows(server, 'studio_members', 'studio_id = 11 AND user_id = 26'), 1);
    assert.equal(auditCount(), before + 1);
  });

  it('in a full studio an application cannot be approved but can be rejected', async () => {
    sqlite(server, "INSERT INTO studio_members (studio_id, user_id, status, reason, applied_at) VALUES (1, 30, 'pending', '申请', '2026-11-23T10:00:00Z')");
    assertError(await send('master_li', 'PATCH', `${V1}/studios/1/members/30`, { status: 'approved' }), 409, 'full');
    const rej = await send('master_li', 'PATCH', `${V1}/studios/1/members/30`, { status: 'rejected' });
    assert.equal(rej.status, 200, rej.text);
    assert.equal(rej.json.status, 'rejected');
  });
});

describe('leaving and removing', () => {
  it('teacher_wang leaves studio 1: 200 left, audited as his own act; no longer listed or in /me', async () => {
    const before = auditCount();
    const res = await send('teacher_wang', 'DELETE', `${V1}/studios/1/members/4`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'left');
    assert.deepEqual(res.json.user, WANG.user);
    assert.match(res.json.decided_at, RFC3339);
    assert.equal(auditCount(), before + 1);
    assert.deepEqual(lastAudit(), { user_id: 4, action: 'member.leave', entity: 'studio', entity_id: 1, detail: { user_id: 4 } });
    assert.ok(!(await members('teacher_li', 1)).some((m) => m.user.id === 4));
    const me = await get('teacher_wang', `${V1}/me`);
    assert.ok(!me.json.memberships.some((m) => m.studio_id === 1), JSON.stringify(me.json.memberships));
    assertError(await send('teacher_wang', 'DELETE', `${V1}/studios/1/members/4`), 404, 'not_found');
  });

  it('a member who left may apply again (pending), and may withdraw a pending application (left)', async () => {
    let res = await send('teacher_wang', 'POST', `${V1}/studios/1/members`, { reason: '重新申请' });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.status, 'pending');
    assert.equal(res.json.decided_at, null);
    assert.equal(res.json.reason, '重新申请');
    res = await send('teacher_wang', 'DELETE', `${V1}/studios/1/members/4`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'left');
  });

  it('master_li removes a member: 200 removed, audited; removing again is 404', async () => {
    const res = await send('master_li', 'DELETE', `${V1}/studios/1/members/23`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'removed');
    assert.deepEqual(lastAudit(), { user_id: 3, action: 'member.remove', entity: 'studio', entity_id: 1, detail: { user_id: 23 } });
    assert.ok(!(await members('teacher_wang', 1)).some((m) => m.user.id === 23));
    assert.equal((await members('master_li', 1)).find((m) => m.user.id === 23).status, 'removed');
    assertError(await send('master_li', 'DELETE', `${V1}/studios/1/members/23`), 404, 'not_found');
  });

  it('only managers remove others: a fellow member, another master and another university\'s admin are refused', async () => {
    const before = auditCount();
    assertError(await send('teacher_li', 'DELETE', `${V1}/studios/1/members/25`), 403, 'forbidden');
    assertError(await send('master_liu', 'DELETE', `${V1}/studios/1/members/25`), 403, 'forbidden');
    assertError(await send('henu_admin', 'DELETE', `${V1}/studios/1/members/25`), 403, 'forbidden');
    assert.equal(auditCount(), before);
    assert.equal(memberRow(1, 25), 'approved');
    const res = await send('zzu_admin', 'DELETE', `${V1}/studios/1/members/25`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'removed');
    assert.equal(lastAudit().user_id, 2);
  });

  it('removing someone who is not a member, or in a studio that does not exist: 404, nothing written', async () => {
    const before = auditCount();
    assertError(await send('master_li', 'DELETE', `${V1}/studios/1/members/31`), 404, 'not_found');
    assertError(await send('master_li', 'DELETE', `${V1}/studios/1/members/24`), 404, 'not_found'); // rejected
    assertError(await send('admin', 'DELETE', `${V1}/studios/99999/members/4`), 404, 'not_found');
    assert.equal(auditCount(), before);
  });

  it('the studio\'s counts agree with the rows', async () => {
    const s = (await get('teacher_wang', `${V1}/studios/1`)).json;
    assert.equal(s.member_count, countRows(server, 'studio_members', "studio_id = 1 AND status = 'approved'"));
    assert.equal(s.pending_count, countRows(server, 'studio_members', "studio_id = 1 AND status = 'pending'"));
    const approved = sqlite(server, "SELECT group_concat(user_id, ',') FROM (SELECT user_id FROM studio_members WHERE studio_id = 1 AND status = 'approved' ORDER BY applied_at, user_id)");
    assert.deepEqual((await members('teacher_wang', 1)).map((m) => m.user.id).join(','), approved);
    assert.deepEqual(approved.split(',').map(Number).sort((a, b) => a - b), [26, 27, 28, 29]);
  });
});
