import test from 'ava';
import { Worker } from 'node:worker_threads';
import {
  MSGF_DOMSG, MSGF_REPLY, MSG_HEADER_BYTES, openMsgPort, transferList, wireMsgPorts,
  type Msg, type MsgPort, type Reply, type TransportKind,
} from '../../src/cpu/msgport.js';
import { isArpemuError } from '../../src/util/errors.js';
import {
  BODY_LEN, DIGEST0, ERR_ODD, T_DONE, T_UPDATE, digestStep, getU32, mixAcc, putU32, update,
  type ChainJob, type ReplicaState, type StateReport,
} from './fixtures/chain-jobs.js';

const chainWorkerUrl = new URL('./fixtures/chain-worker.js', import.meta.url);
const KINDS: TransportKind[] = ['ring', 'port'];

/** Fail instead of hanging when `progress()` stops moving for `ms` (a guard, never a delay). */
async function watchdog<T>(p: Promise<T>, ms: number, what: string, progress: () => number): Promise<T> {
  let timer: ReturnType<typeof setInterval> | undefined;
  let last = progress();
  const guard = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const now = progress();
      if (now === last) reject(new Error(`${what}: no progress for ${ms} ms`));
      last = now;
    }, ms);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearInterval(timer);
  }
}

function pair(kind: TransportKind, capacity?: number): [MsgPort, MsgPort] {
  const descs = wireMsgPorts(kind, [[0, 1], [1, 0]], capacity === undefined ? {} : { capacity });
  return [openMsgPort(descs.get(0)!), openMsgPort(descs.get(1)!)];
}

// ---- one thread, two endpoints ----

for (const kind of KINDS) {
  test(`${kind}: domsg gets the reply with body, error, seq and replier (lwkt_domsg)`, async (t) => {
    const [a, b] = pair(kind);
    t.teardown(() => { a.close(); b.close(); });
    const seen: { type: number; seq: number; origin: number; flags: number; from: number; body: number[] }[] = [];
    b.start((m, p) => {
      seen.push({ type: m.type, seq: m.seq, origin: m.origin, flags: m.flags, from: m.from, body: [...m.bytes.subarray(m.offset, m.offset + m.len)] });
      const out = new Uint8Array([m.len, ...m.bytes.subarray(m.offset, m.offset + m.len)].reverse());
      p.reply(m, 9, out, 0, out.length, 35);
    });
    a.start(() => { t.fail('no message should reach the handler: replies settle domsg'); });
    const r1 = await a.domsg(1, 5, new Uint8Array([0, 1, 2, 3, 4, 5]), 1, 3);
    const r2 = await a.domsg(1, 6, new Uint8Array(0), 0, 0);
    t.deepEqual(seen, [
      { type: 5, seq: r1.seq, origin: 0, flags: MSGF_DOMSG, from: 0, body: [1, 2, 3] },
      { type: 6, seq: r2.seq, origin: 0, flags: MSGF_DOMSG, from: 0, body: [] },
    ]);
    t.deepEqual({ ...r1, body: [...r1.body] }, { type: 9, seq: r1.seq, from: 1, error: 35, body: [3, 2, 1, 3] });
    t.is(r2.body.length, 1);
    t.not(r1.seq, r2.seq);
    t.is(a.stats.sent, 2);
    t.is(b.stats.replied, 2);
  });

  test(`${kind}: send is fire-and-forget; a reply to it reaches the origin's handler flagged MSGF_REPLY`, async (t) => {
    const [a, b] = pair(kind);
    t.teardown(() => { a.close(); b.close(); });
    b.start((m, p) => { p.reply(m, m.type + 100, m.bytes, m.offset, m.len); });
    const got: { type: number; seq: number; flags: number; body: number }[] = [];
    const done = new Promise<void>((resolve) => {
      a.start((m) => { got.push({ type: m.type, seq: m.seq, flags: m.flags, body: m.bytes[m.offset]! }); if (got.length === 50) resolve(); });
    });
    const seqs: number[] = [];
    const body = new Uint8Array(1);
    for (let i = 0; i < 50; i++) {
      body[0] = i;
      t.true(a.send(1, i, body, 0, 1));
      seqs.push(a.lastSeq);
    }
    await watchdog(done, 5000, 'replies', () => got.length);
    t.deepEqual(got, seqs.map((seq, i) => ({ type: i + 100, seq, flags: MSGF_REPLY, body: i })));
  });

  test(`${kind}: beginSend/endSend encode in place, possibly shorter than reserved`, async (t) => {
    const [a, b] = pair(kind);
    t.teardown(() => { a.close(); b.close(); });
    const got = new Promise<number[]>((resolve) => b.start((m) => resolve([...m.bytes.subarray(m.offset, m.offset + m.len)])));
    const at = a.beginSend(1, 3, 8);
    t.true(at >= MSG_HEADER_BYTES);
    a.txBytes.set([7, 8, 9], at);
    a.endSend(3);
    t.deepEqual(await got, [7, 8, 9]);
  });

  test(`${kind}: validation names the bad argument`, (t) => {
    const [a, b] = pair(kind);
    t.teardown(() => { a.close(); b.close(); });
    t.throws(() => a.send(7, 1, new Uint8Array(1), 0, 1), { instanceOf: RangeError, message: 'no channel from endpoint 0 to 7' });
    t.throws(() => a.send(1, 0xffff, new Uint8Array(1), 0, 1), { instanceOf: RangeError, message: /message type 65535/ });
    t.throws(() => a.beginSend(1, 1, 70_000), { instanceOf: RangeError, message: /body length 70000/ });
    t.throws(() => a.endSend(), { message: /endSend without beginSend/ });
    t.deepEqual(a.peers, [1]);
  });

  test(`${kind}: close rejects a pending domsg with ERR_MSGPORT_CLOSED`, async (t) => {
    const [a, b] = pair(kind);
    b.start(() => { /* never replies */ });
    a.start(() => {});
    const p = a.domsg(1, 1, new Uint8Array(0), 0, 0);
    a.close();
    b.close();
    const e = await t.throwsAsync(p);
    t.true(isArpemuError(e));
    t.is((e as { code?: string }).code, 'ERR_MSGPORT_CLOSED');
  });
}

