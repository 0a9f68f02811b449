/**
 * Nothing can hang, destroy or lie (issue 22): the hostile inputs of that issue, each checked to
 * fail fast in one line, leave every file it did not own untouched, or refuse a result that would
 * be junk. Cases: corpus files that are FIFOs, devices, links to /dev/zero or folders; dirty
 * corpora; an empty validation split; output targets that exist and are not regular files; a temp
 * file whose cleanup fails; overflowing weights; overlapping and trailing safetensors data; metadata
 * that claims a huge model; slow request bodies and too many connections; a PID-1 lock; long
 * poems and files; the small messages (invisible characters, symlink loops, empty names, hex
 * counts, empty lists).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { connect } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { FORMS } from '../src/data/clean.ts';
import { readCorpusSplit, readSplit } from '../src/data/corpus.ts';
import { MAX_POEM_CHARS } from '../src/data/sequence.ts';
import { UnknownCharacterError, Vocab } from '../src/data/vocab.ts';
import { evaluate } from '../src/domain/evaluate.ts';
import { scorePoems } from '../src/domain/score.ts';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { readModelFile, saveModel } from '../src/nn/checkpoint.ts';
import { ModelFileError, modelMetadata } from '../src/nn/model-bytes.ts';
import { DEFAULT_CONFIG } from '../src/nn/config.ts';
import { Model } from '../src/nn/model.ts';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../src/nn/safetensors.ts';
import { buildApp } from '../src/server/app.ts';
import { train, TrainError } from '../src/train/trainer.ts';
import { TRAIN_DEFAULTS } from '../src/train/options.ts';
import { breakLock, FileError, lockFolder, writeFileAtomic } from '../src/util/fs.ts';
import { FIXTURE_CORPUS, shiren } from './cli-helpers.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiren-hostile-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const k32 = createReferenceKernels('f32');
const vocab = Vocab.fromTexts(readSplit(FIXTURE_CORPUS, 'train', FORMS));
const config = { ...DEFAULT_CONFIG, layers: 1, embed: 8, hidden: 16, vocabSize: vocab.size };
const tiny = Model.create(k32, config, vocab, 7);
const tinyFile = path.join(dir, 'tiny.safetensors');
saveModel(tinyFile, tiny);

function oneLine(stderr: string): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /^shiren: /);
  assert.doesNotMatch(stderr, /\bat \S+:\d+/);
}

/** A copy of the fixture corpus in a fresh folder, to spoil. */
function corpusCopy(name: string): string {
  const out = path.join(dir, name);
  fs.cpSync(FIXTURE_CORPUS, out, { recursive: true });
  return out;
}

function mkfifo(file: string): boolean {
  spawnSync('mkfifo', [file]);
  return fs.existsSync(file);
}

test('corpus files that are a FIFO, a link to /dev/zero or a folder: one line at once, for train and eval (no hang, no 9 GB)', () => {
  const spoil: Array<[string, (file: string) => boolean, RegExp]> = [
    ['fifo', mkfifo, /not a regular file/],
    ['zero', (file) => (fs.symlinkSync('/dev/zero', file), true), /not a regular file/],
    ['folder', (file) => (fs.mkdirSync(file), true), /is a folder, not a corpus file/],
  ];
  for (const [name, make, why] of spoil) {
    const corpus = corpusCopy(`corpus-${name}`);
    const file = path.join(corpus, 'train', 'qijue.txt');
    fs.rmSync(file);
    if (!make(file)) continue; // no mkfifo here
    const t0 = performance.now();
    const r = shiren(['train', '--corpus', corpus, '--out', path.join(dir, `run-${name}`), '--engine', 'reference', '--max-steps', '1'], undefined, 20_000);
    assert.equal(r.code, 1, `${name}: ${r.stderr}`);
    oneLine(r.stderr);
    assert.match(r.stderr, why);
    assert.ok(r.stderr.includes('qijue.txt'), r.stderr);
    assert.ok(performance.now() - t0 < 15_000);
  }
  const corpus = corpusCopy('corpus-eval-zero');
  fs.rmSync(path.join(corpus, 'test', 'wulv.txt'));
  fs.symlinkSync('/dev/zero', path.join(corpus, 'test', 'wulv.txt'));
  const r = shiren(['eval', '--corpus', corpus, '--model', tinyFile, '--engine', 'reference', '--count', '1'], undefined, 20_000);
  assert.equal(r.code, 1, r.stderr);
  oneLine(r.stderr);
  assert.match(r.stderr, /wulv\.txt: not a regular file/);
});

