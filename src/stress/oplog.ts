/**
 * The op log of a stress run: every stimulus the tester gives the system,
 * as plain serializable values with their virtual time, so a run (or any
 * subsequence of it, which is what the shrinker tries) replays exactly.
 * With the setup (interfaces, hosts, knobs) and the run options
 * (emulator, CPUs, strategy, faults, injected bug, seed of the world's own
 * randomness) the op log is a complete reproducer.
 *
 * Addresses are numbers as everywhere in arpemu (IPv4 u32, MAC < 2^48);
 * frames are hex strings. formatOp() prints one op as a readable line.
 */
import { ArpemuError } from '../util/errors.js';
import { formatIpv4, formatMac, type Ipv4, type Mac } from '../wire/addr.js';
import type { EmuOp, Strategy, Transport } from '../cpu/emulator.js';
import { INJECTED_BUGS, type InjectedBug } from '../cpu/testhooks.js';

/** What a virtual host can be told to do (src/sim/host.ts). */
export type HostAct = 'move' | 'silent' | 'back' | 'claim' | 'release' | 'probe' | 'gratuitous' | 'arping' | 'send';

export type StressOp =
  /** A crafted frame sent on the segment by the tester's own port (link faults apply; hosts see it too). */
  | { k: 'wire'; t: number; iface: string; frame: string }
  /** A frame handed straight to the emulator's input path (fuzzing: no segment, no faults). */
  | { k: 'input'; t: number; iface: string; frame: string }
  /** A virtual host acts (move to `mac`, claim/probe/arping/send to `ip`, gratuitous ARP in `form`). */
  | { k: 'host'; t: number; host: string; act: HostAct; ip?: Ipv4; mac?: Mac; form?: 'request' | 'reply' }
  /** The emulator's own stack sends a UDP datagram of `size` payload bytes to `dst`. */
  | { k: 'output'; t: number; dst: Ipv4; size: number }
  /** An administrative operation (arp -s/-d, flush, sysctl, ifconfig alias, route). */
  | { k: 'admin'; t: number; op: EmuOp }
  /** Nothing but time: the clock jumps here (timers fire on the way). */
  | { k: 'jump'; t: number }
  /** A CPU worker dies (restart + resync from a live replica). */
  | { k: 'kill'; t: number; cpu: number };

export type StressOpKind = StressOp['k'];

export interface SetupInterface {
  name: string;
  mac: Mac;
  addresses: { addr: Ipv4; plen: number }[];
}

export interface SetupHost {
  name: string;
  iface: string;
  mac: Mac;
  ip: Ipv4;
}

/** The world every run starts from. */
export interface StressSetup {
  interfaces: SetupInterface[];
  hosts: SetupHost[];
  /** Knobs set before the first op (FreeBSD names). */
  sysctl: Record<string, number>;
  /** Hosts' neighbour cache lifetime (seconds). */
  hostCacheTimeout: number;
}

/** Link fault rates on the emulator's ports (src/link/faults.ts), and CPU stalls (testhooks). */
export interface FaultSpec {
  loss: number;
  duplicate: number;
  reorder: number;
  corrupt: number;
  /** Fixed delay and jitter on the emulator's ports, seconds. */
  delay: number;
  jitter: number;
  /** Probability per record that a CPU stalls before handling it (inter-CPU channel delay). */
  stall: number;
  /** Longest stall, µs. */
  stallUs: number;
}

export type EmulatorKind = 'inline' | 'threaded';
export type ModelKind = 'inline' | 'single' | 'none';

/** Everything about how a run executes its op log (a reproducer carries it). */
export interface RunSpec {
  emulator: EmulatorKind;
  cpus: number;
  strategy: Strategy;
  transport: Transport;
  /** The single-threaded model fed the same ops ('none': skip the model comparison). */
  model: ModelKind;
  bug: InjectedBug | null;
  faults: FaultSpec;
  /**
   * The emulator runs free and every stimulus of one virtual instant is in
   * flight at once (threads really race; kills strike mid-flight). Not
   * deterministic: no model comparison.
   */
  concurrent: boolean;
  /** Seed of the world's own randomness (hosts, link faults, stalls). */
  seed: number;
}

/** What a violation says (the invariant's name, and the first thing found wrong). */
export interface ViolationInfo {
  invariant: InvariantName;
  message: string;
}

export type InvariantName =
  | 'replicas_agree' | 'model_agree' | 'permanent_unchanged' | 'held_once' | 'held_accounting'
  | 'table_bound' | 'route_check' | 'counters' | 'liveness' | 'crash' | 'memory_growth';

export const INVARIANTS: readonly InvariantName[] = [
  'replicas_agree', 'model_agree', 'permanent_unchanged', 'held_once', 'held_accounting',
  'table_bound', 'route_check', 'counters', 'liveness', 'crash', 'memory_growth',
];

