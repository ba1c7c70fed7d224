// Process life of DESIGN §4 and §5: clean shutdown on SIGTERM/SIGINT, durability of
// acknowledged writes, start-up failures with one clear line, and the `user add`, `migrate`
// and `backup` commands.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import { ROOT, closed, freePort, login, request, runBin, sqlite, startServer, tmpDir, wsConnect } from './helpers.mjs';

const DEMO = 'mingshi-demo';
const WEB = path.join(ROOT, 'web');
const dirs = [];

function newDir() {
  const d = tmpDir();
  dirs.push(d);
  return d;
}

after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function walSize(dataDir) {
  const wal = path.join(dataDir, 'mingshi.db-wal');
  return fs.existsSync(wal) ? fs.statSync(wal).size : 0;
}

function assertNoSanitizerReport(output) {
  assert.ok(!/Sanitizer/.test(output), `sanitizer report:\n${output}`);
}

function signIn(server, username, password) {
  return request(server, 'POST', '/api/v1/session', { body: { username, password } });
}

// Runs `mingshi serve` expecting it to fail at start-up; returns {code, output, lines}.
async function serveFails(args) {
  const r = await runBin(['serve', '--web', WEB, ...args], { timeoutMs: 10000 });
  assert.equal(r.timedOut, false, `the server did not exit:\n${r.stdout}${r.stderr}`);
  const output = r.stdout + r.stderr;
  assert.notEqual(r.code, 0, `exit code 0:\n${output}`);
  assertNoSanitizerReport(output);
  return { ...r, output, lines: output.split('\n') };
}

describe('shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT']) {
    it(`${signal}: closes sockets with 1001, exits 0, says "stopped cleanly" and leaves no WAL behind`, async () => {
      const dataDir = newDir();
      const server = await startServer({ dataDir });
      const s = await login(server, 'teacher_wang'); // a committed write in the WAL
      const ws = await wsConnect(server, { cookie: s.cookie });
      assert.equal(ws.status, 101);
      const wsClosed = closed(ws.ws, 10000);
      const exit = await server.stop(signal);
      assert.deepEqual(exit, { code: 0, signal: null }, server.log());
      assert.equal((await wsClosed).code, 1001);
      assert.ok(server.log().includes('stopped cleanly'), server.log());
      assertNoSanitizerReport(server.log());
      assert.equal(walSize(dataDir), 0, 'the WAL was checkpointed into mingshi.db');
      assert.equal(execFileSync('sqlite3', [path.join(dataDir, 'mingshi.db'), 'SELECT count(*) FROM sessions'],
        { encoding: 'utf8' }).trim(), '1', 'the session row is in the main database file');
    });
  }

  it('a write acknowledged before SIGTERM is there after a restart', async () => {
    const dataDir = newDir();
    let server = await startServer({ dataDir });
    const s = await login(server, 'master_li');
    const res = await request(server, 'POST', '/api/v1/me/password',
      { cookie: s.cookie, csrf: s.csrf, body: { old_password: DEMO, new_password: 'after-restart-88' } });
    assert.equal(res.status, 200, res.text);
    assert.equal((await server.stop('SIGTERM')).code, 0);

    server = await startServer({ dataDir });
    try {
      assert.equal((await signIn(server, 'master_li', 'after-restart-88')).status, 200);
      assert.equal((await signIn(server, 'master_li', DEMO)).status, 401);
    } finally {
      await server.stop();
    }
  });

  it('a write acknowledged before SIGKILL is there after a restart (commit before answer)', async () => {
    const dataDir = newDir();
    let server = await startServer({ dataDir });
    const s = await login(server, 'zzu_admin');
    const res = await request(server, 'POST', '/api/v1/me/password',
      { cookie: s.cookie, csrf: s.csrf, body: { old_password: DEMO, new_password: 'survives-kill-31' } });
    assert.equal(res.status, 200, res.text);
    assert.equal((await server.stop('SIGKILL')).signal, 'SIGKILL');

    server = await startServer({ dataDir });
    try {
      assert.equal((await signIn(server, 'zzu_admin', 'survives-kill-31')).status, 200);
    } finally {
      await server.stop();
    }
  });
});

