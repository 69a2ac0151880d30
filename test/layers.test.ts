/**
 * The layering of docs/ARCHITECTURE.md: a module of src/ imports only from
 * its own layer or the layers below. Read from the sources, so type-only
 * imports count too (a type is a dependency even when it compiles away).
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

/** Bottom first, as docs/ARCHITECTURE.md lists them top first. */
const LAYERS = ['util', 'wire', 'link', 'sysctl', 'route', 'inet', 'arp', 'cpu', 'netisr', 'config', 'sim', 'stress', 'bench', 'control', 'cli'];

/**
 * Known upward imports, each with its reason. src/cpu's emulators compose
 * the netisr dispatcher (inline) and its worker (threaded); the way out is to
 * move the composition above src/netisr.
 */
const EXCEPTIONS: Record<string, string> = {
  'cpu/core.ts -> netisr/dispatch.ts': 'type NetisrIf, the dispatcher the core drives',
  'cpu/inline.ts -> netisr/dispatch.ts': 'InlineEmulator runs a Netisr in its own thread',
  'cpu/threaded.ts -> netisr/worker.ts': 'type NetisrControl of the worker the supervisor starts',
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Module specifiers of static imports and re-exports, and of dynamic imports of a literal. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
    out.push((m[1] ?? m[2] ?? m[3])!);
  }
  return out;
}

function layerOf(file: string): string {
  return relative(SRC, file).split(/[\\/]/)[0]!;
}

test('imports point down the layers', (t) => {
  const files = sources(SRC);
  const unknown = [...new Set(files.map(layerOf))].filter((l) => !LAYERS.includes(l));
  t.deepEqual(unknown, [], 'every directory of src/ has its place in LAYERS (and in docs/ARCHITECTURE.md)');
  const upward: string[] = [];
  const excused = new Set<string>();
  let seen = 0;
  for (const file of files) {
    const from = layerOf(file);
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      seen++;
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      const to = layerOf(target);
      // Outside src/ (bench/, workers/) is above every layer: index -1 counts as up.
      const down = LAYERS.indexOf(to) !== -1 && LAYERS.indexOf(to) <= LAYERS.indexOf(from);
      if (down) continue;
      const edge = `${relative(SRC, file)} -> ${relative(SRC, target)}`;
      if (edge in EXCEPTIONS) excused.add(edge);
      else upward.push(edge);
    }
  }
  t.true(seen > 100, `the parser found the relative imports (${seen})`);
  t.deepEqual(upward, [], 'src/ imports only from its own layer or below');
  t.deepEqual(Object.keys(EXCEPTIONS).filter((e) => !excused.has(e)), [], 'an exception that no longer occurs is removed from EXCEPTIONS');
});
