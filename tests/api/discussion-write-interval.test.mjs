// Write intervals (net/ws.c): under load a room's broadcasts to a socket written less than
// ws_write_interval_ms ago rest until the interval has passed, so that several leave in one
// write; replies never rest, and a quiet socket is written at once. The interval normally
// follows the loop's load (unit tests: test_write_interval.c); these servers fix it with
// ws_write_adaptive:false.
//
// What is asserted is what the server reports in /metrics — each frame's wait from queued to
// written (mingshi_ws_frame_wait_seconds) and each write's frames
// (mingshi_ws_write_frames), both by kind, reply or broadcast — not when frames reach this
// process: on a busy machine the client's clock says as much about the scheduler as about
// the server. Waits are held to lower bounds where a rule promises one; the few upper bounds
// (a reply or a quiet socket's frame waits under half a second, where resting would take the
// interval) are generous.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Chat, FAST, disposeClean, metric, metricSamples, signIn, sleep, startWithConfig } from './chat-helpers.mjs';
import { waitFor } from './helpers.mjs';

const ROOM = 'studio:1';
// ws_write_interval_ms's maximum: the most room for a slow machine to get five messages
// committed while the subscriber rests.
const INTERVAL = 1000;
const WAIT = 'mingshi_ws_frame_wait_seconds';
const FRAMES = 'mingshi_ws_write_frames';

// How a histogram changed between two /metrics snapshots, for one kind: count(name, kind),
// sum(name, kind), and upTo(name, kind, le) — the observations of at most le.
function changes(before, after) {
  const d = (key) => {
    assert.ok(after.has(key), `${key} not in /metrics`);
    return after.get(key) - (before.get(key) ?? 0);
  };
  return {
    count: (name, kind) => d(`${name}_count{kind="${kind}"}`),
    sum: (name, kind) => d(`${name}_sum{kind="${kind}"}`),
    upTo: (name, kind, le) => d(`${name}_bucket{kind="${kind}",le="${le}"}`),
  };
}

// Resolves the next n `message` frames of ROOM on c.
async function messages(c, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await c.message(ROOM, undefined, 3 * INTERVAL + 5000));
  return out;
}

describe('a fixed write interval', () => {
  let server; let sub; let pub;
  const stop = async () => {
    for (const c of [sub, pub]) if (c) c.terminate();
    if (server) await disposeClean(server);
    server = sub = pub = undefined;
  };
  after(stop);

  // One try on a fresh server: the publisher joins, the subscriber joins (its join answer, a
  // reply, is written at once and starts its interval), and the publisher sends five messages
  // without waiting between them. span: from before the joins to the last ack, on this
  // process's clock. Every broadcast was queued before its ack was written, so within span
  // of the join answer's write, and each was therefore held at least INTERVAL - span. Within
  // span of its own join answer the publisher's writes all carry a reply: the subscriber's
  // presence, resting on its socket, leaves with the first ack.
  async function restOnce() {
    server = await startWithConfig({ ...FAST, ws_write_interval_ms: INTERVAL, ws_write_adaptive: false });
    const s = await signIn(server, ['teacher_wang', 'teacher_zhao']);
    sub = await Chat.open(server, s.teacher_zhao); // the server's first socket: number 0
    pub = await Chat.open(server, s.teacher_wang);
    assert.equal(await metric(server, 'mingshi_ws_write_interval_seconds'), INTERVAL / 1000);
    const before = await metricSamples(server);
    const t0 = performance.now();
    await pub.joinOk(ROOM);
    await sub.joinOk(ROOM);
    const cids = [1, 2, 3, 4, 5].map((i) => pub.post(ROOM, `第${i}条`));
    const acks = [];
    for (const cid of cids) acks.push(await pub.answer(cid));
    const span = performance.now() - t0;
    for (const a of acks) assert.equal(a.type, 'ack', JSON.stringify(a));
    const seen = await messages(sub, 5);
    return { before, after: await metricSamples(server), span, ids: acks.map((a) => a.id), seen };
  }

  it('broadcasts to a socket just written rest out the interval and leave together; acks do not wait', async () => {
    let r;
    for (let attempt = 1; ; attempt++) {
      r = await restOnce();
      // Over half the interval, a rested ack could not be told from a prompt one: try again.
      if (r.span < INTERVAL / 2 || attempt === 3) break;
      console.log(`attempt ${attempt}: two joins and five commits took ${r.span.toFixed(0)} ms; again`);
      await stop();
    }
    const d = changes(r.before, r.after);
    const held = d.count(WAIT, 'broadcast') - d.upTo(WAIT, 'broadcast', 0.5);
    console.log(`joins to last ack ${r.span.toFixed(0)} ms; server: ${d.count(FRAMES, 'broadcast')} broadcast write(s) `
      + `of ${d.sum(FRAMES, 'broadcast')} frames, ${held} broadcast(s) held over 0.5 s, `
      + `broadcast waits ${d.sum(WAIT, 'broadcast').toFixed(3)} s in all; `
      + `${d.count(WAIT, 'reply')} replies, ${d.count(WAIT, 'reply') - d.upTo(WAIT, 'reply', 0.005)} over 5 ms`);
    assert.deepEqual(r.seen.map((m) => m.message.id), r.ids, 'all five, in order');
    // the publisher's writes all carry an ack (its own copies and the subscriber's presence
    // ride along): the one write of broadcasts alone is the subscriber's
    assert.equal(d.count(FRAMES, 'broadcast'), 1, 'the five broadcasts left in one write');
    assert.equal(d.sum(FRAMES, 'broadcast'), 5, 'the five broadcasts left in one write');
    const least = (5 * Math.max(0, INTERVAL - r.span)) / 1000 - 0.001;
    assert.ok(d.sum(WAIT, 'broadcast') >= least,
      `broadcasts did not rest out the interval: ${d.sum(WAIT, 'broadcast')} s of waits, at least ${least} s due`);
    assert.ok(r.span >= INTERVAL / 2 || held >= 5, `${held} broadcasts held over 0.5 s, not 5`);
    // replies: the two join answers, the five acks
    assert.ok(d.count(WAIT, 'reply') >= 7, 'replies counted');
    assert.equal(d.upTo(WAIT, 'reply', 0.5), d.count(WAIT, 'reply'), 'a reply waited half a second: replies rested');
  });

  it('a socket quiet for longer than the interval gets the next broadcast at once', async () => {
    sub.drain(); pub.drain();
    await sleep(INTERVAL + 200); // quiet: the subscriber's last write is longer ago than that
    const before = await metricSamples(server);
    const { id } = await pub.say(ROOM, '安静之后的一条');
    const m = await sub.message(ROOM, id);
    assert.equal(m.message.id, id);
    const d = changes(before, await metricSamples(server));
    assert.equal(d.count(FRAMES, 'broadcast'), 1, 'the subscriber\'s write');
    assert.equal(d.sum(FRAMES, 'broadcast'), 1);
    // its frame and the publisher's copy (which rides with the ack): resting would have held
    // the subscriber's for the interval
    assert.equal(d.count(WAIT, 'broadcast'), 2);
    assert.equal(d.upTo(WAIT, 'broadcast', 0.5), 2, `a quiet socket's broadcast waited ${d.sum(WAIT, 'broadcast')} s`);
  });
});