describe('start-up failures', () => {
  it('a port in use: exit ≠ 0 within 5 s with one line naming the address and the cause', async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise((resolve, reject) => {
      blocker.once('error', reject);
      blocker.listen(port, '127.0.0.1', resolve);
    });
    try {
      const r = await serveFails(['--data', newDir(), '--listen', `127.0.0.1:${port}`]);
      assert.ok(r.ms < 5000, `took ${r.ms} ms`);
      const hits = r.lines.filter((l) => l.includes(`cannot listen on 127.0.0.1:${port}`));
      assert.equal(hits.length, 1, r.output);
      assert.ok(hits[0].includes('Address already in use'), hits[0]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('an unreadable certificate', async () => {
    const r = await serveFails(['--data', newDir(), '--listen', `127.0.0.1:${await freePort()}`,
      '--cert', '/nonexistent.pem', '--key', '/nonexistent.key']);
    assert.equal(r.lines.filter((l) => l.includes('cannot read the certificate')).length, 1, r.output);
  });

  it('a certificate file of garbage', async () => {
    const dir = newDir();
    const bad = path.join(dir, 'garbage.pem');
    fs.writeFileSync(bad, crypto.randomBytes(600));
    const r = await serveFails(['--data', newDir(), '--listen', `127.0.0.1:${await freePort()}`,
      '--cert', bad, '--key', bad]);
    assert.equal(r.lines.filter((l) => l.includes('is not a PEM or DER certificate')).length, 1, r.output);
  });

  it('a data directory it cannot write', async () => {
    const r = await serveFails(['--data', '/proc/mingshi-nope', '--listen', `127.0.0.1:${await freePort()}`]);
    assert.equal(r.lines.filter((l) => l.includes('data directory')).length, 1, r.output);
  });

  it('a corrupt database', async () => {
    const dir = newDir();
    fs.writeFileSync(path.join(dir, 'mingshi.db'), crypto.randomBytes(8192));
    const r = await serveFails(['--data', dir, '--listen', `127.0.0.1:${await freePort()}`]);
    assert.ok(r.lines.some((l) => l.includes('database')), r.output);
  });
});

describe('command line: user add, migrate', () => {
  const dir = newDir();
  const add = (username, role, password) => runBin(['user', 'add', '--data', dir, '--username', username,
    '--name', '新老师', '--role', role, '--password-stdin'], { input: `${password}\n` });

  it('user add creates a user', async () => {
    const r = await add('newbie', 'teacher', 'good-password-42');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created user/);
    assertNoSanitizerReport(r.stderr);
  });

  it('user add refuses a taken username, a common password and an unknown role', async () => {
    const taken = await add('newbie', 'teacher', 'another-password-43');
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /taken/);
    const common = await add('newbie2', 'teacher', 'password123');
    assert.notEqual(common.code, 0);
    assert.doesNotMatch(common.stdout, /created user/);
    const role = await add('newbie3', 'wizard', 'good-password-42');
    assert.notEqual(role.code, 0);
    assert.doesNotMatch(role.stdout, /created user/);
    for (const r of [taken, common, role]) assertNoSanitizerReport(r.stderr);
  });

  it('migrate reports the schema version of the last migration in db/migrations', async () => {
    const r = await runBin(['migrate', '--data', dir]);
    assert.equal(r.code, 0, r.stderr);
    const last = fs.readdirSync(path.join(ROOT, 'db', 'migrations')).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort().pop();
    assert.match(r.stdout, new RegExp(`schema version ${Number.parseInt(last, 10)}\\b`));
  });

  it('a server on that directory signs the new user in; one user.create audit entry', async () => {
    const server = await startServer({ dataDir: dir, demo: false });
    try {
      const res = await signIn(server, 'newbie', 'good-password-42');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json.user, { id: 1, username: 'newbie', name: '新老师', role: 'teacher', university_id: null, must_change_password: false });
      assert.equal(sqlite(server, 'SELECT count(*) FROM users'), '1', 'the refused adds wrote nothing');
      assert.equal(sqlite(server, "SELECT count(*) FROM audit WHERE action='user.create'"), '1');
      assert.equal(sqlite(server, "SELECT entity, entity_id FROM audit WHERE action='user.create'"), 'user|1');
    } finally {
      await server.stop();
    }
  });
});

describe('backup', () => {
  it('makes a consistent copy while the server runs and signs people in', async () => {
    const server = await startServer({ dataDir: newDir() });
    const outDir = newDir();
    try {
      // Back up again and again while three sign-ins hash and commit their sessions.
      let signingIn = true;
      const logins = Promise.all([login(server, 'admin'), login(server, 'teacher_wang'), login(server, 'expert_zhao')])
        .finally(() => { signingIn = false; });
      const backups = [];
      while (signingIn || backups.length < 2) {
        const out = path.join(outDir, `backup-${backups.length}.db`);
        const r = await runBin(['backup', '--data', server.dataDir, out]);
        assert.equal(r.code, 0, r.stderr);
        assertNoSanitizerReport(r.stderr);
        backups.push(out);
      }
      const sessions = await logins;
      for (const out of backups) {
        const check = execFileSync('sqlite3', [out, 'PRAGMA integrity_check; SELECT count(*) FROM users'], { encoding: 'utf8' });
        assert.equal(check.trim(), 'ok\n40', out);
      }
      const last = path.join(outDir, 'after.db');
      assert.equal((await runBin(['backup', '--data', server.dataDir, last])).code, 0);
      assert.equal(execFileSync('sqlite3', [last, 'SELECT count(*) FROM sessions'], { encoding: 'utf8' }).trim(), '3');
      // The server is unharmed.
      assert.equal((await request(server, 'GET', '/api/v1/me', { cookie: sessions[0].cookie })).status, 200);
    } finally {
      await server.stop();
    }
  });
});
