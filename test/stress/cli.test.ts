/**
 * The arpemu stress command: exit 0 with zero violations, 1 with any (one
 * stderr line naming the invariant and the reproducer), `--replay` of that
 * reproducer hits the same violation, `--json`, and usage errors exit 2
 * naming the argument.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from './helpers.js';

const tmp = tempDir('arpemu-stress-cli-');
test.after.always(() => tmp.cleanup());

test('arpemu stress: a clean short run exits 0 and writes the JSON report', async (t) => {
  const json = join(tmp.dir, 'clean.json');
  const r = await cli(['--emulator', 'inline', '--cpus', '4', '--ops', '120', '--seed', '3', '--no-progress', '--json', json], tmp.dir);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /seed 3, 4 CPUs inline chain\/ring/);
  t.regex(r.stdout, /result: OK/);
  const rep = JSON.parse(readFileSync(json, 'utf8')) as { ok: boolean; executed: number; violations: unknown[] };
  t.true(rep.ok);
  t.is(rep.executed, 120);
  t.deepEqual(rep.violations, []);
});

test('arpemu stress --inject-bug skip-update: exit 1, one line naming the violation; --replay reproduces it (exit 1)', async (t) => {
  const repro = join(tmp.dir, 'skip.json');
  const r = await cli(['--emulator', 'inline', '--cpus', '4', '--ops', '100', '--seed', '8', '--inject-bug', 'skip-update', '--no-progress', '--repro', repro], tmp.dir);
  t.is(r.code, 1);
  t.regex(r.stdout, /\[replicas_agree\]/);
  t.regex(r.stdout, /replays to the same violation/);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.regex(r.stderr, /^arpemu stress: \d+ violation\(s\); first \[replicas_agree\] .*seed 8.*reproducer .*skip\.json/);
  t.true(existsSync(repro));
  const p = await cli(['--replay', repro, '--no-progress'], tmp.dir);
  t.is(p.code, 1);
  t.regex(p.stdout, /replay: reproduced \[replicas_agree\]/);
});

test('arpemu stress --save-ops: the op log of a clean run replays without violations (exit 0)', async (t) => {
  const log = join(tmp.dir, 'ops.json');
  const r = await cli(['--emulator', 'inline', '--cpus', '2', '--ops', '60', '--seed', '4', '--no-progress', '--save-ops', log], tmp.dir);
  t.is(r.code, 0, r.stderr);
  const saved = JSON.parse(readFileSync(log, 'utf8')) as { ops: unknown[]; violation: unknown };
  t.is(saved.ops.length, 60);
  t.is(saved.violation, null);
  const p = await cli(['--replay', log, '--no-progress'], tmp.dir);
  t.is(p.code, 0, p.stderr);
  t.regex(p.stdout, /replayed without any/);
});

test('arpemu stress: usage errors exit 2 and name the argument', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--faults', 'loss=2'], /--faults: loss must be a probability/],
    [['--inject-bug', 'nope'], /--inject-bug must be one of/],
    [['--kill-cpu', '1', '--cpus', '1', '--emulator', 'inline'], /--kill-cpu needs --cpus 2/],
    [['--concurrent', '--emulator', 'inline'], /--concurrent needs --emulator threaded/],
    [['--cpus', '0'], /--cpus must be in 1\.\.64/],
  ];
  for (const [args, re] of cases) {
    const r = await cli([...args, '--no-progress'], tmp.dir);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, re);
  }
});

test('arpemu stress --replay: a missing or malformed file is a failure naming it (exit 1)', async (t) => {
  const r = await cli(['--replay', join(tmp.dir, 'none.json'), '--no-progress'], tmp.dir);
  t.is(r.code, 1);
  t.regex(r.stderr, /none\.json: no such file/);
});
