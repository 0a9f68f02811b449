/**
 * A generation worker of `shiren serve` (node:worker_threads): loads the model once on a 1-thread
 * engine, says `{type:'ready'}`, then serves jobs one at a time until terminated.
 *
 *   workerData  {modelBytes, engine, cancel: SharedArrayBuffer(4)}  (cancel: Int32 id of the job to stop)
 *   in          {id, job: Job, deadline: ms since the epoch}
 *   out         {type:'ready'} | {type:'failed-start', message}
 *               {type:'done', id, result: JobResult} | {type:'failed', id, failure: JobFailure}
 *               {type:'stopped', id}   (the job was cancelled between two poems)
 *
 * The main thread stops a job by storing its id in `cancel`: the worker reads it between poems,
 * since a busy worker cannot receive messages; past its deadline a job stops by itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineName } from '../engine/index.ts';
import { openModel } from '../domain/model.ts';
import { describeFailure, JobStopped, runJob, type Job } from './jobs.ts';

interface Data {
  modelBytes: Uint8Array;
  engine?: EngineName;
  cancel: SharedArrayBuffer;
}

const data = workerData as Data;
const port = parentPort!;
const cancel = new Int32Array(data.cancel);

try {
  const { model } = await openModel(data.modelBytes, { engine: data.engine, threads: 1 });
  port.on('message', ({ id, job, deadline }: { id: number; job: Job; deadline: number }) => {
    const checkpoint = () => {
      if (Atomics.load(cancel, 0) === id || Date.now() > deadline) throw new JobStopped();
    };
    try {
      const result = runJob(model, job, checkpoint);
      port.postMessage({ type: 'done', id, result });
    } catch (err) {
      if (err instanceof JobStopped) port.postMessage({ type: 'stopped', id });
      else port.postMessage({ type: 'failed', id, failure: describeFailure(err) });
    }
  });
  port.postMessage({ type: 'ready' });
} catch (err) {
  port.postMessage({ type: 'failed-start', message: (err as Error).message.split('\n')[0] });
}
