/**
 * The `shiren` command line (docs/design.md §5): parses flags with commander and dispatches to one module
 * per command, loaded on demand so that `shiren gen` does not pay for the trainer. Every failure is
 * one line on stderr, control characters escaped and cut at 500 characters: exit 1 for user
 * errors, 2 for usage errors (SHIREN_DEBUG=1 shows the stack).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ALL_FORMS, FORMS } from '../data/clean.ts';
import { ENGINES } from '../engine/names.ts';
import { SPLITS } from '../data/split.ts';
import { CELL_TYPES, DECODE_PRECISIONS } from '../nn/config.ts';
import { CONDITIONS } from '../data/sequence.ts';
import { INIT_VOCABS, TRAIN_DEFAULTS } from '../train/options.ts';
import { OPTIMIZER_KINDS } from '../nn/optim.ts';
import { GEN_FORMS } from '../poetry/forms.ts';
import { RHYME_BOOKS } from '../poetry/book-names.ts';
import { DEFAULT_CANDIDATES, MAX_GUIDANCE, MAX_WORKERS, SERVE_DEFAULTS } from '../domain/limits.ts';
import { CANDIDATE_WEIGHTS } from '../domain/candidates.ts';
import { printable } from '../util/text.ts';
import { UsageError, parseChoice, parseInteger, parseList, parseNumber, parsePath } from './errors.ts';

function engineOption(): Option {
  return new Option('--engine <name>', 'compute engine: auto picks the fastest available (blas > wasm > reference)')
    .argParser(parseChoice('--engine', ENGINES))
    .default('auto');
}
function precisionOption(): Option {
  return new Option('--precision <p>', 'weights of writing: int8 (per-row int8 copies, a quarter of the bytes per step) or f32')
    .argParser(parseChoice('--precision', DECODE_PRECISIONS));
}
function threadsOption(): Option {
  return new Option('--threads <n>', 'compute threads (default: number of cores)').argParser(parseInteger('--threads'));
}
function modelOption(): Option {
  return new Option('--model <file>', 'model file (.safetensors); default: the bundled pretrained model').argParser(parsePath('--model'));
}

/** Where an action leaves a non-zero exit code that is not an error (check: 3 when a poem has faults). */
export interface RunStatus {
  code: number;
}

