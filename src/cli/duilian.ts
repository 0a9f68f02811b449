/**
 * `shiren duilian 上联 [--count N] [--candidates N] [--seed N] [--temperature X] [--top-k K]
 * [--top-p P] [--rhyme-book B] [--json] [--model FILE] [--engine E] [--precision P]` (issue 20):
 * answers a 上联 with 下联 through the domain's writeDuilian (src/domain/duilian.ts).
 *
 * Output: one 下联 a line; on stderr the model line and how the model read the 上联 (as the
 * `<duilian>` title, or as the first line of a 律诗 couplet for a model trained before 对联).
 * With --json only `{"reading","pairs":[{"upper","lower","choice"?}]}` on stdout.
 */
import { writeDuilian, type DuilianWriteOptions } from '../domain/duilian.ts';
import { openCommandModel } from './open.ts';

export interface DuilianCliOptions extends DuilianWriteOptions {
  model?: string;
  json?: boolean;
  engine?: string;
  precision?: string;
}

/** What the banner says of each reading. */
const READINGS = {
  duilian: 'the 上联 read as the <duilian> title',
  lvshi: 'the 上联 read as the first line of a 律诗 couplet (the model has no <duilian> symbol)',
} as const;

export async function runDuilian(opts: DuilianCliOptions): Promise<void> {
  const { model, banner } = await openCommandModel(opts, 'decode');
  const { json: _json, model: _model, engine: _engine, precision: _precision, ...write } = opts;
  const result = writeDuilian(model, write);
  if (opts.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  process.stderr.write(banner + READINGS[result.reading] + '\n');
  process.stdout.write(result.pairs.map((p) => p.lower + '\n').join(''));
}
