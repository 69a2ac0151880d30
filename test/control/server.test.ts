import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { ControlClient } from '../../src/control/client.js';
import { DaemonError, type Method } from '../../src/control/protocol.js';
import { ControlServer, prepareSocketPath } from '../../src/control/server.js';
import { tmpDir } from './helpers.js';

/** A handler that answers from a table; `slow` resolves when the test says so. */
function handler(): { handle(m: Method, p: unknown): Promise<unknown>; release(): void; calls: string[] } {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => { release = r; });
  const calls: string[] = [];
  return {
    calls,
    release: () => release(),
    async handle(m: Method, p: unknown): Promise<unknown> {
      calls.push(m);
      if (m === 'hello') return { version: 1, pid: 1, cpus: 1, interfaces: [], uptime: 0, state: null };
      if (m === 'arp.delete') throw new DaemonError('ESRCH', `no entry for ${(p as { ip: string }).ip}`);
      if (m === 'resolve') { await gate; return { ip: '10.0.0.2', outcome: 'timeout', requests: 1, seconds: 1 }; }
      if (m === 'stats') throw new TypeError('boom'); // a bug: no code
      return {};
    },
  };
}

async function setup(t: { teardown(fn: () => void | Promise<void>): void }): Promise<{ path: string; server: ControlServer; h: ReturnType<typeof handler>; dir: string }> {
  const { dir, cleanup } = tmpDir();
  const path = join(dir, 'ctl.sock');
  const h = handler();
  const server = await ControlServer.listen(path, h);
  t.teardown(async () => { h.release(); await server.close(100); cleanup(); });
  return { path, server, h, dir };
}

test('results and coded errors travel back; the socket is mode 0600', async (t) => {
  const { path } = await setup(t);
  t.is(statSync(path).mode & 0o777, 0o600);
  const c = await ControlClient.connect(path);
  t.teardown(() => c.close());
  t.is((await c.call('hello', {})).version, 1);
  const e = await t.throwsAsync(c.call('arp.delete', { ip: '10.0.0.9' }));
  t.is((e as DaemonError).code, 'ESRCH');
  t.is(e!.message, 'no entry for 10.0.0.9');
  const bug = await t.throwsAsync(c.call('stats', {}));
  t.is((bug as DaemonError).code, 'EINTERNAL');
});

test('responses are matched by id: a slow request does not hold up the next', async (t) => {
  const { path, h } = await setup(t);
  const c = await ControlClient.connect(path);
  t.teardown(() => c.close());
  const slow = c.call('resolve', { ip: '10.0.0.2' });
  t.is((await c.call('hello', {})).pid, 1);
  h.release();
  t.is((await slow).outcome, 'timeout');
});

test('malformed lines get EPROTO / ENOSYS answers naming the problem, and the connection stays usable', async (t) => {
  const { path } = await setup(t);
  const s = createConnection(path);
  t.teardown(() => s.destroy());
  s.setEncoding('utf8');
  let got = '';
  s.on('data', (d: string) => { got += d; });
  s.write('not json\n');
  s.write(JSON.stringify({ v: 1, id: 5, method: 'format_disk' }) + '\n');
  s.write(JSON.stringify({ v: 1, id: 6, method: 'arp.set', params: { ip: '1.2.3.4', mac: 'nope' } }) + '\n');
  s.write(JSON.stringify({ v: 1, id: 7, method: 'hello' }) + '\n');
  await new Promise<void>((resolve) => { const check = (): void => { if (got.split('\n').length > 4) resolve(); else setTimeout(check, 5); }; check(); });
  const lines = got.trim().split('\n').map((l) => JSON.parse(l) as { id: number | null; ok: boolean; error?: { code: string; message: string } });
  const byId = new Map(lines.map((l) => [l.id, l]));
  t.is(byId.get(null)!.error!.code, 'EPROTO');
  t.is(byId.get(5)!.error!.code, 'ENOSYS');
  t.regex(byId.get(6)!.error!.message, /params\.mac/);
  t.true(byId.get(7)!.ok);
});

test('an overlong request line is refused and the connection closed', async (t) => {
  const { path } = await setup(t);
  const s = createConnection(path);
  s.setEncoding('utf8');
  let got = '';
  s.on('data', (d: string) => { got += d; });
  const closed = new Promise((r) => s.once('close', r));
  s.write('x'.repeat((1 << 20) + 10));
  await closed;
  t.regex(got, /EPROTO/);
});

test('prepareSocketPath: refuses a file that is not a socket and a live socket; replaces a stale one', async (t) => {
  const { dir, cleanup } = tmpDir();
  t.teardown(cleanup);
  const file = join(dir, 'plain');
  writeFileSync(file, 'keep me');
  t.is(((await t.throwsAsync(prepareSocketPath(file))) as DaemonError).code, 'EEXIST');
  t.true(existsSync(file));

  const live = join(dir, 'live.sock');
  const other = createServer();
  await new Promise<void>((r) => other.listen(live, r));
  t.is(((await t.throwsAsync(prepareSocketPath(live))) as DaemonError).code, 'EADDRINUSE');
  await new Promise<void>((r) => other.close(() => r()));

  // A socket file whose server is gone: a process listening there, killed with -9.
  const stale = join(dir, 'stale.sock');
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout.once('data', r));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.true(existsSync(stale), 'the killed process left its socket file');
  await prepareSocketPath(stale);
  t.false(existsSync(stale), 'the stale socket was removed');
  t.is(((await t.throwsAsync(prepareSocketPath(join(dir, 'x'.repeat(120))))) as DaemonError).code, 'EINVAL');
});

test('close(): requests in flight are answered, then the socket file is removed', async (t) => {
  const { dir, cleanup } = tmpDir();
  t.teardown(cleanup);
  const path = join(dir, 'ctl.sock');
  const h = handler();
  const server = await ControlServer.listen(path, h);
  const c = await ControlClient.connect(path);
  const slow = c.call('resolve', { ip: '10.0.0.2' });
  await new Promise((r) => setTimeout(r, 20)); // let the request reach the server
  const closing = server.close(5000);
  h.release();
  t.is((await slow).outcome, 'timeout');
  await closing;
  t.false(existsSync(path));
  c.close();
});

test('client: no daemon is one clear ERR_DAEMON line', async (t) => {
  const { dir, cleanup } = tmpDir();
  t.teardown(cleanup);
  const e = await t.throwsAsync(ControlClient.connect(join(dir, 'none.sock')));
  t.is((e as DaemonError).code, 'ERR_DAEMON');
  t.regex(e!.message, /^no arpemu daemon is running at .*none\.sock/);
  t.false(e!.message.includes('\n'));
});
