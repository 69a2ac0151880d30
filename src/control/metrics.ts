/**
 * Prometheus metrics of the daemon (prom-client), served over HTTP at
 * /metrics on --metrics HOST:PORT (loopback by default). Values are read
 * from the emulator at scrape time (one snapshot per scrape):
 *  - arpemu_arp_<arpstat field>_total{cpu}: every arpstat counter of every CPU;
 *  - arpemu_arp_drops_total{cpu,reason}: input drops by reason;
 *  - arpemu_arp_entries{cpu,kind}: ARP table size (resolved, incomplete, static, published, local);
 *  - arpemu_routes{cpu}: route table size;
 *  - arpemu_held_packets{cpu}: packets waiting for resolution;
 *  - arpemu_acd_addresses{iface,state}: conflict-detection machines per state;
 *  - arpemu_link_{rx,tx}_frames_total, arpemu_link_rx_dropped_total, arpemu_link_tx_errors_total {iface};
 *  - arpemu_control_requests_total{method,outcome};
 *  - arpemu_apply_seconds{op}: histogram of the time from handing a
 *    replicated operation (address, static entry, sysctl, route) to the
 *    emulator until every CPU applied it (the update chain's round trip as
 *    the supervisor sees it);
 *  - the process metrics of prom-client (CPU, memory, event loop lag).
 * The chain latency of ARP updates caused by received frames is not
 * exposed by the Emulator interface, so it is not here.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ARPSTAT_FIELDS, type ArpStatValues } from '../arp/stats.js';
import type { LinkStats } from '../link/link.js';
import type { AcdState } from '../arp/acd.js';
import type { DaemonDump } from './protocol.js';
import { DaemonError } from './protocol.js';

export interface MetricsSource {
  stats(): Promise<ArpStatValues[]>;
  dump(): Promise<DaemonDump>;
  acdCounts(): { iface: string; counts: Record<AcdState, number> }[];
  links(): { iface: string; stats: LinkStats }[];
}

interface Snapshot { stats: ArpStatValues[]; dump: DaemonDump }

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'outcome'>;
  private readonly applyTime: Histogram<'op'>;
  private snap: Promise<Snapshot> | undefined;
  private snapAt = 0;

  constructor(private readonly source: MetricsSource, opts: { defaultMetrics?: boolean } = {}) {
    const r = this.registry;
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: r, prefix: 'arpemu_' });
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    for (const field of ARPSTAT_FIELDS) {
      new Counter({
        name: `arpemu_arp_${field}_total`, help: `arpstat ${field}, per CPU`, labelNames: ['cpu'], registers: [r],
        async collect() {
          const { stats } = await self.snapshot();
          this.reset();
          stats.forEach((s, cpu) => this.inc({ cpu: String(cpu) }, s[field]));
        },
      });
    }
    new Counter({
      name: 'arpemu_arp_drops_total', help: 'ARP input drops by reason, per CPU', labelNames: ['cpu', 'reason'], registers: [r],
      async collect() {
        const { stats } = await self.snapshot();
        this.reset();
        stats.forEach((s, cpu) => {
          for (const [reason, n] of Object.entries(s.drops)) this.inc({ cpu: String(cpu), reason }, n);
        });
      },
    });
    new Gauge({
      name: 'arpemu_arp_entries', help: 'ARP entries per CPU by kind', labelNames: ['cpu', 'kind'], registers: [r],
      async collect() {
        const { dump } = await self.snapshot();
        this.reset();
        for (const c of dump.cpus) {
          const k = { resolved: 0, incomplete: 0, static: 0, published: 0, local: 0 };
          for (const e of c.arp) {
            if (e.mac === null) k.incomplete++; else k.resolved++;
            if (e.flags.includes('static')) k.static++;
            if (e.flags.includes('pub')) k.published++;
            if (e.flags.includes('local')) k.local++;
          }
          for (const [kind, n] of Object.entries(k)) this.set({ cpu: String(c.cpu), kind }, n);
        }
      },
    });
    new Gauge({
      name: 'arpemu_routes', help: 'Route table entries per CPU', labelNames: ['cpu'], registers: [r],
      async collect() {
        const { dump } = await self.snapshot();
        this.reset();
        for (const c of dump.cpus) this.set({ cpu: String(c.cpu) }, c.routes.length);
      },
    });
    new Gauge({
      name: 'arpemu_held_packets', help: 'Packets held waiting for resolution, per CPU', labelNames: ['cpu'], registers: [r],
      async collect() {
        const { dump } = await self.snapshot();
        this.reset();
        for (const c of dump.cpus) this.set({ cpu: String(c.cpu) }, c.arp.reduce((n, e) => n + e.held, 0));
      },
    });
    new Gauge({
      name: 'arpemu_acd_addresses', help: 'Addresses under RFC 5227 conflict detection, by state', labelNames: ['iface', 'state'], registers: [r],
      collect() {
        this.reset();
        for (const { iface, counts } of self.source.acdCounts()) {
          for (const [state, n] of Object.entries(counts)) this.set({ iface, state }, n);
        }
      },
    });
    const linkCounter = (name: string, help: string, pick: (s: LinkStats) => number): void => {
      new Counter({
        name, help, labelNames: ['iface'], registers: [r],
        collect() {
          this.reset();
          for (const { iface, stats } of self.source.links()) this.inc({ iface }, pick(stats));
        },
      });
    };
    linkCounter('arpemu_link_rx_frames_total', 'Frames received from the interface', (s) => s.rxFrames);
    linkCounter('arpemu_link_tx_frames_total', 'Frames sent on the interface', (s) => s.txFrames);
    linkCounter('arpemu_link_rx_dropped_total', 'Frames the capture dropped', (s) => s.rxDropped);
    linkCounter('arpemu_link_tx_errors_total', 'Frames the interface refused to send', (s) => s.txErrors);
    this.requests = new Counter({
      name: 'arpemu_control_requests_total', help: 'Control requests by method and outcome (ok or error code)',
      labelNames: ['method', 'outcome'], registers: [r],
    });
    this.applyTime = new Histogram({
      name: 'arpemu_apply_seconds', help: 'Time from handing a replicated operation to the emulator until every CPU applied it',
      labelNames: ['op'], registers: [r],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    });
  }

  /** One replicated operation's time to be applied on every CPU. */
  observeApply(op: string, seconds: number): void {
    this.applyTime.observe({ op }, seconds);
  }

  /** Count one control request. */
  request(method: string, outcome: string): void {
    this.requests.inc({ method, outcome });
  }

  /** The exposition text. */
  text(): Promise<string> { return this.registry.metrics(); }

  private snapshot(): Promise<Snapshot> {
    const now = Date.now();
    if (this.snap === undefined || now - this.snapAt > 200) {
      this.snapAt = now;
      this.snap = Promise.all([this.source.stats(), this.source.dump()]).then(([stats, dump]) => ({ stats, dump }));
    }
    return this.snap;
  }
}

/** Parse HOST:PORT (IPv6 as [addr]:port); PORT alone means loopback. */
export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v) ?? /^()()(\d{1,5})$/.exec(v);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 0 && port <= 65535)) throw new DaemonError('ERR_USAGE', `--metrics must be HOST:PORT or PORT, got ${JSON.stringify(v)}`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '127.0.0.1' : host, port };
}

/** Serve `metrics` at http://HOST:PORT/metrics. */
export async function serveMetrics(metrics: DaemonMetrics, host: string, port: number): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    metrics.text().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new DaemonError('EADDRINUSE', `--metrics ${host}:${port}: ${e.message}`)));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
  return {
    server, port: bound,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
