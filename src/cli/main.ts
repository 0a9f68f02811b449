/**
 * The `shiren` command line (DESIGN §5): parses flags with commander and dispatches to one module
 * per command, loaded on demand so that `shiren gen` does not pay for the trainer. Every failure is
 * one line on stderr: exit 1 for user errors, 2 for usage errors (SHIREN_DEBUG=1 shows the stack).
 */
import { Command, CommanderError, Option } from 'commander';
import { ALL_FORMS, FORMS } from '../data/clean.ts';
import { ENGINES } from '../engine/index.ts';
import { CELL_TYPES } from '../nn/config.ts';
import { OPTIMIZER_KINDS } from '../nn/optim.ts';
import { GEN_FORMS } from '../poetry/forms.ts';
import { UsageError, parseChoice, parseInteger, parseList, parseNumber } from './errors.ts';

function engineOption(): Option {
  return new Option('--engine <name>', 'compute engine: auto picks the fastest available (blas > wasm > reference)')
    .argParser(parseChoice('--engine', ENGINES))
    .default('auto');
}
function threadsOption(): Option {
  return new Option('--threads <n>', 'compute threads (default: number of cores)').argParser(parseInteger('--threads'));
}
function modelOption(): Option {
  return new Option('--model <file>', 'model file (.safetensors); default: the bundled pretrained model');
}

