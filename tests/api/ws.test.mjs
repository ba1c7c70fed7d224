// The WebSocket endpoint of DESIGN §7 and §8: the handshake checks, message framing rules,
// size and UTF-8 limits, and sockets ending with their session.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closed, login, messages, request, startServer, wsConnect } from './helpers.mjs';

let server;
let admin;
let teacher;

before(async () => {
  server = await startServer();
  admin = await login(server, 'admin');
  teacher = await login(server, 'teacher_wang');
});

after(async () => {
  if (server) await server.dispose();
});

// Opens a socket for session s and returns {ws, msgs}; fails unless the upgrade succeeds.
async function open(s) {
  const r = await wsConnect(server, { cookie: s.cookie });
  assert.equal(r.status, 101, `upgrade refused: ${r.status} ${r.body}`);
  return { ws: r.ws, msgs: messages(r.ws) };
}

async function assertPong(sock) {
  sock.ws.send('{"type":"ping"}');
  assert.deepEqual(await sock.msgs.next((m) => m.type === 'pong' || m.type === 'error'), { type: 'pong' });
}

function assertInvalid(msg, clientId) {
  assert.equal(msg.type, 'error');
  assert.equal(msg.code, 'invalid');
  assert.equal(typeof msg.message, 'string');
  assert.ok(msg.message.length > 0);
  assert.deepEqual(Object.keys(msg).sort(), clientId === undefined
    ? ['code', 'message', 'type'] : ['client_id', 'code', 'message', 'type']);
  if (clientId !== undefined) assert.equal(msg.client_id, clientId);
}

function assertRefused(r, status, code) {
  assert.equal(r.status, status, `status (body ${r.body})`);
  assert.equal(r.ws, null);
  const body = JSON.parse(r.body);
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.ok(r.headers['strict-transport-security'], 'HSTS on the refusal');
}

describe('handshake', () => {
  it('without a session cookie: 401', async () => {
    assertRefused(await wsConnect(server, {}), 401, 'unauthenticated');
    assertRefused(await wsConnect(server, { cookie: `__Host-mingshi_session=${'B'.repeat(43)}` }), 401, 'unauthenticated');
  });

  it('with a foreign Origin or none: 403', async () => {
    assertRefused(await wsConnect(server, { cookie: admin.cookie, origin: 'https://evil.example' }), 403, 'forbidden');
    assertRefused(await wsConnect(server, { cookie: admin.cookie, origin: `http://127.0.0.1:${server.port}` }), 403, 'forbidden');
    assertRefused(await wsConnect(server, { cookie: admin.cookie, origin: '' }), 403, 'forbidden');
  });

  it('without subprotocol mingshi.v1: 400', async () => {
    assertRefused(await wsConnect(server, { cookie: admin.cookie, protocols: [] }), 400, 'validation_failed');
    assertRefused(await wsConnect(server, { cookie: admin.cookie, protocols: ['mingshi.v2'] }), 400, 'validation_failed');
  });

  it('on a path other than /ws: 404', async () => {
    assertRefused(await wsConnect(server, { cookie: admin.cookie, path: '/other' }), 404, 'not_found');
  });

  it('a valid upgrade is 101 with subprotocol mingshi.v1', async () => {
    const r = await wsConnect(server, { cookie: admin.cookie });
    assert.equal(r.status, 101);
    assert.equal(r.ws.protocol, 'mingshi.v1');
    r.ws.close();
    const multi = await wsConnect(server, { cookie: admin.cookie, protocols: ['chat', 'mingshi.v1'] });
    assert.equal(multi.status, 101);
    assert.equal(multi.ws.protocol, 'mingshi.v1');
    multi.ws.close();
  });
});

describe('messages', () => {
  let sock;

  before(async () => { sock = await open(admin); });
  after(() => { sock.ws.close(); });

  it('{"type":"ping"} gets exactly {"type":"pong"}', async () => {
    await assertPong(sock);
  });

  it('a ping with an unknown field is invalid', async () => {
    sock.ws.send('{"type":"ping","x":1}');
    assertInvalid(await sock.msgs.next());
  });

  it('an unknown type is invalid and echoes client_id', async () => {
    sock.ws.send('{"type":"zap","client_id":"c1"}');
    assertInvalid(await sock.msgs.next(), 'c1');
  });

  it('text that is not one JSON object is invalid and the socket stays open', async () => {
    for (const text of ['not json', '[1,2]', '{"type":5}', '"ping"', '{"type":"ping"} {"type":"ping"}']) {
      sock.ws.send(text);
      assertInvalid(await sock.msgs.next(), undefined);
    }
    await assertPong(sock);
  });

  it('a binary frame is invalid and the socket stays open', async () => {
    sock.ws.send(Buffer.from('{"type":"ping"}'), { binary: true });
    assertInvalid(await sock.msgs.next());
    await assertPong(sock);
  });

  it('a message split over fragments is put back together', async () => {
    sock.ws.send('{"type":', { fin: false });
    sock.ws.send('"ping"}', { fin: true });
    assert.deepEqual(await sock.msgs.next(), { type: 'pong' });
  });

  it('16 000 and 16 384 bytes of JSON are accepted (error for the unknown type, no close)', async () => {
    for (const size of [16000, 16384]) {
      const head = '{"type":"zap","pad":"';
      const text = `${head}${'x'.repeat(size - head.length - 2)}"}`;
      assert.equal(Buffer.byteLength(text), size);
      sock.ws.send(text);
      assertInvalid(await sock.msgs.next());
    }
    await assertPong(sock);
  });
});

