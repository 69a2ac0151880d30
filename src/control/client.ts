/**
 * The CLI's side of the control protocol: connect to the daemon's unix
 * socket, send typed requests, match responses by id. Every failure is a
 * DaemonError with a code and a one-line message; "no daemon" is told
 * apart from other failures so the CLI can say so plainly.
 */
import { createConnection, type Socket } from 'node:net';
import {
  DEFAULT_SOCKET, DaemonError, decodeResponse, readLines, encodeRequest, type Method, type Params, type Result,
} from './protocol.js';

interface Pending { resolve(v: unknown): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> | undefined }

export interface ConnectOptions {
  /** Give up connecting after this long (default 3000 ms). */
  timeoutMs?: number;
}

export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedError: DaemonError | undefined;

  private constructor(private readonly socket: Socket, readonly path: string) {
    readLines(socket, (line) => this.onLine(line), (e) => this.fail(new DaemonError('ERR_DAEMON', `daemon at ${path}: ${e.message}`)));
    socket.on('error', (e) => this.fail(new DaemonError('ERR_DAEMON', `daemon at ${path}: ${e.message}`)));
    socket.on('close', () => this.fail(new DaemonError('ERR_DAEMON', `daemon at ${path} closed the connection`)));
  }

  /**
   * Connect to the daemon at `path`. A missing socket or a refused
   * connection is ERR_DAEMON "no arpemu daemon is running at PATH".
   */
  static connect(path: string, opts: ConnectOptions = {}): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new DaemonError('ERR_DAEMON', `the daemon at ${path} did not accept a connection within ${opts.timeoutMs ?? 3000} ms`));
      }, opts.timeoutMs ?? 3000);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(new ControlClient(s, path));
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(connectError(path, e));
      });
    });
  }

  /** Send one request; resolves with its result or rejects with a DaemonError carrying the daemon's code. */
  call<M extends Method>(method: M, params: Params<M>, opts: { timeoutMs?: number } = {}): Promise<Result<M>> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      const ms = opts.timeoutMs ?? 30_000;
      const timer = ms > 0 ? setTimeout(() => {
        this.pending.delete(id);
        reject(new DaemonError('ERR_DAEMON', `the daemon did not answer ${method} within ${(ms / 1000).toFixed(1)} s`));
      }, ms) : undefined;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(encodeRequest(id, method, params));
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private onLine(line: string): void {
    let r;
    try {
      r = decodeResponse(line);
    } catch (e) {
      this.fail(new DaemonError('ERR_DAEMON', (e as Error).message));
      return;
    }
    if (r.id === null) {
      // An error about the connection as a whole (e.g. a line too long).
      if (!r.ok) this.fail(new DaemonError(r.error.code, r.error.message));
      return;
    }
    const p = this.pending.get(r.id);
    if (p === undefined) return;
    this.pending.delete(r.id);
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (r.ok) p.resolve(r.result);
    else p.reject(new DaemonError(r.error.code, r.error.message));
  }

  private fail(e: DaemonError): void {
    this.closedError ??= e;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.reject(e);
    }
    this.socket.destroy();
  }
}

function connectError(path: string, e: NodeJS.ErrnoException): DaemonError {
  switch (e.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new DaemonError('ERR_DAEMON', `no arpemu daemon is running at ${path} (${e.code === 'ENOENT' ? 'no socket' : 'connection refused'}); start one with arpemu daemon, or give --socket PATH`);
    case 'EACCES':
    case 'EPERM':
      return new DaemonError('ERR_DAEMON', `cannot connect to ${path}: permission denied (the socket is mode 0600; run as its owner)`);
    case 'ENOTSOCK':
      return new DaemonError('ERR_DAEMON', `${path} is not a socket`);
    default:
      return new DaemonError('ERR_DAEMON', `cannot connect to ${path}: ${e.message}`);
  }
}

/** Connect, run `fn`, close: what each CLI command does. */
export async function withDaemon<T>(path: string, fn: (c: ControlClient) => Promise<T>): Promise<T> {
  const c = await ControlClient.connect(path);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/**
 * The socket a command talks to: --socket, else $ARPEMU_SOCKET (an empty
 * one counts as unset, as the shell's `VAR=` usually means), else
 * /run/arpemu.sock. An empty --socket is bad usage (net would take '' for a
 * TCP port and say so).
 */
export function socketPathOf(opt: string | undefined): string {
  if (opt === '') throw new DaemonError('ERR_USAGE', '--socket: empty path');
  const env = process.env['ARPEMU_SOCKET'];
  return opt ?? (env === undefined || env === '' ? DEFAULT_SOCKET : env);
}
