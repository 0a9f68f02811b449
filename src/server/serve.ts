/**
 * `shiren serve [--port 8080] [--host 127.0.0.1] [--model FILE] [--engine E]` (docs/design.md §5): loads
 * the model once, serves app.ts, prints `listening on http://HOST:PORT` (the actual port for
 * --port 0) on stdout and the model and engine on stderr, and returns once the server has closed
 * on SIGINT or SIGTERM (main.ts then exits the process).
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { EngineName } from '../engine/index.ts';
import { openModel } from '../domain/model.ts';
import { describeModel } from '../domain/requests.ts';
import { buildApp } from './app.ts';

export interface ServeOptions {
  port: number;
  host: string;
  /** Model file; default the bundled model. */
  model?: string;
  /** auto | blas | wasm | reference */
  engine?: string;
  /** Folder of the built web page (default web/dist). */
  webRoot?: string;
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
  const { model, source } = await openModel(opts.model, { engine: opts.engine as EngineName | undefined });
  const app = await buildApp({ model, modelBytes: readFileSync(source), webRoot: opts.webRoot });
  try {
    await app.listen({ port: opts.port, host: opts.host });
  } catch (err) {
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
  const { cell, layers, hidden, engine } = describeModel(model);
  process.stderr.write(`model ${source} (${cell}, ${layers}×${hidden}), engine ${engine}\n`);
  process.stdout.write(`listening on http://${address.includes(':') ? `[${address}]` : address}:${port}\n`);
  await closed;
}
