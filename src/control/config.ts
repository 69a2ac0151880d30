/**
 * The config model moved down to src/config (src/sim needs it too); this
 * name stays while src/control/daemon.ts and bench/suites import it here.
 */
export * from '../config/config.js';
