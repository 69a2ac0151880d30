/** Numeric command-line options of the standalone bench/*.bench.ts scripts. */

/** `--name N` from argv, or `dflt`; exits with status 2 on a value that is not a positive number. */
export function numArg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`${name} must be a positive number`);
    process.exit(2);
  }
  return v;
}
