// TLS of DESIGN §2 and §5: Mozilla "intermediate" (TLS 1.3, and TLS 1.2 with ECDHE +
// AES-GCM/ChaCha20 only, key exchange over X25519, P-256 and P-384, session tickets for TLS 1.3
// only), the self-signed ECDSA P-256 development certificate that is made once and reused,
// --cert/--key, and `mingshi --version`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import WebSocket from 'ws';
import { login, request, runBin, sqlite, startServer, tmpDir, waitFor } from './helpers.mjs';
import { Chat, FAST, clientId, signIn, startWithConfig } from './chat-helpers.mjs';

// Resolves {ok: true, protocol, cipher, group (of the key exchange), cert} or {ok: false, code}.
function handshake(server, opts = {}) {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port: server.port, ca: server.ca, servername: 'localhost', ...opts }, () => {
      const out = {
        ok: true, protocol: sock.getProtocol(), cipher: sock.getCipher().name, group: sock.getEphemeralKeyInfo().name,
        cert: sock.getPeerCertificate(),
      };
      sock.end();
      resolve(out);
    });
    sock.setTimeout(5000, () => { sock.destroy(); resolve({ ok: false, code: 'TIMEOUT' }); });
    sock.on('error', (e) => resolve({ ok: false, code: e.code || e.message }));
  });
}

// A login request of exactly `total` bytes: its JSON body carries a password that fills it
// (the server reads it all, then refuses it as too long).
function loginRequest(server, total) {
  const head = (len) => `POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${server.origin}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${len}\r\n\r\n`;
  const body = (n) => JSON.stringify({ username: 'nobody', password: 'p'.repeat(n) });
  const bodyLen = total - head(total).length; // the same number of digits as the total here
  const text = head(bodyLen) + body(bodyLen - body(0).length);
  assert.equal(Buffer.byteLength(text), total);
  return text;
}

// One TLS connection for HTTP/1.1 requests in turn. ask(text) writes text in one write (up to
// 16 384 bytes leave as one TLS record), waits for the whole answer (Content-Length) and
// resolves {status, body, bytes (the whole answer), sent}.
function keepAlive(server, opts) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let waiting = null;
    const sock = tls.connect({ host: '127.0.0.1', port: server.port, ca: server.ca, servername: 'localhost', ...opts }, () => {
      resolve({
        ask(text) {
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error(`no answer in 5 s to ${text.slice(0, 40)}`)), 5000);
            waiting = (r) => { clearTimeout(timer); res({ ...r, sent: Buffer.byteLength(text) }); };
            sock.write(text);
          });
        },
        write(text) { sock.write(text); }, // more of the request ask() began
        close() { sock.destroy(); },
      });
    });
    sock.on('error', reject);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const cut = buf.indexOf('\r\n\r\n');
      if (cut < 0 || !waiting) return;
      const head = buf.subarray(0, cut).toString();
      const len = Number((/content-length:\s*(\d+)/i.exec(head) || [])[1] || 0);
      if (buf.length < cut + 4 + len) return;
      const w = waiting;
      waiting = null;
      const body = buf.subarray(cut + 4, cut + 4 + len).toString();
      buf = buf.subarray(cut + 4 + len);
      w({ status: Number(head.split(' ')[1]), body, bytes: cut + 4 + len });
    });
  });
}

// A TCP connection to the server as a stream for tls.connect({socket}), tapped: `records` gets
// the length of every application-data record (content type 23) the server sends.
function tappedTcp(server) {
  const raw = net.connect(server.port, '127.0.0.1');
  const records = [];
  let held = Buffer.alloc(0);
  const tap = new Duplex({
    read() {},
    write(chunk, _enc, cb) { raw.write(chunk, cb); },
    final(cb) { raw.end(); cb(); },
  });
  raw.on('data', (d) => {
    held = Buffer.concat([held, d]);
    while (held.length >= 5 && held.length >= 5 + held.readUInt16BE(3)) {
      if (held[0] === 23) records.push(held.readUInt16BE(3));
      held = held.subarray(5 + held.readUInt16BE(3));
    }
    tap.push(d);
  });
  raw.on('end', () => tap.push(null));
  raw.on('error', (e) => tap.destroy(e));
  return { tap, records };
}