describe('limits that close the socket', () => {
  it('a 17 000-byte text message closes with 1009', async () => {
    const s = await open(admin);
    const done = closed(s.ws);
    s.ws.send('x'.repeat(17000));
    assert.equal((await done).code, 1009);
  });

  it('16 385 bytes (one over 16 KiB) close with 1009', async () => {
    const s = await open(admin);
    const done = closed(s.ws);
    const head = '{"type":"zap","pad":"';
    s.ws.send(`${head}${'x'.repeat(16385 - head.length - 2)}"}`);
    assert.equal((await done).code, 1009);
  });

  it('the 16 KiB cap counts the whole message across fragments (1009)', async () => {
    const s = await open(admin);
    const done = closed(s.ws);
    s.ws.send('{"type":"zap","pad":"' + 'x'.repeat(6000), { fin: false });
    s.ws.send('x'.repeat(6000), { fin: false });
    s.ws.send(`${'x'.repeat(6000)}"}`, { fin: true });
    assert.equal((await done).code, 1009);
  });

  it('invalid UTF-8 in a text frame closes with 1007', async () => {
    const s = await open(admin);
    const done = closed(s.ws);
    // ws sends the bytes as they are: `{"type":"\xff\xfe"}` as a text frame.
    s.ws.send(Buffer.concat([Buffer.from('{"type":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), { binary: false });
    assert.equal((await done).code, 1007);
  });
});

describe('sockets end with their session', () => {
  it('signing out closes that session\'s socket with 1008; another user\'s socket stays open', async () => {
    const mine = await login(server, 'admin');
    const a = await open(mine);
    const keep = await open(admin); // the same user, another session
    const t = await open(teacher);
    const done = closed(a.ws);
    const out = await request(server, 'DELETE', '/api/v1/session', { cookie: mine.cookie, csrf: mine.csrf });
    assert.equal(out.status, 204);
    assert.equal((await done).code, 1008);
    await assertPong(t);
    await assertPong(keep);
    assert.equal((await wsConnect(server, { cookie: mine.cookie })).status, 401, 'the old cookie cannot reconnect');
    t.ws.close();
    keep.ws.close();
  });

  it('a password change closes every socket of the user\'s old sessions with 1008', async () => {
    // Two browsers of master_li. Browser 1 changes the password: api/me.c replaces ALL of the
    // user's sessions (browser 1 gets a brand-new session and cookie), then calls
    // end_user_sockets(app, user_id, new_session_id), which closes every socket of that user
    // whose session is not the new one. So browser 2's socket AND browser 1's own socket
    // (opened with its old, now deleted, cookie) are closed with 1008; a socket opened with the
    // new cookie works, and other users are not touched (DESIGN §8).
    const b1 = await login(server, 'master_li');
    const b2 = await login(server, 'master_li');
    const s1 = await open(b1);
    const s2 = await open(b2);
    const t = await open(teacher);
    const closed1 = closed(s1.ws, 5000).catch(() => null); // null: still open after 5 s
    const closed2 = closed(s2.ws);
    const res = await request(server, 'POST', '/api/v1/me/password',
      { cookie: b1.cookie, csrf: b1.csrf, body: { old_password: 'mingshi-demo', new_password: 'ws-secret-4411' } });
    assert.equal(res.status, 200, res.text);
    const fresh = res.headers['set-cookie'][0].split(';')[0];

    assert.equal((await closed2).code, 1008, 'the other browser\'s socket');
    await assertPong(t);
    const n = await wsConnect(server, { cookie: fresh });
    assert.equal(n.status, 101, 'the new session can open a socket');
    n.ws.close();
    assert.equal((await wsConnect(server, { cookie: b1.cookie })).status, 401, 'the old cookie cannot reconnect');
    // The session behind s1 no longer exists, so its socket must not live on.
    const first = await closed1;
    assert.notEqual(first, null, 'the changing browser\'s old-cookie socket was left open after its session was deleted');
    assert.equal(first.code, 1008);
    t.ws.close();
  });
});
