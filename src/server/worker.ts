/**
 * A generation worker of `shiren serve` (node:worker_threads): loads the model once on a 1-thread
 * engine, says `{type:'ready'}`, then serves jobs until terminated, every running job's poems in
 * one decode loop (batcher.ts: continuous batching; the loop yields between steps, so messages
 * arrive between two steps).
 *
 *   workerData  {modelBytes, engine, precision?}   (precision: int8 by default)
 *   in          {type:'start', id, job: Job, deadline: ms since the epoch} | {type:'stop', id}
 *   out         {type:'ready'} | {type:'failed-start', message}
 *               {type:'done', id, result: JobResult} | {type:'failed', id, failure: JobFailure}
 *               {type:'stopped', id}   (cancelled, or past its deadline: before the next step)
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineName } from '../engine/index.ts';
import { DEFAULT_DECODE_PRECISION, type DecodePrecision } from '../nn/config.ts';
import { openModel } from '../domain/model.ts';
import { JobBatcher } from './batcher.ts';
import type { Job } from './jobs.ts';

interface Data {
  modelBytes: Uint8Array;
  engine?: EngineName;
  precision?: DecodePrecision;
}

type ToWorker = { type: 'start'; id: number; job: Job; deadline: number } | { type: 'stop'; id: number };

const data = workerData as Data;
const port = parentPort!;

try {
  const { model } = await openModel(data.modelBytes, { engine: data.engine, threads: 1, precision: data.precision ?? DEFAULT_DECODE_PRECISION });
  const batcher = new JobBatcher(model);
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'stop') {
      batcher.stop(msg.id);
      return;
    }
    const { id } = msg;
    batcher.start(id, msg.job, msg.deadline, {
      done: (result) => port.postMessage({ type: 'done', id, result }),
      failed: (failure) => port.postMessage({ type: 'failed', id, failure }),
      stopped: () => port.postMessage({ type: 'stopped', id }),
    });
  });
  port.postMessage({ type: 'ready' });
} catch (err) {
  port.postMessage({ type: 'failed-start', message: (err as Error).message.split('\n')[0] });
}
