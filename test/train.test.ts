// Training (docs/design.md §3–§5): learning on the fixture corpus, exact resume, kill -9 safety, guards;
// a tied model (train --tied) from training through resume to gen.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSplit } from '../src/data/corpus.ts';
import { selectKernels } from '../src/engine/index.ts';
import { readModelFile } from '../src/nn/checkpoint.ts';
import { encodePoems, epochPlan, makeBatch } from '../src/train/batches.ts';
import { readTrainCheckpoint } from '../src/train/checkpoint.ts';
import { train, validSubset, type TrainOptions } from '../src/train/trainer.ts';
import { TRAIN_DEFAULTS } from '../src/train/options.ts';
import { Vocab } from '../src/data/vocab.ts';
import { paramTable, paramView } from '../src/nn/params.ts';
import { shiren } from './cli-helpers.ts';

const CORPUS = 'test/fixtures/corpus';
// the fastest engine here (blas in CI): these tests train for real
const kernels = await selectKernels();
const tiny: TrainOptions = {
  ...TRAIN_DEFAULTS,
  corpus: CORPUS, cell: 'lstm', layers: 1, embed: 16, hidden: 32, batch: 32, epochs: 1, lr: 1e-2,
  optimizer: 'adam', clip: 1, dropout: 0, weightDecay: 0, forms: ['wujue', 'qijue', 'wulv', 'qilv'], minCount: 3, seed: 3,
  checkpointEvery: 0,
};
const tmp = () => mkdtempSync(join(tmpdir(), 'shiren-train-'));

