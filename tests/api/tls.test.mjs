// TLS of DESIGN §2 and §5: Mozilla "intermediate" (TLS 1.3, and TLS 1.2 with ECDHE +
// AES-GCM/ChaCha20 only), the self-signed ECDSA P-256 development certificate that is made once
// and reused, --cert/--key, and `mingshi --version`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import WebSocket from 'ws';
import { login, request, runBin, sqlite, startServer, tmpDir, waitFor } from './helpers.mjs';
import { startWithConfig } from './chat-helpers.mjs';

// Resolves {ok: true, protocol, cipher, cert} or {ok: false, code}.
function handshake(server, opts = {}) {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port: server.port, ca: server.ca, servername: 'localhost', ...opts }, () => {
      const out = { ok: true, protocol: sock.getProtocol(), cipher: sock.getCipher().name, cert: sock.getPeerCertificate() };
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
  };
}

// Connects, asks GET /healthz, and waits for the session ticket (which TLS 1.3 sends after the
// handshake). Resolves {reused, protocol, session, answer: {status}}.
function ticketed(server, opts) {
  return new Promise((resolve, reject) => {
    let session = null;
    let reused = false;
    let protocol = null;
    const sock = tls.connect({ host: '127.0.0.1', port: server.port, ca: server.ca, servername: 'localhost', ...opts }, () => {
      reused = sock.isSessionReused();
      protocol = sock.getProtocol();
      sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    });
    let text = '';
    sock.on('session', (s) => { session = s; });
    sock.on('data', (d) => { text += d; });
    sock.on('error', reject);
    sock.on('close', () => {
      const status = Number((/^HTTP\/1\.1 (\d{3})/.exec(text) || [])[1] || 0);
      resolve({ reused, protocol, session, answer: { status } });
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
  // gives them one process-wide ticket key, so a returning browser skips ECDHE and the
  // certificate signature.
  it('a returning client resumes its session with the ticket it was given (TLS 1.2 and 1.3)', async () => {
    for (const version of ['TLSv1.2', 'TLSv1.3']) {
      const opts = { minVersion: version, maxVersion: version };
      const first = await ticketed(server, opts);
      assert.equal(first.reused, false, version);
      assert.ok(first.session, `${version}: no ticket arrived`);
      const again = await ticketed(server, { ...opts, session: first.session });
      assert.equal(again.reused, true, `${version}: the ticket was not accepted`);
      assert.equal(again.protocol, version);
      // the resumed connection is a working one
      assert.equal(again.answer.status, 200);
    }
  });

  it('a damaged or foreign ticket falls back to a full handshake', async () => {
    const opts = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' };
    const first = await ticketed(server, opts);
    // the ticket sits at the end of the DER session; flip a byte of it
    const bad = Buffer.from(first.session);
    bad[bad.length - 20] ^= 0xff;
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
