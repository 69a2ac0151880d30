/**
 * The control server: a unix socket speaking the JSON-lines protocol of
 * protocol.ts. The socket is created with mode 0600 (umask set around
 * listen(), then chmod), so only its owner (root for /run/arpemu.sock) can
 * connect. Node has no SO_PEERCRED API, so the server cannot check a
 * client's uid itself: the file mode is the access control (as for
 * many daemons' sockets).
 *
 * Start-up refuses a path that exists and is not a socket, and a socket
 * some process still answers on; a socket nobody answers on (left by a
 * daemon that was killed) is removed and replaced.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import {
  DaemonError, decodeRequest, encodeError, encodeResult, readLines, requestIdOf, type Method,
} from './protocol.js';

/** What answers requests (the daemon). Throw DaemonError/ArpemuError (with `code`) to fail one. */
export interface ControlHandler {
  handle(method: Method, params: unknown): Promise<unknown>;
  /** Called for failures that are bugs (no `code`), for the log. */
  onInternalError?(method: string, e: unknown): void;
}

/** Longest socket path the kernel takes (sun_path is 108 bytes with the NUL). */
export const MAX_SOCKET_PATH = 107;

function connectable(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    const done = (v: boolean): void => { clearTimeout(timer); s.destroy(); resolve(v); };
    const timer = setTimeout(() => done(true), timeoutMs); // hanging, but something is there
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Make `path` ready for listen(): nothing there, or a stale socket (removed).
 * Throws DaemonError EADDRINUSE when a daemon answers there, EEXIST when it
 * is not a socket, EINVAL when the path is too long.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new DaemonError('EINVAL', `--socket ${path}: longer than ${MAX_SOCKET_PATH} bytes (unix socket limit)`);
  }
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new DaemonError('EINVAL', `--socket ${path}: ${(e as Error).message}`);
  }
  if (!st.isSocket()) throw new DaemonError('EEXIST', `--socket ${path}: exists and is not a socket; refusing to replace it`);
  if (await connectable(path)) throw new DaemonError('EADDRINUSE', `--socket ${path}: another daemon is listening there`);
  unlinkSync(path); // stale: its daemon is gone
}

export class ControlServer {
  private readonly sockets = new Set<Socket>();
  private inflight = 0;
  private idle: (() => void) | undefined;
  private closing = false;

  private constructor(readonly path: string, private readonly server: Server, private readonly handler: ControlHandler) {}

  /** Listen on `path` (prepared with prepareSocketPath first), mode 0600. */
  static async listen(path: string, handler: ControlHandler): Promise<ControlServer> {
    await prepareSocketPath(path);
    const server = createServer();
    const cs = new ControlServer(path, server, handler);
    server.on('connection', (s) => cs.accept(s));
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => { server.off('error', reject); resolve(); });
      });
    } catch (e) {
      throw new DaemonError((e as NodeJS.ErrnoException).code ?? 'EINVAL', `--socket ${path}: cannot listen: ${(e as Error).message}`);
    } finally {
      process.umask(old);
    }
    chmodSync(path, 0o600);
    return cs;
  }

  get connections(): number { return this.sockets.size; }

  private accept(s: Socket): void {
    if (this.closing) { s.destroy(); return; }
    this.sockets.add(s);
    readLines(s, (line) => void this.dispatch(s, line), (e) => s.end(encodeError(null, 'EPROTO', e.message)));
    s.on('error', () => { /* client went away; nothing to answer */ });
    s.on('close', () => this.sockets.delete(s));
  }

  private async dispatch(s: Socket, line: string): Promise<void> {
    let id: number | null = null;
    this.inflight++;
    try {
      if (this.closing) throw new DaemonError('ESHUTDOWN', 'the daemon is shutting down');
      const req = decodeRequest(line);
      id = req.id;
      const result = await this.handler.handle(req.method, req.params);
      write(s, encodeResult(req.id, result ?? null));
    } catch (e) {
      id ??= requestIdOf(line);
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string') {
        write(s, encodeError(id, code, (e as Error).message));
      } else {
        this.handler.onInternalError?.(line.slice(0, 200), e);
        write(s, encodeError(id, 'EINTERNAL', `internal error: ${(e as Error)?.message ?? String(e)}`));
      }
    } finally {
      if (--this.inflight === 0) this.idle?.();
    }
  }

  /**
   * Stop accepting, let requests in flight finish (at most `drainMs`),
   * close every connection and remove the socket file.
   */
  async close(drainMs = 5000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.inflight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, drainMs);
        this.idle = () => { clearTimeout(t); resolve(); };
      });
    }
    for (const s of this.sockets) s.end();
    const t = setTimeout(() => { for (const s of this.sockets) s.destroy(); }, 500);
    await closed;
    clearTimeout(t);
    try { unlinkSync(this.path); } catch { /* already gone */ }
  }
}

function write(s: Socket, text: string): void {
  if (!s.destroyed && s.writable) s.write(text);
}
