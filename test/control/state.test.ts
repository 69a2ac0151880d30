import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/config.js';
import {
  StateStore, arpKey, checkState, desiredState, emptyState, loadState, saveState, setAddress, setArp, setSysctl,
  type AdminState,
} from '../../src/control/state.js';
import { ip, mac, tmpDir } from './helpers.js';

const CONFIG = parseConfig({
  interfaces: [{ name: 'vemu0', addresses: ['10.0.0.1/24', '10.0.0.2/24'] }],
  arp: [{ ip: '10.0.0.9', mac: '02:00:00:00:00:09' }, { ip: '10.0.0.60', mac: '02:00:00:00:00:60', temp: true }],
  sysctl: { 'net.link.ether.inet.max_age': 600 },
}, { macOptional: true });

test('desiredState: no overrides is the config (temp entries expire max_age from now)', (t) => {
  const d = desiredState(CONFIG, emptyState(), 1000);
  t.deepEqual(d.addresses.get('vemu0')!.map((a) => a.addr), [ip('10.0.0.1'), ip('10.0.0.2')]);
  t.deepEqual([...d.arp.keys()], ['10.0.0.9', '10.0.0.60']);
  t.is(d.arp.get('10.0.0.9')!.expiresAt, null);
  t.is(d.arp.get('10.0.0.60')!.expiresAt, 1600);
  t.is(d.sysctl.get('net.link.ether.inet.max_age'), 600);
});

test('desiredState: overrides win for their key only; order of added addresses kept', (t) => {
  const s = emptyState();
  setAddress(s, { iface: 'vemu0', addr: '10.0.0.1', plen: null, present: false }, true);
  setAddress(s, { iface: 'vemu0', addr: '10.0.0.7', plen: 24, present: true }, false);
  setAddress(s, { iface: 'vemu0', addr: '10.0.0.2', plen: 16, present: true }, true);
  setAddress(s, { iface: 'gone0', addr: '10.9.9.9', plen: 24, present: true }, false);
  setArp(s, { ip: '10.0.0.9', only: false, present: false }, true);
  setArp(s, { ip: '10.0.0.50', only: true, present: true, mac: '02:00:00:00:00:50', pub: true, expiresAt: null, iface: null }, false);
  setArp(s, { ip: '10.0.0.70', only: false, present: true, mac: '02:00:00:00:00:70', pub: false, expiresAt: 1500, iface: null }, false);
  setArp(s, { ip: '10.0.0.71', only: false, present: true, mac: '02:00:00:00:00:71', pub: false, expiresAt: 900, iface: null }, false);
  setSysctl(s, 'net.link.ether.inet.max_age', 300);
  const d = desiredState(CONFIG, s, 1000);
  t.deepEqual(d.addresses.get('vemu0')!.map((a) => [a.addr, a.plen]), [[ip('10.0.0.2'), 16], [ip('10.0.0.7'), 24]]);
  t.false(d.addresses.has('gone0'), 'an interface the config no longer has is ignored');
  t.false(d.arp.has('10.0.0.9'), 'tombstone removes the config entry');
  t.deepEqual(d.arp.get(arpKey(ip('10.0.0.50'), true)), { ip: ip('10.0.0.50'), mac: mac('02:00:00:00:00:50'), pub: true, only: true, expiresAt: null, iface: null });
  t.is(d.arp.get('10.0.0.70')!.expiresAt, 1500);
  t.false(d.arp.has('10.0.0.71'), 'a temp entry whose time passed is gone');
  t.is(d.sysctl.get('net.link.ether.inet.max_age'), 300);
  t.is(d.arp.get('10.0.0.60')!.expiresAt, 1300, 'config temp entries use the effective max_age');
});

test('removing a key the config does not have drops the override (no tombstone)', (t) => {
  const s = emptyState();
  setAddress(s, { iface: 'vemu0', addr: '10.0.0.7', plen: 24, present: true }, false);
  setAddress(s, { iface: 'vemu0', addr: '10.0.0.7', plen: null, present: false }, false);
  setArp(s, { ip: '10.0.0.50', only: false, present: true, mac: '02:00:00:00:00:50', pub: false, expiresAt: null, iface: null }, false);
  setArp(s, { ip: '10.0.0.50', only: false, present: false }, false);
  t.deepEqual(s.addresses, []);
  t.deepEqual(s.arp, []);
  setArp(s, { ip: '10.0.0.9', only: false, present: false, mac: 'x' }, true);
  t.deepEqual(s.arp, [{ ip: '10.0.0.9', only: false, present: false }], 'a tombstone keeps no value fields');
});