// A TCP connection to the server as a stream for tls.connect({socket}) whose writes can be held:
// hold(), then every TLS record written waits (written(n): n of them are), and release() sends
// them all in one TCP write, so the server finds several records in the socket at once.
function gatedTcp(server) {
  const raw = net.connect(server.port, '127.0.0.1');
  let held = null;
  const tap = new Duplex({
    read() {},
    write(chunk, _enc, cb) {
      if (held) { held.push(chunk); cb(); } else raw.write(chunk, cb);
    },
    final(cb) { raw.end(); cb(); },
  });
  raw.on('data', (d) => tap.push(d));
  raw.on('end', () => tap.push(null));
  raw.on('error', (e) => tap.destroy(e));
  return {
    tap,
    hold() { held = []; },
    // Node's TLS merges writes queued behind one another into one record: wait for each.
    written(n) { return waitFor(() => held.length >= n, { ms: 2000, what: `${n} records written` }); },
    release() {
      raw.write(Buffer.concat(held));
      held = null;
    },
    // the records held, to be written by hand (raw.write); writes pass again
    take() {
      const b = Buffer.concat(held);
      held = null;
      return b;
    },
    raw,
  };
}

// Connects, asks GET /healthz, and waits for the session ticket (which TLS 1.3 sends after the
// handshake). Resolves {reused, protocol, group (of the key exchange), session (what the client
// keeps to resume with, or null), ticket (the server's, or undefined), answer: {status}}.
function ticketed(server, opts) {
  return new Promise((resolve, reject) => {
    let session = null;
    let ticket;
    let reused = false;
    let protocol = null;
    let group = null;
    const sock = tls.connect({ host: '127.0.0.1', port: server.port, ca: server.ca, servername: 'localhost', ...opts }, () => {
      reused = sock.isSessionReused();
      protocol = sock.getProtocol();
      group = sock.getEphemeralKeyInfo().name;
      sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    });
    let text = '';
    sock.on('session', (s) => {
      session = s;
      ticket = sock.getTLSTicket();
    });
    sock.on('data', (d) => { text += d; });
    sock.on('error', reject);
    sock.on('close', () => {
      const status = Number((/^HTTP\/1\.1 (\d{3})/.exec(text) || [])[1] || 0);
      resolve({ reused, protocol, group, session, ticket, answer: { status } });
    });
    sock.setTimeout(5000, () => sock.destroy(new Error('no answer in 5 s')));
  });
}

const tls12 = (ciphers) => ({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers });

// The server (not our client) refused: the handshake ends in an alert from it.
function assertRefused(r, what) {
  assert.equal(r.ok, false, `${what} was accepted (${r.protocol} ${r.cipher})`);
  assert.match(r.code, /ALERT/, `${what}: expected the server to refuse with an alert, got ${r.code}`);
}

// The server ended a TLS 1.3 handshake it has no group for. mbedtls 3.6 closes the connection
// there without the handshake_failure alert RFC 8446 asks for (Mbed-TLS/mbedtls#10892), so the
// client sees the connection end, or an alert should that be fixed.
function assertNoGroup(r, what) {
  assert.equal(r.ok, false, `${what} was accepted (${r.protocol}, group ${r.group})`);
  assert.match(r.code, /ALERT|ECONNRESET|EOF|socket disconnected/i, `${what}: ${r.code}`);
}

