// HTTP conventions of DESIGN §6: error bodies, status codes, security headers, static files,
// /healthz and /metrics. One server for the whole file; nothing here changes state except one
// sign-in.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, login, rawRequest, request, startServer } from './helpers.mjs';

const INDEX_HTML = fs.readFileSync(path.join(ROOT, 'web', 'index.html'), 'utf8');
const STYLES_CSS = fs.readFileSync(path.join(ROOT, 'web', 'styles.css'), 'utf8');
const MAKEFILE_FIRST_LINE = fs.readFileSync(path.join(ROOT, 'Makefile'), 'utf8').split('\n')[0];

let server;
let admin; // {cookie, csrf}

before(async () => {
  server = await startServer();
  admin = await login(server, 'admin');
});

after(async () => {
  if (server) await server.dispose();
});

// Asserts the DESIGN §6 error body exactly: {"error":{"code","message"[,"field"]}}.
function assertError(res, status, code, field) {
  assert.equal(res.status, status, `status (body ${res.text})`);
  assert.match(res.headers['content-type'] || '', /^application\/json/);
  assert.ok(res.json, `JSON body, got ${res.text}`);
  assert.deepEqual(Object.keys(res.json), ['error']);
  const err = res.json.error;
  assert.deepEqual(Object.keys(err).sort(), field === undefined ? ['code', 'message'] : ['code', 'field', 'message']);
  assert.equal(err.code, code);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0, 'a non-empty message');
  if (field !== undefined) assert.equal(err.field, field);
}

