/** A progress bar on a terminal, plain lines otherwise (CI logs, pipes). */

export interface ProgressOptions {
  total: number;
  stream?: NodeJS.WriteStream;
  /** Default: the stream is a TTY. */
  tty?: boolean;
}

export class Progress {
  private done = 0;
  private current = '';
  private readonly started = Date.now();
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? this.stream.isTTY === true;
  }

  /** A point starts. */
  start(label: string): void {
    this.current = label;
    if (this.tty) this.draw();
    else this.stream.write(`bench [${this.done + 1}/${this.opts.total}] ${label} ...\n`);
  }

  /** A point ended; `line` is its one-line result. */
  finish(line: string): void {
    this.done++;
    if (this.tty) { this.clear(); this.stream.write(line + '\n'); this.draw(); } else this.stream.write(`  ${line}\n`);
  }

  /** A line that is not a point result (suite headers, logs). */
  note(line: string): void {
    if (this.tty) { this.clear(); this.stream.write(line + '\n'); this.draw(); } else this.stream.write(line + '\n');
  }

  end(): void {
    if (this.tty) this.clear();
  }

  private clear(): void {
    this.stream.write('\r\x1b[2K');
  }

  private draw(): void {
    const width = 28;
    const frac = this.opts.total === 0 ? 1 : this.done / this.opts.total;
    const fill = Math.round(frac * width);
    const secs = Math.round((Date.now() - this.started) / 1000);
    const elapsed = `${Math.floor(secs / 60)}m${String(secs % 60).padStart(2, '0')}s`;
    const cols = this.stream.columns ?? 100;
    const text = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${this.done}/${this.opts.total} ${elapsed} ${this.current}`;
    this.clear();
    this.stream.write(text.length > cols - 1 ? text.slice(0, cols - 2) + '…' : text);
  }
}
