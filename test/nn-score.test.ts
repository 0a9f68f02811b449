/**
 * `shiren score` (runScore): JSON shape and values, plain lines, --file, and one-line errors for
 * unknown characters, a missing model and nothing to score.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { Model } from '../src/nn/model.ts';
import { BUNDLED_MODEL, resolveModelFile, saveModel } from '../src/nn/checkpoint.ts';
import { ModelFileError } from '../src/nn/model-bytes.ts';
import type { runScore } from '../src/cli/score.ts';
import { SPECIALS, Vocab } from '../src/data/vocab.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiren-score-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
const vocab = new Vocab([...SPECIALS, '，', '。', '山', '水', '月']);
const model = Model.create(createReferenceKernels('f32'), { cell: 'gru', layers: 2, embed: 4, hidden: 6, dropout: 0, vocabSize: vocab.size, gruVariant: 'seed', tied: false, titleBag: false }, vocab, 3);
const modelFile = path.join(dir, 'm.safetensors');
saveModel(modelFile, model);

/**
 * Runs runScore in a child process (its output goes to the real stdout, which in-process would
 * mix with the test reporter's) and returns stdout, or rejects with "<ErrorClass>: <message>".
 */
async function capture(opts: Parameters<typeof runScore>[0]): Promise<string> {
  const driver = `import('./src/cli/score.ts').then((m) => m.runScore(${JSON.stringify({ engine: 'reference', ...opts })}))
    .catch((e) => { process.stderr.write(e.name + ': ' + e.message); process.exitCode = 1; });`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', driver], { cwd: path.join(import.meta.dirname, '..'), encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return child.stdout;
}

test('--json: {"poems":[{text,tokens,logprob,perplexity}]} with logprob of <bos> text <eos>', async () => {
  const out = JSON.parse(await capture({ model: modelFile, texts: ['山水，月。', '月'], json: true }));
  assert.deepEqual(Object.keys(out), ['poems']);
  assert.equal(out.poems.length, 2);
  const [first] = out.poems;
  assert.deepEqual(Object.keys(first), ['text', 'tokens', 'logprob', 'perplexity']);
  assert.equal(first.text, '山水，月。');
  assert.equal(first.tokens, 6);
  assert.ok(Math.abs(first.logprob - model.logprob(vocab.encode('山水，月。'))) < 1e-9);
  assert.ok(Math.abs(first.perplexity - Math.exp(-first.logprob / 6)) < 1e-9);
  assert.ok(first.logprob < 0 && first.perplexity > 1);
});

test('plain output: one line per poem; --file adds its non-blank lines', async () => {
  const list = path.join(dir, 'poems.txt');
  fs.writeFileSync(list, '山月。\r\n\n水水\n');
  const lines = (await capture({ model: modelFile, texts: ['月'], file: list })).trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[1], /^logprob -\d+\.\d{3} {2}tokens 4 {2}perplexity \d+\.\d{2} {2}山月。$/);
});

test('errors: unknown characters named, missing model file, nothing to score', async () => {
  await assert.rejects(capture({ model: modelFile, texts: ['山花', '雪月'] }), { message: "UnknownCharacterError: unknown characters not in the model's vocabulary: 花 雪" });
  await assert.rejects(capture({ model: path.join(dir, 'none.safetensors'), texts: ['山'] }), { message: /^ModelFileError: .*none\.safetensors: no such file$/ });
  await assert.rejects(capture({ model: modelFile, texts: [] }), { message: /^Error: nothing to score/ });
  await assert.rejects(capture({ model: modelFile, texts: [], file: path.join(dir, 'no.txt') }), { message: /no\.txt: no such file$/ });
  await assert.rejects(capture({ model: modelFile, texts: ['山'], engine: 'cuda' }), { message: /^EngineError: unknown engine 'cuda'/ });
});

test('without --model the bundled model is used, or a one-line error says it is not installed', () => {
  const bundled = path.resolve(import.meta.dirname, '..', BUNDLED_MODEL);
  if (fs.existsSync(bundled)) assert.equal(resolveModelFile(), bundled);
  else assert.throws(() => resolveModelFile(), (e: Error) => e instanceof ModelFileError && /^no model file given and the bundled model models\/shiren-gru\.safetensors is not installed/.test(e.message));
  assert.equal(resolveModelFile('x.safetensors'), 'x.safetensors');
});
