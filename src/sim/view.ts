/**
 * The live progress view of `arpemu run` (and of the stress runs that reuse
 * the runner). On a terminal it redraws one block in place with ANSI
 * escapes: a progress bar, frame rates, resolutions, held packets, table
 * sizes per CPU, chain latency when the emulator reports it, and the
 * latest notable events as they happen. Elsewhere (CI logs, pipes) it
 * degrades to one plain line every tenth of the run's virtual time.
 */
import type { Progress } from './runner.js';
import type { Notice } from './metrics.js';

/** Where the view writes (process.stdout or stderr, or a test double). */
export interface ViewOutput {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ViewOptions {
  out: ViewOutput;
  /** First line of the live block. */
  title: string;
  /** Force the mode; default: the output's isTTY. */
  tty?: boolean;
  /** Notable events kept on screen. Default 8. */
  recent?: number;
  /** Plain mode: lines per run (one each 1/n of the virtual time). Default 10. */
  plainLines?: number;
}

const CSI = '\x1b[';
const BAR = 24;

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `[####....]`, `frac` of the way (clamped to 0..1). */
export function progressBar(frac: number): string {
  const f = Math.max(0, Math.min(1, frac));
  const full = Math.round(f * BAR);
  return '[' + '#'.repeat(full) + '.'.repeat(BAR - full) + ']';
}

/**
 * A block of lines a terminal view redraws in place (ANSI: move up over the
 * last drawing, rewrite each line, erase below), every line cut to the
 * terminal's width; the cursor is hidden while the block is live. Shared by
 * the views of `arpemu run` and `arpemu stress`.
 */
export class LiveBlock {
  private drawn = 0;

  constructor(private readonly out: ViewOutput) {
    out.write(`${CSI}?25l`);
  }

  draw(lines: readonly string[]): void {
    const width = Math.max(40, (this.out.columns ?? 100) - 1);
    const cut = (s: string): string => (s.length > width ? s.slice(0, width - 1) + '…' : s);
    let s = this.drawn > 0 ? `${CSI}${this.drawn}F` : '';
    s += lines.map((l) => `${cut(l)}${CSI}K\n`).join('') + `${CSI}J`;
    this.out.write(s);
    this.drawn = lines.length;
  }

  /** Rewrite the block's last line only (or start the block with it). */
  replaceLast(line: string): void {
    this.out.write(`${this.drawn > 0 ? `${CSI}1F` : ''}${line}${CSI}K\n`);
    if (this.drawn === 0) this.drawn = 1;
  }

  /** Remove the block and show the cursor again. */
  close(): void {
    this.out.write((this.drawn > 0 ? `${CSI}${this.drawn}F${CSI}J` : '') + `${CSI}?25h`);
    this.drawn = 0;
  }
}

function tables(p: Progress): string {
  if (p.tables.length === 0) return '(first sample pending)';
  const list = p.tables.length <= 8
    ? p.tables.map((n, i) => `cpu${i} ${n}`).join('  ')
    : `cpu0 ${p.tables[0]}  ...  cpu${p.tables.length - 1} ${p.tables[p.tables.length - 1]} (${p.tables.length} CPUs)`;
  return `${list}  ${p.agree ? '(replicas agree)' : '(REPLICAS DIFFER)'}`;
}

export class ProgressView {
  private readonly out: ViewOutput;
  /** The terminal block; undefined: plain lines. */
  private readonly block: LiveBlock | undefined;
  private readonly title: string;
  private readonly keep: number;
  private readonly plainLines: number;
  private readonly recent: Notice[] = [];
  private nextPlain = 1;
  private closed = false;

  constructor(opts: ViewOptions) {
    this.out = opts.out;
    this.block = (opts.tty ?? opts.out.isTTY === true) ? new LiveBlock(opts.out) : undefined;
    this.title = opts.title;
    this.keep = opts.recent ?? 8;
    this.plainLines = Math.max(1, opts.plainLines ?? 10);
  }

  get isTty(): boolean { return this.block !== undefined; }

  update(p: Progress): void {
    if (this.closed) return;
    for (const n of p.notices) this.recent.push(n);
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    if (this.block !== undefined) this.block.draw(this.lines(p));
    else this.plain(p);
  }

  /** Remove the live block (the report follows) and restore the cursor. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.block?.close();
  }

  private lines(p: Progress): string[] {
    return [
      this.title,
      `${progressBar(p.end > 0 ? p.t / p.end : 1)} ${p.t.toFixed(1).padStart(7)} / ${p.end.toFixed(1)} s virtual   ${p.wallSeconds.toFixed(1)} s wall`,
      `frames      ${fmtInt(p.frames)} (${fmtInt(p.framesPerSecond)}/s)   emulator in ${fmtInt(p.emulatorRx)} out ${fmtInt(p.emulatorTx)}   datagrams ${fmtInt(p.datagrams)}`,
      `resolutions ${fmtInt(p.resolutions)}   replies ${fmtInt(p.replies)}   held sent ${fmtInt(p.heldSent)} dropped ${fmtInt(p.heldDropped)}   events ${fmtInt(p.events)}`,
      `tables      ${tables(p)}`,
      `chain       ${p.chainLatencyUs === undefined ? '-' : `${p.chainLatencyUs.toFixed(1)} µs mean, frame in to every CPU done (wall)`}`,
      'recent events',
      ...(this.recent.length === 0 ? ['  (none yet)'] : this.recent.map((n) => `  ${n.t.toFixed(3).padStart(9)}  ${n.text}`)),
    ];
  }

  private plain(p: Progress): void {
    const step = p.end / this.plainLines;
    const due = p.done || (step > 0 && p.t >= this.nextPlain * step);
    if (!due) return;
    while (step > 0 && this.nextPlain * step <= p.t) this.nextPlain++;
    this.out.write(
      `[${p.t.toFixed(1).padStart(7)}/${p.end.toFixed(1)} s] frames ${p.frames} (${Math.round(p.framesPerSecond)}/s wall)` +
      ` resolutions ${p.resolutions} held ${p.heldSent}/${p.heldDropped} events ${p.events}` +
      ` tables ${p.tables.join('/') || '-'}${p.agree ? '' : ' DIFFER'}\n`,
    );
  }
}
