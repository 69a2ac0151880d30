/** Shared setup of the stress tests: options with small defaults, a temp dir, the CLI. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NO_FAULTS, DEFAULT_FAULTS, type RunSpec } from '../../src/stress/oplog.js';
import type { StressOptions } from '../../src/stress/stress.js';

/** The project root (this file runs as dist/test/stress/helpers.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
export { PCAPS } from '../helpers/shared.js';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function stressOptions(dir: string, over: Partial<Omit<StressOptions, 'run'>> & { run?: Partial<Omit<RunSpec, 'seed'>> } = {}): StressOptions {
  const run: Omit<RunSpec, 'seed'> = {
    emulator: 'inline', cpus: 8, strategy: 'chain', transport: 'ring', model: 'inline', bug: null,
    faults: DEFAULT_FAULTS, concurrent: false, ...over.run,
  };
  return {
    seed: 42, duration: 10, rate: 40, killRate: 0, fuzz: false, corpus: [], checkEvery: 5, watchdogMs: 20_000,
    shrink: { enabled: true, budgetMs: 20_000 }, reproPath: dir,
    ...over, run,
  };
}

export { NO_FAULTS, DEFAULT_FAULTS };

export interface CliResult { code: number | null; stdout: string; stderr: string }

export function cli(args: string[], cwd: string): Promise<CliResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [MAIN, 'stress', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}