test('a dirty corpus: CRLF and a BOM are normalised; lines with control characters or no Han text are dropped and counted', () => {
  const corpus = corpusCopy('corpus-dirty');
  const file = path.join(corpus, 'train', 'wujue.txt');
  const clean = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const titles = fs.readFileSync(path.join(corpus, 'train', 'wujue.titles.txt'), 'utf8').split('\n');
  const lines = ['\uFEFF' + clean[0], clean[1] + '\t白日', 'hello world', clean[2]!.slice(0, 5) + '\x07' + clean[2]!.slice(5), 'abc山，', ...clean.slice(3)];
  fs.writeFileSync(file, lines.join('\r\n') + '\r\n');
  fs.writeFileSync(path.join(corpus, 'train', 'wujue.titles.txt'), ['\uFEFF' + titles[0], titles[1], '', titles[2], '', ...titles.slice(3)].join('\r\n'));
  const { poems, dropped } = readCorpusSplit(corpus, 'train', ['wujue']);
  assert.deepEqual(dropped, { 'control-character': 2, 'no-han': 1, 'disallowed-character': 1 });
  assert.deepEqual(poems.map((p) => p.text), [clean[0], ...clean.slice(3)]);
  assert.equal(poems[0]!.title, titles[0]);
  const symbols = Vocab.fromTexts(poems.flatMap((p) => [p.text, p.title])).symbols.slice(4).join('');
  assert.doesNotMatch(symbols, /[\r\t\uFEFF\x07a-z]/);
});

test('an empty validation split is refused, not reported as perplexity 1.0', async () => {
  const corpus = corpusCopy('corpus-novalid');
  for (const f of fs.readdirSync(path.join(corpus, 'valid'))) fs.writeFileSync(path.join(corpus, 'valid', f), '');
  await assert.rejects(
    train(k32, path.join(dir, 'run-novalid'), { ...TRAIN_DEFAULTS, corpus, layers: 1, embed: 8, hidden: 16, epochs: 1 }, { maxSteps: 1 }),
    (e: Error) => e instanceof TrainError && /no validation poems/.test(e.message),
  );
});

test('output targets that exist and are not regular files are refused and left as they were', () => {
  const target = path.join(dir, 'real.svg');
  fs.writeFileSync(target, 'mine');
  const link = path.join(dir, 'link.svg');
  fs.symlinkSync(target, link);
  const fifo = path.join(dir, 'out.fifo');
  const cases: Array<[string, RegExp]> = [[link, /symbolic link/], ['/dev/null', /not a regular file/]];
  if (mkfifo(fifo)) cases.push([fifo, /not a regular file/]);
  for (const [file, why] of cases) {
    assert.throws(() => writeFileAtomic(file, 'x'), (e: Error) => e instanceof FileError && why.test(e.message), file);
  }
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.equal(fs.readFileSync(target, 'utf8'), 'mine');
  if (fs.existsSync(fifo)) assert.ok(fs.lstatSync(fifo).isFIFO());

  // inspect --svg at a link: refused in one line, the link kept
  const r = shiren(['inspect', '--model', tinyFile, '--engine', 'reference', '--svg', link, '山'], undefined, 20_000);
  assert.equal(r.code, 1, r.stderr);
  oneLine(r.stderr);
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.equal(fs.readFileSync(target, 'utf8'), 'mine');

  // train writes its plot through the same rule: a FIFO at loss.svg stays a FIFO
  const run = path.join(dir, 'run-plot-fifo');
  fs.mkdirSync(run);
  if (mkfifo(path.join(run, 'loss.svg'))) {
    const t = shiren(['train', '--corpus', FIXTURE_CORPUS, '--out', run, '--engine', 'reference', '--layers', '1', '--embed', '8', '--hidden', '8', '--max-steps', '1'], undefined, 30_000);
    assert.equal(t.code, 1, t.stderr);
    assert.match(t.stderr, /loss\.svg: it exists and is not a regular file/);
    assert.ok(fs.lstatSync(path.join(run, 'loss.svg')).isFIFO());
  }
});

