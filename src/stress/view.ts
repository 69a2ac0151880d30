/**
 * The live view of `arpemu stress`, in the manner of src/sim/view.ts: on a
 * terminal one block redrawn in place (progress, ops/s, frames, datagrams,
 * kills, checkpoints, violations, table sizes, memory, the last op);
 * elsewhere one plain line every tenth of the run.
 */
import { LiveBlock, fmtInt as n, progressBar, type ViewOutput } from '../sim/view.js';
import type { StressProgress } from './runner.js';

const mb = (x: number): string => `${(x / 1048576).toFixed(1)} MB`;

export class StressView {
  private readonly out: ViewOutput;
  /** The terminal block; undefined: plain lines. */
  private readonly block: LiveBlock | undefined;
  private nextPlain = 1;
  private closed = false;
  private shrinkLine = '';

  constructor(private readonly opts: { out: ViewOutput; title: string; tty?: boolean; plainLines?: number }) {
    this.out = opts.out;
    this.block = (opts.tty ?? opts.out.isTTY === true) ? new LiveBlock(opts.out) : undefined;
  }

  get isTty(): boolean { return this.block !== undefined; }

  update(p: StressProgress): void {
    if (this.closed) return;
    if (this.block !== undefined) this.block.draw(this.lines(p)); else this.plain(p);
  }

  /** Shrinking progress (after the run). */
  shrinking(ops: number, tests: number): void {
    if (this.closed) return;
    this.shrinkLine = `shrinking: ${ops} ops after ${tests} runs`;
    if (this.block !== undefined) {
      this.block.replaceLast(this.shrinkLine);
    } else if (tests % 25 === 1) {
      this.out.write(`${this.shrinkLine}\n`);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.block?.close();
  }

  private lines(p: StressProgress): string[] {
    const entries = p.entries.length === 0 ? '-' : p.entries.length <= 8 ? p.entries.join(' ') : `${p.entries[0]} ... ${p.entries[p.entries.length - 1]} (${p.entries.length} CPUs)`;
    return [
      this.opts.title,
      `${progressBar(p.total > 0 ? p.ops / p.total : 0)} op ${n(p.ops)}${p.total > 0 ? `/${n(p.total)}` : ''}  t ${p.t.toFixed(1)} s virtual  ${p.wallSeconds.toFixed(1)} s wall  ${n(p.opsPerSecond)} ops/s`,
      `frames in ${n(p.rx)} out ${n(p.tx)}   datagrams ${n(p.outputs)} sent ${n(p.sent)} held ${n(p.held)}   cpu kills ${n(p.kills)}`,
      `checkpoints ${n(p.checks)}   violations ${p.violations === 0 ? '0' : `${p.violations} (stopping)`}   arp entries ${entries}`,
      `memory rss ${mb(p.rss)} heap ${mb(p.heapUsed)}`,
      `last ${p.last}`,
    ];
  }

  private plain(p: StressProgress): void {
    const lines = Math.max(1, this.opts.plainLines ?? 10);
    const frac = p.total > 0 ? p.ops / p.total : 0;
    const due = p.done || (p.total > 0 && frac >= this.nextPlain / lines) || (p.total === 0 && p.wallSeconds >= this.nextPlain * 10);
    if (!due) return;
    while (p.total > 0 ? this.nextPlain / lines <= frac : this.nextPlain * 10 <= p.wallSeconds) this.nextPlain++;
    this.out.write(`[op ${p.ops}${p.total > 0 ? `/${p.total}` : ''}, t ${p.t.toFixed(1)} s] ${Math.round(p.opsPerSecond)} ops/s frames ${p.rx}/${p.tx} datagrams ${p.outputs} kills ${p.kills} checks ${p.checks} violations ${p.violations} rss ${mb(p.rss)} heap ${mb(p.heapUsed)}\n`);
  }
}
