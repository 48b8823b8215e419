/**
 * The recording thread's entry (record-worker.ts is its body). Node 20 sets V8's flags back to its
 * own as a worker thread's isolate is made, and the flags are the whole process's: until they are
 * set again, either thread's young generation may grow. main.ts set them again on the thread's
 * 'online' event, which on a busy machine came late (the walks' thread grew to 2 MiB semi-spaces
 * in 2-4 exports of 15, test/e2e/young-generation). So the thread sets the run's flags
 * (workerData.v8Flags) itself, first, before its modules load, and says 'started': the walks wait
 * for that (WorkerHost.online). Its own young generation is held by its isolate's limit besides.
 */
import { setFlagsFromString } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker } from './record-worker.js';

for (const flag of (workerData as { v8Flags?: readonly string[] }).v8Flags ?? []) setFlagsFromString(flag);
// The walks start on this (WorkerHost.online): after the flags, not after the thread's start.
parentPort!.postMessage({ type: 'started' } satisfies FromWorker);
await import('./record-worker.js');
