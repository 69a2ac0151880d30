/**
 * Test prerequisites and network namespaces.
 *
 * Tests that need root, a tool (tshark, arping), the `cap` addon or network
 * namespaces declare it with requireOrSkip(). When something is missing the
 * test is registered as skipped with the reason in its title and one line on
 * the console; under CI (process.env.CI set) it is registered as a failing
 * test instead, so a CI machine that lacks a prerequisite is noticed.
 *
 * Namespaces: createVethPair() makes two namespaces joined by a veth pair,
 * named uniquely per process (ae<pid>x<n>a / ...b), never touching the
 * host's own interfaces, and removes them in t.teardown, on process exit,
 * and (for leftovers of killed runs) when a later run finds namespaces of
 * a process that no longer exists.
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import type { ExecutionContext } from 'ava';

// ---- prerequisites ----

/** A prerequisite: returns undefined when met, else the reason it is not. */
export type Need = () => string | undefined;

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

const toolCache = new Map<string, boolean>();

/** Whether `name` is an executable on PATH (or an absolute path that exists). */
export function hasTool(name: string): boolean {
  let ok = toolCache.get(name);
  if (ok === undefined) {
    const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' });
    ok = r.status === 0;
    toolCache.set(name, ok);
  }
  return ok;
}

/** Whether the optional `cap` addon loads (libpcap present and built). */
export function hasCap(): boolean {
  try {
    createRequire(import.meta.url)('cap');
    return true;
  } catch {
    return false;
  }
}

export const needRoot: Need = () => (isRoot() ? undefined : 'needs root (network namespaces, raw sockets)');

export function needTool(name: string, debianPackage?: string): Need {
  return () => hasTool(name) ? undefined : `needs ${name}${debianPackage ? ` (Debian package ${debianPackage})` : ''}`;
}

export const needCap: Need = () =>
  hasCap() ? undefined : 'needs the cap addon: install Debian libpcap-dev and run npm install';

/** Root, iproute2 and a kernel that lets us make a namespace. */
export const needNetns: Need = () => {
  const r = needRoot() ?? needTool('ip', 'iproute2')();
  if (r !== undefined) return r;
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `ip netns does not work here: ${(probe.stderr || '').trim()}`;
};

/** Anything with ava's test() and test.skip() shapes (test, test.serial). */
export interface TestRegistrar<Ctx = unknown> {
  (title: string, impl: (t: ExecutionContext<Ctx>) => void | PromiseLike<void>): void;
  skip(title: string, impl: (t: ExecutionContext<Ctx>) => void | PromiseLike<void>): void;
}

/** The first unmet prerequisite's reason, or undefined when all are met. */
export function missing(needs: readonly Need[]): string | undefined {
  for (const n of needs) {
    const r = n();
    if (r !== undefined) return r;
  }
  return undefined;
}

/**
 * Register `impl` under `title` when every need is met. Otherwise: skip it
 * with the reason in the title and a console line, or, under CI, register a
 * test that fails with the reason.
 */
export function requireOrSkip<Ctx>(
  test: TestRegistrar<Ctx>,
  title: string,
  needs: readonly Need[],
  impl: (t: ExecutionContext<Ctx>) => void | PromiseLike<void>,
): void {
  const reason = missing(needs);
  if (reason === undefined) {
    test(title, impl);
  } else if (process.env.CI) {
    test(title, (t) => { t.fail(`prerequisite missing under CI: ${reason}`); });
  } else {
    console.log(`SKIP ${title}: ${reason}`);
    test.skip(`${title} [skipped: ${reason}]`, impl);
  }
}

// ---- network namespaces ----

export interface ExecResult {
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], timeoutMs = 20_000): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${cmd} ${args.join(' ')} failed: ${(stderr || err.message).trim()}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/** Namespaces this process made and has not removed yet. */
const ours = new Set<string>();
let exitHookInstalled = false;
let counter = 0;
const NAME_RE = /^ae(\d+)x(\d+)[ab]$/;