test('batches: <bos> poem <eos>, padding ignored, grouped by length, deterministic order', () => {
  const vocab = Vocab.fromTexts(['山水，', '月。']);
  const b = makeBatch(encodePoems(vocab, ['山水，', '月。']));
  assert.equal(b.T, 4);
  assert.deepEqual([...b.inputs], [2, vocab.id('山'), vocab.id('水'), vocab.id('，'), 2, vocab.id('月'), vocab.id('。'), 0]);
  assert.deepEqual([...b.targets], [vocab.id('山'), vocab.id('水'), vocab.id('，'), 3, vocab.id('月'), vocab.id('。'), 3, 0]);
  assert.equal(b.tokens, 7);
  const lengths = [5, 7, 5, 7, 5, 7, 5, 9];
  const plan = epochPlan(lengths, 2, 1, 0);
  assert.deepEqual(plan.flat().sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  for (const batch of plan) assert.ok(batch.length <= 2);
  assert.equal(plan.filter((ix) => new Set(ix.map((i) => lengths[i])).size > 1).length <= 1, true, 'at most one mixed-length batch');
  assert.deepEqual(epochPlan(lengths, 2, 1, 0), plan, 'same seed and epoch → same order');
  assert.notDeepEqual(epochPlan(lengths, 2, 1, 1), plan, 'next epoch → another order');
});

test('a tiny model learns: validation loss falls well below the unigram entropy', async () => {
  const dir = tmp();
  const result = await train(kernels, dir, { ...tiny, epochs: 6, hidden: 64, lr: 2e-2, minCount: 5 }, {});
  // the unigram entropy of the training targets (characters and <eos>) under the same vocabulary,
  // rare characters counted as <unk>: what a model that ignores context can reach
  const model = readModelFile(join(dir, 'best.safetensors'), kernels);
  const counts = new Float64Array(model.vocab.size);
  for (const p of encodePoems(model.vocab, readSplit(CORPUS, 'train', tiny.forms))) { for (const id of p) counts[id]!++; counts[3]!++; }
  const total = counts.reduce((a, n) => a + n, 0);
  const unigram = -counts.reduce((a, n) => (n ? a + (n / total) * Math.log(n / total) : a), 0);
  const valid = Math.log(result.validPerplexity!);
  assert.ok(valid < unigram - 0.3, `valid loss ${valid.toFixed(3)} vs unigram ${unigram.toFixed(3)}`);
  for (const f of ['best.safetensors', 'last.safetensors', 'checkpoint.safetensors', 'metrics.jsonl', 'loss.svg']) assert.ok(existsSync(join(dir, f)), f);
  assert.match(readFileSync(join(dir, 'loss.svg'), 'utf8'), /^<svg/);
  assert.equal(model.config.hidden, 64);
});

test('resume: N steps straight = N/2 steps, stop, resume to N (bit-identical parameters)', async () => {
  const opts = { ...tiny, dropout: 0.2, epochs: 3 };
  const straight = tmp();
  await train(kernels, straight, opts, { maxSteps: 20 });
  const split = tmp();
  await train(kernels, split, opts, { maxSteps: 9 });
  await train(kernels, split, null, { maxSteps: 20 });
  const a = readTrainCheckpoint(join(straight, 'checkpoint.safetensors'), kernels);
  const b = readTrainCheckpoint(join(split, 'checkpoint.safetensors'), kernels);
  assert.equal(a.loop.step, 20);
  assert.equal(b.loop.step, 20);
  assert.deepEqual(Buffer.from(b.model.params.buffer, b.model.params.byteOffset, b.model.params.byteLength),
    Buffer.from(a.model.params.buffer, a.model.params.byteOffset, a.model.params.byteLength));
});

type MetricRow = { kind: string; step: number; epoch: number; tokens?: number; loss?: number; time: number; cpu: number; validCpu: number };
const metricRows = (dir: string): MetricRow[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

test("metric rows carry the process's CPU seconds, continued across a resume like the wall seconds", async () => {
  const dir = tmp();
  await train(kernels, dir, { ...tiny, epochs: 3 }, { maxSteps: 20 });
  const saved = readTrainCheckpoint(join(dir, 'checkpoint.safetensors'), kernels).loop;
  assert.ok((saved.cpuSeconds as number) > 0 && (saved.validCpuSeconds as number) > 0, 'the checkpoint keeps the CPU clocks');
  await train(kernels, dir, null, { maxSteps: 40 });
  const rows = metricRows(dir);
  assert.ok(rows.some((r) => r.step > 20), 'rows after the resume');
  for (const r of rows) {
    assert.ok(Number.isFinite(r.cpu) && r.cpu > 0 && r.validCpu >= 0 && r.validCpu <= r.cpu, JSON.stringify(r));
    if (r.kind === 'train') assert.ok(r.tokens! > 0, 'train rows count the tokens seen');
  }
  for (let i = 1; i < rows.length; i++) {
    assert.ok(rows[i]!.cpu >= rows[i - 1]!.cpu && rows[i]!.time >= rows[i - 1]!.time, `clocks never go back (row ${i})`);
    assert.ok(rows[i]!.validCpu >= rows[i - 1]!.validCpu);
  }
  const resumed = rows.find((r) => r.step > 20)!;
  assert.ok(resumed.cpu >= (saved.cpuSeconds as number), 'the resumed run counts on from the checkpoint');
});

test('--cpu-budget stops after that much training CPU; --valid-every validates inside epochs', async () => {
  const dir = tmp();
  const result = await train(kernels, dir, { ...tiny, batch: 4, epochs: 1000, validEvery: 0.1 / 60, validPoems: 20 }, { cpuBudget: 0.6 / 60 });
  assert.equal(result.stoppedBy, 'cpu-budget');
  assert.ok(result.trainCpuSeconds >= 0.6 && result.trainCpuSeconds < 1.6, `trained ${result.trainCpuSeconds} CPU s`);
  const valid = metricRows(dir).filter((r) => r.kind === 'valid');
  // epoch ends and the stop validate too: more rows than those mean validations inside an epoch
  assert.ok(valid.length > result.epochsDone + 1 && valid.length >= 4, `${valid.length} validations in ${result.epochsDone} epochs`);
  const last = metricRows(dir).at(-1)!;
  assert.ok(last.validCpu > 0 && last.cpu - last.validCpu >= 0.6, 'the budget leaves validation out');
  assert.equal(JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8')).validPoems, 20);
});

test('validSubset: a fixed, evenly spread subset of the validation poems', () => {
  const poems = Array.from({ length: 10 }, (_, i) => i);
  assert.deepEqual(validSubset(poems, 3), [0, 3, 6]);
  assert.deepEqual(validSubset(poems, 5), [0, 2, 4, 6, 8]);
  assert.deepEqual(validSubset(poems, 0), poems);
  assert.deepEqual(validSubset(poems, 99), poems);
});

test('shiren train --cpu-budget stops cleanly and says so', () => {
  const dir = tmp();
  const r = spawnSync(process.execPath, ['bin/shiren.js', 'train', '--corpus', CORPUS, '--min-count', '3', '--layers', '1', '--embed', '16', '--hidden', '32',
    '--batch', '16', '--epochs', '1000', '--threads', '1', '--cpu-budget', '0.01', '--out', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /CPU budget reached: \d+ steps, [\d.]+ min \([\d.]+ CPU min training\)/);
  assert.match(r.stdout, /resume with: shiren train --resume/);
});

test('resume refuses another corpus', async () => {
  const dir = tmp();
  await train(kernels, dir, tiny, { maxSteps: 2 });
  const other = tmp();
  cpSync(CORPUS, other, { recursive: true });
  writeFileSync(join(other, 'train', 'wujue.txt'), '白日依山尽，黄河入海流。欲穷千里目，更上一层楼。\n', { flag: 'a' });
  const opts = JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8'));
  writeFileSync(join(dir, 'options.json'), JSON.stringify({ ...opts, corpus: other }));
  await assert.rejects(train(kernels, dir, null, { maxSteps: 4 }), /not the one this run was trained on/);
});

test('train --resume refuses a run option given again (it would be ignored), with one line and exit 2', () => {
  const r = spawnSync(process.execPath, ['bin/shiren.js', 'train', '--resume', tmp(), '--hidden', '512', '--tied', '--lr-decay', '0.9'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^shiren: --hidden, --tied, --lr-decay cannot be given with --resume: the run keeps the options it started with/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('kill -9 mid-run leaves a loadable model, and the run resumes', async () => {
  const dir = tmp();
  const args = ['bin/shiren.js', 'train', '--corpus', CORPUS, '--min-count', '3', '--layers', '1', '--embed', '16', '--hidden', '32',
    '--batch', '16', '--epochs', '50', '--checkpoint-every', '0.005', '--out', dir];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  while (!existsSync(join(dir, 'last.safetensors')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 700)); // let it write more checkpoints: the kill lands at a random moment
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const model = readModelFile(join(dir, 'last.safetensors'), kernels);
  assert.equal(model.config.hidden, 32);
  const before = readTrainCheckpoint(join(dir, 'checkpoint.safetensors'), kernels).loop.step as number;
  const resumed = spawnSync(process.execPath, ['bin/shiren.js', 'train', '--resume', dir, '--max-steps', String(before + 3)], { encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`resumed at step ${before}`));
  assert.equal(readTrainCheckpoint(join(dir, 'checkpoint.safetensors'), kernels).loop.step, before + 3);
});

test('Ctrl+C (SIGINT) stops after the current step, saves a checkpoint and exits 0', async () => {
  const dir = tmp();
  const args = ['bin/shiren.js', 'train', '--corpus', CORPUS, '--min-count', '3', '--layers', '1', '--embed', '16', '--hidden', '32',
    '--batch', '16', '--epochs', '50', '--out', dir];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const deadline = Date.now() + 60_000;
  while (!stdout.includes('run folder') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGINT');
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 0);
  assert.match(stdout, /interrupted: \d+ steps/);
  assert.match(stdout, /resume with: shiren train --resume/);
  const step = readTrainCheckpoint(join(dir, 'checkpoint.safetensors'), kernels).loop.step as number;
  assert.ok(step > 0);
});

test('a diverging run stops with a clear message and keeps the last good model', async () => {
  const dir = tmp();
  await train(kernels, dir, tiny, { maxSteps: 3 });
  const good = readFileSync(join(dir, 'last.safetensors'));
  const opts = JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8'));
  // an absurd learning rate without clipping blows the loss up within a few steps
  writeFileSync(join(dir, 'options.json'), JSON.stringify({ ...opts, lr: 1e3, clip: 0 }));
  await assert.rejects(train(kernels, dir, null, { maxSteps: 200 }), /training diverged at step \d+ \(loss .*\); the last good model is in/);
  assert.deepEqual(readFileSync(join(dir, 'last.safetensors')), good, 'the last good model is kept');
});

test('fine-tuning (--init): starts from the model given, keeps its vocabulary and shape, refuses another condition', async () => {
  const base = tmp();
  await train(kernels, base, { ...tiny, epochs: 1 }, {});
  const start = readModelFile(join(base, 'last.safetensors'), kernels);
  const dir = tmp();
  // a learning rate of 0: the run's model is exactly the one it started from
  await train(kernels, dir, { ...tiny, hidden: 999, forms: ['wujue'], minCount: 1, epochs: 1, lr: 0, init: join(base, 'last.safetensors') }, {});
  const tuned = readModelFile(join(dir, 'last.safetensors'), kernels);
  assert.deepEqual(tuned.vocab.symbols, start.vocab.symbols, 'the vocabulary of the model started from');
  assert.deepEqual([...tuned.params], [...start.params]);
  assert.equal(JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8')).hidden, start.config.hidden, 'options say the shape trained');
  await assert.rejects(train(kernels, tmp(), { ...tiny, condition: 'title', init: join(base, 'last.safetensors') }, {}), /does not read titles/);
});

test('fine-tuning with --init-vocab corpus: the corpus vocabulary, rows of shared symbols carried, the rest fresh', async () => {
  const base = tmp();
  await train(kernels, base, { ...tiny, forms: ['wujue'], epochs: 1 }, {});
  const start = readModelFile(join(base, 'last.safetensors'), kernels);
  const dir = tmp();
  await train(kernels, dir, { ...tiny, forms: ['wujue', 'qijue'], epochs: 1, lr: 0, init: join(base, 'last.safetensors'), initVocab: 'corpus' }, {});
  const tuned = readModelFile(join(dir, 'last.safetensors'), kernels);
  assert.ok(tuned.vocab.size > start.vocab.size, `the corpus's larger vocabulary (${tuned.vocab.size} > ${start.vocab.size})`);
  const E = start.config.embed, H = start.config.hidden;
  const view = (m: typeof start, name: string) => paramView(m.params, paramTable(m.config), name);
  let carried = 0;
  tuned.vocab.symbols.forEach((s, i) => {
    const j = start.vocab.symbols.indexOf(s);
    if (j < 0) return;
    carried++;
    assert.deepEqual([...view(tuned, 'embedding.weight').subarray(i * E, (i + 1) * E)], [...view(start, 'embedding.weight').subarray(j * E, (j + 1) * E)], `embedding of ${s}`);
    assert.deepEqual([...view(tuned, 'fc.weight').subarray(i * H, (i + 1) * H)], [...view(start, 'fc.weight').subarray(j * H, (j + 1) * H)], `fc row of ${s}`);
    assert.equal(view(tuned, 'fc.bias')[i], view(start, 'fc.bias')[j]);
  });
  assert.equal(carried, start.vocab.size, 'every symbol of the start model is carried');
  assert.deepEqual([...view(tuned, 'rnn.weight_hh_l0')], [...view(start, 'rnn.weight_hh_l0')], 'recurrent weights whole');
  const fresh = tuned.vocab.symbols.findIndex((s) => !start.vocab.has(s));
  assert.ok([...view(tuned, 'embedding.weight').subarray(fresh * E, (fresh + 1) * E)].some((x) => x !== 0), 'a new symbol gets a drawn embedding');
});

test('shiren train --tied: a tied model (proj.weight, no fc.weight) learns, resumes, fine-tunes only from a tied model, and writes poems with gen', async () => {
  const dir = tmp();
  const args = ['train', '--tied', '--corpus', CORPUS, '--min-count', '3', '--cell', 'gru', '--layers', '1', '--embed', '16', '--hidden', '32',
    '--batch', '16', '--lr', '0.01', '--valid-poems', '20', '--threads', '1', '--out', dir];
  const r = shiren([...args, '--max-steps', '40']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /model: gru, 1 layers, E=16, H=32, V=\d+, output tied to the embedding, [\d,]+ parameters/);
  assert.equal(JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8')).tied, true);
  const model = readModelFile(join(dir, 'last.safetensors'), kernels);
  assert.equal(model.config.tied, true);
  assert.deepEqual(model.table.map((e) => e.name).filter((n) => !n.startsWith('rnn.')), ['embedding.weight', 'proj.weight', 'fc.bias']);
  // a train row every 10 steps (measured 6.96, 6.75, 6.25, 6.20)
  const losses = metricRows(dir).filter((row) => row.kind === 'train').map((row) => row.loss!);
  assert.ok(losses.length === 4 && losses[3]! < losses[0]! - 0.4, `train loss ${losses.map((x) => x.toFixed(2)).join(', ')}`);

  const resumed = shiren(['train', '--resume', dir, '--max-steps', '45']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /output tied to the embedding.*\n[\s\S]*resumed at step 40/);
  assert.equal(readTrainCheckpoint(join(dir, 'checkpoint.safetensors'), kernels).model.config.tied, true);

  const gen = shiren(['gen', '--model', join(dir, 'last.safetensors'), '--form', 'wujue', '--count', '2', '--seed', '1', '--json']);
  assert.equal(gen.code, 0, gen.stderr);
  const { poems } = JSON.parse(gen.stdout);
  assert.equal(poems.length, 2);
  for (const p of poems) assert.deepEqual(p.lines.map((l: string) => [...l].length), [6, 6, 6, 6], p.text);

  // --init: a tied model stays tied without --tied; an untied one cannot start a tied run
  const tuned = tmp();
  await train(kernels, tuned, { ...tiny, lr: 0, init: join(dir, 'last.safetensors') }, { maxSteps: 1 });
  assert.equal(readModelFile(join(tuned, 'last.safetensors'), kernels).config.tied, true);
  assert.equal(JSON.parse(readFileSync(join(tuned, 'options.json'), 'utf8')).tied, true);
  const untied = tmp();
  await train(kernels, untied, tiny, { maxSteps: 1 });
  await assert.rejects(train(kernels, tmp(), { ...tiny, tied: true, init: join(untied, 'last.safetensors') }, {}), /last\.safetensors is untied \(it has fc\.weight, no proj\.weight\): a tied model cannot start from it/);
  // options.json: runs written before `tied` are untied; a value that is no boolean is refused
  const opts = JSON.parse(readFileSync(join(untied, 'options.json'), 'utf8'));
  const { tied: _, ...old } = opts;
  writeFileSync(join(untied, 'options.json'), JSON.stringify(old));
  await train(kernels, untied, null, { maxSteps: 2 });
  writeFileSync(join(untied, 'options.json'), JSON.stringify({ ...opts, tied: 'yes' }));
  await assert.rejects(train(kernels, untied, null, { maxSteps: 3 }), /tied must be true or false, got "yes"/);
});

test('a fresh run refused at its start leaves no empty run folder; an existing folder stays', async () => {
  const parent = tmp();
  const dir = join(parent, 'refused');
  await assert.rejects(train(kernels, dir, { ...tiny, titleBag: true }, {}), /title bag needs a tied output layer/);
  assert.equal(existsSync(dir), false, 'the folder it made is gone');
  await assert.rejects(train(kernels, parent, { ...tiny, titleBag: true, tied: true }, {}), /title bag reads titles/);
  assert.equal(existsSync(parent), true, 'a folder that was there before stays');
});