describe('the default (adaptive) write interval', () => {
  let server; let s; const open = [];

  after(async () => {
    for (const c of open) c.terminate();
    if (server) await disposeClean(server);
  });

  it('rests nothing on a quiet server: a burst reaches a subscriber as it is sent', async () => {
    server = await startWithConfig(FAST);
    s = await signIn(server, ['teacher_wang', 'teacher_zhao']);
    const sub = await Chat.open(server, s.teacher_zhao); open.push(sub);
    const pub = await Chat.open(server, s.teacher_wang); open.push(pub);
    await sub.joinOk(ROOM);
    await pub.joinOk(ROOM);
    await sub.next((m) => m.type === 'presence' && m.state === 'join', 5000, 'the publisher\'s presence');
    // quiet, as the server itself measures it (a busy machine can make a window look busy)
    await waitFor(async () => await metric(server, 'mingshi_ws_write_interval_seconds') === 0
      && await metric(server, 'mingshi_loop_load') < 0.45, { ms: 10000, every: 100, what: 'a quiet loop' });
    const before = await metricSamples(server);
    const ids = [];
    for (let i = 1; i <= 5; i++) ids.push((await pub.say(ROOM, `快速${i}`)).id);
    const seen = await messages(sub, 5);
    assert.deepEqual(seen.map((m) => m.message.id), ids);
    const d = changes(before, await metricSamples(server));
    // each broadcast went out on its own as it came: nothing held one back for the next
    assert.equal(d.count(FRAMES, 'broadcast'), 5, 'the subscriber\'s broadcasts shared writes: they rested');
    assert.equal(d.sum(FRAMES, 'broadcast'), 5);
    assert.equal(d.count(WAIT, 'broadcast'), 10, 'the subscriber\'s five and the publisher\'s copies');
    assert.equal(d.upTo(WAIT, 'broadcast', 0.05), 10, `broadcasts waited ${d.sum(WAIT, 'broadcast')} s in all`);
    const load = await metric(server, 'mingshi_loop_load');
    assert.ok(load >= 0 && load <= 1, `loop load ${load}`);
    assert.ok(await metric(server, 'mingshi_ws_writes_total') >= 7, 'writes counted');
  });
});
