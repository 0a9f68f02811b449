/**
 * Judges poems by the two judges of src/poetry/judges.ts (issue 18), which are not the model: a
 * topic figure (the share of poems whose true title ranks first among 10: the true one and 9 titles
 * of the test split drawn by --seed; chance 10%) and a fluency figure (the per-token perplexity of
 * a Kneser-Ney character 4-gram of the train poems; lower is more fluent). Both judges learn from
 * the train split (all forms) of --corpus. Prints a line for the reference, the real test poems
 * (the first --count of the test split's poems of --forms, shuffled by --seed), and a line for each
 * set of poems asked for:
 *
 *   node --import tsx tools/judge-poems.ts [--corpus data/corpus] [--forms regulated|all|wujue,…]
 *        [--count 400] [--seed 0] [--json]
 *        [FILE…]          JSON lines, each {"title","text"} or a `shiren gen --json` reply
 *                         ({"poems":[…]}, flattened); `-` reads stdin
 *        [--write]        also writes one poem per reference title in the real poem's form with
 *                         the model (--model FILE, default the bundled one; poem i with seed i)
 *        [--control]      with --write: also untitled poems in the same forms (title ''), judged
 *                         against the reference titles: the topic figure of a poem that never saw
 *                         its title, which should be at chance (10%)
 *        [--sample FILE]  writes the reference poems as JSON lines {"title","form","text"}, so a
 *                         tool can write on the same titles
 *
 * Poem i of a file meets the distractors of reference poem i when its title is the same, so poems
 * written on the sample's titles in its order are compared pair by pair. A poem without a title is
 * left out of the topic figure (not of the fluency one).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FORMS, POEM_FORMS, type Form } from '../src/data/clean.ts';
import { readTitledSplit } from '../src/data/corpus.ts';
import { openModel } from '../src/domain/model.ts';
import { writePoems } from '../src/domain/write.ts';
import { judgeSample, topicFigure, trainJudges, type JudgedPoem } from '../src/poetry/judges.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    corpus: { type: 'string', default: 'data/corpus' },
    forms: { type: 'string', default: 'regulated' },
    count: { type: 'string', default: '400' },
    seed: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    control: { type: 'boolean', default: false },
    model: { type: 'string' },
    sample: { type: 'string' },
  },
});

function fail(message: string): never {
  process.stderr.write(`judge-poems: ${message}\n`);
  process.exit(1);
}

const forms: readonly Form[] =
  values.forms === 'regulated' ? FORMS : values.forms === 'all' ? POEM_FORMS : (values.forms.split(',') as Form[]);
// the poems of a title (a 词's title is its tune, a 对联's its 上联: other judges' business)
for (const f of forms) if (!POEM_FORMS.includes(f)) fail(`--forms: unknown form '${f}' (regulated, all, or a list of ${POEM_FORMS.join(', ')})`);
const count = Number(values.count);
const seed = Number(values.seed);
if (!Number.isInteger(count) || count < 1) fail(`--count must be a positive integer, got ${values.count}`);
if (!Number.isInteger(seed) || seed < 0) fail(`--seed must be a non-negative integer, got ${values.seed}`);

/** The poems of a JSON-lines file (or stdin): {"title","text"} lines, or gen --json replies flattened. */
function readPoems(file: string): JudgedPoem[] {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  const poems: JudgedPoem[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      fail(`${file}:${i + 1}: not JSON`);
    }
    const items = (value as { poems?: unknown[] }).poems ?? [value];
    for (const item of items) {
      const p = item as Partial<JudgedPoem>;
      if (typeof p?.text !== 'string') fail(`${file}:${i + 1}: a poem needs a "text" string`);
      poems.push({ title: typeof p.title === 'string' ? p.title : '', text: p.text });
    }
  });
  return poems;
}

let train: ReturnType<typeof readTitledSplit>, testPoems: ReturnType<typeof readTitledSplit>;
try {
  train = readTitledSplit(values.corpus, 'train', POEM_FORMS);
  testPoems = readTitledSplit(values.corpus, 'test', forms);
} catch (err) {
  fail((err as Error).message);
}
const reference = judgeSample(testPoems, count, seed);
const pool = testPoems.map((p) => p.title);
if (values.sample) writeFileSync(values.sample, reference.map((p) => JSON.stringify({ title: p.title, form: p.form, text: p.text }) + '\n').join(''));

const built = performance.now();
const { fluency, topic } = trainJudges(train);
process.stderr.write(`judges trained on ${train.length} train poems in ${((performance.now() - built) / 1000).toFixed(1)} s\n`);

interface Row {
  poems: string;
  n: number;
  titled: number;
  top1: number;
  meanRank: number;
  perplexity: number;
}
/** `indices`: each poem's reference index (default its position), which picks its distractors. */
function judge(name: string, poems: JudgedPoem[], indices?: number[]): Row {
  const t = topicFigure(topic, poems, pool, seed, 9, indices);
  return { poems: name, n: poems.length, titled: t.poems, top1: t.top1, meanRank: t.meanRank, perplexity: fluency.corpusPerplexity(poems.map((p) => p.text)) };
}

const rows: Row[] = [judge(`real test poems (${forms.join(',')}, seed ${seed})`, reference)];
for (const file of positionals) rows.push(judge(file, readPoems(file)));
if (values.write) {
  const { model, source } = await openModel(values.model, { job: 'decode' });
  const name = source.split('/').pop();
  /** One poem per reference poem (poem i with seed i) in its form, on `titleOf(p)`, judged against the reference title. */
  const write = (label: string, titleOf: (p: JudgedPoem) => string) => {
    const written: JudgedPoem[] = [];
    const indices: number[] = [];
    let skipped = 0;
    const start = performance.now();
    reference.forEach((p, i) => {
      try {
        written.push({ title: p.title, text: writePoems(model, { form: p.form, title: titleOf(p), seed: i })[0]!.text });
        indices.push(i);
      } catch (err) {
        skipped++; // a title the model cannot read (an unknown character)
        process.stderr.write(`poem ${i} (${p.title}): ${(err as Error).message}\n`);
      }
    });
    process.stderr.write(`${label}: wrote ${written.length} poems in ${((performance.now() - start) / 1000).toFixed(1)} s${skipped ? `, ${skipped} skipped` : ''}\n`);
    rows.push(judge(`${label} by ${name}`, written, indices));
  };
  write('one sample on the title (seed i)', (p) => p.title);
  if (values.control) write('untitled control (seed i)', () => '');
}

if (values.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
else {
  process.stdout.write('| poems | n | true title first (of 10) | mean rank | 4-gram perplexity |\n| --- | --- | --- | --- | --- |\n');
  for (const r of rows) {
    process.stdout.write(`| ${r.poems} | ${r.n} | ${(100 * r.top1).toFixed(1)}% (${r.titled} titled) | ${r.meanRank.toFixed(2)} | ${r.perplexity.toFixed(1)} |\n`);
  }
}