describe('config tls_max "1.2" (the benchmarks compare peers at TLS 1.2)', () => {
  let server;

  before(async () => { server = await startWithConfig({ tls_max: '1.2' }, { demo: false }); });
  after(async () => { if (server) await server.dispose(); });

  it('refuses TLS 1.3 and negotiates TLS 1.2 when offered both', async () => {
    assertRefused(await handshake(server, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }), 'TLS 1.3');
    const r = await handshake(server, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    assert.equal(r.ok, true, r.code);
    assert.equal(r.protocol, 'TLSv1.2');
  });

  it('refuses to start (exit 1, one line naming the key) with any other value', async () => {
    for (const v of ['1.1', '1.4', 12]) {
      const dir = tmpDir();
      const file = path.join(dir, 'c.json');
      fs.writeFileSync(file, JSON.stringify({ tls_max: v }));
      const r = await runBin(['serve', '--config', file, '--data', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
      assert.equal(r.code, 1, `${v}: ${r.stderr}`);
      assert.match(r.stderr, /tls_max/);
    }
  });
});

describe('protocols and cipher suites', () => {
  let server;

  before(async () => { server = await startServer({ demo: false }); });
  after(async () => { if (server) await server.dispose(); });

  it('TLS 1.3 works', async () => {
    const r = await handshake(server, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    assert.equal(r.ok, true, r.code);
    assert.equal(r.protocol, 'TLSv1.3');
  });

  it('TLS 1.3 offers the three AEAD suites of the intermediate profile', async () => {
    for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
      const r = await handshake(server, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: suite });
      assert.equal(r.ok, true, `${suite}: ${r.code}`);
      assert.equal(r.cipher, suite);
    }
  });

  it('TLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256 works', async () => {
    const r = await handshake(server, tls12('ECDHE-ECDSA-AES128-GCM-SHA256'));
    assert.equal(r.ok, true, r.code);
    assert.equal(r.protocol, 'TLSv1.2');
    assert.equal(r.cipher, 'ECDHE-ECDSA-AES128-GCM-SHA256');
  });

  it('TLS 1.2 with ECDHE-ECDSA-AES256-GCM-SHA384 and ECDHE-ECDSA-CHACHA20-POLY1305 work', async () => {
    for (const c of ['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
      const r = await handshake(server, tls12(c));
      assert.equal(r.ok, true, `${c}: ${r.code}`);
      assert.equal(r.protocol, 'TLSv1.2');
      assert.equal(r.cipher, c);
    }
  });

  it('TLS 1.2 CBC suites are refused', async () => {
    assertRefused(await handshake(server, tls12('ECDHE-ECDSA-AES128-SHA256')), 'ECDHE-ECDSA-AES128-SHA256');
    assertRefused(await handshake(server, tls12('ECDHE-ECDSA-AES256-SHA')), 'ECDHE-ECDSA-AES256-SHA');
    assertRefused(await handshake(server, tls12('ECDHE-ECDSA-AES256-SHA384')), 'ECDHE-ECDSA-AES256-SHA384');
  });

  it('TLS 1.2 without forward secrecy (static RSA key exchange) is refused', async () => {
    assertRefused(await handshake(server, tls12('AES128-GCM-SHA256')), 'AES128-GCM-SHA256');
  });

  // mbedtls keeps a 1 KiB input buffer while a connection is quiet (mk/patches: the idle input
  // buffer) and grows it for a larger record: full 16 KiB records must still arrive whole,
  // each after the buffer has shrunk again, over TLS 1.2 and 1.3.
  it('a keep-alive connection takes full-size 16 KiB records between small ones', async () => {
    for (const version of ['TLSv1.2', 'TLSv1.3']) {
      const conn = await keepAlive(server, { minVersion: version, maxVersion: version });
      try {
        for (let i = 0; i < 3; i++) {
          const small = await conn.ask('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
          assert.equal(small.status, 200, `${version} small ${i}`);
          assert.equal(JSON.parse(small.body).status, 'ok');
          // one write of 16 200 bytes: a single record just under TLS's 16 384-byte limit
          const big = await conn.ask(loginRequest(server, 16200));
          assert.equal(big.sent, 16200);
          assert.equal(big.status, 400, `${version} big ${i}: ${big.body}`);
          assert.deepEqual(JSON.parse(big.body).error.field, 'password');
        }
        // and a body larger than one record: two records, the first full
        const two = await conn.ask(loginRequest(server, 40000));
        assert.equal(two.status, 400, `${version} two records: ${two.body}`);
      } finally {
        conn.close();
      }
    }
  });

  // lws's mbedtls servers never resumed; mk/patches/lws-4.3.5-mbedtls-session-tickets.patch
  // gives them one process-wide ticket key, for TLS 1.3 only: resuming there still runs ECDHE
  // (psk_dhe_ke), where a TLS 1.2 resumption would reuse the master secret sealed in the ticket.
  it('a returning TLS 1.3 client resumes with the ticket it was given, over a fresh ECDHE', async () => {
    const opts = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
    const first = await ticketed(server, opts);
    assert.equal(first.reused, false);
    assert.ok(first.session, 'no ticket arrived');
    const again = await ticketed(server, { ...opts, session: first.session });
    assert.equal(again.reused, true, 'the ticket was not accepted');
    assert.equal(again.protocol, 'TLSv1.3');
    assert.equal(again.group, 'X25519', 'the resumption ran no ECDHE');
    // the resumed connection is a working one
    assert.equal(again.answer.status, 200);
  });

  it('a TLS 1.2 client is given no ticket, and each of its connections is a full handshake', async () => {
    const opts = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' };
    for (let i = 0; i < 2; i++) {
      const first = await ticketed(server, opts);
      assert.equal(first.protocol, 'TLSv1.2');
      assert.equal(first.reused, false);
      assert.equal(first.ticket, undefined, 'a TLS 1.2 ticket was issued');
      assert.equal(first.answer.status, 200);
      // whatever the client kept (a session id, if anything) resumes nothing
      const again = await ticketed(server, { ...opts, session: first.session || undefined });
      assert.equal(again.reused, false);
      assert.equal(again.answer.status, 200);
    }
  });

  it('a damaged or foreign ticket falls back to a full handshake', async () => {
    const opts = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
    const first = await ticketed(server, opts);
    assert.ok(first.ticket, 'no ticket arrived');
    // the ticket's bytes sit inside the DER session; flip one of them
    const bad = Buffer.from(first.session);
    const at = bad.indexOf(first.ticket);
    assert.ok(at >= 0, 'the ticket is not in the session');
    bad[at + Math.floor(first.ticket.length / 2)] ^= 0xff;
    const r = await ticketed(server, { ...opts, session: bad });
    assert.equal(r.reused, false);
    assert.equal(r.answer.status, 200);
    const other = await startServer({ demo: false });
    try {
      const f = await ticketed(other, { ...opts, session: first.session });
      assert.equal(f.reused, false, 'another process has another ticket key');
      assert.equal(f.answer.status, 200);
    } finally {
      await other.stop();
    }
  });

  it('TLS 1.1 and 1.0 are refused', async () => {
    const old = { ciphers: 'DEFAULT:@SECLEVEL=0' };
    assertRefused(await handshake(server, { ...old, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' }), 'TLS 1.1');
    assertRefused(await handshake(server, { ...old, minVersion: 'TLSv1', maxVersion: 'TLSv1' }), 'TLS 1.0');
  });
});

// A body larger than one TLS record goes out as several records from one write; all but the
// last are sent with MSG_MORE (mk/patches/lws-4.3.5-mbedtls-msg-more.patch) so that they
// share TCP segments. The last one must push: a record left corked would hold every such
// answer back by the kernel's 200 ms probe timer, or for good.
describe('answers and requests of several TLS records', () => {
  let server;
  let admin;

  before(async () => {
    server = await startServer();
    admin = await login(server, 'admin');
  });
  after(async () => { if (server) await server.dispose(); });

  it('arrive whole and at once on a keep-alive connection (TLS 1.2 and 1.3)', async () => {
    const want = await request(server, 'GET', '/api/v1/users?limit=100', { cookie: admin.cookie });
    assert.equal(want.status, 200);
    assert.ok(want.text.length > 2 * 4096, `${want.text.length} bytes is not three records`);
    const get = `GET /api/v1/users?limit=100 HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${admin.cookie}\r\n\r\n`;
    const small = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'; // one record
    for (const version of ['TLSv1.2', 'TLSv1.3']) {
      const conn = await keepAlive(server, { minVersion: version, maxVersion: version });
      const ms = []; // each time, how much longer the answer of several records took than one
      try {
        for (let i = 0; i < 10; i++) {
          let started = performance.now();
          assert.equal((await conn.ask(small)).status, 200);
          const one = performance.now() - started;
          started = performance.now();
          const r = await conn.ask(get);
          ms.push(performance.now() - started - one);
          assert.equal(r.status, 200, `${version} ${i}`);
          assert.equal(r.body, want.text, `${version} ${i}`);
        }
      } finally {
        conn.close();
      }
      // a record left corked waits for the kernel's 200 ms probe: against an answer of one
      // record on the same connection just before, which a busy machine slows as much
      ms.sort((a, b) => a - b);
      assert.ok(ms[5] < 150, `${version}: median ${ms[5].toFixed(1)} ms more than one record (${ms.map((x) => x.toFixed(0)).join(' ')})`);
    }
  });

  // lws cuts a write at the protocol's tx_packet_size, or when that is unset at its receive
  // buffer size (HTTP: 4 KiB; WebSocket: 1 KiB), and sends the rest later one piece per
  // POLLOUT. Each piece is its own TLS record: an answer of n bytes must take about n / 4 KiB
  // records (our record size), not n / 1 KiB, and no 20-byte records between 4 KiB ones.
  it('leave in records of 4 KiB over HTTP (TLS 1.2 and 1.3)', async () => {
    const get = `GET /api/v1/users?limit=100 HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${admin.cookie}\r\n\r\n`;
    for (const version of ['TLSv1.2', 'TLSv1.3']) {
      const { tap, records } = tappedTcp(server);
      const conn = await keepAlive(server, { socket: tap, minVersion: version, maxVersion: version });
      try {
        await conn.ask(get); // the first one may share the stream with TLS 1.3's session tickets
        const mark = records.length;
        const { bytes } = await conn.ask(get);
        const used = records.slice(mark);
        assert.ok(bytes > 2 * 4096, `${bytes} bytes`);
        assert.ok(used.length <= Math.ceil(bytes / 4096) + 1,
          `${version}: ${bytes} bytes in ${used.length} records (${used.join(' ')})`);
      } finally {
        conn.close();
      }
    }
  });

  it('leave in records of 4 KiB over a WebSocket (a 40 KB joined frame)', async () => {
    const text = '教学名师工作室'.repeat(50); // 1 050 bytes of UTF-8
    sqlite(server, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
      INSERT INTO messages (room, user_id, client_id, kind, text, created_at)
      SELECT 'studio:1', 1, 'records-' || i, 'chat', '${text}', '2026-11-27T09:00:00Z' FROM n`);
    const { tap, records } = tappedTcp(server);
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/ws`, ['mingshi.v1'], {
      headers: { Cookie: admin.cookie, Origin: server.origin },
      createConnection: () => tls.connect({ socket: tap, servername: 'localhost', ca: server.ca }),
    });
    try {
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      const frame = (type) => new Promise((resolve) => {
        ws.on('message', function on(data) {
          if (JSON.parse(data.toString()).type === type) { ws.off('message', on); resolve(data.length); }
        });
      });
      const pong = frame('pong');
      ws.send(JSON.stringify({ type: 'ping' }));
      await pong; // after the session tickets, which TLS 1.3 sends once the handshake is done
      const mark = records.length;
      const joined = frame('joined');
      ws.send(JSON.stringify({ type: 'join', room: 'studio:1' }));
      const bytes = await joined;
      const used = records.slice(mark);
      assert.ok(bytes > 40 * 1050, `${bytes} bytes`);
      assert.ok(used.length <= Math.ceil(bytes / 4096) + 2, `${bytes} bytes in ${used.length} records (${used.join(' ')})`);
    } finally {
      ws.terminate();
    }
  });

  // mingshi reads ahead of mbedtls (lws-4.3.5-mbedtls-read-ahead.patch): records that arrive
  // together are read in one go, and the ones after the first must be served without waiting
  // for the network to signal again, or the connection stalls until the client sends more.
  it('an HTTP request written as three records is answered, three times over (TLS 1.2 and 1.3)', async () => {
    const get = `GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${admin.cookie}\r\n\r\n`;
    const cuts = [0, 10, get.length - 20, get.length];
    for (const version of ['TLSv1.2', 'TLSv1.3']) {
      const gate = gatedTcp(server);
      const conn = await keepAlive(server, { socket: gate.tap, minVersion: version, maxVersion: version });
      try {
        for (let i = 0; i < 3; i++) {
          gate.hold();
          const answer = conn.ask(get.slice(cuts[0], cuts[1]));
          await gate.written(1);
          conn.write(get.slice(cuts[1], cuts[2]));
          await gate.written(2);
          conn.write(get.slice(cuts[2], cuts[3]));
          await gate.written(3);
          gate.release();
          const r = await answer;
          assert.equal(r.status, 200, `${version} ${i}`);
          assert.equal(JSON.parse(r.body).username, 'admin', `${version} ${i}`);
        }
      } finally {
        conn.close();
      }
    }
  });

  it('ten WebSocket frames in ten records are all answered', async () => {
    const gate = gatedTcp(server);
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/ws`, ['mingshi.v1'], {
      headers: { Cookie: admin.cookie, Origin: server.origin },
      createConnection: () => tls.connect({ socket: gate.tap, servername: 'localhost', ca: server.ca }),
    });
    try {
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      let pongs = 0;
      ws.on('message', (data) => { if (JSON.parse(data.toString()).type === 'pong') pongs++; });
      gate.hold();
      for (let i = 0; i < 10; i++) {
        ws.send(JSON.stringify({ type: 'ping' }));
        await gate.written(i + 1);
      }
      gate.release();
      await waitFor(() => pongs === 10, { ms: 3000, what: `10 pongs (${pongs} so far)` });
    } finally {
      ws.terminate();
    }
  });
});

// Key exchange over X25519, P-256 and P-384 only (mk/patches/lws-4.3.5-mbedtls-groups.patch).
// mbedtls would otherwise also take X448, P-521, the brainpool curves and the FFDHE groups up to
// ffdhe8192, one handshake of which costs the service thread over half a second of CPU.
describe('key exchange groups', () => {
  let server;

  before(async () => { server = await startServer({ demo: false }); });
  after(async () => { if (server) await server.dispose(); });

  it('TLS 1.3 negotiates X25519, P-256 and P-384, each offered alone', async () => {
    const names = { X25519: 'X25519', 'P-256': 'prime256v1', 'P-384': 'secp384r1' };
    for (const [group, name] of Object.entries(names)) {
      const r = await handshake(server, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ecdhCurve: group });
      assert.equal(r.ok, true, `${group}: ${r.code}`);
      assert.equal(r.group, name);
    }
  });

  // In TLS 1.2 a client's groups also cover the certificate's curve, so each offer carries
  // P-256 (the certificate's); the server takes the first of its own list the client has.
  it('TLS 1.2 negotiates ECDHE over X25519 and P-256', async () => {
    for (const [offer, name] of [['X25519:P-256', 'X25519'], ['P-256', 'prime256v1'], ['P-521:P-384:P-256', 'prime256v1']]) {
      const r = await handshake(server, { ...tls12(), ecdhCurve: offer });
      assert.equal(r.ok, true, `${offer}: ${r.code}`);
      assert.equal(r.group, name, offer);
    }
  });

  it('TLS 1.3 clients offering only FFDHE groups, P-521 or X448 are refused', async () => {
    for (const group of ['ffdhe2048', 'ffdhe8192', 'ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192', 'P-521', 'X448']) {
      assertNoGroup(await handshake(server, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ecdhCurve: group }), group);
    }
  });

  // Two clients (openssl processes, so that their own DH work does not slow this one) open
  // FFDHE-only TLS 1.3 connections in a loop; an ffdhe8192 handshake, were it accepted, would hold
  // the service thread for over half a second each time.
  it('/healthz answers fast while two clients loop on FFDHE-only handshakes', async (t) => {
    const loop = `end=$(($(date +%s) + 3)); while [ "$(date +%s)" -lt "$end" ]; do
      openssl s_client -connect 127.0.0.1:${server.port} -tls1_3 -groups ffdhe8192 </dev/null 2>&1; done`;
    const clients = [0, 1].map(() => {
      const p = spawn('sh', ['-c', loop], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      return { p, done: new Promise((resolve) => p.on('exit', () => resolve(out))) };
    });
    const ms = [];
    try {
      await new Promise((r) => setTimeout(r, 300));
      while (clients.some((c) => c.p.exitCode === null) && ms.length < 100) {
        const r = await request(server, 'GET', '/healthz');
        assert.equal(r.status, 200);
        ms.push(r.ms);
        await new Promise((res) => setTimeout(res, 50));
      }
    } finally {
      for (const c of clients) if (c.p.exitCode === null) c.p.kill();
    }
    const out = (await Promise.all(clients.map((c) => c.done))).join('');
    const attempts = out.split('CONNECTED(').length - 1;
    const accepted = out.split('Server Temp Key: DH').length - 1;
    ms.sort((a, b) => a - b);
    const what = `${attempts} FFDHE handshakes tried, ${accepted} accepted; /healthz ${ms.length} times, ` +
      `median ${ms[ms.length >> 1]?.toFixed(0)} ms, slowest ${ms[ms.length - 1]?.toFixed(0)} ms`;
    t.diagnostic(what);
    assert.ok(attempts >= 4 && ms.length >= 5, what);
    assert.ok(ms[ms.length - 1] < 500, what);
    assert.equal(accepted, 0, what);
  });
});

// mk/patches/lws-4.3.5-mbedtls-read-ahead.patch reads up to 4 KiB ahead of mbedtls. Those
// bytes are still encrypted: counted as data to read at once (SSL_pending), they made lws's
// WebSocket read loop take a burst of records one per pass until its limit of 100 passes, and
// close the connection without a close frame (1006); a record cut in two kept the service
// thread spinning until its rest arrived.
describe('bursts of small WebSocket frames', () => {
  let server;
  let admin;

  before(async () => {
    server = await startWithConfig(FAST);
    admin = (await signIn(server, ['admin'])).admin;
  });
  after(async () => { if (server) await server.dispose(); });

  // A WebSocket over gatedTcp: send(text) resolves once the frame's TLS record is written
  // (held or sent), so that each frame is a record of its own.
  async function gatedSocket(version) {
    const gate = gatedTcp(server);
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/ws`, ['mingshi.v1'], {
      headers: { Cookie: admin.cookie, Origin: server.origin },
      createConnection: () => tls.connect({ socket: gate.tap, servername: 'localhost', ca: server.ca, minVersion: version, maxVersion: version }),
    });
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const chat = new Chat(ws, admin, `admin ${version}`);
    return { gate, chat, send: (obj) => new Promise((resolve) => ws.send(JSON.stringify(obj), resolve)) };
  }

  it('1 000 frames in 1 000 records in one TCP write are all answered, and the socket stays open (TLS 1.3, 1.2)', async () => {
    for (const version of ['TLSv1.3', 'TLSv1.2']) {
      const { gate, chat, send } = await gatedSocket(version);
      try {
        await chat.joinOk('studio:1');
        const ids = [];
        gate.hold();
        for (let i = 0; i < 1000; i++) {
          if (version === 'TLSv1.3') {
            const cid = clientId('burst');
            ids.push(cid);
            await send({ type: 'send', room: 'studio:1', client_id: cid, text: `burst ${i}` });
          } else {
            await send({ type: 'ping' });
          }
        }
        gate.release();
        const want = version === 'TLSv1.3' ? 'ack' : 'pong';
        await waitFor(() => chat.log.filter((m) => m.type === want).length === 1000 || chat.closeInfo, {
          ms: 20000, what: `1 000 ${want}s (${chat.log.filter((m) => m.type === want).length} so far)`,
        });
        assert.equal(chat.closeInfo, null, `${version}: closed ${JSON.stringify(chat.closeInfo)} after ${chat.log.filter((m) => m.type === want).length} ${want}s`);
        if (version === 'TLSv1.3') {
          const acked = new Set(chat.log.filter((m) => m.type === 'ack').map((m) => m.client_id));
          assert.deepEqual(ids.filter((id) => !acked.has(id)), []);
        }
        chat.drain();
        await chat.ping(); // and the socket still works
      } finally {
        chat.terminate();
      }
    }
  });

  it('a ws client sending one message per tick keeps its connection', async () => {
    const chat = await Chat.open(server, admin);
    try {
      await chat.joinOk('studio:1');
      const ids = [];
      await new Promise((resolve) => {
        const tick = () => {
          if (ids.length === 400 || chat.closeInfo) return resolve();
          ids.push(chat.post('studio:1', `tick ${ids.length}`, { prefix: 'tick' }));
          setImmediate(tick);
        };
        tick();
      });
      await waitFor(() => chat.log.filter((m) => m.type === 'ack').length === ids.length || chat.closeInfo, {
        ms: 20000, what: `${ids.length} acks`,
      });
      assert.equal(chat.closeInfo, null, `closed ${JSON.stringify(chat.closeInfo)} after ${chat.log.filter((m) => m.type === 'ack').length} acks`);
      assert.equal(ids.length, 400);
      await chat.ping();
    } finally {
      chat.terminate();
    }
  });

  it('a record cut in two waits for its rest without keeping the server busy', async () => {
    const { gate, chat, send } = await gatedSocket('TLSv1.3');
    const cpuMs = () => {
      const f = fs.readFileSync(`/proc/${server.proc.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) * 10;
    };
    try {
      await chat.ping();
      gate.hold();
      for (let i = 0; i < 4; i++) await send({ type: 'ping' });
      const bytes = gate.take();
      gate.raw.write(bytes.subarray(0, bytes.length - 20)); // three records and most of a fourth
      await waitFor(() => chat.log.filter((m) => m.type === 'pong').length === 4, { ms: 3000, what: '3 pongs' });
      const c0 = cpuMs();
      await new Promise((r) => setTimeout(r, 1000));
      const busy = cpuMs() - c0;
      assert.ok(busy < 300, `the server used ${busy} ms of CPU in 1 s waiting for a record's rest`);
      assert.equal(chat.log.filter((m) => m.type === 'pong').length, 4);
      gate.raw.write(bytes.subarray(bytes.length - 20));
      await waitFor(() => chat.log.filter((m) => m.type === 'pong').length === 5, { ms: 3000, what: 'the fourth pong' });
    } finally {
      chat.terminate();
    }
  });
});

describe('the development certificate', () => {
  let dataDir;
  let first;

  after(() => { if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true }); });

  it('is ECDSA P-256 for localhost and 127.0.0.1, written to DIR/certs/', async () => {
    dataDir = tmpDir();
    const server = await startServer({ demo: false, dataDir });
    try {
      const r = await handshake(server);
      assert.equal(r.ok, true, r.code);
      first = r.cert;
      assert.equal(first.asn1Curve, 'prime256v1');
      assert.equal(first.bits, 256);
      assert.equal(first.pubkey.length, 65, 'an uncompressed P-256 point');
      const san = first.subjectaltname.split(/,\s*/);
      assert.ok(san.includes('DNS:localhost'), first.subjectaltname);
      assert.ok(san.includes('IP Address:127.0.0.1'), first.subjectaltname);
      assert.ok(fs.existsSync(path.join(dataDir, 'certs', 'cert.pem')));
      assert.ok(fs.existsSync(path.join(dataDir, 'certs', 'key.pem')));
      assert.equal(fs.statSync(path.join(dataDir, 'certs', 'key.pem')).mode & 0o077, 0, 'the key is private to its owner');
    } finally {
      await server.stop();
    }
  });

  it('is reused when the server restarts on the same data directory', async () => {
    assert.ok(first, 'needs the previous test');
    const server = await startServer({ demo: false, dataDir });
    try {
      const r = await handshake(server);
      assert.equal(r.ok, true, r.code);
      assert.equal(r.cert.fingerprint256, first.fingerprint256);
    } finally {
      await server.stop();
    }
  });
});

describe('--cert and --key', () => {
  let dir;
  let server;

  before(async () => {
    dir = tmpDir('mingshi-cert-');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-subj', '/CN=mingshi-test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-days', '2', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    server = await startServer({ demo: false, args: ['--cert', cert, '--key', key], certFile: cert });
  });
  after(async () => {
    if (server) await server.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the given certificate', async () => {
    const r = await handshake(server);
    assert.equal(r.ok, true, r.code);
    assert.equal(r.cert.subject.CN, 'mingshi-test');
    assert.equal((await request(server, 'GET', '/healthz')).status, 200);
    assert.ok(!fs.existsSync(path.join(server.dataDir, 'certs', 'cert.pem')), 'no development certificate is made');
  });
});

describe('mingshi --version', () => {
  it('prints mingshi, libwebsockets 4.3.5, mbedtls 3.6 and sqlite 3 versions', async () => {
    const r = await runBin(['--version']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 4, r.stdout);
    assert.ok(lines[0].startsWith('mingshi '), lines[0]);
    assert.ok(lines[1].startsWith('libwebsockets 4.3.5'), lines[1]);
    assert.ok(lines[2].startsWith('mbedtls 3.6.'), lines[2]);
    assert.ok(lines[3].startsWith('sqlite 3.'), lines[3]);
  });
});
