/**
 * `shiren gen [START…] [--count N] [--model FILE] [--form F] [--title T] [--acrostic 春夏秋冬] [--cipai 浣溪沙 [--variant N]] [--tones] [--rhyme]
 * [--temperature X] [--top-k K] [--top-p P] [--beam N] [--greedy] [--repetition-penalty X]
 * [--allow-repeats] [--candidates N] [--seed N] [--json] [--engine E] [--precision int8|f32]` (docs/design.md §5): translates the flags into
 * the domain layer's WriteOptions (src/domain/write.ts) and prints the poems.
 *
 * Output: each poem's title in 《》 (when it has one), then its lines one per line (as in the seed),
 * a blank line between poems, the model and engine on stderr; with --json only
 * `{"poems":[{"start","form","title","lines":[…],"text","choice"?}]}` on stdout (`choice`: the
 * candidates written and the chosen one's fit, fluency, repetition and score; src/domain/candidates.ts).
 * A 词 (--cipai) prints 《tune》 and its format, then each 片 as a paragraph; its JSON adds `cipai`,
 * `variant`, `format`, `tuneRead` (how the model read the tune: ci | free | none) and `stanzas`
 * (the lines per 片). The banner says how the model read the tune.
 */
import { writePoems, type Poem, type WriteOptions } from '../domain/write.ts';
import { openCommandModel } from './open.ts';

export interface GenCliOptions extends Omit<WriteOptions, 'start'> {
  start: string[];
  model?: string;
  json?: boolean;
  engine?: string;
  /** int8 (default) | f32: the weights of writing */
  precision?: string;
}

export async function runGen(opts: GenCliOptions): Promise<void> {
  // writing only decodes: the engine that loads fastest for it (src/engine/index.ts)
  const { model, banner } = await openCommandModel(opts, 'decode');
  const { json: _json, model: _model, engine: _engine, precision: _precision, ...write } = opts;
  const poems = writePoems(model, write);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ poems }) + '\n');
    return;
  }
  process.stderr.write(banner);
  const read = poems.find((p) => p.tuneRead)?.tuneRead;
  if (read) process.stderr.write(`tune read ${TUNE_READ[read]}\n`);
  process.stdout.write(poems.map(printed).join('\n'));
}

const TUNE_READ = {
  ci: 'as a 词\'s title (<ci> TUNE <sep>)',
  free: 'as a free poem\'s title (<free> TUNE <sep>: the model was trained before <ci>)',
  none: 'not at all (the model reads no titles)',
} as const;

/** A poem: its title, its lines; a 词: 《tune》 · format, each 片 a paragraph. */
function printed(p: Poem): string {
  if (p.stanzas) return `《${p.cipai}》 ${p.format}\n` + p.stanzas.map((s) => s.join('\n') + '\n').join('\n');
  return (p.title ? `《${p.title}》\n` : '') + p.lines.join('\n') + '\n';
}
