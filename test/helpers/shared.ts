/**
 * Where the shared public captures and tools are: $ARPEMU_SHARED, else
 * `../shared` beside the checkout (the developers' layout), else /work/shared
 * (a clean clone made elsewhere on the same machine).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/helpers/ -> the checkout's root
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

function locate(): string {
  const env = process.env['ARPEMU_SHARED'];
  if (env !== undefined && env !== '') return resolve(env);
  const beside = resolve(ROOT, '../shared');
  if (existsSync(join(beside, 'pcaps'))) return beside;
  return '/work/shared';
}

export const SHARED = locate();
export const PCAPS = join(SHARED, 'pcaps');
