// Write intervals (net/ws.c): under load a room's broadcasts to a socket written less than
// ws_write_interval_ms ago rest until the interval has passed, so that several leave in one
// write; replies never rest, and a quiet socket is written at once. The interval normally
// follows the loop's load (unit tests: test_write_interval.c); these servers fix it with
// ws_write_adaptive:false so the timing can be asserted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Chat, FAST, disposeClean, metric, signIn, sleep, startWithConfig } from './chat-helpers.mjs';

const ROOM = 'studio:1';
const INTERVAL = 600;

// Resolves the next n `message` frames of ROOM on c, each with the time it arrived.
function arrivals(c, n) {
  const out = [];
  let chain = Promise.resolve();
  for (let i = 0; i < n; i++) {
    chain = chain.then(() => c.message(ROOM, undefined, 5000)).then((m) => { out.push({ m, at: performance.now() }); });
  }
  return chain.then(() => out);
}

describe('a fixed write interval', () => {
  let server; let s; const open = [];
  const chat = async (u) => { const c = await Chat.open(server, s[u]); open.push(c); return c; };

  before(async () => {
    server = await startWithConfig({ ...FAST, ws_write_interval_ms: INTERVAL, ws_write_adaptive: false });
    s = await signIn(server, ['teacher_wang', 'teacher_zhao']);
  });
  after(async () => {
    for (const c of open) c.terminate();
    if (server) await disposeClean(server);
  });

  it('broadcasts to a socket just written rest out the interval and leave together; acks do not wait', async () => {
    assert.equal(await metric(server, 'mingshi_ws_write_interval_seconds'), INTERVAL / 1000);
    const sub = await chat('teacher_zhao');
    const pub = await chat('teacher_wang');
    await sub.joinOk(ROOM); // the join answer is a reply: written at once, and it starts sub's interval
    const joinedAt = performance.now();
    await pub.joinOk(ROOM);
    const got = arrivals(sub, 5);
    const sent = performance.now();
    const ids = [];
    for (let i = 1; i <= 5; i++) ids.push((await pub.say(ROOM, `第${i}条`)).id);
    const ackedIn = performance.now() - sent;
    const seen = await got;
    assert.deepEqual(seen.map((x) => x.m.message.id), ids, 'all five, in order');
    const wait = seen[0].at - joinedAt;
    const spread = seen[4].at - seen[0].at;
    console.log(`# acks of 5 in ${ackedIn.toFixed(0)} ms; broadcasts after ${wait.toFixed(0)} ms, within ${spread.toFixed(1)} ms of each other`);
    assert.ok(ackedIn < INTERVAL / 2, `acks rested: ${ackedIn} ms`);
    assert.ok(wait >= INTERVAL - 100, `broadcasts did not rest: ${wait} ms after the join answer`);
    assert.ok(wait < INTERVAL * 2.5, `rested too long: ${wait} ms`);
    assert.ok(spread < 60, `five broadcasts ${spread} ms apart: not one write`);
  });

  it('a socket quiet for longer than the interval gets the next broadcast at once', async () => {
    const sub = open[0]; const pub = open[1];
    sub.drain(); pub.drain();
    await sleep(INTERVAL + 200);
    const got = arrivals(sub, 1);
    const sent = performance.now();
    const { id } = await pub.say(ROOM, '安静之后的一条');
    const [x] = await got;
    assert.equal(x.m.message.id, id);
    assert.ok(x.at - sent < INTERVAL / 2, `a quiet socket waited ${x.at - sent} ms`);
  });
});

describe('the default (adaptive) write interval', () => {
  let server; let s; const open = [];

  before(async () => {
    server = await startWithConfig(FAST);
    s = await signIn(server, ['teacher_wang', 'teacher_zhao']);
  });
  after(async () => {
    for (const c of open) c.terminate();
    if (server) await disposeClean(server);
  });

  it('rests nothing on a quiet server: a burst reaches a subscriber as it is sent', async () => {
    const sub = await Chat.open(server, s.teacher_zhao); open.push(sub);
    const pub = await Chat.open(server, s.teacher_wang); open.push(pub);
    await sub.joinOk(ROOM);
    const joinedAt = performance.now();
    await pub.joinOk(ROOM);
    const got = arrivals(sub, 5);
    for (let i = 1; i <= 5; i++) await pub.say(ROOM, `快速${i}`);
    const seen = await got;
    assert.ok(seen[0].at - joinedAt < 300, `first broadcast after ${seen[0].at - joinedAt} ms`);
    assert.equal(await metric(server, 'mingshi_ws_write_interval_seconds'), 0);
    const load = await metric(server, 'mingshi_loop_load');
    assert.ok(load >= 0 && load < 0.5, `loop load ${load}`);
    assert.ok(await metric(server, 'mingshi_ws_writes_total') >= 7, 'writes counted');
  });
});