function removeNamespacesSync(names: Iterable<string>): void {
  for (const ns of names) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test crashed before its teardown ran.
  process.on('exit', () => removeNamespacesSync(ours));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove namespaces left by earlier test processes that are gone. */
export function sweepStaleNamespaces(): string[] {
  let listing = '';
  try {
    listing = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const stale: string[] = [];
  for (const line of listing.split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? '';
    const m = NAME_RE.exec(name);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) stale.push(name);
  }
  removeNamespacesSync(stale);
  return stale;
}

/** Two namespaces joined by a veth pair: end `ifA` lives in `nsA`, `ifB` in `nsB`. */
export interface VethPair {
  readonly nsA: string;
  readonly nsB: string;
  readonly ifA: string;
  readonly ifB: string;
  /** Run a command inside a namespace (`ip netns exec NS ...`), resolving with its output. */
  exec(ns: string, argv: readonly string[], timeoutMs?: number): Promise<ExecResult>;
  /** Start a long-running command inside a namespace. */
  spawn(ns: string, argv: readonly string[], opts?: SpawnOptions): ChildProcess;
  /** Delete both namespaces (the veth pair goes with them). Idempotent. */
  destroy(): Promise<void>;
}

export interface VethPairOptions {
  /** MAC addresses to give the two ends (default: the kernel picks). */
  macA?: string;
  macB?: string;
  /** Bring the interfaces up (default true). */
  up?: boolean;
}

/**
 * Make two fresh namespaces and a veth pair between them. When `t` is
 * given, removal is registered in t.teardown, so it happens even when the
 * test fails; a process-exit hook catches what a crash leaves behind.
 */
export async function createVethPair(
  t?: { teardown(fn: () => Promise<void> | void): void },
  opts: VethPairOptions = {},
): Promise<VethPair> {
  installExitHook();
  if (counter === 0) sweepStaleNamespaces();
  const n = ++counter;
  const base = `ae${process.pid}x${n}`;
  const nsA = `${base}a`, nsB = `${base}b`;
  // Interface names are limited to 15 bytes; these are at most 2+7+1+3+1.
  const ifA = nsA, ifB = nsB;
  let destroyed = false;
  const children = new Set<ChildProcess>();
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const ns of [nsA, nsB]) {
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
      ours.delete(ns);
    }
  };
  t?.teardown(destroy);
  try {
    for (const ns of [nsA, nsB]) {
      ours.add(ns);
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    // Created directly inside the namespaces: the host's namespace never sees them.
    const addA = opts.macA ? ['address', opts.macA] : [];
    const addB = opts.macB ? ['address', opts.macB] : [];
    await run('ip', ['-n', nsA, 'link', 'add', ifA, ...addA, 'type', 'veth', 'peer', 'name', ifB, ...addB, 'netns', nsB]);
    if (opts.up !== false) {
      await run('ip', ['-n', nsA, 'link', 'set', ifA, 'up']);
      await run('ip', ['-n', nsB, 'link', 'set', ifB, 'up']);
    }
  } catch (e) {
    await destroy();
    throw e;
  }
  return {
    nsA, nsB, ifA, ifB,
    exec: (ns, argv, timeoutMs) => run('ip', ['netns', 'exec', ns, ...argv], timeoutMs),
    spawn: (ns, argv, spawnOpts) => {
      const c = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: 'pipe', ...spawnOpts });
      children.add(c);
      c.on('exit', () => children.delete(c));
      return c;
    },
    destroy,
  };
}

// ---- tshark ----

export interface TsharkReport {
  /** Frames tshark read. */
  frames: number;
  /** One line per frame with a malformed mark or any expert info: "N: message". */
  problems: string[];
}

/**
 * Decode a capture with tshark and list every malformed frame and every
 * expert item (any severity). Needs tshark (check with needTool('tshark')).
 */
export async function tsharkCheck(path: string): Promise<TsharkReport> {
  const all = await run('tshark', ['-n', '-r', path, '-T', 'fields', '-e', 'frame.number']);
  const bad = await run('tshark', ['-n', '-r', path, '-Y', '_ws.malformed || _ws.expert',
    '-T', 'fields', '-e', 'frame.number', '-e', '_ws.expert.message', '-e', '_ws.malformed']);
  const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');
  return {
    frames: lines(all.stdout).length,
    problems: lines(bad.stdout).map((l) => {
      const [n, ...rest] = l.split('\t');
      return `${n}: ${rest.filter((x) => x !== '').join(' ')}`;
    }),
  };
}

/** Run tshark on a capture and return the chosen fields of each frame (tab-separated columns). */
export async function tsharkFields(path: string, fields: readonly string[], displayFilter?: string): Promise<string[][]> {
  const args = ['-n', '-r', path, ...(displayFilter ? ['-Y', displayFilter] : []), '-T', 'fields'];
  for (const f of fields) args.push('-e', f);
  const { stdout } = await run('tshark', args);
  return stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}