test('a failed write reports its own cause, even when removing its temp file fails too', () => {
  const file = path.join(dir, 'plain-file');
  fs.writeFileSync(file, '');
  assert.throws(() => writeFileAtomic(path.join(file, 'x.html'), 'x'), (e: Error) =>
    e instanceof FileError && e.message.endsWith('x.html: a part of the path is a file, not a folder'));
  // a FIFO planted under this process's temp name is replaced, never opened (an open would block)
  const planted = path.join(dir, 'planted.txt');
  if (mkfifo(path.join(dir, `.planted.txt.${process.pid}.tmp`))) {
    writeFileAtomic(planted, 'ok');
    assert.equal(fs.readFileSync(planted, 'utf8'), 'ok');
  }
});

test('finite weights whose step overflows are refused at load, as NaN weights are', () => {
  const m = Model.create(k32, config, vocab, 7);
  m.params.fill(3e38);
  const file = path.join(dir, 'overflow.safetensors');
  saveModel(file, m);
  assert.throws(() => readModelFile(file, k32), (e: Error) => e instanceof ModelFileError && /weights overflow: a step from <bos> gives a non-finite logit/.test(e.message));
});

test('safetensors: overlapping tensors and trailing bytes are refused', () => {
  const good = encodeSafetensors([{ name: 'a', shape: [2], data: [1, 2] }, { name: 'b', shape: [2], data: [3, 4] }], {});
  assert.equal(decodeSafetensors(good).tensors.size, 2);
  const trailing = new Uint8Array(good.length + 100);
  trailing.set(good);
  assert.throws(() => decodeSafetensors(trailing), (e: Error) => e instanceof SafetensorsError && /100 bytes after the last tensor/.test(e.message));
  // b's range moved onto a's: the header stays the same length (one digit each)
  const overlap = Buffer.from(good);
  const at = overlap.indexOf('"data_offsets":[8,16]');
  assert.ok(at > 0);
  overlap.write('"data_offsets":[4,12]', at);
  assert.throws(() => decodeSafetensors(overlap), (e: Error) => e instanceof SafetensorsError && /overlaps/.test(e.message));
  // and through loadModel, a model with a tail is one line naming the file
  const file = path.join(dir, 'tail.safetensors');
  fs.writeFileSync(file, Buffer.concat([fs.readFileSync(tinyFile), Buffer.alloc(4096)]));
  assert.throws(() => readModelFile(file, k32), (e: Error) => e instanceof ModelFileError && e.message.startsWith(file) && /trailing data/.test(e.message));
});

test('metadata that claims a huge model or no cell type: named before anything is allocated', () => {
  const save = (meta: Record<string, unknown>, name: string) => {
    const tensors = tiny.table.map((e) => ({ name: e.name, shape: e.shape, data: tiny.params.subarray(e.offset, e.offset + e.size) }));
    const file = path.join(dir, name);
    fs.writeFileSync(file, encodeSafetensors(tensors, { shiren: JSON.stringify({ ...modelMetadata(tiny), ...meta }) }));
    return file;
  };
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ hidden: 1_000_000 }, /tensor rnn\.weight_ih_l0 has shape \[64, 8\], expected \[4000000, 8\]/],
    [{ layers: 1_000_000_000 }, /missing tensor rnn\.weight_ih_l1$/],
    [{ cell: undefined }, /metadata names no cell type/],
  ];
  for (const [meta, why] of cases) {
    const t0 = performance.now();
    assert.throws(() => readModelFile(save(meta, 'claims.safetensors'), k32), (e: Error) => e instanceof ModelFileError && why.test(e.message) && !/undefined|out of memory/.test(e.message), JSON.stringify(meta));
    assert.ok(performance.now() - t0 < 2000);
  }
});