/** The package's version: src/cli and dist/cli both sit two levels below package.json. */
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function buildProgram(status: RunStatus = { code: 0 }): Command {
  const program = new Command('shiren')
    .description('诗人 — learn to write classical Chinese poetry with RNN, LSTM and GRU language models')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: (msg, write) => write(`shiren: ${printable(msg.replace(/^error: /, '').trim().split('\n')[0] ?? '', 500)}\n`) });

  program
    .command('corpus')
    .description('build the corpus from the npm package chinese-poetry (Tang poems, their 对联, with ci the Song 词) and print its stats')
    .option('--out <dir>', 'output folder: <dir>/<split>/<form>.txt and <dir>/stats.json', parsePath('--out'), 'data/corpus')
    .option('--forms <list>', `forms to write, comma-separated (${ALL_FORMS.join(', ')})`, parseList('--forms', ALL_FORMS), [...FORMS, 'duilian'])
    .option('--include-free', 'short for adding free to --forms (poems of no regulated form)', false)
    .option('--song', 'duilian: also take the couplets of the Song 律诗 (4.7 times the pairs, 4–5 times the build time)', false)
    .option('--song-poems', 'also train on the Song poems of the forms written (added to the train split only; valid and test stay Tang)', false)
    .option('--sample <n>', 'keep at most n poems per split and form (for small test corpora)', parseInteger('--sample'))
    .action(async (opts) => (await import('./corpus.ts')).runCorpus(opts));

  const T = TRAIN_DEFAULTS;
  program
    .command('train')
    .description('train a language model on the corpus, with progress, validation and checkpoints')
    .option('--corpus <dir>', 'corpus folder built by `shiren corpus`', parsePath('--corpus'), T.corpus)
    .addOption(new Option('--cell <cell>', 'recurrent cell').argParser(parseChoice('--cell', CELL_TYPES)).default(T.cell))
    .option('--layers <n>', 'stacked recurrent layers', parseInteger('--layers'), T.layers)
    .option('--embed <n>', 'embedding size E', parseInteger('--embed'), T.embed)
    .option('--hidden <n>', 'hidden size H', parseInteger('--hidden'), T.hidden)
    .option('--tied', 'tie the output layer to the input embedding through a projection: logits = Emb·(P·h) + b, P [E,H] (H·E + E·V multiply-adds a step instead of H·V)', T.tied)
    .option('--title-bag', 'add a title bag to a tied output: p = P·h + A·m, m the mean embedding of the title read so far, A [E,E] starting at zero (needs --tied or a tied --init, and --condition title)', T.titleBag)
    .option('--batch <n>', 'poems per batch', parseInteger('--batch'), T.batch)
    .option('--epochs <n>', `passes over the training split (default: ${T.epochs}; on --resume, the run's own)`, parseInteger('--epochs'))
    .option('--lr <x>', 'learning rate', parseNumber('--lr', 0), T.lr)
    .option('--lr-decay <x>', 'multiply the learning rate by x after each epoch', parseNumber('--lr-decay', 0, 1), T.lrDecay)
    .addOption(new Option('--optimizer <name>', 'optimizer').argParser(parseChoice('--optimizer', OPTIMIZER_KINDS)).default(T.optimizer))
    .option('--clip <x>', 'clip the global gradient norm to x (0: no clipping)', parseNumber('--clip', 0), T.clip)
    .option('--dropout <p>', 'dropout after each recurrent layer', parseNumber('--dropout', 0, 0.95), T.dropout)
    .option('--weight-decay <x>', 'L2 weight decay', parseNumber('--weight-decay', 0), T.weightDecay)
    .option('--forms <list>', `forms to train on, comma-separated (${ALL_FORMS.join(', ')})`, parseList('--forms', ALL_FORMS), T.forms)
    .option('--min-count <n>', 'drop characters seen fewer than n times in train (they become <unk>)', parseInteger('--min-count'), T.minCount)
    .addOption(new Option('--condition <what>', 'title: read `<form> title <sep>` before each poem, so poems can be written on a title').argParser(parseChoice('--condition', CONDITIONS)).default(T.condition))
    .option('--untitled-share <x>', 'with --condition title: share of poems shown untitled each epoch', parseNumber('--untitled-share', 0, 1), T.untitledShare)
    .option('--max-chars <n>', 'leave out poems longer than n characters (0: keep all)', parseInteger('--max-chars', 0), T.maxChars)
    .option('--init <file>', "fine-tune: start from this model's parameters (its cell, sizes, tying and vocabulary are kept; --tied needs a tied model)", parsePath('--init'), T.init)
    .addOption(new Option('--init-vocab <which>', "with --init: model keeps the model's vocabulary; corpus takes the corpus's, copying the rows of the symbols both know (new forms or characters start fresh)").argParser(parseChoice('--init-vocab', INIT_VOCABS)).default(T.initVocab))
    .option('--out <dir>', 'run folder for checkpoints, metrics and the loss plot (default: runs/<cell>-<time>)', parsePath('--out'))
    .option('--resume <dir>', 'continue the run in <dir> exactly where it stopped', parsePath('--resume'))
    .option('--time-budget <min>', 'stop cleanly after this many minutes', parseNumber('--time-budget', 0))
    .option('--cpu-budget <min>', "stop cleanly after this many minutes of the process's CPU time (user + system, all threads) spent training in this invocation, validation excluded", parseNumber('--cpu-budget', 0))
    .option('--max-steps <n>', 'stop after this many optimizer steps', parseInteger('--max-steps'))
    .option('--seed <n>', 'random seed (initialisation, data order, dropout)', parseInteger('--seed', 0), T.seed)
    .option('--log-every <n>', "print the seed's line `epoch E batch number N loss is: X` every n batches", parseInteger('--log-every'))
    .option('--show-predictions', 'with --log-every, also print argmax predictions against the targets', false)
    .option('--force-unlock', "remove the run folder's lock first, whoever holds it (a stale lock: two trainers on one folder overwrite each other)", false)
    .option('--checkpoint-every <min>', 'minutes between checkpoints (and at each epoch end)', parseNumber('--checkpoint-every', 0), T.checkpointEvery)
    .option('--valid-every <min>', 'also validate every this many CPU minutes of training (0: only at each epoch end)', parseNumber('--valid-every', 0), T.validEvery)
    .option('--valid-poems <n>', 'validate on a fixed subset of n validation poems, spread over the split (0: all)', parseInteger('--valid-poems', 0), T.validPoems)
    .addOption(engineOption())
    .addOption(threadsOption())
    .action(async (opts, cmd: Command) => {
      // a resumed run keeps the options it started with: a changed one given here would be ignored
      const changed = opts.resume ? Object.keys(T).filter((key) => key !== 'epochs' && cmd.getOptionValueSource(key) === 'cli') : [];
      if (changed.length > 0) {
        const flags = changed.map(flagOf).join(', ');
        throw new UsageError(`${flags} cannot be given with --resume: the run keeps the options it started with (its options.json); only --epochs and this invocation's limits (budgets, --max-steps, --threads, --engine) may change`);
      }
      return (await import('./train.ts')).runTrain(opts);
    });

  program
    .command('duilian')
    .description('answer a 上联 (one clause ending in 仄) with 下联 that pass the 对联 checks, one a line')
    .argument('<upper>', 'the 上联, e.g. 海阔凭鱼跃')
    .addOption(modelOption())
    .option('--count <n>', '下联 to write', parseInteger('--count'), 1)
    .option('--candidates <n>', `write n candidates per 下联 and keep the best by fit to the 上联, fluency and repetition (default ${DEFAULT_CANDIDATES} when sampling; 1: a single sample)`, parseInteger('--candidates'))
    .option('--guidance <x>', "with candidates: how strongly the 上联 steers the sampling (classifier-free guidance; default 0: the model's own distribution)", parseNumber('--guidance', 0, MAX_GUIDANCE))
    .option('--temperature <x>', 'sampling temperature (0: greedy)', parseNumber('--temperature', 0))
    .option('--top-k <n>', 'sample from the k most likely characters', parseInteger('--top-k'))
    .option('--top-p <x>', 'sample from the smallest set with probability ≥ p', parseNumber('--top-p', 0, 1))
    .addOption(new Option('--rhyme-book <book>', 'rhyme book of the tones: pingshui (平水韵) or xinyun (中华新韵)').argParser(parseChoice('--rhyme-book', RHYME_BOOKS)))
    .option('--seed <n>', 'random seed (reproducible 下联)', parseInteger('--seed', 0))
    .option('--json', 'machine-readable output: {"reading","pairs":[{"upper","lower","choice"?}]}', false)
    .addOption(engineOption())
    .addOption(precisionOption())
    .action(async (upper: string, opts) => (await import('./duilian.ts')).runDuilian({ ...opts, upper }));

  program
    .command('gen')
    .description('write poems: one per start argument (or from <bos> with none), printed line by line')
    .argument('[start...]', 'start characters or text to continue, one poem each')
    .addOption(modelOption())
    .option('--count <n>', 'poems per start argument', parseInteger('--count'), 1)
    .addOption(new Option('--form <form>', 'poem form').argParser(parseChoice('--form', GEN_FORMS)))
    .option('--title <title>', "write on this title (a title-conditioned model; without it the model writes a title first; '' for untitled)")
    .option('--acrostic <chars>', 'acrostic: line i starts with character i (e.g. 春夏秋冬)')
    .option('--keep <template>', 'rewrite a poem, keeping its characters and writing one at each ＿ or ？ (e.g. 白日依山尽，＿＿＿＿＿。欲穷千里目，更上一层楼。); the template sets the form')
    .option('--cipai <name>', 'write a 词 to this tune (词牌, e.g. 浣溪沙; an alias or traditional name too; implies --form ci); the tune is its title, so no --title')
    .option('--variant <n>', 'with --cipai: the format of the tune (numbered as `shiren cipai NAME` shows; default 1)', parseInteger('--variant', 1))
    .option('--tones', 'follow a 平仄 pattern of the form (the default for wujue, qijue, wulv, qilv)')
    .option('--no-tones', 'do not follow the 平仄 rules')
    .option('--rhyme', 'even lines rhyme in one 平 group (the default for the regulated forms)')
    .option('--no-rhyme', 'do not rhyme')
    .addOption(new Option('--rhyme-book <book>', 'rhyme book of tones and rhymes: pingshui (平水韵) or xinyun (中华新韵)').argParser(parseChoice('--rhyme-book', RHYME_BOOKS)))
    .option('--rhyme-group <group>', 'rhyme in this 平 group (限韵), e.g. 东 or 阳')
    .option('--temperature <x>', 'sampling temperature (0: greedy)', parseNumber('--temperature', 0))
    .option('--top-k <n>', 'sample from the k most likely characters', parseInteger('--top-k'))
    .option('--top-p <x>', 'sample from the smallest set with probability ≥ p', parseNumber('--top-p', 0, 1))
    .option('--beam <n>', 'beam search with n beams', parseInteger('--beam'))
    .option('--greedy', 'always take the most likely character', false)
    .option('--repetition-penalty <x>', 'divide the probability of characters already used by x', parseNumber('--repetition-penalty', 1))
    .option('--allow-repeats', 'allow a character to repeat within a poem (default: no repeats in fixed forms)', false)
    .option('--candidates <n>', `write n candidates per poem and keep the best by title fit, fluency and repetition (default ${DEFAULT_CANDIDATES} when sampling, 1 with --greedy or --beam; 1: a single sample)`, parseInteger('--candidates'))
    .option('--guidance <x>', `with candidates: how strongly the title (given, or the one the model writes first) steers the sampling (classifier-free guidance; 0: the model's own distribution; default ${CANDIDATE_WEIGHTS.guidance}, 0 for a 词)`, parseNumber('--guidance', 0, MAX_GUIDANCE))
    .option('--seed <n>', 'random seed (reproducible poems)', parseInteger('--seed', 0))
    .option('--json', 'machine-readable output', false)
    .addOption(engineOption())
    .addOption(precisionOption())
    .action(async (start: string[], opts) => (await import('./gen.ts')).runGen({ ...opts, start }));

  program
    .command('score')
    .description('log-likelihood and perplexity of given poems')
    .argument('[text...]', 'poems to score')
    .addOption(modelOption())
    .option('--title <title>', 'score the poems given this title (a title-conditioned model)')
    .option('--file <file>', 'score the poems in a file: one per line, or JSON lines {"title":…,"text":…}', parsePath('--file'))
    .option('--json', 'machine-readable output', false)
    .addOption(engineOption())
    .action(async (texts: string[], opts) => (await import('./score.ts')).runScore({ ...opts, texts }));

  program
    .command('eval')
    .description('test perplexity and the quality figures of generated poems')
    .addOption(modelOption())
    .option('--corpus <dir>', 'corpus folder', parsePath('--corpus'), 'data/corpus')
    .addOption(new Option('--split <split>', 'split to evaluate').argParser(parseChoice('--split', SPLITS)).default('test'))
    .option('--count <n>', 'poems to generate for the quality figures', parseInteger('--count'), 200)
    .option('--seed <n>', 'random seed of the generated poems', parseInteger('--seed', 0), 1)
    .option('--json', 'machine-readable output', false)
    .addOption(engineOption())
    .addOption(threadsOption())
    .addOption(precisionOption())
    .action(async (opts) => (await import('./eval.ts')).runEval(opts));

  program
    .command('check')
    .description('the form, 平仄 pattern, rhyme group and every prosody fault of each poem (exit 3 when some poem has faults)')
    .argument('[poem...]', 'poems to check')
    .option('--file <file>', 'check the poems in a file, one per line', parsePath('--file'))
    .addOption(new Option('--form <form>', 'the form every poem must have (default: its shape decides)').argParser(parseChoice('--form', FORMS)))
    .addOption(new Option('--rhyme-book <book>', 'rhyme book: pingshui (平水韵) or xinyun (中华新韵)').argParser(parseChoice('--rhyme-book', RHYME_BOOKS)).default('pingshui'))
    .option('--cipai <name>', 'check each text as a 词 to this tune (词林正韵); a text whose first line is 词牌：NAME is one anyway')
    .option('--variant <n>', 'with --cipai: check against this format of the tune only (numbered as `shiren cipai NAME` shows)', parseInteger('--variant', 1))
    .option('--strict-rhyme', 'with 词: one 部 per rhyme group, no 通押', false)
    .option('--duilian', 'check couplets instead: the arguments are 上联 下联 pairs (length, 平仄 opposition, 仄起平收, repeats)', false)
    .option('--json', 'machine-readable output', false)
    .action(async (poems: string[], opts) => {
      status.code = await (await import('./check.ts')).runCheck({ ...opts, poems });
    });

  program
    .command('cipai')
    .description('the 词牌 of the 词谱: all tunes (with --corpus, the 词 per tune), or one tune\'s formats and pattern')
    .argument('[name]', 'a tune: its name, an alias or a traditional name')
    .option('--corpus <dir>', 'count the 词 per tune in this corpus (built with --forms …,ci)')
    .option('--json', 'machine-readable output', false)
    .action(async (name: string | undefined, opts) => (await import('./cipai.ts')).runCipai({ ...opts, name }));

  program
    .command('inspect')
    .description('per character: probability, rank, top-5 and the gates of every layer; heat map and hover page')
    .argument('<poem>', 'the poem to inspect')
    .addOption(modelOption())
    .option('--title <title>', 'read the poem under this title (a title-conditioned model)')
    .option('--json', 'machine-readable output', false)
    .option('--svg <file>', 'write the heat map of the gates (characters × units) as SVG', parsePath('--svg'))
    .option('--html <file>', 'write a standalone page: hover a character to see its numbers', parsePath('--html'))
    .addOption(engineOption())
    .action(async (poem: string, opts) => (await import('./inspect.ts')).runInspect({ ...opts, poem }));

  program
    .command('bench')
    .description('training and generation throughput (config R of docs/design.md §6)')
    .option('--json', 'machine-readable output', false)
    .option('--compare', 'also run PyTorch on the same config and print ratios', false)
    .option('--seconds <x>', 'seconds to measure each cell', parseNumber('--seconds', 0.1))
    .addOption(engineOption())
    .addOption(threadsOption())
    .action(async (opts) => (await import('./bench.ts')).runBench(opts));

  program
    .command('serve')
    .description('JSON API (POST /api/generate, /api/score) and the web page')
    .option('--port <n>', 'port', parseInteger('--port', 0), 8080)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .addOption(modelOption())
    .addOption(engineOption())
    .addOption(precisionOption())
    .option('--workers <n>', 'generation worker threads (default: one per core; 0: on the HTTP thread)', (v: string) => {
      const n = parseInteger('--workers', 0)(v);
      if (n > MAX_WORKERS) throw new UsageError(`--workers must be an integer from 0 to ${MAX_WORKERS}, got '${v}'`);
      return n;
    })
    .option('--queue <n>', 'requests that may wait for a worker before the server answers 503', parseInteger('--queue', 0), SERVE_DEFAULTS.queue)
    .option('--budget <s>', 'seconds a request may take, waiting included, before it is stopped (503)', parseNumber('--budget', 0.001, 3600), SERVE_DEFAULTS.budgetSeconds)
    .action(async (opts) => (await import('./serve.ts')).runServe(opts));

  return program;
}

/**
 * The domain layer names options as its TypeScript fields do (`topK must be …`); a message that
 * starts with such a field is reworded with the flag that sets it (`--top-k must be …`).
 */
function flagWording(message: string): string {
  return message.replace(/^([a-z]+[A-Z][A-Za-z]*|count|beam|seed|form|temperature|threads|tones|rhyme|acrostic|cipai|variant|keep)\b(?= (must|needs|has|takes))/, flagOf);
}

/** The flag that sets an option field: `topK` → `--top-k`. */
function flagOf(field: string): string {
  return `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const status: RunStatus = { code: 0 };
  const program = buildProgram(status);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return status.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version end with code 0; commander has already printed its one-line error
      return err.exitCode === 0 ? 0 : 2;
    }
    if (process.env.SHIREN_DEBUG) console.error(err);
    const message = err instanceof Error ? err.message : String(err);
    // one line, control characters escaped (a message may quote a hostile file), long ones cut
    process.stderr.write(`shiren: ${printable(flagWording(message.split('\n')[0] ?? ''), 500)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

