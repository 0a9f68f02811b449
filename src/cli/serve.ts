/**
 * `shiren serve [--port 8080] [--host 127.0.0.1] [--model FILE] [--engine E] [--precision int8|f32] [--workers N]
 * [--queue N] [--budget S]` (docs/design.md §5, §9): loads the model (checked here, then once per worker
 * thread on a 1-thread engine), serves app.ts, prints `listening on http://HOST:PORT` (the actual
 * port for --port 0) on stdout and the model, engine and workers on stderr, and returns once the
 * server has closed on SIGINT or SIGTERM (main.ts then exits the process).
 *
 * --workers N: generation threads (default one per core; 0 serves requests on the HTTP
 * thread itself, yielding between decoding steps); each runs up to SERVE_DEFAULTS.jobsPerLoop
 * requests at once in one decode loop (continuous batching, src/server/batcher.ts); --queue N:
 * requests that may wait beyond those running (then 503); --budget S: seconds from arrival to
 * answer before a request is stopped (503). The server itself (src/server/) prints nothing but
 * through the onLog it is given: this command owns the terminal.
 */
import { availableParallelism } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { EngineName } from '../engine/index.ts';
import { DEFAULT_DECODE_PRECISION, type DecodePrecision } from '../nn/config.ts';
import { openModel } from '../domain/model.ts';
import { describeModel } from '../domain/requests.ts';
import { MAX_WORKERS } from '../domain/limits.ts';
import { MAX_MODEL_BYTES } from '../nn/checkpoint.ts';
import { readRegularFile } from '../util/fs.ts';
import { buildApp } from '../server/app.ts';
import { WorkerRunner, type Runner } from '../server/pool.ts';

export interface ServeOptions {
  port: number;
  host: string;
  /** Model file; default the bundled model. */
  model?: string;
  /** auto | blas | wasm | reference */
  engine?: string;
  /** int8 (default) | f32: the weights of writing */
  precision?: string;
  /** Folder of the built web page (default web/dist). */
  webRoot?: string;
  /** Generation worker threads; default one per core; 0: none. */
  workers?: number;
  /** Requests that may wait beyond those running; default 64. */
  queue?: number;
  /** Seconds a request may take from arrival to answer; default 10. */
  budget?: number;
}

/**
 * The default number of generation workers: one per core. The HTTP thread's work is light and a
 * worker yields between decoding steps, so it needs no core of its own (measured: bench/README.md).
 */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** The one-line reason a server cannot listen, for the usual causes. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`;
  if (err.code === 'EADDRINUSE') return new Error(`cannot listen on ${where}: the port is in use (choose another --port, or 0 for any free one)`);
  if (err.code === 'EACCES') return new Error(`cannot listen on ${where}: permission denied (ports below 1024 need privileges)`);
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') return new Error(`cannot listen on ${where}: no such local address`);
  return new Error(`cannot listen on ${where}: ${err.message}`);
}

export async function runServe(opts: ServeOptions): Promise<void> {
  const engine = opts.engine as EngineName | undefined;
  const workers = opts.workers ?? defaultWorkers();
  if (!(Number.isInteger(workers) && workers >= 0 && workers <= MAX_WORKERS)) throw new Error(`--workers must be an integer from 0 to ${MAX_WORKERS}, got ${workers}`);
  // a 1-thread engine here too: with workers it only describes the model; without, it serves
  const precision = (opts.precision ?? DEFAULT_DECODE_PRECISION) as DecodePrecision;
  const { model, source } = await openModel(opts.model, { engine, threads: workers > 0 ? 1 : undefined, precision });
  const modelBytes = readRegularFile(source, MAX_MODEL_BYTES, 'model file');
  const runner: Runner | undefined = workers > 0 ? await WorkerRunner.create({ modelBytes, engine, precision, workers, onLog: (line) => process.stderr.write(`shiren serve: ${line}\n`) }) : undefined;
  const app = await buildApp({ model, modelBytes, webRoot: opts.webRoot, runner, queue: opts.queue, budgetMs: opts.budget === undefined ? undefined : opts.budget * 1000 });
  try {
    await app.listen({ port: opts.port, host: opts.host });
  } catch (err) {
    await app.close();
    throw listenError(err as NodeJS.ErrnoException, opts.host, opts.port);
  }
  // handlers first: a client that reads `listening on` may signal at once
  const closed = new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      app.close().then(() => resolve(), () => resolve());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const { address, port } = app.server.address() as AddressInfo;
  const { cell, layers, hidden, engine: engineName } = describeModel(model);
  const threads = workers > 0 ? `${workers} generation worker${workers > 1 ? 's' : ''}` : 'generation on the HTTP thread';
  process.stderr.write(`model ${source} (${cell}, ${layers}×${hidden}), engine ${engineName}, ${precision} weights for writing, ${threads}\n`);
  process.stdout.write(`listening on http://${address.includes(':') ? `[${address}]` : address}:${port}\n`);
  await closed;
}