test('ring: a full destination refuses send (nothing overwritten) and waitSpace resolves once drained', async (t) => {
  const [a, b] = pair('ring', 256);
  t.teardown(() => { a.close(); b.close(); });
  const body = new Uint8Array(40);
  let sent = 0;
  while (a.send(1, 1, body.fill(sent), 0, body.length)) sent++;
  t.is(sent, Math.floor(256 / (4 + MSG_HEADER_BYTES + 40)));
  t.is(a.stats.full, 1);
  t.false(a.canSend(1, 40));
  const got: number[] = [];
  let allIn: () => void = () => {};
  const drained = new Promise<void>((resolve) => { allIn = resolve; });
  b.start((m) => { got.push(m.bytes[m.offset + 39]!); if (got.length === sent + 1) allIn(); });
  t.true(await watchdog(a.waitSpace(1, 40), 5000, 'waitSpace', () => got.length));
  t.true(a.send(1, 1, body.fill(sent), 0, body.length));
  await watchdog(drained, 5000, 'drain', () => got.length);
  t.deepEqual(got, Array.from({ length: sent + 1 }, (_, i) => i));
});

test('ring: handlers get one reused Msg (no allocation per message)', async (t) => {
  const [a, b] = pair('ring');
  t.teardown(() => { a.close(); b.close(); });
  const objs = new Set<Msg>();
  let n = 0;
  const done = new Promise<void>((resolve) => b.start((m) => { objs.add(m); if (++n === 100) resolve(); }));
  for (let i = 0; i < 100; i++) a.send(1, 1, new Uint8Array(4), 0, 4);
  await watchdog(done, 5000, 'receive', () => n);
  t.is(objs.size, 1);
});

// ---- the chain over real threads ----

interface ChainResult {
  replies: { seq: number; type: number; from: number; error: number; key: number; value: number; acc: number }[];
  domsg: { type: number; from: number; error: number; acc: number }[];
  states: ReplicaState[];
  stalls: number;
}

const CPUS = 4;
const ORIGIN = CPUS;

/**
 * Origin (this thread, endpoint 4) -> CPU0 -> CPU1 -> CPU2 -> CPU3 -> origin:
 * `n` pipelined sends (waiting for room when the first ring is full), then
 * `d` domsgs one at a time.
 */
