import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Progress } from '../../src/bench/progress.js';
import { reportFromResults, runBench } from '../../src/bench/runner.js';
import type { PointResult } from '../../src/bench/types.js';

const TMP = mkdtempSync(join(tmpdir(), 'arpemu-bench-test-'));
test.after.always(() => rmSync(TMP, { recursive: true, force: true }));

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** A stream that keeps what is written (the progress output). */
function sink(): NodeJS.WriteStream & { text: string } {
  const s = { text: '', isTTY: false, write(chunk: string) { s.text += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

test.serial('runBench: a child per point, statuses, ratios against same-run baselines, targets, model, files', async (t) => {
  const out = join(TMP, 'fake');
  const stream = sink();
  const run = await runBench({ suitesDir: FIXTURES, quick: false, out, command: 'arpemu bench (test)', progress: new Progress({ total: 8, stream }) });
  t.is(run.results.length, 8);
  t.is(run.failed, 0);
  const at = (cpus: number, transport: string): PointResult => run.results.find((r) => r.point['cpus'] === cpus && r.point['transport'] === transport)!;
  t.is(at(8, 'ring').status, 'unavailable');
  t.is(at(8, 'ring').reason, 'eight CPUs are not built');
  const r4 = at(4, 'ring');
  t.is(r4.status, 'ok');
  t.is(r4.metrics['rate']!.n, 3);
  t.is(r4.metrics['rate']!.median, 5000);
  t.true(r4.metrics['rate']!.min < r4.metrics['rate']!.max);
  t.is(r4.ratios['transport=port']!['rate'], 20);
  t.is(r4.ratios['cpus=1']!['rate'], 0.25);
  t.false('transport=port' in at(1, 'port').ratios, 'a baseline has no ratio to itself');
  t.is(r4.machine.cores > 0, true);
  t.is(r4.loadavg.length, 3);
  t.deepEqual(r4.info, { calls: 4 });
  const verdicts = run.targets.map((x) => x.verdict);
  t.deepEqual(verdicts, ['met', 'met', 'reported', 'not measured']);
  t.regex(run.targets[3]!.note ?? '', /unavailable: eight CPUs/);
  t.is(run.models.length, 1);
  t.is(run.models[0]!.suite, 'fake');
  t.true(Math.abs(run.models[0]!.b - 5e-6) < 1e-12);
  const lines = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PointResult);
  t.is(lines.length, 8);
  t.deepEqual(lines.map((l) => l.status).filter((s) => s !== 'ok'), ['unavailable', 'unavailable']);
  t.deepEqual(readdirSync(join(out, 'charts')), ['fake-rate.svg']);
  const md = readFileSync(join(out, 'summary.md'), 'utf8');
  t.true(md.includes('Chain model (a MODEL fitted to this run, not a measurement)'));
  t.true(md.includes('| 256 |'));
  t.false(/https?:\/\//.test(readFileSync(join(out, 'report.html'), 'utf8')));
  t.regex(stream.text, /bench \[1\/8\] fake cpus=1 transport=port/);
  t.regex(stream.text, /fake cpus=8 transport=ring: unavailable: eight CPUs are not built/);

  // The reports can be rebuilt from the JSON lines alone, with the same verdicts.
  const again = await reportFromResults(join(out, 'results.jsonl'), join(TMP, 'again'), FIXTURES);
  t.deepEqual(again.targets.map((x) => x.verdict), verdicts);
  t.is(again.models[0]!.b, run.models[0]!.b);
  t.true(readFileSync(join(TMP, 'again', 'summary.md'), 'utf8').includes('reports rebuilt from'));
});

test.serial('runBench: --set narrows a grid and a failing setup is reported as failed', async (t) => {
  const stream = sink();
  const run = await runBench({ suitesDir: FIXTURES, quick: true, out: join(TMP, 'set'), command: 'x', sets: ['fake.cpus=2', 'transport=ring,boom'], reps: 2, progress: new Progress({ total: 2, stream }) });
  t.deepEqual(run.results.map((r) => [r.point['transport'], r.status]), [['ring', 'ok'], ['boom', 'failed']]);
  t.regex(run.results[1]!.reason ?? '', /boom/);
  t.is(run.results[0]!.metrics['rate']!.n, 2);
  t.is(run.failed, 1);
  await t.throwsAsync(runBench({ suitesDir: FIXTURES, quick: true, out: join(TMP, 'bad'), command: 'x', sets: ['nokey=1'] }), { message: /no selected suite has that parameter/ });
  await t.throwsAsync(runBench({ suitesDir: FIXTURES, quick: true, out: join(TMP, 'bad'), command: 'x', suites: ['nope'] }), { message: /no such suite/ });
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 110_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

test.serial('arpemu bench --quick --suite wire: exits 0 and writes a JSON line per point with machine info', async (t) => {
  const out = join(TMP, 'cli');
  const r = await cli(['bench', '--quick', '--suite', 'wire', '--set', 'frames=20000', '--reps', '2', '--out', out]);
  t.is(r.code, 0, r.stderr);
  const lines = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PointResult);
  t.deepEqual(lines.map((l) => l.point['impl']), ['naive', 'classify', 'classify+fields']);
  for (const l of lines) {
    t.is(l.status, 'ok');
    t.is(l.metrics['cpuRate']!.samples.length, 2);
    t.true(l.metrics['cpuRate']!.median > 0);
    t.true(l.machine.cores >= 1 && l.machine.cpuModel.length > 0 && l.machine.node === process.version);
    t.is(typeof l.date, 'string');
  }
  t.true(lines[1]!.ratios['impl=naive']!['cpuRate']! > 0);
  t.regex(r.stdout, /issue 3: parse \+ classify of ARP frames, one thread: .*: (met|not met)/);
  t.regex(r.stderr, /bench \[3\/3\] wire impl=classify\+fields/);
  t.true(readFileSync(join(out, 'summary.md'), 'utf8').includes('arpemu bench --quick --suite wire'));
});

test.serial('arpemu bench: bad usage exits 2 naming the argument', async (t) => {
  const a = await cli(['bench', '--suite', 'nope', '--out', join(TMP, 'x')]);
  t.is(a.code, 2);
  t.regex(a.stderr, /--suite nope: no such suite/);
  const b = await cli(['bench', '--quick', '--suite', 'wire', '--set', 'nokey=1', '--out', join(TMP, 'x')]);
  t.is(b.code, 2);
  t.regex(b.stderr, /--set nokey=1/);
  const c = await cli(['bench', '--list']);
  t.is(c.code, 0);
  t.regex(c.stdout, /^wire /m);
  t.regex(c.stdout, /^chain /m);
});