test('a POST whose body never arrives gets 408 and is closed; connections over the cap are closed at once', async () => {
  const app = await buildApp({ model: tiny, modelBytes: new Uint8Array(8), requestTimeoutMs: 400, maxConnections: 2 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const probe = (send: string) => new Promise<{ ms: number; status: string }>((resolve) => {
    const t0 = performance.now();
    let data = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(send));
    socket.on('data', (d) => (data += d));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ ms: performance.now() - t0, status: data.split('\r\n')[0] ?? '' }));
    setTimeout(() => socket.destroy(), 5000); // held for ever without the limits: fail, do not hang
  });
  try {
    const slowBody = 'POST /api/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"te';
    const partialHeaders = 'POST /api/score HTTP/1.1\r\nHost: x\r\n';
    for (const send of [slowBody, partialHeaders]) {
      const r = await probe(send);
      assert.equal(r.status, 'HTTP/1.1 408 Request Timeout');
      assert.ok(r.ms < 3000, `${r.ms} ms`);
    }
    const many = await Promise.all([1, 2, 3, 4].map(() => probe(slowBody)));
    assert.equal(many.filter((r) => r.status === '').length, 2, JSON.stringify(many)); // over the cap: closed unanswered
    assert.ok(many.every((r) => r.ms < 3000));
  } finally {
    await app.close();
  }
});

test('a lock left by a previous PID 1 (same PID, another start) is taken over; --force-unlock clears a live one with a warning', () => {
  const run = path.join(dir, 'run-lock');
  fs.mkdirSync(run);
  fs.writeFileSync(path.join(run, '.lock'), `${process.pid} 1 ${'0'.repeat(8)}-boot\n`);
  lockFolder(run, 'run folder')();
  fs.writeFileSync(path.join(run, '.lock'), `${process.pid}\n`); // a lock of an earlier version naming this PID
  lockFolder(run, 'run folder')();

  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    fs.writeFileSync(path.join(run, '.lock'), `${holder.pid}\n`);
    assert.throws(() => lockFolder(run, 'run folder'), /in use by process .*--force-unlock/);
    assert.equal(breakLock(run), holder.pid);
    assert.equal(fs.existsSync(path.join(run, '.lock')), false);
    fs.writeFileSync(path.join(run, '.lock'), `${holder.pid}\n`);
    const r = shiren(['train', '--resume', run, '--force-unlock', '--engine', 'reference'], undefined, 20_000);
    assert.match(r.stderr, new RegExp(`warning: removed the lock of process ${holder.pid}`));
    assert.match(r.stderr, /holds no checkpoint to resume from/); // it went on past the lock
  } finally {
    holder.kill('SIGKILL');
  }
});

test('a run folder whose lock or options file is a FIFO: refused in one line, no read that blocks', () => {
  for (const name of ['.lock', 'options.json']) {
    const run = path.join(dir, `run-fifo${name}`);
    fs.mkdirSync(run);
    fs.writeFileSync(path.join(run, 'checkpoint.safetensors'), '');
    if (name !== 'options.json') fs.writeFileSync(path.join(run, 'options.json'), '{}');
    if (!mkfifo(path.join(run, name))) return;
    const r = shiren(['train', '--resume', run, '--engine', 'reference'], undefined, 20_000);
    assert.equal(r.code, 1, `${name}: ${r.stderr}`);
    oneLine(r.stderr);
    assert.match(r.stderr, new RegExp(`${name.replace('.', '\\.')}: not a regular file`));
  }
});

