/** Entry of the netisr worker thread. */
import { startNetisrWorker } from '../src/netisr/worker.js';

export default startNetisrWorker;