export function buildProgram(): Command {
  const program = new Command('shiren')
    .description('诗人 — learn to write classical Chinese poetry with RNN, LSTM and GRU language models')
    .version(process.env.npm_package_version ?? '0.1.0', '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: (msg, write) => write(`shiren: ${msg.replace(/^error: /, '').trim()}\n`) });

  program
    .command('corpus')
    .description('build the Tang corpus from the npm package chinese-poetry and print its stats')
    .option('--out <dir>', 'output folder: <dir>/<split>/<form>.txt and <dir>/stats.json', 'data/corpus')
    .option('--forms <list>', `forms to write, comma-separated (${ALL_FORMS.join(', ')})`, parseList('--forms', ALL_FORMS), [...FORMS])
    .option('--include-free', 'also write poems of no regulated form (free)', false)
    .option('--sample <n>', 'keep at most n poems per split and form (for small test corpora)', parseInteger('--sample'))
    .action(async (opts) => (await import('./corpus.ts')).runCorpus(opts));

  program
    .command('train')
    .description('train a language model on the corpus, with progress, validation and checkpoints')
    .option('--corpus <dir>', 'corpus folder built by `shiren corpus`', 'data/corpus')
    .addOption(new Option('--cell <cell>', 'recurrent cell').argParser(parseChoice('--cell', CELL_TYPES)).default('lstm'))
    .option('--layers <n>', 'stacked recurrent layers', parseInteger('--layers'), 2)
    .option('--embed <n>', 'embedding size E', parseInteger('--embed'), 128)
    .option('--hidden <n>', 'hidden size H', parseInteger('--hidden'), 256)
    .option('--batch <n>', 'poems per batch', parseInteger('--batch'), 64)
    .option('--epochs <n>', 'passes over the training split (default: 10; on --resume, the run\'s own)', parseInteger('--epochs'))
    .option('--lr <x>', 'learning rate', parseNumber('--lr', 0), 2e-3)
    .option('--lr-decay <x>', 'multiply the learning rate by x after each epoch', parseNumber('--lr-decay', 0, 1), 1)
    .addOption(new Option('--optimizer <name>', 'optimizer').argParser(parseChoice('--optimizer', OPTIMIZER_KINDS)).default('adam'))
    .option('--clip <x>', 'clip the global gradient norm to x (0: no clipping)', parseNumber('--clip', 0), 1)
    .option('--dropout <p>', 'dropout between layers', parseNumber('--dropout', 0, 0.95), 0.1)
    .option('--weight-decay <x>', 'L2 weight decay', parseNumber('--weight-decay', 0), 0)
    .option('--forms <list>', `forms to train on, comma-separated (${ALL_FORMS.join(', ')})`, parseList('--forms', ALL_FORMS), [...FORMS])
    .option('--min-count <n>', 'drop characters seen fewer than n times in train (they become <unk>)', parseInteger('--min-count'), 1)
    .option('--out <dir>', 'run folder for checkpoints, metrics and the loss plot (default: runs/<cell>-<time>)')
    .option('--resume <dir>', 'continue the run in <dir> exactly where it stopped')
    .option('--time-budget <min>', 'stop cleanly after this many minutes', parseNumber('--time-budget', 0))
    .option('--max-steps <n>', 'stop after this many optimizer steps', parseInteger('--max-steps'))
    .option('--seed <n>', 'random seed (initialisation, data order, dropout)', parseInteger('--seed', 0), 1)
    .option('--log-every <n>', "print the seed's line `epoch E batch number N loss is: X` every n batches", parseInteger('--log-every'))
    .option('--show-predictions', 'with --log-every, also print argmax predictions against the targets', false)
    .option('--checkpoint-every <min>', 'minutes between checkpoints (and at each epoch end)', parseNumber('--checkpoint-every', 0), 5)
    .addOption(engineOption())
    .addOption(threadsOption())
    .action(async (opts) => (await import('./train.ts')).runTrain(opts));

  program
    .command('gen')
    .description('write poems: one per start argument (or from <bos> with none), printed line by line')
    .argument('[start...]', 'start characters or text to continue, one poem each')
    .addOption(modelOption())
    .option('--count <n>', 'poems per start argument', parseInteger('--count'), 1)
    .addOption(new Option('--form <form>', 'poem form').argParser(parseChoice('--form', GEN_FORMS)))
    .option('--acrostic <chars>', 'acrostic: line i starts with character i (e.g. 春夏秋冬)')
    .option('--tones', 'follow the 平仄 pattern of the form', false)
    .option('--rhyme', 'even lines rhyme', false)
    .option('--temperature <x>', 'sampling temperature (0: greedy)', parseNumber('--temperature', 0))
    .option('--top-k <n>', 'sample from the k most likely characters', parseInteger('--top-k'))
    .option('--top-p <x>', 'sample from the smallest set with probability ≥ p', parseNumber('--top-p', 0, 1))
    .option('--beam <n>', 'beam search with n beams', parseInteger('--beam'))
    .option('--greedy', 'always take the most likely character', false)
    .option('--repetition-penalty <x>', 'divide the probability of characters already used by x', parseNumber('--repetition-penalty', 1))
    .option('--allow-repeats', 'allow a character to repeat within a poem (default: no repeats in fixed forms)', false)
    .option('--seed <n>', 'random seed (reproducible poems)', parseInteger('--seed', 0))
    .option('--json', 'machine-readable output', false)
    .addOption(engineOption())
    .action(async (start: string[], opts) => (await import('./gen.ts')).runGen({ ...opts, start }));

  program
    .command('score')
    .description('log-likelihood and perplexity of given poems')
    .argument('[text...]', 'poems to score')
    .addOption(modelOption())
    .option('--file <file>', 'score the poems in a file, one per line')
    .option('--json', 'machine-readable output', false)
    .addOption(engineOption())
    .action(async (texts: string[], opts) => (await import('./score.ts')).runScore({ ...opts, texts }));

  program
    .command('eval')
    .description('test perplexity and the quality figures of generated poems')
    .addOption(modelOption())
    .option('--corpus <dir>', 'corpus folder', 'data/corpus')
    .addOption(new Option('--split <split>', 'split to evaluate').argParser(parseChoice('--split', ['train', 'valid', 'test'] as const)).default('test'))
    .option('--count <n>', 'poems to generate for the quality figures', parseInteger('--count'), 200)
    .option('--seed <n>', 'random seed of the generated poems', parseInteger('--seed', 0), 1)
    .option('--json', 'machine-readable output', false)
    .addOption(engineOption())
    .action(async (opts) => (await import('./eval.ts')).runEval(opts));

  program
    .command('inspect')
    .description('per character: probability, rank, top-5 and the gates of every layer; heat map and hover page')
    .argument('<poem>', 'the poem to inspect')
    .addOption(modelOption())
    .option('--json', 'machine-readable output', false)
    .option('--svg <file>', 'write the heat map of the gates (characters × units) as SVG')
    .option('--html <file>', 'write a standalone page: hover a character to see its numbers')
    .addOption(engineOption())
    .action(async (poem: string, opts) => (await import('./inspect.ts')).runInspect({ ...opts, poem }));

  program
    .command('bench')
    .description('training and generation throughput (config R of DESIGN §6)')
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
    .action(async (opts) => (await import('../server/serve.ts')).runServe(opts));

  return program;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version end with code 0; commander has already printed its one-line error
      return err.exitCode === 0 ? 0 : 2;
    }
    if (process.env.SHIREN_DEBUG) console.error(err);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`shiren: ${message.split('\n')[0]}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

// exit explicitly: worker threads of the compute engine must not keep the process alive
// (`serve` only returns when the server has closed)
process.exit(await main(process.argv.slice(2)));
