/**
 * `shiren score [--model FILE] TEXT… | --file F [--json]` (docs/design.md §5): reads the poems and
 * prints what the domain layer's scorePoems (src/domain/score.ts) gives.
 *
 * Output: one line per poem on stdout (`logprob  tokens  perplexity  text`), the model and engine
 * on stderr; with --json, `{"poems":[{"text","tokens","logprob","perplexity"}]}` on stdout only.
 */
import { readRegularFile } from '../util/fs.ts';
import { scorePoems } from '../domain/score.ts';
import { openCommandModel } from './open.ts';

/** Largest --file: 64 MiB is about 400,000 regulated poems. */
const SCORE_FILE_BYTES = 64 * 2 ** 20;

export interface ScoreOptions {
  /** Model file; default the bundled model. */
  model?: string;
  /** A file of poems to score, one per line (blank lines skipped), after `texts`. */
  file?: string;
  /** Poems given on the command line. */
  texts: string[];
  /** Print JSON instead of lines. */
  json?: boolean;
  /** Compute engine: auto | wasm | blas | reference. */
  engine?: string;
}

export async function runScore(opts: ScoreOptions): Promise<void> {
  const texts = opts.texts.map((t) => t.trim()).filter(Boolean);
  if (opts.file !== undefined) {
    // a regular file of at most 64 MiB, checked before reading (not /dev/zero or a FIFO)
    const content = readRegularFile(opts.file, SCORE_FILE_BYTES, 'file of poems').toString('utf8');
    texts.push(...content.split(/\r?\n/).map((line) => line.trim()).filter(Boolean));
  }
  if (texts.length === 0) throw new Error('nothing to score: give poems as arguments or --file FILE');
  const { model, banner } = await openCommandModel(opts);
  const scores = scorePoems(model, texts);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ poems: scores }) + '\n');
    return;
  }
  process.stderr.write(banner);
  for (const s of scores) {
    process.stdout.write(`logprob ${s.logprob.toFixed(3)}  tokens ${s.tokens}  perplexity ${s.perplexity.toFixed(2)}  ${s.text}\n`);
  }
}