async function runChain(kind: TransportKind, n: number, d: number, capacity: number | undefined, t: { teardown(fn: () => void): void }): Promise<ChainResult> {
  const edges: [number, number][] = [[ORIGIN, 0], [0, 1], [1, 2], [2, 3], [3, ORIGIN]];
  const descs = wireMsgPorts(kind, edges, capacity === undefined ? {} : { capacity });
  const workers: Worker[] = [];
  for (let cpu = 0; cpu < CPUS; cpu++) {
    const desc = descs.get(cpu)!;
    const job: ChainJob = { desc, cpu, next: cpu + 1 < CPUS ? cpu + 1 : -1, spin: 0 };
    const w = new Worker(chainWorkerUrl, { workerData: job, transferList: transferList(desc) });
    workers.push(w);
    t.teardown(() => { void w.terminate(); });
  }
  const origin = openMsgPort(descs.get(ORIGIN)!);
  t.teardown(() => origin.close());
  const replies: ChainResult['replies'] = [];
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((resolve) => { resolveAll = resolve; });
  origin.start((m) => {
    const b = m.bytes;
    replies.push({ seq: m.seq, type: m.type, from: m.from, error: m.error, key: getU32(b, m.offset), value: getU32(b, m.offset + 4), acc: getU32(b, m.offset + 8) });
    if (replies.length === n) resolveAll();
  });
  const body = new Uint8Array(BODY_LEN);
  const seqs: number[] = [];
  const sendAll = async (): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const u = update(i);
      putU32(body, 0, u.key); putU32(body, 4, u.value); putU32(body, 8, u.acc);
      while (!origin.send(0, T_UPDATE, body, 0, BODY_LEN)) await origin.waitSpace(0, BODY_LEN);
      seqs.push(origin.lastSeq);
    }
    origin.flush();
  };
  await watchdog(Promise.all([sendAll(), all]), 5000, `${kind} chain`, () => replies.length + seqs.length);
  // Replies come back in send order, each to the seq it answers.
  for (let i = 0; i < n; i++) if (replies[i]!.seq !== seqs[i]) throw new Error(`reply ${i} answers seq ${replies[i]!.seq}, not ${seqs[i]}`);
  const domsg: ChainResult['domsg'] = [];
  for (let i = n; i < n + d; i++) {
    const u = update(i);
    putU32(body, 0, u.key); putU32(body, 4, u.value); putU32(body, 8, u.acc);
    const r: Reply = await origin.domsg(0, T_UPDATE, body, 0, BODY_LEN);
    domsg.push({ type: r.type, from: r.from, error: r.error, acc: getU32(r.body, 8) });
  }
  const reports = await Promise.all(workers.map((w) => new Promise<StateReport>((resolve) => {
    w.once('message', resolve);
    w.postMessage('state');
  })));
  for (const w of workers) w.postMessage('close');
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
  origin.close();
  return {
    replies: replies.map((r) => ({ ...r, seq: 0 })), domsg,
    states: reports.map((r) => r.state),
    stalls: reports.reduce((s, r) => s + r.stats.stalls, 0) + origin.stats.full,
  };
}

function model(n: number, d: number): Pick<ChainResult, 'replies' | 'domsg' | 'states'> {
  let digest = DIGEST0;
  const table = new Map<number, number>();
  const replies: ChainResult['replies'] = [];
  const domsg: ChainResult['domsg'] = [];
  for (let i = 0; i < n + d; i++) {
    const u = update(i);
    digest = digestStep(digest, u.key, u.value);
    table.set(u.key, u.value);
    let acc = u.acc;
    for (let cpu = 0; cpu < CPUS; cpu++) acc = mixAcc(acc, cpu);
    const error = u.key % 7 === 0 ? ERR_ODD : 0;
    if (i < n) replies.push({ seq: 0, type: T_DONE, from: CPUS - 1, error, key: u.key, value: u.value, acc });
    else domsg.push({ type: T_DONE, from: CPUS - 1, error, acc });
  }
  const sorted = [...table].sort((a, b) => a[0] - b[0]);
  const states = Array.from({ length: CPUS }, (_, cpu) => ({ cpu, digest, applied: n + d, table: sorted }));
  return { replies, domsg, states };
}

test('chain CPU0->CPU1->CPU2->CPU3, reply to the origin: ring and port give the same results, equal to the model', async (t) => {
  const n = 3000;
  const d = 20;
  const ring = await runChain('ring', n, d, undefined, t);
  const port = await runChain('port', n, d, undefined, t);
  const want = model(n, d);
  t.deepEqual(ring.replies, want.replies);
  t.deepEqual(ring.domsg, want.domsg);
  t.deepEqual(ring.states, want.states);
  t.deepEqual(port.replies, ring.replies);
  t.deepEqual(port.domsg, ring.domsg);
  t.deepEqual(port.states, ring.states);
});

test('chain over tiny rings: backpressure propagates along the chain, nothing lost, duplicated or reordered', async (t) => {
  const n = 5000;
  const res = await runChain('ring', n, 5, 256, t);
  const want = model(n, 5);
  t.deepEqual(res.replies, want.replies);
  t.deepEqual(res.domsg, want.domsg);
  t.deepEqual(res.states, want.states);
  t.log(`handlers waited for room ${res.stalls} times`);
  t.true(res.stalls > 0, 'the rings did fill');
});