test('saveState/loadState: round trip; missing file is empty; mode 0600', (t) => {
  const { dir, cleanup } = tmpDir();
  t.teardown(cleanup);
  const path = join(dir, 'state.json');
  t.deepEqual(loadState(path), emptyState());
  const s: AdminState = emptyState();
  setSysctl(s, 'net.link.ether.inet.proxyall', 1);
  setAddress(s, { iface: 'vemu0', addr: '10.0.0.7', plen: 24, present: true }, false);
  saveState(path, s);
  t.deepEqual(loadState(path), s);
  t.is(statSync(path).mode & 0o777, 0o600);
  t.deepEqual(readdirSync(dir), ['state.json'], 'no temporary file left');
});

test('saveState: a crash between write and rename leaves the previous state intact; the leftover is removed at load', (t) => {
  const { dir, cleanup } = tmpDir();
  t.teardown(cleanup);
  const path = join(dir, 'state.json');
  const before = emptyState();
  setSysctl(before, 'net.link.ether.inet.max_age', 100);
  saveState(path, before);
  const after = emptyState();
  setSysctl(after, 'net.link.ether.inet.max_age', 200);
  let tmpSeen = '';
  const err = t.throws(() => saveState(path, after, {
    beforeRename: (tmp) => {
      tmpSeen = tmp;
      t.deepEqual(JSON.parse(readFileSync(tmp, 'utf8')), after, 'the new state is complete in the temporary file');
      throw new Error('simulated crash');
    },
  }));
  t.is((err as { code?: string }).code, 'ERR_STATE');
  t.deepEqual(loadState(path), before);
  t.false(existsSync(tmpSeen), 'the failed writer removed its temporary file');
  // A writer killed outright leaves its temporary file behind, possibly torn.
  writeFileSync(join(dir, '.state.json.tmp-99999-abc'), '{"version":1,"addr');
  t.deepEqual(loadState(path), before);
  t.deepEqual(readdirSync(dir), ['state.json']);
});

test('StateStore.commit: a failed write changes nothing in memory', (t) => {
  const { dir, cleanup } = tmpDir();
  t.teardown(cleanup);
  const path = join(dir, 'state.json');
  let fail = false;
  const store = new StateStore(path, emptyState(), { beforeRename: () => { if (fail) throw new Error('disk full'); } });
  store.commit((s) => setSysctl(s, 'a.b', 1));
  fail = true;
  t.throws(() => store.commit((s) => setSysctl(s, 'a.b', 2)));
  t.is(store.state.sysctl['a.b'], 1);
  t.is(loadState(path).sysctl['a.b'], 1);
});

test('checkState names the bad field; a state file that is not JSON refuses to load', (t) => {
  const bad = (v: unknown): string => { try { checkState(v, 'S'); return ''; } catch (e) { return (e as Error).message; } };
  t.regex(bad({ version: 2 }), /version: must be 1/);
  t.regex(bad({ version: 1, addresses: [{ iface: 'e0', addr: '1.2.3', plen: 1, present: true }], arp: [], sysctl: {} }), /addresses\[0\]\.addr/);
  t.regex(bad({ version: 1, addresses: [], arp: [{ ip: '1.2.3.4', only: false, present: true, mac: 'q', pub: false, expiresAt: null, iface: null }], sysctl: {} }), /arp\[0\]\.mac/);
  t.regex(bad({ version: 1, addresses: [], arp: [], sysctl: { x: [] } }), /sysctl\.x/);
  const { dir, cleanup } = tmpDir();
  t.teardown(cleanup);
  const path = join(dir, 'state.json');
  writeFileSync(path, '{"version":1,');
  t.throws(() => loadState(path), { message: /not JSON/ });
});

const WRITER = fileURLToPath(new URL('./state-writer.js', import.meta.url));

test('saveState under kill -9: the file is always a complete state, at least as new as the last acknowledged one', async (t) => {
  for (let round = 0; round < 5; round++) {
    const { dir, cleanup } = tmpDir();
    const path = join(dir, 'state.json');
    const child = spawn(process.execPath, [WRITER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = -1;
    let buf = '';
    await new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        buf += d;
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) if (l.startsWith('ack ')) acked = Number(l.slice(4));
        // Kill at a different point in each round.
        if (acked >= 20 + round * 37) { child.kill('SIGKILL'); resolve(); }
      });
    });
    await new Promise((r) => child.once('exit', r));
    const s = loadState(path);
    const n = Number(s.sysctl['counter']);
    t.true(n >= acked, `round ${round}: state ${n} is not older than the last ack ${acked}`);
    t.is(s.addresses.length, n % 7, 'the file is one consistent version');
    cleanup();
  }
});
