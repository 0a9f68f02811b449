/**
 * `shiren score [--model FILE] TEXT… | --file F [--json]` (docs/design.md §5): reads the poems and
 * prints what the domain layer's scorePoems (src/domain/score.ts) gives.
 *
 * --file holds at most MAX_FILE_POEMS (poem-file.ts) poems; scoring many shows a progress bar on
 * stderr when it is a terminal.
 *
 * Output: one line per poem on stdout (`logprob  tokens  perplexity  text`), the model and engine
 * on stderr; with --json, `{"poems":[{"text","tokens","logprob","perplexity"}]}` on stdout only.
 */
import { poemTooLong } from '../data/sequence.ts';
import { readPoemLines } from './poem-file.ts';
import { progressBar, type Progress } from './progress.ts';
import { scorePoems, type ScoreInput } from '../domain/score.ts';
import { openCommandModel } from './open.ts';


export interface ScoreOptions {
  /** Model file; default the bundled model. */
  model?: string;
  /** A file of poems to score, one per line or JSON lines {"title","text"} (blank lines skipped), after `texts`. */
  file?: string;
  /** The title the command-line poems are scored under. */
  title?: string;
  /** Poems given on the command line. */
  texts: string[];
  /** Print JSON instead of lines. */
  json?: boolean;
  /** Compute engine: auto | wasm | blas | reference. */
  engine?: string;
}

/** One JSON line `{"text": "…", "title": "…"}` of a --file (title optional). */
function jsonLine(line: string, where: string): ScoreInput {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`${where}: not valid JSON`);
  }
  const { text, title } = (value ?? {}) as Record<string, unknown>;
  if (typeof text !== 'string' || !text.trim()) throw new Error(`${where}: a JSON line needs "text": "<poem>"`);
  if (title !== undefined && typeof title !== 'string') throw new Error(`${where}: "title" must be a string`);
  const long = poemTooLong(text);
  if (long) throw new Error(`${where}: ${long}`);
  return { text: text.trim(), title: title?.trim() };
}

export async function runScore(opts: ScoreOptions): Promise<void> {
  const texts: ScoreInput[] = opts.texts.map((t) => t.trim()).filter(Boolean).map((text) => (opts.title ? { text, title: opts.title } : text));
  if (opts.file !== undefined) {
    for (const { line, number } of readPoemLines(opts.file)) texts.push(line.startsWith('{') ? jsonLine(line, `${opts.file}:${number}`) : line);
  }
  if (texts.length === 0) throw new Error('nothing to score: give poems as arguments or --file FILE');
  const { model, banner } = await openCommandModel(opts);
  // a long file takes minutes: a bar on a terminal (never in a pipe or log, whose reader wants the results)
  let bar: Progress | undefined;
  const onProgress = process.stderr.isTTY && texts.length >= 100
    ? (done: number, total: number) => {
      if (done % 50 === 0 || done === total) (bar ??= progressBar(total, 'score |{bar}| {value}/{total} poems | ETA {eta_formatted}')).update(done);
    }
    : undefined;
  const scores = scorePoems(model, texts, onProgress);
  bar?.stop();
  if (opts.json) {
    process.stdout.write(JSON.stringify({ poems: scores }) + '\n');
    return;
  }
  process.stderr.write(banner);
  for (const s of scores) {
    process.stdout.write(`logprob ${s.logprob.toFixed(3)}  tokens ${s.tokens}  perplexity ${s.perplexity.toFixed(2)}  ${s.title ? `《${s.title}》` : ''}${s.text}\n`);
  }
}
