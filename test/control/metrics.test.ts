import test from 'ava';
import { get } from 'node:http';
import { parseListen } from '../../src/control/metrics.js';
import { ARPOP_REPLY } from '../../src/wire/arp.js';
import { arpFrame, ip, mac, startTestDaemon } from './helpers.js';

function fetchText(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

test('parseListen: HOST:PORT, [v6]:PORT, PORT alone on loopback; bad forms are usage errors', (t) => {
  t.deepEqual(parseListen('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
  t.deepEqual(parseListen('9464'), { host: '127.0.0.1', port: 9464 });
  t.deepEqual(parseListen(':9464'), { host: '127.0.0.1', port: 9464 });
  t.deepEqual(parseListen('[::1]:9464'), { host: '::1', port: 9464 });
  for (const bad of ['host', 'h:p', '1.2.3.4:99999', '']) {
    t.is((t.throws(() => parseListen(bad)) as { code?: string }).code, 'ERR_USAGE', bad);
  }
});

test('metrics: counters per CPU, table sizes, held packets, ACD states, apply latency, control requests', async (t) => {
  const d = await startTestDaemon({
    interfaces: [{ name: 'vemu0', addresses: ['10.0.0.1/24'], acd: true }],
  }, { extra: { metrics: { host: '127.0.0.1', port: 0 } } });
  t.teardown(() => d.stop());
  await d.capture.waitEvent('inet.addr_added', { addr: '10.0.0.1' });
  const link = d.links.get('vemu0')!;
  const reply = link.next((a) => a.op === ARPOP_REPLY);
  link.inject(arpFrame({ op: 'request', src: mac('02:00:00:00:00:02'), spa: ip('10.0.0.2'), tpa: ip('10.0.0.1') }));
  await reply;
  await d.daemon.request('arp.set', { ip: '10.0.0.9', mac: '02:00:00:00:00:09' });
  await d.daemon.request('resolve', { ip: '10.0.0.77', timeout: 0.2 });
  const port = d.daemon.metricsPort!;
  const m = await fetchText(port, '/metrics');
  t.is(m.status, 200);
  const line = (re: RegExp): string | undefined => m.body.split('\n').find((l) => re.test(l));
  t.regex(line(/^arpemu_arp_txreplies_total\{cpu="0"\}/) ?? '', / 1$/);
  t.regex(line(/^arpemu_arp_rxrequests_total\{cpu="0"\}/) ?? '', / 1$/);
  t.regex(line(/^arpemu_arp_entries\{cpu="0",kind="static"\}/) ?? '', / 2$/, 'the own address and 10.0.0.9');
  t.regex(line(/^arpemu_arp_entries\{cpu="0",kind="local"\}/) ?? '', / 1$/);
  t.regex(line(/^arpemu_arp_entries\{cpu="0",kind="incomplete"\}/) ?? '', / 1$/);
  t.truthy(line(/^arpemu_held_packets\{cpu="0"\} \d+$/));
  t.truthy(line(/^arpemu_routes\{cpu="0"\} \d+$/));
  const acd = m.body.split('\n').filter((l) => l.startsWith('arpemu_acd_addresses{iface="vemu0"'));
  t.is(acd.length, 8, 'one series per ACD state');
  t.is(acd.filter((l) => / 1$/.test(l)).length, 1);
  t.regex(acd.find((l) => / 1$/.test(l))!, /state="(bound|announcing)"/);
  t.regex(line(/^arpemu_apply_seconds_count\{op="set"\}/) ?? '', / 1$/);
  t.regex(line(/^arpemu_control_requests_total\{method="arp.set",outcome="ok"\}/) ?? '', / 1$/);
  t.regex(line(/^arpemu_link_rx_frames_total\{iface="vemu0"\}/) ?? '', / 1$/);
  t.truthy(line(/^arpemu_process_cpu_seconds_total/), 'process metrics');
  t.is((await fetchText(port, '/')).status, 404);
});