/** A replayable file (`--replay FILE`). */
export interface Reproducer {
  arpemu: 'stress-reproducer';
  version: 1;
  /** Seed of the run that found it (the op generator's), for the record. */
  runSeed: number;
  run: RunSpec;
  setup: StressSetup;
  /** Checkpoint every n ops (as when the violation was found). */
  checkEvery: number;
  ops: StressOp[];
  /** The violation it reproduces (replay must hit the same invariant); null for the op log of a clean run (`--save-ops`). */
  violation: (ViolationInfo & { op: number }) | null;
}

export const NO_FAULTS: FaultSpec = { loss: 0, duplicate: 0, reorder: 0, corrupt: 0, delay: 0, jitter: 0, stall: 0, stallUs: 0 };

/** `--faults default`: a little of everything. */
export const DEFAULT_FAULTS: FaultSpec = { loss: 0.02, duplicate: 0.02, reorder: 0.02, corrupt: 0.01, delay: 0, jitter: 0, stall: 0.05, stallUs: 50 };

const FAULT_KEYS: Record<string, keyof FaultSpec> = {
  loss: 'loss', dup: 'duplicate', duplicate: 'duplicate', reorder: 'reorder', corrupt: 'corrupt',
  delay: 'delay', jitter: 'jitter', stall: 'stall', 'stall-us': 'stallUs', stallUs: 'stallUs',
};

/**
 * `--faults SPEC`: `none`, `default`, or comma-separated `name=value`
 * (loss, dup, reorder, corrupt: probabilities; delay, jitter: seconds;
 * stall: probability per record; stall-us: µs), starting from none, or from
 * the defaults when the list begins with `default,`.
 */
export function parseFaults(spec: string): FaultSpec {
  const s = spec.trim();
  if (s === 'none' || s === '') return { ...NO_FAULTS };
  const parts = s.split(',').map((p) => p.trim()).filter((p) => p !== '');
  let f: FaultSpec = { ...NO_FAULTS };
  if (parts[0] === 'default') { f = { ...DEFAULT_FAULTS }; parts.shift(); }
  for (const p of parts) {
    const m = /^([a-zA-Z-]+)=([0-9.eE+-]+)$/.exec(p);
    if (m === null) throw new ArpemuError('ERR_USAGE', `--faults: '${p}' is not name=value (names: ${Object.keys(FAULT_KEYS).join(', ')})`);
    const key = FAULT_KEYS[m[1]!];
    if (key === undefined) throw new ArpemuError('ERR_USAGE', `--faults: unknown fault '${m[1]}' (names: loss, dup, reorder, corrupt, delay, jitter, stall, stall-us)`);
    const v = Number(m[2]);
    const prob = key === 'loss' || key === 'duplicate' || key === 'reorder' || key === 'corrupt' || key === 'stall';
    if (!Number.isFinite(v) || v < 0 || (prob && v > 1)) {
      throw new ArpemuError('ERR_USAGE', `--faults: ${m[1]} must be ${prob ? 'a probability in 0..1' : 'a number >= 0'}, got ${m[2]}`);
    }
    f[key] = v;
  }
  return f;
}

export function formatFaults(f: FaultSpec): string {
  const parts: string[] = [];
  if (f.loss > 0) parts.push(`loss=${f.loss}`);
  if (f.duplicate > 0) parts.push(`dup=${f.duplicate}`);
  if (f.reorder > 0) parts.push(`reorder=${f.reorder}`);
  if (f.corrupt > 0) parts.push(`corrupt=${f.corrupt}`);
  if (f.delay > 0) parts.push(`delay=${f.delay}`);
  if (f.jitter > 0) parts.push(`jitter=${f.jitter}`);
  if (f.stall > 0) parts.push(`stall=${f.stall}`, `stall-us=${f.stallUs}`);
  return parts.length === 0 ? 'none' : parts.join(',');
}

export function linkFaultsOn(f: FaultSpec): boolean {
  return f.loss > 0 || f.duplicate > 0 || f.reorder > 0 || f.corrupt > 0 || f.delay > 0 || f.jitter > 0;
}

// ------------------------------------------------------------------ frames as hex

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

// ------------------------------------------------------------------ printing

const ip = (v: number | undefined): string => (v === undefined ? '?' : formatIpv4(v));

function formatEmuOp(op: EmuOp): string {
  switch (op.op) {
    case 'set': return `arp -s ${ip(op.ip)} ${formatMac(op.mac)}${op.expire !== 0 ? ` temp(expire ${op.expire})` : ''}${op.pub ? ' pub' : ''}${op.only ? ' only' : ''}`;
    case 'delete': return `arp -d ${ip(op.ip)}`;
    case 'flush': return 'arp -d -a';
    case 'sysctl': return `sysctl ${op.name}=${op.value}`;
    case 'ifaddr': return `ifconfig ${op.iface} inet ${ip(op.addr)}${op.plen === undefined ? '' : `/${op.plen}`} ${op.cmd === 'add' ? 'alias' : '-alias'}`;
    case 'route': return `route ${op.cmd} ${ip(op.dst)}/${op.plen} ${ip(op.gateway)}`;
    case 'ifattach': return `ifattach ${op.iface.name} ${formatMac(op.iface.mac)}`;
  }
}

