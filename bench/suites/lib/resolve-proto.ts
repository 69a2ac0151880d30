/** What the resolve suite and its worker share. */
export interface ResolveWorkerData {
  cpu: number;
  entries: number;
  ops: number;
  op: string;
  /** Share of operations that are updates (arpUpdateOnCpu on the local replica). */
  mix: number;
}
