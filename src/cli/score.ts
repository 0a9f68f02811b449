/**
 * `shiren score [--model FILE] TEXT… | --file F [--json]` (DESIGN §5): the natural-log
 * probability of all targets of `<bos> text <eos>` (text as given, punctuation included), their
 * count, and the perplexity exp(−logprob / tokens), per poem.
 *
 * Output: one line per poem on stdout (`logprob  tokens  perplexity  text`), the model and engine
 * on stderr; with --json, `{"poems":[{"text","tokens","logprob","perplexity"}]}` on stdout only.
 */
import * as fs from 'node:fs';
import type { Kernels } from '../engine/kernels.ts';
import { selectKernels, type EngineName } from '../engine/index.ts';
import { UnknownCharacterError } from '../data/vocab.ts';
import { loadModel, resolveModelFile } from '../nn/checkpoint.ts';
import type { Model } from '../nn/model.ts';

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

export interface PoemScore {
  text: string;
  tokens: number;
  logprob: number;
  perplexity: number;
}

/** Kernels for a command: the engine asked for, or the fastest available (src/engine/index.ts). */
export async function getKernels(engine = 'auto'): Promise<Kernels<Float32Array>> {
  return selectKernels({ engine: engine as EngineName });
}

/** Scores texts with a loaded model; unknown characters (of all texts) are one error naming them. */
export function scorePoems(model: Model, texts: readonly string[]): PoemScore[] {
  const unknown = model.vocab.unknown(texts.join(''));
  if (unknown.length) throw new UnknownCharacterError(unknown);
  return texts.map((text) => {
    const logprob = model.logprob(model.vocab.encode(text));
    const tokens = [...text].length + 1; // the characters and <eos>
    return { text, tokens, logprob, perplexity: Math.exp(-logprob / tokens) };
  });
}

export async function runScore(opts: ScoreOptions): Promise<void> {
  const texts = opts.texts.map((t) => t.trim()).filter(Boolean);
  if (opts.file !== undefined) {
    let content: string;
    try {
      content = fs.readFileSync(opts.file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? `${opts.file}: no such file` : `${opts.file}: cannot read (${code ?? String(error)})`);
    }
    texts.push(...content.split(/\r?\n/).map((line) => line.trim()).filter(Boolean));
  }
  if (texts.length === 0) throw new Error('nothing to score: give poems as arguments or --file FILE');
  const kernels = await getKernels(opts.engine);
  const file = resolveModelFile(opts.model);
  const model = loadModel(file, kernels);
  const scores = scorePoems(model, texts);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ poems: scores }) + '\n');
    return;
  }
  const { cell, layers, hidden } = model.config;
  process.stderr.write(`model ${file} (${cell}, ${layers}×${hidden}), engine ${kernels.name}\n`);
  for (const s of scores) {
    process.stdout.write(`logprob ${s.logprob.toFixed(3)}  tokens ${s.tokens}  perplexity ${s.perplexity.toFixed(2)}  ${s.text}\n`);
  }
}
