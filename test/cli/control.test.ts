/**
 * The control commands (arp, ifconfig, sysctl, netstat, resolve, cpus):
 * argument parsing in-process, and the real CLI against a daemon running
 * in this process on in-memory links (no root needed).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArpArgs, parseArpFile } from '../../src/cli/arp.js';
import { parseIfconfigArgs } from '../../src/cli/ifconfig.js';
import { parseSysctlArgs } from '../../src/cli/sysctl.js';
import { checkNetstatArgs } from '../../src/cli/netstat.js';
import { startTestDaemon, tmpDir } from '../control/helpers.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface Run { code: number; stdout: string; stderr: string }

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

function usageMessage(fn: () => unknown): string {
  try { fn(); return ''; } catch (e) { t2(e); return (e as Error).message; }
}
function t2(e: unknown): void {
  if ((e as { code?: string }).code !== 'ERR_USAGE') throw e;
}

// ---- parsing ----

test('arp: the BSD forms parse; bad arguments are named', (t) => {
  t.deepEqual(parseArpArgs({ a: true, n: true }, []), { kind: 'list', json: false });
  t.deepEqual(parseArpArgs({ a: true, json: true }, []), { kind: 'list', json: true });
  t.deepEqual(parseArpArgs({ d: true, a: true }, []), { kind: 'flush' });
  t.deepEqual(parseArpArgs({ d: true }, ['10.0.0.2']), { kind: 'delete', ip: '10.0.0.2' });
  t.deepEqual(parseArpArgs({}, ['10.0.0.2']), { kind: 'show', ip: '10.0.0.2' });
  t.deepEqual(parseArpArgs({ s: true }, ['10.0.0.9', '02:00:00:00:00:09', 'temp', 'pub']),
    { kind: 'set', entry: { ip: '10.0.0.9', mac: '02:00:00:00:00:09', temp: true, pub: true } });
  t.deepEqual(parseArpArgs({ s: true, i: 'vemu0' }, ['10.0.0.9', '02:00:00:00:00:09', 'pub', 'only']),
    { kind: 'set', entry: { ip: '10.0.0.9', mac: '02:00:00:00:00:09', pub: true, only: true, iface: 'vemu0' } });
  t.deepEqual(parseArpArgs({ f: 'x.txt' }, []), { kind: 'file', path: 'x.txt' });
  t.regex(usageMessage(() => parseArpArgs({ s: true }, ['10.0.0.300', '02:00:00:00:00:09'])), /-s IP: "10\.0\.0\.300"/);
  t.regex(usageMessage(() => parseArpArgs({ s: true }, ['10.0.0.3', '02:00:00:00:00'])), /-s MAC: "02:00:00:00:00"/);
  t.regex(usageMessage(() => parseArpArgs({ s: true }, ['10.0.0.3'])), /-s MAC: missing/);
  t.regex(usageMessage(() => parseArpArgs({ s: true }, ['10.0.0.3', '02:00:00:00:00:09', 'perm'])), /unknown word "perm"/);
  t.regex(usageMessage(() => parseArpArgs({ s: true }, ['10.0.0.3', '02:00:00:00:00:09', 'only'])), /'only' must follow 'pub'/);
  t.regex(usageMessage(() => parseArpArgs({ s: true, d: true }, [])), /-s and -d cannot be combined/);
  t.regex(usageMessage(() => parseArpArgs({ d: true }, [])), /-d: missing IPv4 address/);
  t.regex(usageMessage(() => parseArpArgs({ d: true, a: true }, ['10.0.0.1'])), /-d -a takes no address/);
  t.regex(usageMessage(() => parseArpArgs({}, [])), /nothing to do/);
  t.regex(usageMessage(() => parseArpArgs({}, ['-x'])), /unknown option -x/);
  t.regex(usageMessage(() => parseArpFile('10.0.0.1 02:00:00:00:00:01\n# c\n\n10.0.0.2 xx\n', 'f.txt')), /^f\.txt:4 MAC: "xx"/);
  t.deepEqual(parseArpFile('10.0.0.1 02:00:00:00:00:01 pub # proxy\n', 'f'), [{ ip: '10.0.0.1', mac: '02:00:00:00:00:01', pub: true }]);
});

test('ifconfig: FreeBSD word forms parse; bad words are named', (t) => {
  t.deepEqual(parseIfconfigArgs([], 15), { kind: 'show', iface: undefined });
  t.deepEqual(parseIfconfigArgs(['vemu0'], 15), { kind: 'show', iface: 'vemu0' });
  t.deepEqual(parseIfconfigArgs(['vemu0', 'inet', '10.0.0.7/24', 'alias'], 15),
    { kind: 'set', params: { iface: 'vemu0', addr: '10.0.0.7', action: 'alias', plen: 24, wait: 15 } });
  t.deepEqual(parseIfconfigArgs(['vemu0', 'inet', '10.0.0.7', 'netmask', '255.255.0.0'], 0),
    { kind: 'set', params: { iface: 'vemu0', addr: '10.0.0.7', action: 'set', plen: 16, wait: 0 } });
  t.deepEqual(parseIfconfigArgs(['vemu0', 'inet', '10.0.0.7', 'netmask', '0xffffff00', 'alias'], 1).kind, 'set');
  t.deepEqual(parseIfconfigArgs(['vemu0', 'inet', '10.0.0.7', '-alias'], 15),
    { kind: 'set', params: { iface: 'vemu0', addr: '10.0.0.7', action: 'delete' } });
  t.deepEqual(parseIfconfigArgs(['vemu0', 'inet', '10.0.0.7', 'delete'], 15).kind, 'set');
  t.regex(usageMessage(() => parseIfconfigArgs(['vemu0', 'inet6', '::1'], 1)), /"inet6": only the inet family/);
  t.regex(usageMessage(() => parseIfconfigArgs(['vemu0', 'inet', '10.0.0.7/33'], 1)), /inet "10\.0\.0\.7\/33"/);
  t.regex(usageMessage(() => parseIfconfigArgs(['vemu0', 'inet'], 1)), /inet: missing address/);
  t.regex(usageMessage(() => parseIfconfigArgs(['vemu0', 'inet', '10.0.0.7', 'netmask', '255.0.255.0'], 1)), /netmask "255\.0\.255\.0" is not a contiguous mask/);
  t.regex(usageMessage(() => parseIfconfigArgs(['vemu0', 'inet', '10.0.0.7/24', 'netmask', '255.255.0.0'], 1)), /contradicts \/24/);
  t.regex(usageMessage(() => parseIfconfigArgs(['vemu0', 'inet', '10.0.0.7', 'up'], 1)), /unknown word "up"/);
  t.regex(usageMessage(() => parseIfconfigArgs(['bad/name'], 1)), /interface "bad\/name"/);
});

test('arp -i and --json: the interface name is checked, -i scopes -a and IP, and neither goes where it means nothing', (t) => {
  t.deepEqual(parseArpArgs({ a: true, i: 'vemu0' }, []), { kind: 'list', json: false, iface: 'vemu0' });
  t.deepEqual(parseArpArgs({ i: 'vemu0' }, ['10.0.0.2']), { kind: 'show', ip: '10.0.0.2', iface: 'vemu0' });
  t.regex(usageMessage(() => parseArpArgs({ a: true, i: 'bad name!' }, [])), /^-i "bad name!" is not an interface name$/);
  t.regex(usageMessage(() => parseArpArgs({ s: true, i: 'x/y' }, ['10.0.0.9', '02:00:00:00:00:09'])), /^-i "x\/y"/);
  t.regex(usageMessage(() => parseArpArgs({ d: true, i: 'vemu0' }, ['10.0.0.2'])), /-i goes with .* not with -d/);
  t.regex(usageMessage(() => parseArpArgs({ d: true, a: true, i: 'vemu0' }, [])), /not with -d/);
  t.regex(usageMessage(() => parseArpArgs({ json: true }, ['10.0.0.2'])), /--json goes with -a only/);
  t.regex(usageMessage(() => parseArpArgs({ s: true, json: true }, ['10.0.0.9', '02:00:00:00:00:09'])), /--json goes with -a only/);
  t.regex(usageMessage(() => parseArpArgs({ d: true, a: true, json: true }, [])), /--json goes with -a only/);
});

test('sysctl and netstat: argument checks name the bad one', (t) => {
  t.deepEqual(parseSysctlArgs(['net.link.ether.inet.max_age', 'net.link.ether.inet.proxyall=1'], false), [
    { kind: 'get', name: 'net.link.ether.inet.max_age' }, { kind: 'set', name: 'net.link.ether.inet.proxyall', value: '1' },
  ]);
  t.deepEqual(parseSysctlArgs([], true), []);
  t.regex(usageMessage(() => parseSysctlArgs([], false)), /give NAME/);
  t.regex(usageMessage(() => parseSysctlArgs(['a.b'], true)), /-a takes no names/);
  t.regex(usageMessage(() => parseSysctlArgs(['Net..x'], false)), /"Net\.\.x" is not a sysctl name/);
  t.regex(usageMessage(() => parseSysctlArgs(['net.x='], false)), /net\.x=: missing value/);
  t.notThrows(() => checkNetstatArgs({ s: true }, []));
  t.regex(usageMessage(() => checkNetstatArgs({}, [])), /only -s/);
  t.regex(usageMessage(() => checkNetstatArgs({ s: true, p: 'tcp' }, [])), /-p tcp/);
});

// ---- the real CLI ----

test('CLI: bad usage exits 2 with one line naming the argument; no daemon exits 1 with one line', async (t) => {
  const { dir, cleanup } = tmpDir();
  t.teardown(cleanup);
  const env = { ARPEMU_SOCKET: join(dir, 'none.sock') };
  const cases: [string[], RegExp][] = [
    [['arp', '-s', '10.0.0.300', '02:00:00:00:00:01'], /-s IP: "10\.0\.0\.300"/],
    [['ifconfig', 'vemu0', 'inet', '10.0.0.1/40'], /inet "10\.0\.0\.1\/40"/],
    [['sysctl', 'Bad Name'], /"Bad Name"/],
    [['resolve', '10.0.0'], /IP "10\.0\.0"/],
    [['resolve', '10.0.0.1', '--timeout', 'x'], /--timeout/],
    [['netstat', '-x'], /unknown option '-x'/],
    [['cpus', '--bogus'], /unknown option '--bogus'/],
    [['daemon'], /--config/],
    [['daemon', '--config', 'x.json', '--cpus', '0'], /--cpus/],
    [['daemon', '--config', 'x.json', '--metrics', 'host:port'], /--metrics/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(args, env);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, re, args.join(' '));
    t.is(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line`);
  }
  for (const args of [['arp', '-a'], ['ifconfig'], ['sysctl', '-a'], ['netstat', '-s'], ['resolve', '10.0.0.1'], ['cpus', '--diff']]) {
    const r = await cli(args, env);
    t.is(r.code, 1, args.join(' '));
    t.regex(r.stderr, /^arpemu \w+: no arpemu daemon is running at .*none\.sock/, args.join(' '));
    t.is(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line, no stack trace`);
  }
  // commander's own errors come out as our one line too, suggestion included.
  for (const [args, line] of [
    [['cpus', '--dif'], "arpemu cpus: unknown option '--dif' (Did you mean --diff?)"],
    [['resolve'], "arpemu resolve: missing required argument 'ip'"],
    [['arp', '-f'], "arpemu arp: option '-f <file>' argument missing"],
    [['bogus'], "arpemu: unknown command 'bogus'"],
    [['cpus', '--socket', ''], 'arpemu cpus: --socket: empty path'],
  ] as const) {
    const r = await cli([...args], env);
    t.is(r.code, 2, args.join(' '));
    t.is(r.stderr, `${line}\n`, args.join(' '));
  }
  const emptyEnv = await cli(['cpus'], { ARPEMU_SOCKET: '' });
  // (A daemon of this machine may really be at the default socket: then the command just works.)
  t.true(emptyEnv.code === 0 || /^arpemu cpus: no arpemu daemon is running at \/run\/arpemu\.sock /.test(emptyEnv.stderr), `an empty ARPEMU_SOCKET counts as unset: ${emptyEnv.stderr}`);
  const missing = await cli(['daemon', '--config', join(dir, 'absent.json'), '--socket', join(dir, 's.sock')]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^arpemu daemon: config: .*absent\.json: no such file\n$/);
});

test('CLI against a daemon: arp, ifconfig, sysctl, netstat, cpus, resolve', async (t) => {
  const d = await startTestDaemon({
    interfaces: [{ name: 'vemu0', addresses: ['10.0.0.1/24'], acd: false }],
    arp: [{ ip: '10.0.0.50', mac: '02:00:00:00:00:50', pub: true }],
  });
  t.teardown(() => d.stop());
  const env = { ARPEMU_SOCKET: d.socket };
  const ok = async (args: string[]): Promise<string> => {
    const r = await cli(args, env);
    t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  t.is(await ok(['arp', '-s', '10.0.0.9', '02:00:00:00:00:09']), '');
  t.is(await ok(['arp', '-a']),
    '? (10.0.0.1) at 02:00:00:00:01:01 on vemu0 permanent [ethernet]\n' +
    '? (10.0.0.9) at 02:00:00:00:00:09 on vemu0 permanent [ethernet]\n' +
    '? (10.0.0.50) at 02:00:00:00:00:50 on vemu0 permanent published [ethernet]\n');
  const dump = JSON.parse(await ok(['arp', '-a', '--json'])) as { interfaces: unknown[]; cpus: { arp: unknown[] }[]; stats: Record<string, unknown> };
  t.is(dump.cpus[0]!.arp.length, 3);
  t.truthy(dump.stats['txrequests'] !== undefined);
  t.is(await ok(['arp', '10.0.0.9']), '? (10.0.0.9) at 02:00:00:00:00:09 on vemu0 permanent [ethernet]\n');
  t.is(await ok(['arp', '-a', '-i', 'vemu0']), await ok(['arp', '-a']), 'every entry is on vemu0');
  t.is(await ok(['arp', '10.0.0.9', '-i', 'vemu0']), '? (10.0.0.9) at 02:00:00:00:00:09 on vemu0 permanent [ethernet]\n');
  t.is(JSON.parse(await ok(['arp', '-a', '-i', 'vemu0', '--json'])).cpus[0].arp.length, 3);
  const noIface = await cli(['arp', '-a', '-i', 'vemu9'], env);
  t.is(noIface.code, 1);
  t.is(noIface.stderr, 'arpemu arp: -i vemu9: no such interface (configured: vemu0)\n');
  t.is(await ok(['arp', '-d', '10.0.0.9']), '10.0.0.9 (10.0.0.9) deleted\n');
  const gone = await cli(['arp', '10.0.0.9'], env);
  t.is(gone.code, 1);
  t.regex(gone.stderr, /10\.0\.0\.9 \(10\.0\.0\.9\) -- no entry/);
  const del = await cli(['arp', '-d', '10.0.0.9'], env);
  t.is(del.code, 1);
  t.regex(del.stderr, /^arpemu arp: ESRCH: /);

  const file = join(d.dir, 'entries.txt');
  writeFileSync(file, '# static entries\n10.0.0.21 02:00:00:00:00:21\n10.0.0.22 02:00:00:00:00:22 pub\n');
  t.is(await ok(['arp', '-f', file]), '');
  t.regex(await ok(['arp', '-a']), /10\.0\.0\.22\) at 02:00:00:00:00:22 on vemu0 permanent published/);

  t.is(await ok(['ifconfig', 'vemu0', 'inet', '10.0.7.1/24', 'alias']), '');
  t.is(await ok(['ifconfig', 'vemu0']),
    'vemu0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n' +
    '\tether 02:00:00:00:01:01\n' +
    '\tinet 10.0.0.1 netmask 0xffffff00 broadcast 10.0.0.255\n' +
    '\tinet 10.0.7.1 netmask 0xffffff00 broadcast 10.0.7.255\n');
  t.is(await ok(['ifconfig', 'vemu0', 'inet', '10.0.7.1', '-alias']), '');
  t.notRegex(await ok(['ifconfig']), /10\.0\.7\.1/);
  const noIf = await cli(['ifconfig', 'vemu7', 'inet', '10.0.8.1/24', 'alias'], env);
  t.is(noIf.code, 1);
  t.regex(noIf.stderr, /vemu7: no such interface/);

  t.is(await ok(['sysctl', 'net.link.ether.inet.max_age=600']), 'net.link.ether.inet.max_age: 1200 -> 600\n');
  t.is(await ok(['sysctl', '-n', 'net.link.ether.inet.max_age']), '600\n');
  t.is(await ok(['sysctl', '-d', 'net.link.ether.inet.max_age']), 'net.link.ether.inet.max_age: Lifetime of a resolved dynamic ARP entry (seconds)\n');
  t.is(await ok(['sysctl', '-n', '-d', 'net.link.ether.inet.max_age']), 'Lifetime of a resolved dynamic ARP entry (seconds)\n', '-nd: the description alone, as FreeBSD');
  t.regex(await ok(['sysctl', '-a']), /^net\.inet\.ip\.no_same_prefix: 0\n(.*\n)*net\.link\.ether\.inet\.max_age: 600\n/);
  const badKnob = await cli(['sysctl', 'net.link.ether.inet.max_age=-5'], env);
  t.is(badKnob.code, 1);
  t.regex(badKnob.stderr, /EINVAL: sysctl net\.link\.ether\.inet\.max_age/);

  t.regex(await ok(['netstat', '-s']), /^arp:\n\t\d+ ARP requests sent \(txrequests\)\n/);
  t.regex(await ok(['netstat', '-s', '--per-cpu']), /^counter\s+total\s+cpu0\n/);
  t.is(await ok(['cpus', '--diff']), '');
  t.regex(await ok(['cpus']), /^cpu\s+arp\s+incomplete/);

  const unreach = await cli(['resolve', '192.168.9.9', '--timeout', '1'], env);
  t.is(unreach.code, 1);
  t.regex(unreach.stderr, /^arpemu resolve: 192\.168\.9\.9: host is unreachable/);
  t.is(await ok(['resolve', '10.0.0.1']), '10.0.0.1 is a local address\n');
});
