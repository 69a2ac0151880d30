export { Sysctl, knobRange } from './registry.js';
export type { KnobDef, KnobInfo, KnobType, KnobValue, KnobInput, KnobListener, SysctlSnapshot } from './registry.js';
export { ARP_KNOBS, INET_KNOBS, DEFAULT_KNOBS, INT_MAX } from './knobs.js';
export type { KnobValues } from './knobs.js';
