// Authentication of DESIGN §6 and §8: sign-in, the session cookie, GET /me, CSRF, Origin,
// password changes, disabled users, login throttling, and PBKDF2 staying off the event loop.
// A sign-in costs a PBKDF2 (600 000 iterations, ~1 s under ASan), so sessions are reused
// where tests do not interfere; state-changing groups get their own server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { keepAliveAgent, login, request, sqlite, startServer } from './helpers.mjs';

const COOKIE = '__Host-mingshi_session';
const DEMO = 'mingshi-demo';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ADMIN = { id: 1, username: 'admin', name: '省教育厅管理员', role: 'admin', university_id: null, must_change_password: false };
const ZZU_ADMIN = { id: 2, username: 'zzu_admin', name: '郑大教师发展中心', role: 'university_admin', university_id: 1, must_change_password: false };
const MASTER_LI = { id: 3, username: 'master_li', name: '李明华', role: 'master', university_id: 1, must_change_password: false };

function assertError(res, status, code, field) {
  assert.equal(res.status, status, `status (body ${res.text})`);
  assert.ok(res.json && res.json.error, `error body, got ${res.text}`);
  assert.deepEqual(Object.keys(res.json), ['error']);
  assert.equal(res.json.error.code, code);
  assert.equal(typeof res.json.error.message, 'string');
  if (field !== undefined) assert.equal(res.json.error.field, field);
}

