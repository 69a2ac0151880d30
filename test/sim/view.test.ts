import test from 'ava';
import { ProgressView } from '../../src/sim/view.js';
import type { Progress } from '../../src/sim/runner.js';

function progress(t: number, over: Partial<Progress> = {}): Progress {
  return {
    t, end: 100, wallSeconds: t / 10, frames: t * 100, framesPerSecond: 1000, emulatorRx: t * 10, emulatorTx: t * 20,
    datagrams: t * 5, resolutions: t, replies: t, heldSent: 1, heldDropped: 0, events: t * 3, tables: [250, 250],
    agree: true, chainLatencyUs: 12.5, notices: [], done: false, ...over,
  };
}

function sink(tty: boolean) {
  const chunks: string[] = [];
  return { chunks, out: { write: (s: string) => { chunks.push(s); return true; }, isTTY: tty, columns: 120 } };
}

test('view: on a terminal the block is redrawn in place and removed at the end', (t) => {
  const { chunks, out } = sink(true);
  const v = new ProgressView({ out, title: 'arpemu run: test' });
  v.update(progress(10, { notices: [{ t: 9.5, text: 'arp: 10.0.0.5 moved from a to b' }] }));
  v.update(progress(20));
  v.close();
  const all = chunks.join('');
  t.true(chunks[0]!.includes('\x1b[?25l'), 'cursor hidden');
  const first = chunks[1]!;
  const lines = first.split('\n').length - 1;
  t.true(first.includes('arpemu run: test'));
  t.true(first.includes('cpu0 250  cpu1 250  (replicas agree)'));
  t.true(first.includes('12.5 µs'));
  t.true(first.includes('arp: 10.0.0.5 moved'));
  // The second frame moves up over the first before drawing; the event stays on screen.
  t.true(chunks[2]!.startsWith(`\x1b[${lines}F`));
  t.true(chunks[2]!.includes('arp: 10.0.0.5 moved'));
  t.true(chunks[2]!.includes(' 20.0 / 100.0 s virtual'));
  t.true(all.endsWith('\x1b[?25h'), 'cursor restored');
});

test('view: elsewhere one plain line per tenth of the run, no escapes', (t) => {
  const { chunks, out } = sink(false);
  const v = new ProgressView({ out, title: 'x' });
  for (let s = 0; s <= 100; s += 0.5) v.update(progress(s, { done: s === 100 }));
  v.close();
  const text = chunks.join('');
  t.false(text.includes('\x1b'));
  const lines = text.trim().split('\n');
  t.true(lines.length >= 10 && lines.length <= 11, `${lines.length} lines`);
  t.regex(lines[0]!, /^\[ +10\.0\/100\.0 s\] frames 1000 \(1000\/s wall\) resolutions 10 held 1\/0 events 30 tables 250\/250$/);
});

test('view: long lines are cut to the terminal width', (t) => {
  const { chunks, out } = sink(true);
  out.columns = 50;
  const v = new ProgressView({ out, title: 'T'.repeat(200) });
  v.update(progress(1));
  for (const line of chunks[1]!.split('\n').slice(0, -1)) t.true(line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').length <= 49, line);
});
