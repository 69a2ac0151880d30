/**
 * `arpemu replay`: the deterministic black-box run of CONTRACT.md. Frames of
 * each input capture arrive on their interface at their capture times on a
 * virtual clock starting at the earliest capture time (or 0); the config's
 * `traffic` is sent at its times; every stimulus runs to quiescence before
 * the next, so the output does not depend on the number of CPUs or threads.
 */
import { writeFileSync } from 'node:fs';
import { ArpemuError } from '../util/errors.js';
import { JsonLinesFileSink, TeeSink, type ArpemuEvent, type EventSink } from '../util/events.js';
import type { PcapWriter } from '../wire/pcap.js';
import { openPcapWriter, readCaptureFile } from '../link/pcapio.js';
import type { Emulator, EmulatorOptions, EmuDump } from '../cpu/emulator.js';
import type { Config } from '../config/config.js';
import { configOps } from '../config/ops.js';

export interface ReplayFileArg {
  /** Interface name; undefined = the first configured interface. */
  iface: string | undefined;
  path: string;
}

export interface ReplayOptions {
  config: Config;
  inputs: ReplayFileArg[];
  outputs: ReplayFileArg[];
  /** Seconds the clock runs on after the last stimulus (timers fire). */
  settle: number;
  dumpPath?: string | undefined;
  eventsPath?: string | undefined;
  emulator: Pick<EmulatorOptions, 'cpus' | 'strategy' | 'transport'>;
  /** Builds the emulator (the CLI picks single-CPU or threaded). */
  createEmulator: (opts: EmulatorOptions) => Emulator;
}

export interface ReplaySummary {
  start: number;
  end: number;
  framesIn: number;
  framesOut: Record<string, number>;
  datagrams: number;
  events: Record<string, number>;
  dump: EmuDump;
}

/** One thing that happens at a virtual time; `order` keeps file order among equal times. */
interface Stimulus { t: number; order: number; run: (emu: Emulator) => void }

function ifaceOf(arg: ReplayFileArg, config: Config, what: string): string {
  const name = arg.iface ?? config.interfaces[0]?.name;
  if (name === undefined) throw new ArpemuError('ERR_USAGE', `${what} ${arg.path}: the config has no interface`);
  if (!config.interfaces.some((i) => i.name === name)) throw new ArpemuError('ERR_USAGE', `${what} ${name}=${arg.path}: no interface named ${name} in the config`);
  return name;
}

export async function replay(opts: ReplayOptions): Promise<ReplaySummary> {
  const { config } = opts;
  const stimuli: Stimulus[] = [];
  let order = 0;
  let earliest = Infinity;
  let framesIn = 0;
  for (const arg of opts.inputs) {
    const iface = ifaceOf(arg, config, '--in');
    const file = readCaptureFile(arg.path);
    for (const rec of file.records) {
      const frame = rec.data;
      earliest = Math.min(earliest, rec.time);
      stimuli.push({ t: rec.time, order: order++, run: (emu) => emu.input(iface, frame) });
      framesIn++;
    }
  }
  const start = earliest === Infinity ? 0 : earliest;
  let datagrams = 0;
  let id = 0;
  for (const tr of config.traffic) {
    for (let i = 0; i < tr.count; i++) {
      const datagram = { proto: tr.proto, size: tr.size, id: ++id & 0xffff };
      stimuli.push({ t: start + tr.t + i * tr.interval, order: order++, run: (emu) => emu.output(tr.dst, datagram) });
      datagrams++;
    }
  }
  stimuli.sort((a, b) => a.t - b.t || a.order - b.order);

  const writers = new Map<string, PcapWriter>();
  for (const arg of opts.outputs) {
    const iface = ifaceOf(arg, config, '--out');
    if (writers.has(iface)) throw new ArpemuError('ERR_USAGE', `--out: two outputs for interface ${iface}`);
    writers.set(iface, openPcapWriter(arg.path));
  }
  const framesOut: Record<string, number> = {};
  for (const ifc of config.interfaces) framesOut[ifc.name] = 0;

  const byName: Record<string, number> = {};
  const counted: EventSink = { emit: (e: ArpemuEvent) => { byName[e.event] = (byName[e.event] ?? 0) + 1; } };
  const fileSink = opts.eventsPath === undefined ? undefined : new JsonLinesFileSink(opts.eventsPath);
  const events: EventSink = fileSink === undefined ? counted : new TeeSink(counted, fileSink);

  const emu = opts.createEmulator({
    ...opts.emulator,
    time: { kind: 'virtual', start, lockstep: true },
    events,
  });
  let now = start;
  emu.onTransmit((iface, frame, t) => {
    framesOut[iface] = (framesOut[iface] ?? 0) + 1;
    writers.get(iface)?.write(frame, t);
  });
  try {
    for (const op of configOps(config, start)) {
      await emu.apply(op);
      await emu.quiesce();
    }
    for (const s of stimuli) {
      if (s.t > now) { await emu.advanceTo(s.t); now = s.t; }
      s.run(emu);
      await emu.quiesce();
    }
    const end = Math.max(now, (stimuli.at(-1)?.t ?? start)) + opts.settle;
    await emu.advanceTo(end);
    await emu.quiesce();
    const dump = await emu.dump();
    if (opts.dumpPath !== undefined) writeFileSync(opts.dumpPath, JSON.stringify(dump, null, 2) + '\n');
    return { start, end, framesIn, framesOut, datagrams, events: byName, dump };
  } finally {
    await emu.close();
    for (const w of writers.values()) await w.close();
    await fileSink?.close();
  }
}
