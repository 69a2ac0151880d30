/**
 * arpemu daemon --config CFG [--cpus N] [--socket PATH] [--metrics HOST:PORT] [--state FILE]
 *   [--log-level LEVEL] [--pretty] [--capture-buffer MiB] [--strategy S] [--transport T]
 *
 * Runs until SIGTERM or SIGINT (clean shutdown: in-flight requests finish,
 * links close, the socket is removed); SIGHUP reloads CFG. A second
 * SIGTERM/SIGINT during shutdown exits at once.
 */
import { Command, Option } from 'commander';
import { Daemon } from '../control/daemon.js';
import { createDaemonLog, LOG_LEVELS, type DaemonLog, type LogLevel } from '../control/log.js';
import { parseListen } from '../control/metrics.js';
import { DEFAULT_SOCKET } from '../control/protocol.js';
import { choiceArg, intArg } from './common.js';
import { createEmulator } from './emulator.js';

interface DaemonCliOptions {
  config: string;
  cpus?: number;
  socket: string;
  metrics?: string;
  state?: string;
  logLevel: LogLevel;
  pretty?: boolean;
  captureBuffer?: number;
  strategy: 'chain' | 'fanout' | 'shared';
  transport: 'port' | 'ring';
}

export function daemonCommand(): Command {
  return new Command('daemon')
    .description('live: answer and resolve ARP on the interfaces of CFG through libpcap, managed over a unix socket; SIGHUP reloads CFG, SIGTERM/SIGINT stop cleanly')
    .requiredOption('--config <file>', 'configuration (JSON, see CONTRACT.md; mac may be left out)')
    .option('--cpus <n>', 'number of CPU replicas (default: the config\'s cpus, else the number of cores)', intArg('--cpus', 1, 256))
    .option('--socket <path>', 'control socket (created mode 0600)', DEFAULT_SOCKET)
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (PORT alone: loopback)')
    .option('--state <file>', 'keep administrative changes in FILE (written before each command is acknowledged; restored at start)')
    .addOption(new Option('--log-level <level>', `log level: ${LOG_LEVELS.join('|')} (debug also logs every frame event)`).argParser(choiceArg('--log-level', LOG_LEVELS)).default('info'))
    .option('--pretty', 'readable log lines instead of JSON even when stdout is not a terminal (on a terminal they are the default)')
    .option('--capture-buffer <MiB>', 'libpcap ring per interface in MiB (default 32: 512 frames where offloads make libpcap use 64 KiB slots)', intArg('--capture-buffer', 1, 4096))
    .addOption(new Option('--strategy <name>', 'replication strategy: chain (the netmsg chain), fanout or shared').argParser(choiceArg('--strategy', ['chain', 'fanout', 'shared'] as const)).default('chain'))
    .addOption(new Option('--transport <name>', 'inter-CPU channel: ring (shared-memory rings; a dead CPU can be restarted) or port (MessagePorts)').argParser(choiceArg('--transport', ['port', 'ring'] as const)).default('ring'))
    .action(async (o: DaemonCliOptions) => {
      const metrics = o.metrics === undefined ? undefined : parseListen(o.metrics);
      const log = createDaemonLog({ level: o.logLevel, ...(o.pretty === true ? { pretty: true } : {}) });
      await superviseDaemon(() => Daemon.start({
        configPath: o.config,
        ...(o.cpus === undefined ? {} : { cpus: o.cpus }),
        socketPath: o.socket,
        ...(metrics === undefined ? {} : { metrics }),
        ...(o.state === undefined ? {} : { statePath: o.state }),
        log,
        createEmulator,
        ...(o.captureBuffer === undefined ? {} : { captureBuffer: o.captureBuffer << 20 }),
        strategy: o.strategy,
        transport: o.transport,
      }), log);
    });
}

/** What superviseDaemon drives (a Daemon; tests pass a stand-in). */
export interface Supervised {
  stop(): Promise<void>;
  reload(): Promise<unknown>;
}

/** Where signals come from (process; tests pass an EventEmitter). */
export interface SignalSource {
  on(signal: 'SIGTERM' | 'SIGINT' | 'SIGHUP', fn: () => void): unknown;
  off(signal: 'SIGTERM' | 'SIGINT' | 'SIGHUP', fn: () => void): unknown;
}

/**
 * Start the daemon and run it until SIGTERM/SIGINT has stopped it; SIGHUP
 * reloads. The handlers go in before `start` is called: a SIGHUP nobody
 * listens for kills the process (its default action), and a supervisor or
 * a test may signal the moment it reads `ready`, which the daemon logs
 * before start() returns (with two CPUs, worker threads competing for the
 * cores made that window real). A signal that comes during the start is
 * acted on once the daemon is up: a reload then re-reads the config file.
 * A second SIGTERM/SIGINT exits at once (status 1).
 */
export async function superviseDaemon(
  start: () => Promise<Supervised>,
  log: Pick<DaemonLog, 'info' | 'warn' | 'error' | 'flush'>,
  signals: SignalSource = process,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<void> {
  let daemon: Supervised | undefined;
  let stopSignal: string | undefined;
  let reloadPending = false;
  let stopped!: () => void;
  const finished = new Promise<void>((resolve) => { stopped = resolve; });
  const stopNow = (d: Supervised): void => {
    d.stop().then(stopped, (e: unknown) => {
      log.error('shutdown failed', { error: e instanceof Error ? e.message : String(e) });
      stopped();
    });
  };
  const reloadNow = (d: Supervised): void => { d.reload().catch(() => { /* logged by reload */ }); };
  const onStop = (signal: string): void => {
    if (stopSignal !== undefined) {
      log.warn('second signal: exiting now', { signal });
      log.flush();
      exit(1);
      return;
    }
    stopSignal = signal;
    log.info('signal', { signal });
    if (daemon !== undefined) stopNow(daemon);
  };
  const onTerm = (): void => onStop('SIGTERM');
  const onInt = (): void => onStop('SIGINT');
  const onHup = (): void => {
    log.info('signal', { signal: 'SIGHUP' });
    if (daemon === undefined) reloadPending = true;
    else if (stopSignal === undefined) reloadNow(daemon);
  };
  signals.on('SIGTERM', onTerm);
  signals.on('SIGINT', onInt);
  signals.on('SIGHUP', onHup);
  try {
    daemon = await start();
  } catch (e) {
    signals.off('SIGTERM', onTerm);
    signals.off('SIGINT', onInt);
    signals.off('SIGHUP', onHup);
    throw e;
  }
  if (stopSignal !== undefined) stopNow(daemon);
  else if (reloadPending) reloadNow(daemon);
  await finished;
}
