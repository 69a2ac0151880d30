/**
 * The daemon's log: pino JSON lines on stdout (the journal under systemd),
 * a pretty one-line form when stdout is a terminal.
 *
 * Protocol events (CONTRACT.md "Events") are logged as they are, so a line
 * is `{"level":30,"time":<ms>,"t":<s>,"cpu":0,"event":"arp.learned",...}`;
 * the daemon's own messages have `msg` and no `event`. Levels: per-frame
 * trace events (requests/replies sent, learned, held) are `debug`, so the
 * default `info` level keeps the log quiet under load; rate-limited
 * diagnostics and state changes are `info`; conflicts `warn`.
 */
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { eventClass, nullSink, type ArpemuEvent, type EventSink } from '../util/events.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface DaemonLogOptions {
  level?: LogLevel;
  /** Pretty lines instead of JSON (default: when the destination is a TTY). */
  pretty?: boolean;
  /** Default: stdout (fd 1). */
  destination?: DestinationStream;
}

export interface DaemonLog {
  /** Protocol events of every CPU and of conflict detection. */
  readonly events: EventSink;
  /**
   * What the emulator should be given: `events`, or nullSink when the level
   * logs no protocol event (error and above). The replicas build their
   * events only for a real sink, and building one costs ~3-4 us per frame
   * (text addresses, a clock read, garbage), 4x the frame's own work.
   */
  readonly emulatorEvents: EventSink;
  readonly logger: Logger;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Whether per-frame events are written (level debug or lower). */
  readonly tracing: boolean;
  /** Write out what is buffered (shutdown). */
  flush(): void;
}

const WARN_EVENTS = new Set<string>(['acd.conflict', 'acd.defence_failed', 'arp.dupip']);

/** pino level of a contract event. */
export function eventLevel(ev: ArpemuEvent): Level {
  if (WARN_EVENTS.has(ev.event)) return 'warn';
  return eventClass(ev.event) === 'trace' ? 'debug' : 'info';
}

/** One readable line for an event or message (the pretty form). */
export function prettyMessage(log: Record<string, unknown>): string {
  const skip = new Set(['level', 'time', 'msg', 'event', 't', 'cpu', 'pid', 'hostname']);
  const parts: string[] = [];
  if (typeof log['event'] === 'string') {
    parts.push(String(log['event']));
    if (typeof log['cpu'] === 'number' && log['cpu'] >= 0) parts.push(`cpu${log['cpu']}`);
  }
  if (typeof log['msg'] === 'string') parts.push(log['msg']);
  for (const [k, v] of Object.entries(log)) {
    if (skip.has(k) || v === undefined) continue;
    parts.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return parts.join(' ');
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLORS: Record<number, string> = { 10: '90', 20: '34', 30: '32', 40: '33', 50: '31', 60: '35' };

/**
 * The terminal form: `HH:MM:SS.mmm LEVEL event k=v ...`, one line per log
 * line (pino-pretty 13 loses the line break when objects are hidden, so
 * this small printer is ours).
 */
export function prettyDestination(out: { write(s: string): unknown }, color: boolean): DestinationStream {
  return {
    write(line: string): void {
      let o: Record<string, unknown>;
      try { o = JSON.parse(line) as Record<string, unknown>; } catch { out.write(line); return; }
      const lv = typeof o['level'] === 'number' ? o['level'] : 30;
      const d = new Date(typeof o['time'] === 'number' ? o['time'] : Date.now());
      const time = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}.${String(d.getMilliseconds()).padStart(3, '0')}`;
      const name = (LEVEL_NAMES[lv] ?? String(lv)).padEnd(5);
      const level = color ? `\x1b[${LEVEL_COLORS[lv] ?? '0'}m${name}\x1b[0m` : name;
      out.write(`${time} ${level} ${prettyMessage(o)}\n`);
    },
  };
}

export function createDaemonLog(opts: DaemonLogOptions = {}): DaemonLog {
  const level = opts.level ?? 'info';
  const usePretty = opts.pretty ?? (opts.destination === undefined && process.stdout.isTTY === true);
  let dest: DestinationStream;
  let flush: () => void = () => {};
  if (opts.destination !== undefined) {
    dest = opts.destination;
  } else if (usePretty) {
    dest = prettyDestination(process.stdout, process.stdout.isTTY === true);
  } else {
    const sb = pino.destination({ dest: 1, sync: false });
    dest = sb;
    flush = () => { try { sb.flushSync(); } catch { /* not open yet or closed */ } };
  }
  const logger = pino({ level, base: undefined }, dest);
  const tracing = logger.isLevelEnabled('debug');
  const events: EventSink = {
    traces: tracing,
    emit(ev: ArpemuEvent): void {
      const l = eventLevel(ev);
      if (l === 'debug' && !tracing) return;
      logger[l](ev as unknown as object);
    },
  };
  return {
    events,
    emulatorEvents: logger.isLevelEnabled('warn') ? events : nullSink,
    logger,
    tracing,
    info: (msg, fields) => logger.info(fields ?? {}, msg),
    warn: (msg, fields) => logger.warn(fields ?? {}, msg),
    error: (msg, fields) => logger.error(fields ?? {}, msg),
    flush,
  };
}