// "name=value; A; B=c" → {name, value, attrs: {a: true, b: 'c'}} (attribute names lower-cased).
function parseSetCookie(header) {
  const [pair, ...rest] = header.split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  const attrs = {};
  for (const a of rest) {
    const i = a.indexOf('=');
    if (i < 0) attrs[a.toLowerCase()] = true;
    else attrs[a.slice(0, i).toLowerCase()] = a.slice(i + 1);
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
}

function signIn(server, username, password, headers) {
  return request(server, 'POST', '/api/v1/session', { body: { username, password }, headers });
}

// CPU time the server has used (user + system, clock ticks of 10 ms): all its threads, or the
// one numbered tid (the service thread is the process's first, tid = pid). Unlike elapsed time,
// it does not grow when a busy machine keeps the server waiting for a core — the password
// hashing threads run at SCHED_IDLE and wait longest.
function cpuTicks(server, tid) {
  const pid = server.proc.pid;
  const stat = fs.readFileSync(tid ? `/proc/${pid}/task/${tid}/stat` : `/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

// signIn(), with the server CPU ticks it cost in `cpu` (the requests must not overlap).
async function signInCost(server, username, password) {
  const c0 = cpuTicks(server);
  const res = await signIn(server, username, password);
  return { ...res, cpu: cpuTicks(server) - c0 };
}

describe('sign-in, cookie, /me, CSRF, Origin, disabled users', () => {
  let server;
  let admin;

  before(async () => { server = await startServer(); });
  after(async () => { if (server) await server.dispose(); });

  it('signs admin in: 200 {user, csrf_token} exactly, and a __Host- cookie with the right attributes', async () => {
    const res = await signIn(server, 'admin', DEMO);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['csrf_token', 'user']);
    assert.deepEqual(res.json.user, ADMIN);
    assert.equal(typeof res.json.csrf_token, 'string');
    assert.ok(res.json.csrf_token.length >= 22, 'a CSRF token of at least 128 bits');
    const cookies = res.headers['set-cookie'];
    assert.equal(cookies.length, 1);
    const c = parseSetCookie(cookies[0]);
    assert.equal(c.name, COOKIE);
    assert.match(c.value, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    assert.equal(c.attrs.httponly, true, 'HttpOnly');
    assert.equal(c.attrs.secure, true, 'Secure');
    assert.equal(c.attrs.samesite, 'Strict');
    assert.equal(c.attrs.path, '/');
    assert.ok(!('domain' in c.attrs), 'a __Host- cookie has no Domain');
    admin = { cookie: `${c.name}=${c.value}`, csrf: res.json.csrf_token };
  });

  it('signs a university_admin in with their university_id', async () => {
    const res = await signIn(server, 'zzu_admin', DEMO);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.user, ZZU_ADMIN);
  });

  it('GET /me: 401 unauthenticated without a (valid) cookie; the user, studio_id and memberships with one', async () => {
    assertError(await request(server, 'GET', '/api/v1/me'), 401, 'unauthenticated');
    assertError(await request(server, 'GET', '/api/v1/me', { cookie: `${COOKIE}=${'A'.repeat(43)}` }), 401, 'unauthenticated');
    assertError(await request(server, 'GET', '/api/v1/me', { cookie: `${COOKIE}=short` }), 401, 'unauthenticated');
    const res = await request(server, 'GET', '/api/v1/me', { cookie: admin.cookie });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { ...ADMIN, title: '', studio_id: null, memberships: [] });
    // a master sees the studio they run; a teacher the studios they belong to or applied to
    const li = await login(server, 'master_li');
    const liMe = await request(server, 'GET', '/api/v1/me', { cookie: li.cookie });
    assert.deepEqual(liMe.json, { ...MASTER_LI, title: '教授', studio_id: 1, memberships: [] });
    const qian = await login(server, 'teacher_qian');
    const qianMe = await request(server, 'GET', '/api/v1/me', { cookie: qian.cookie });
    assert.deepEqual(qianMe.json.memberships, [
      { studio_id: 1, studio_name: '高等数学教学名师工作室', status: 'pending' },
    ]);
  });

  it('a wrong password and an unknown username look the same: status, body and (PBKDF2) time', async () => {
    const wrong = [];
    const unknown = [];
    for (let i = 0; i < 2; i++) {
      wrong.push(await signInCost(server, 'teacher_wang', 'not-the-password'));
      unknown.push(await signInCost(server, `nobody_${i}`, 'not-the-password'));
    }
    for (const r of [...wrong, ...unknown]) assertError(r, 401, 'unauthenticated');
    assert.equal(unknown[0].text, wrong[0].text, 'identical bodies');
    assert.equal(unknown[1].text, wrong[1].text, 'identical bodies');
    assert.equal(wrong[0].headers['set-cookie'], undefined);
    assert.equal(unknown[0].headers['set-cookie'], undefined);
    // The same time because the same work: an unknown user's password is hashed too (against a
    // dummy hash). The work is compared as the server's CPU time, which a busy machine does
    // not stretch as it does the elapsed time (printed too).
    const mean = (rs, k) => rs.reduce((s, r) => s + r[k], 0) / rs.length;
    const [tw, tu] = [mean(wrong, 'ms'), mean(unknown, 'ms')];
    const [cw, cu] = [mean(wrong, 'cpu') * 10, mean(unknown, 'cpu') * 10];
    console.log(`sign-in failure: wrong password ${tw.toFixed(0)} ms (${cw} ms CPU), unknown user ${tu.toFixed(0)} ms (${cu} ms CPU)`);
    assert.ok(cw >= 50, `a wrong password cost ${cw} ms of CPU: no hashing?`);
    assert.ok(cu >= 0.5 * cw, `unknown user ${cu} ms of CPU vs wrong password ${cw}: the dummy hash is skipped`);
    assert.ok(cw >= 0.5 * cu, `wrong password ${cw} ms of CPU vs unknown user ${cu}`);
  });

  it('DELETE /session needs the session\'s X-CSRF-Token (403 csrf), then signs out and clears the cookie', async () => {
    const me = await login(server, 'master_li');
    assertError(await request(server, 'DELETE', '/api/v1/session', { cookie: me.cookie }), 403, 'csrf');
    assertError(await request(server, 'DELETE', '/api/v1/session', { cookie: me.cookie, csrf: 'x'.repeat(me.csrf.length) }),
      403, 'csrf');
    // Another live session's token is not this session's token.
    assertError(await request(server, 'DELETE', '/api/v1/session', { cookie: me.cookie, csrf: admin.csrf }), 403, 'csrf');
    assert.equal((await request(server, 'GET', '/api/v1/me', { cookie: me.cookie })).status, 200, 'still signed in');

    const out = await request(server, 'DELETE', '/api/v1/session', { cookie: me.cookie, csrf: me.csrf });
    assert.equal(out.status, 204);
    assert.equal(out.text, '');
    const c = parseSetCookie(out.headers['set-cookie'][0]);
    assert.equal(c.name, COOKIE);
    assert.equal(c.value, '');
    assert.equal(c.attrs['max-age'], '0');
    assertError(await request(server, 'GET', '/api/v1/me', { cookie: me.cookie }), 401, 'unauthenticated');
    assertError(await request(server, 'DELETE', '/api/v1/session', { cookie: me.cookie, csrf: me.csrf }), 401, 'unauthenticated');
    // Other sessions are untouched.
    assert.equal((await request(server, 'GET', '/api/v1/me', { cookie: admin.cookie })).status, 200);
  });

  it('a state-changing request with a foreign Origin is 403 forbidden; the own origin is fine', async () => {
    const evil = { Origin: 'https://evil.example' };
    assertError(await signIn(server, 'admin', DEMO, evil), 403, 'forbidden');
    assertError(await request(server, 'DELETE', '/api/v1/session', { cookie: admin.cookie, csrf: admin.csrf, headers: evil }),
      403, 'forbidden');
    assertError(await request(server, 'POST', '/api/v1/me/password',
      { cookie: admin.cookie, csrf: admin.csrf, headers: { Origin: `http://127.0.0.1:${server.port}` }, body: {} }),
    403, 'forbidden');
    assert.equal((await request(server, 'GET', '/api/v1/me', { cookie: admin.cookie })).status, 200, 'not signed out');

    const own = await signIn(server, 'admin', DEMO, { Origin: server.origin });
    assert.equal(own.status, 200, own.text);
    assert.deepEqual(own.json.user, ADMIN);
  });

  it('a disabled user loses their sessions and cannot sign in', async () => {
    const ex = await login(server, 'expert_zhao');
    assert.equal((await request(server, 'GET', '/api/v1/me', { cookie: ex.cookie })).status, 200);
    sqlite(server, "UPDATE users SET disabled=1 WHERE username='expert_zhao'");
    assertError(await request(server, 'GET', '/api/v1/me', { cookie: ex.cookie }), 401, 'unauthenticated');
    const res = await signIn(server, 'expert_zhao', DEMO);
    assertError(res, 401, 'unauthenticated');
    const wrong = await signIn(server, 'teacher_wang', 'not-the-password');
    assert.equal(res.text, wrong.text, 'a disabled account is indistinguishable from a wrong password');
  });

  it('8 sign-ins hashing at once leave the event loop free: /healthz stays fast', async () => {
    // Every client, the /healthz poller included, gets its TLS connection before the clock
    // starts: handshakes are the service thread's own work (8 ECDSA handshakes at once take
    // tens of ms under ASan), while this test is about the 8 PBKDF2s, which must run on the
    // worker pool and never stall the event loop.
    const users = ['admin', 'zzu_admin', 'master_li', 'teacher_wang'];
    const pollAgent = keepAliveAgent(server);
    const loginAgents = [...users, ...users].map(() => keepAliveAgent(server));
    const warm = (agent) => request(server, 'GET', '/healthz', { agent });
    for (const r of await Promise.all([pollAgent, ...loginAgents].map(warm))) assert.equal(r.status, 200);

    const latencies = [];
    const loop0 = cpuTicks(server, server.proc.pid);
    const all0 = cpuTicks(server);
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const r = await request(server, 'GET', '/healthz', { agent: pollAgent });
        assert.equal(r.status, 200);
        latencies.push(r.ms);
        await sleep(20);
      }
    })();
    const t0 = performance.now();
    const results = await Promise.all([...users, ...users].map((u, i) => request(server, 'POST', '/api/v1/session',
      { body: { username: u, password: DEMO }, agent: loginAgents[i] })));
    const loginsMs = performance.now() - t0;
    polling = false;
    await poller;
    const loop = (cpuTicks(server, server.proc.pid) - loop0) * 10;
    const others = (cpuTicks(server) - all0) * 10 - loop;
    for (const a of [pollAgent, ...loginAgents]) a.destroy();
    for (const r of results) assert.equal(r.status, 200, r.text);
    const max = Math.max(...latencies);
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(`8 concurrent sign-ins took ${loginsMs.toFixed(0)} ms; /healthz during them: `
      + `n=${latencies.length}, median ${sorted[sorted.length >> 1].toFixed(1)} ms, max ${max.toFixed(1)} ms; `
      + `CPU: service thread ${loop} ms, the other threads ${others} ms`);
    assert.ok(latencies.length >= 10, `healthz was polled ${latencies.length} times`);
    // The hashing ran off the service thread: it did a small part of the server's work, in CPU
    // time, which a busy machine does not stretch as it stretches response times. And no
    // /healthz took long next to the sign-ins.
    assert.ok(loop * 4 < others, `the service thread used ${loop} ms of CPU, the others ${others} ms: hashing on the loop`);
    assert.ok(max < loginsMs / 4, `max healthz ${max.toFixed(1)} ms < 1/4 of ${loginsMs.toFixed(0)} ms`);
  });
});

