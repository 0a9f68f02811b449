/**
 * Messages between the page (main.ts) and the poem worker (worker.ts). Every job carries an id and
 * is answered once, by `done` (its value) or `error` (a one-line message). The jobs mirror the
 * HTTP API, so the page can ask either: `generate` is the body of POST /api/generate and answers
 * its `poems`; `check` is POST /api/check (one CheckResult per text, a 词's with `cipai`);
 * `duilian` is POST /api/duilian; `checkDuilian` is POST /api/check's `duilian` pair, for several
 * pairs; `tunes` and `formats` are the 词谱 for the page's tune picker (ci-data.ts); `inspect` has no API route and runs in the browser only (`shiren inspect`'s numbers, with
 * its SVG heat map).
 */
import type { Poem } from '../../src/domain/write.ts';
import type { GenerateRequest, ModelInfo } from '../../src/domain/requests.ts';
import type { CheckResult } from '../../src/poetry/check.ts';
import type { CiCheckResult } from '../../src/poetry/ci-check.ts';
import type { DuilianCheck } from '../../src/poetry/duilian.ts';
import type { DuilianResult, DuilianWriteOptions } from '../../src/domain/duilian.ts';
import type { FormatView, TuneEntry } from './ci-data.ts';
import type { RhymeBookName } from '../../src/poetry/book-names.ts';
import type { CharInspection, SignalInfo } from '../../src/explain/inspect.ts';

/** What the page shows of an inspection: per character its numbers and the per-layer summaries. */
export interface InspectView {
  text: string;
  title: string;
  cell: string;
  signals: SignalInfo[];
  logprob: number;
  chars: (Omit<CharInspection, 'layers'> & { layers: Record<string, number>[] })[];
  /** The heat map (src/explain/render.ts renderSvg): one row per character, `g.row[data-i]`. */
  svg: string;
}

export interface Jobs {
  generate: { args: { request: GenerateRequest }; value: Poem[] };
  check: { args: { texts: string[]; rhymeBook: RhymeBookName; cipai?: string; variant?: number }; value: (CheckResult | CiCheckResult)[] };
  duilian: { args: { request: DuilianWriteOptions }; value: DuilianResult };
  checkDuilian: { args: { pairs: [string, string][]; rhymeBook: RhymeBookName }; value: DuilianCheck[] };
  tunes: { args: Record<never, never>; value: TuneEntry[] };
  formats: { args: { name: string }; value: FormatView[] };
  inspect: { args: { text: string; title: string }; value: InspectView };
}
export type JobName = keyof Jobs;

export interface ReadyInfo extends ModelInfo {
  /** The model reads titles (src/data/sequence.ts); an unconditional one refuses a title. */
  titled: boolean;
}

export type ToWorker =
  | { type: 'load'; modelUrl: string }
  | { [K in JobName]: { type: K; id: number } & Jobs[K]['args'] }[JobName];

export type FromWorker =
  | { type: 'ready'; info: ReadyInfo; ms: number }
  | { type: 'unavailable'; message: string } // the model or the kernels did not load
  | { type: 'done'; id: number; value: unknown; ms: number }
  | { type: 'error'; id: number; message: string };