function assertSecurityHeaders(headers, what) {
  assert.match(headers['strict-transport-security'] || '', /max-age=[1-9]\d*/, `${what}: HSTS`);
  assert.equal(headers['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options`);
  assert.equal(headers['referrer-policy'], 'same-origin', `${what}: Referrer-Policy`);
}

function assertHtmlCsp(headers, what) {
  const csp = headers['content-security-policy'];
  assert.ok(csp, `${what}: HTML carries a Content-Security-Policy`);
  assert.ok(csp.includes("script-src 'self'"), `${what}: CSP has script-src 'self': ${csp}`);
  assert.ok(!csp.includes('unsafe-inline'), `${what}: CSP allows no inline script: ${csp}`);
  assert.ok(!csp.includes('unsafe-eval'), `${what}: CSP allows no eval: ${csp}`);
}

function counter(metricsText, series) {
  const line = metricsText.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const JSON_CT = 'application/json';

describe('API errors', () => {
  it('an unknown /api/v1 path is 404 not_found', async () => {
    assertError(await request(server, 'GET', '/api/v1/no-such-thing'), 404, 'not_found');
    assertError(await request(server, 'GET', '/api/v1/me/extra'), 404, 'not_found');
    assertError(await request(server, 'POST', '/api/v1/nothing', { cookie: admin.cookie, csrf: admin.csrf, body: {} }),
      404, 'not_found');
  });

  it('a wrong method is 405 method_not_allowed with an Allow header', async () => {
    const put = await request(server, 'PUT', '/api/v1/me', { cookie: admin.cookie, csrf: admin.csrf });
    assertError(put, 405, 'method_not_allowed');
    assert.equal(put.headers.allow, 'GET');
    const get = await request(server, 'GET', '/api/v1/session');
    assertError(get, 405, 'method_not_allowed');
    assert.deepEqual(get.headers.allow.split(/,\s*/).sort(), ['DELETE', 'POST']);
  });

  it('malformed JSON is 400 invalid_json', async () => {
    const res = await request(server, 'POST', '/api/v1/session', { body: '{"username": "admin", ', contentType: JSON_CT });
    assertError(res, 400, 'invalid_json');
  });

  it('an unknown field is 400 validation_failed naming that field', async () => {
    const res = await request(server, 'POST', '/api/v1/session',
      { body: { username: 'admin', password: 'mingshi-demo', remember_me: true } });
    assertError(res, 400, 'validation_failed', 'remember_me');
  });

  it('a field of the wrong type is 400 validation_failed naming it', async () => {
    const res = await request(server, 'POST', '/api/v1/session', { body: { username: 5, password: 'mingshi-demo' } });
    assertError(res, 400, 'validation_failed', 'username');
  });

  it('a JSON body without Content-Type: application/json is 415 unsupported_media_type', async () => {
    const body = JSON.stringify({ username: 'admin', password: 'mingshi-demo' });
    assertError(await request(server, 'POST', '/api/v1/session', { body }), 415, 'unsupported_media_type');
    assertError(await request(server, 'POST', '/api/v1/session', { body, contentType: 'text/plain' }),
      415, 'unsupported_media_type');
  });

  it('a body over 1 MiB is 413 (answered from the Content-Length, without reading it)', async () => {
    const res = await rawRequest(server, 'POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\n'
      + 'Content-Type: application/json\r\nContent-Length: 2097152\r\n\r\n');
    assert.equal(res.status, 413, res.raw);
  });

  it('a chunked request body is refused with 400', async () => {
    const res = await rawRequest(server, 'POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\n'
      + 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'
      + '2\r\n{}\r\n0\r\n\r\n');
    assert.equal(res.status, 400, res.raw);
    assert.equal(JSON.parse(res.body).error.code, 'validation_failed');
  });
});

describe('security headers', () => {
  it('are on an API 200', async () => {
    const res = await request(server, 'GET', '/api/v1/me', { cookie: admin.cookie });
    assert.equal(res.status, 200);
    assertSecurityHeaders(res.headers, 'GET /api/v1/me');
  });

  it('are on an API error', async () => {
    const res = await request(server, 'GET', '/api/v1/me');
    assert.equal(res.status, 401);
    assertSecurityHeaders(res.headers, '401');
    const nf = await request(server, 'GET', '/api/v1/nope');
    assertSecurityHeaders(nf.headers, '404');
  });

  it('are on a static file', async () => {
    const res = await request(server, 'GET', '/styles.css');
    assert.equal(res.status, 200);
    assertSecurityHeaders(res.headers, '/styles.css');
  });

  it('are on index.html and the index fallback, with a CSP that allows no inline script', async () => {
    for (const p of ['/', '/index.html', '/some/client/route']) {
      const res = await request(server, 'GET', p);
      assert.equal(res.status, 200, p);
      assertSecurityHeaders(res.headers, p);
      assertHtmlCsp(res.headers, p);
    }
  });

  it('are on /healthz and /metrics', async () => {
    for (const p of ['/healthz', '/metrics']) {
      const res = await request(server, 'GET', p);
      assert.equal(res.status, 200, p);
      assertSecurityHeaders(res.headers, p);
    }
  });
});

describe('static files', () => {
  it('/ and an unknown client route both serve web/index.html', async () => {
    for (const p of ['/', '/some/client/route', '/studios/12']) {
      const res = await request(server, 'GET', p);
      assert.equal(res.status, 200, p);
      assert.match(res.headers['content-type'], /^text\/html/, p);
      assert.equal(res.text, INDEX_HTML, p);
    }
  });

  it('/styles.css is served as text/css', async () => {
    const res = await request(server, 'GET', '/styles.css');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/css/);
    assert.equal(res.text, STYLES_CSS);
  });

  it('path traversal and hidden files never reach repository files', async () => {
    const paths = ['/../Makefile', '/%2e%2e/Makefile', '/..%2fMakefile', '/%2e%2e%2fMakefile',
      '/web/../../Makefile', '/.git/config', '/../.git/config', '/%2e%2e/.git/config', '/%2egit/config'];
    for (const p of paths) {
      // Sent verbatim: no client-side normalisation of the dot-segments.
      const res = await rawRequest(server, `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      assert.ok(res.status === 200 || res.status === 404 || res.status === 400 || res.status === 403,
        `${p}: status ${res.status}`);
      if (res.status === 200) assert.equal(res.body, INDEX_HTML, `${p}: only index.html may come back`);
      assert.ok(!res.body.includes(MAKEFILE_FIRST_LINE), `${p}: leaked the Makefile`);
      assert.ok(!res.body.includes('repositoryformatversion'), `${p}: leaked .git/config`);
    }
  });

  it('a non-GET on a static path is 405 method_not_allowed with an Allow header (RFC 9110 §15.5.6)', async () => {
    const res = await request(server, 'POST', '/index.html', { cookie: admin.cookie, csrf: admin.csrf });
    assertError(res, 405, 'method_not_allowed');
    assertSecurityHeaders(res.headers, 'static 405');
    assert.ok(res.headers.allow, 'a 405 must say which methods are allowed');
    assert.ok(res.headers.allow.split(/,\s*/).includes('GET'), `Allow: ${res.headers.allow}`);
  });
});

describe('/healthz and /metrics', () => {
  it('/healthz is 200 {"status":"ok"}', async () => {
    const res = await request(server, 'GET', '/healthz');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^application\/json/);
    assert.deepEqual(res.json, { status: 'ok' });
  });

  it('/metrics is Prometheus text with the documented series', async () => {
    await request(server, 'GET', '/healthz');
    const res = await request(server, 'GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/plain/);
    for (const series of [
      'mingshi_open_connections{kind="http"}',
      'mingshi_http_requests_total{method="GET",route="/healthz",status="200"}',
      'mingshi_sqlite_commit_seconds_bucket',
      'mingshi_queue_depth{queue="worker"}',
      'mingshi_ws_frames_total{direction="in"}',
    ]) {
      assert.ok(res.text.includes(series), `metrics lack ${series}`);
    }
    // This very request is an open HTTP connection.
    assert.ok(counter(res.text, 'mingshi_open_connections{kind="http"}') >= 1);
    // A sign-in was committed by the writer before this.
    assert.ok(counter(res.text, 'mingshi_sqlite_commit_seconds_count') >= 1);
  });

  it('a route\'s request counter rises by exactly one per request', async () => {
    const healthz = 'mingshi_http_requests_total{method="GET",route="/healthz",status="200"}';
    const notFound = 'mingshi_http_requests_total{method="GET",route="other",status="404"}';
    const m0 = (await request(server, 'GET', '/metrics')).text;
    await request(server, 'GET', '/healthz');
    const m1 = (await request(server, 'GET', '/metrics')).text;
    assert.equal(counter(m1, healthz), counter(m0, healthz) + 1);
    for (let i = 0; i < 3; i++) await request(server, 'GET', '/healthz');
    await request(server, 'GET', '/api/v1/not-here');
    await request(server, 'GET', '/api/v1/not-here-either');
    const m2 = (await request(server, 'GET', '/metrics')).text;
    assert.equal(counter(m2, healthz), counter(m1, healthz) + 3);
    assert.equal(counter(m2, notFound), counter(m1, notFound) + 2);
  });
});