describe('password change', () => {
  let server;
  let a1; // the browser that changes the password
  let a2; // another browser of the same user
  let other; // another user

  before(async () => {
    server = await startServer();
    a1 = await login(server, 'master_li');
    a2 = await login(server, 'master_li');
    other = await login(server, 'teacher_wang');
  });
  after(async () => { if (server) await server.dispose(); });

  const change = (s, body) => request(server, 'POST', '/api/v1/me/password', { cookie: s.cookie, csrf: s.csrf, body });

  it('refuses a new password shorter than 8 characters (counted as characters, not bytes)', async () => {
    assertError(await change(a1, { old_password: DEMO, new_password: 'k7#Qp2z' }), 400, 'validation_failed', 'new_password');
    assertError(await change(a1, { old_password: DEMO, new_password: '名师工作室交流' }), 400, 'validation_failed', 'new_password');
  });

  it('refuses a commonly used password, case-insensitively', async () => {
    for (const pw of ['password123', 'PASSWORD123']) {
      assertError(await change(a1, { old_password: DEMO, new_password: pw }), 400, 'validation_failed', 'new_password');
    }
  });

  it('refuses a new password longer than 128 characters', async () => {
    assertError(await change(a1, { old_password: DEMO, new_password: 'k7#Qp2zX'.repeat(16) + 'y' }),
      400, 'validation_failed', 'new_password');
  });

  it('refuses unknown fields and a missing CSRF token', async () => {
    assertError(await change(a1, { old_password: DEMO, new_password: 'fresh-secret-71', force: true }),
      400, 'validation_failed', 'force');
    assertError(await request(server, 'POST', '/api/v1/me/password',
      { cookie: a1.cookie, body: { old_password: DEMO, new_password: 'fresh-secret-71' } }), 403, 'csrf');
  });

  it('refuses a wrong old_password', async () => {
    assertError(await change(a1, { old_password: 'not-the-password', new_password: 'fresh-secret-71' }),
      400, 'validation_failed', 'old_password');
    // Nothing changed: both browsers are still signed in.
    assert.equal((await request(server, 'GET', '/api/v1/me', { cookie: a1.cookie })).status, 200);
    assert.equal((await request(server, 'GET', '/api/v1/me', { cookie: a2.cookie })).status, 200);
  });

  it('changes it: a new cookie and CSRF token; every old session of the user ends', async () => {
    const newPw = 'fresh-secret-71';
    const res = await change(a1, { old_password: DEMO, new_password: newPw });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.user, MASTER_LI);
    assert.equal(typeof res.json.csrf_token, 'string');
    assert.notEqual(res.json.csrf_token, a1.csrf);
    const c = parseSetCookie(res.headers['set-cookie'][0]);
    assert.equal(c.name, COOKIE);
    assert.match(c.value, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(c.attrs.httponly, true);
    assert.equal(c.attrs.secure, true);
    assert.equal(c.attrs.samesite, 'Strict');
    const fresh = { cookie: `${COOKIE}=${c.value}`, csrf: res.json.csrf_token };
    assert.notEqual(fresh.cookie, a1.cookie);

    assertError(await request(server, 'GET', '/api/v1/me', { cookie: a1.cookie }), 401, 'unauthenticated');
    assertError(await request(server, 'GET', '/api/v1/me', { cookie: a2.cookie }), 401, 'unauthenticated');
    const me = await request(server, 'GET', '/api/v1/me', { cookie: fresh.cookie });
    assert.equal(me.status, 200);
    assert.equal(me.json.username, 'master_li');
    assert.equal((await request(server, 'GET', '/api/v1/me', { cookie: other.cookie })).status, 200,
      'another user keeps their session');
    assert.equal(sqlite(server, "SELECT count(*) FROM audit WHERE action='user.password_change' AND entity_id=3"), '1');

    assertError(await signIn(server, 'master_li', DEMO), 401, 'unauthenticated');
    const again = await signIn(server, 'master_li', newPw);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json.user, MASTER_LI);
    // The new session's CSRF token is the one that works.
    assertError(await request(server, 'DELETE', '/api/v1/session', { cookie: fresh.cookie, csrf: a1.csrf }), 403, 'csrf');
    assert.equal((await request(server, 'DELETE', '/api/v1/session', { cookie: fresh.cookie, csrf: fresh.csrf })).status, 204);
  });
});