/** One op as a line: `t=12.345 output 10.0.0.12 (18 bytes)`. */
export function formatOp(op: StressOp, describeFrame?: (hex: string) => string): string {
  const t = `t=${op.t.toFixed(3)}`;
  switch (op.k) {
    case 'wire': case 'input':
      return `${t} ${op.k} ${op.iface} ${describeFrame === undefined ? `${op.frame.length / 2} bytes` : describeFrame(op.frame)}`;
    case 'host': {
      const args = [op.ip === undefined ? '' : ip(op.ip), op.mac === undefined ? '' : formatMac(op.mac), op.form ?? ''].filter((s) => s !== '').join(' ');
      return `${t} host ${op.host} ${op.act}${args === '' ? '' : ` ${args}`}`;
    }
    case 'output': return `${t} output ${ip(op.dst)} (${op.size} bytes)`;
    case 'admin': return `${t} ${formatEmuOp(op.op)}`;
    case 'jump': return `${t} jump`;
    case 'kill': return `${t} kill cpu${op.cpu}`;
  }
}

// ------------------------------------------------------------------ reproducer files

function fail(file: string, what: string): never {
  throw new ArpemuError('ERR_CONFIG', `${file}: ${what}`);
}

/** Parse and check a reproducer file's text; errors name the field. */
export function parseReproducer(text: string, file: string): Reproducer {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { fail(file, `not JSON (${e instanceof Error ? e.message : String(e)})`); }
  const r = v as Partial<Reproducer>;
  if (typeof r !== 'object' || r === null || r.arpemu !== 'stress-reproducer') fail(file, 'not an arpemu stress reproducer (field arpemu must be "stress-reproducer")');
  if (r.version !== 1) fail(file, `version must be 1, got ${JSON.stringify(r.version)}`);
  const run = r.run as Partial<RunSpec> | undefined;
  if (typeof run !== 'object' || run === null) fail(file, 'run must be an object');
  if (run.emulator !== 'inline' && run.emulator !== 'threaded') fail(file, 'run.emulator must be inline or threaded');
  if (!Number.isInteger(run.cpus) || run.cpus! < 1 || run.cpus! > 64) fail(file, 'run.cpus must be 1..64');
  if (!['chain', 'fanout', 'shared'].includes(String(run.strategy))) fail(file, 'run.strategy must be chain, fanout or shared');
  if (!['port', 'ring'].includes(String(run.transport))) fail(file, 'run.transport must be port or ring');
  if (!['inline', 'single', 'none'].includes(String(run.model))) fail(file, 'run.model must be inline, single or none');
  if (run.bug !== null && !INJECTED_BUGS.includes(run.bug as InjectedBug)) fail(file, `run.bug must be null or one of ${INJECTED_BUGS.join(', ')}`);
  if (typeof run.seed !== 'number' || !Number.isFinite(run.seed)) fail(file, 'run.seed must be a number');
  if (run.concurrent === undefined) run.concurrent = false;
  if (typeof run.concurrent !== 'boolean') fail(file, 'run.concurrent must be true or false');
  if (typeof run.faults !== 'object' || run.faults === null) fail(file, 'run.faults must be an object');
  for (const k of Object.keys(NO_FAULTS) as (keyof FaultSpec)[]) {
    if (typeof run.faults[k] !== 'number') fail(file, `run.faults.${k} must be a number`);
  }
  const setup = r.setup as Partial<StressSetup> | undefined;
  if (typeof setup !== 'object' || setup === null || !Array.isArray(setup.interfaces) || !Array.isArray(setup.hosts)) fail(file, 'setup must have interfaces[] and hosts[]');
  if (!Number.isInteger(r.checkEvery) || r.checkEvery! < 1) fail(file, 'checkEvery must be an integer >= 1');
  if (!Array.isArray(r.ops)) fail(file, 'ops must be an array');
  const kinds: StressOpKind[] = ['wire', 'input', 'host', 'output', 'admin', 'jump', 'kill'];
  let last = 0;
  r.ops.forEach((op, i) => {
    if (typeof op !== 'object' || op === null || !kinds.includes(op.k)) fail(file, `ops[${i}].k must be one of ${kinds.join(', ')}`);
    if (typeof op.t !== 'number' || !(op.t >= last)) fail(file, `ops[${i}].t must be a number, not before the previous op`);
    last = op.t;
  });
  const viol = r.violation as Partial<Reproducer['violation']> | undefined;
  if (viol !== null && (typeof viol !== 'object' || !INVARIANTS.includes(viol.invariant as InvariantName))) fail(file, `violation must be null or violation.invariant one of ${INVARIANTS.join(', ')}`);
  return r as Reproducer;
}