test('long poems and files: capped before any work, named; eval reports progress', () => {
  const long = '山'.repeat(MAX_POEM_CHARS + 1);
  assert.throws(() => scorePoems(tiny, [long]), /poem 1: a poem of 10001 characters, more than the 10000/);
  const progress: number[] = [];
  scorePoems(tiny, ['山。', '日。', '月。'], (done) => progress.push(done));
  assert.deepEqual(progress, [1, 2, 3]);
  const file = path.join(dir, 'many.txt');
  fs.writeFileSync(file, '山。\n'.repeat(100_001));
  const r = shiren(['score', '--model', tinyFile, '--engine', 'reference', '--file', file], undefined, 20_000);
  assert.equal(r.code, 1, r.stderr);
  oneLine(r.stderr);
  assert.match(r.stderr, /100001 poems, more than the 100000 one file may hold/);
  fs.writeFileSync(file, `山。\n${'山'.repeat(350_000)}。\n`);
  const s = shiren(['score', '--model', tinyFile, '--engine', 'reference', '--file', file], undefined, 20_000);
  assert.equal(s.code, 1, s.stderr);
  assert.match(s.stderr, /many\.txt:2: a poem of 350001 characters/);
  const seen: number[] = [];
  evaluate(tiny, { corpus: FIXTURE_CORPUS, count: 2, onProgress: (done, total) => seen.push(done, total) });
  assert.deepEqual(seen.slice(-2), [6, 6]);
});

test('clear messages: invisible characters by code point, symlink loops, empty names, hex counts, empty lists', () => {
  const e = new UnknownCharacterError([' ', '\u3000', '\u200b', '山'], 'title');
  assert.match(e.message, /: U\+0020 U\+3000 U\+200B 山$/);
  const loop = path.join(dir, 'loop.safetensors');
  fs.symlinkSync(loop, loop);
  assert.throws(() => readModelFile(loop, k32), /symbolic link loop/);
  const corpusLoop = path.join(dir, 'corpus-loop');
  fs.symlinkSync(corpusLoop, corpusLoop);
  assert.throws(() => readCorpusSplit(corpusLoop, 'train', FORMS), (err: Error) => /symbolic link loop/.test(err.message) && !/missing|no such/.test(err.message));
  const usage: Array<[string[], RegExp]> = [
    [['gen', '--model', '', '山'], /--model needs a file or folder name/],
    [['gen', '--count', '0x10', '山'], /--count must be an integer ≥ 1, got '0x10'/],
    [['corpus', '--forms', ',', '--out', path.join(dir, 'c')], /--forms needs at least one of/],
  ];
  for (const [args, why] of usage) {
    const r = shiren(args, undefined, 20_000);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    oneLine(r.stderr);
    assert.match(r.stderr, why);
  }
});

test('one title cap for every command: score and inspect refuse a title gen and the API refuse', async () => {
  const { MAX_TITLE_INPUT_CHARS } = await import('../src/domain/limits.ts');
  const { scorePoems } = await import('../src/domain/score.ts');
  const { inspectUnderTitle } = await import('../src/domain/inspect.ts');
  const { generateOptions } = await import('../src/domain/write.ts');
  const { selectKernels } = await import('../src/engine/index.ts');
  const { resolveModelFile } = await import('../src/nn/checkpoint.ts');
  const model = readModelFile(resolveModelFile(), await selectKernels({ engine: 'wasm', threads: 1 }));
  const title = '山'.repeat(MAX_TITLE_INPUT_CHARS + 1);
  assert.throws(() => scorePoems(model, [{ text: '白日依山尽，黄河入海流。', title }]), new RegExp(`title has at most ${MAX_TITLE_INPUT_CHARS} characters`));
  assert.throws(() => inspectUnderTitle(model, '白日依山尽，黄河入海流。', title), new RegExp(`title has at most ${MAX_TITLE_INPUT_CHARS} characters`));
  assert.throws(() => generateOptions({ title }), new RegExp(`title has at most ${MAX_TITLE_INPUT_CHARS} characters`));
});
