/** Entry of a CPU worker thread (a piscina pool of one thread per CPU). */
import { startCpuWorker } from '../src/cpu/worker.js';

export default startCpuWorker;