describe('login throttling', () => {
  let server;

  before(async () => { server = await startServer(); });
  after(async () => { if (server) await server.dispose(); });

  it('10 failures for one username from one address block that pair (even the right password) with 429 and Retry-After', async () => {
    const fails = await Promise.all(Array.from({ length: 10 }, () => signIn(server, 'teacher_wang', 'not-the-password')));
    for (const r of fails) assertError(r, 401, 'unauthenticated');
    const blocked = await signIn(server, 'teacher_wang', DEMO);
    assertError(blocked, 429, 'rate_limited');
    const retry = Number(blocked.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 900, `Retry-After: ${blocked.headers['retry-after']}`);
    // The same account spelled differently is the same pair.
    assertError(await signIn(server, 'Teacher_Wang', DEMO), 429, 'rate_limited');
  });

  it('the pair limit does not lock other users out from that address', async () => {
    const res = await signIn(server, 'master_li', DEMO);
    assert.equal(res.status, 200, res.text);
  });

  it('50 failures from one address (any usernames) block the address for every username', async () => {
    // 10 failures so far (teacher_wang); 40 more over 40 usernames that do not exist.
    const fails = await Promise.all(Array.from({ length: 40 }, (_, i) => signIn(server, `ghost_${i}`, 'not-the-password')));
    for (const r of fails) assertError(r, 401, 'unauthenticated');
    for (const u of ['admin', 'zzu_admin', 'ghost_new']) {
      const res = await signIn(server, u, DEMO);
      assertError(res, 429, 'rate_limited');
      assert.ok(Number(res.headers['retry-after']) > 0, `Retry-After for ${u}`);
    }
  });
});
