/**
 * Input and file hygiene (docs/design.md §5, §9): every bad input of the matrix is one line, fast, never
 * a hang, spin or stack trace. Model files must be regular files under the size cap (checked before
 * reading) with finite weights; output folders are proven writable before use (/proc/x answers in
 * well under a second); a run folder is locked against a second trainer (naming the holder's PID,
 * a dead holder's lock taken over); a dead writer's temp files are cleaned; error messages escape
 * control characters and cut long inputs; the CLI reports the caps on work as one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FORMS } from '../src/data/clean.ts';
import { readSplit } from '../src/data/corpus.ts';
import { UnknownCharacterError, Vocab } from '../src/data/vocab.ts';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { MAX_MODEL_BYTES, readModelFile, saveModel } from '../src/nn/checkpoint.ts';
import { ModelFileError } from '../src/nn/model-bytes.ts';
import { DEFAULT_CONFIG } from '../src/nn/config.ts';
import { Model } from '../src/nn/model.ts';
import { ensureOutputDir, FileError, LockedError, lockFolder, OutputDirError, readRegularFile, writeFileAtomic } from '../src/util/fs.ts';
import { escapeControl, printable } from '../src/util/text.ts';
import { shiren } from './cli-helpers.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiren-hygiene-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const k32 = createReferenceKernels('f32');
const vocab = Vocab.fromTexts(readSplit('test/fixtures/corpus', 'train', FORMS));
const tiny = Model.create(k32, { ...DEFAULT_CONFIG, layers: 1, embed: 8, hidden: 16, vocabSize: vocab.size }, vocab, 7);
const tinyFile = path.join(dir, 'tiny.safetensors');
saveModel(tinyFile, tiny);

/** The PID of a process that has exited (for stale locks and temp files). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function oneLine(stderr: string): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /^shiren: /);
  assert.doesNotMatch(stderr, /\bat \S+:\d+|\x1b/);
}

test('model files: a device, a FIFO, a folder, an oversized (sparse) file are refused before reading', () => {
  const fifo = path.join(dir, 'fifo');
  spawnSync('mkfifo', [fifo]);
  const big = path.join(dir, 'big.safetensors');
  const fd = fs.openSync(big, 'w');
  fs.ftruncateSync(fd, MAX_MODEL_BYTES + 1); // sparse: no disk used, and never read
  fs.closeSync(fd);
  const cases: Array<[string, RegExp]> = [
    ['/dev/zero', /^\/dev\/zero: not a regular file/],
    [fifo, /not a regular file/],
    [dir, /is a directory, not a model file/],
    [big, /more than the 1073741824-byte limit/],
    [path.join(dir, 'none.safetensors'), /no such file/],
  ];
  for (const [file, why] of cases) {
    if (file === fifo && !fs.existsSync(fifo)) continue;
    const t0 = performance.now();
    assert.throws(() => readModelFile(file, k32), (e: Error) => e instanceof ModelFileError && why.test(e.message) && !e.message.includes('\n'), file);
    assert.ok(performance.now() - t0 < 1000, `${file} took ${performance.now() - t0} ms`);
  }
  assert.throws(() => readRegularFile('/dev/zero', 10, 'file of poems'), FileError);
  // and every command that reads a --file of poems refuses one, at once, in one line
  for (const command of ['score', 'check']) {
    const r = shiren([command, '--file', '/dev/zero'], undefined, 10_000);
    assert.equal(r.code, 1, `${command}: ${r.stderr}`);
    assert.match(r.stderr, /^shiren: \/dev\/zero: not a regular file.*\n$/);
  }
});

test('a model with a non-finite weight is refused, naming the tensor', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const m = Model.create(k32, tiny.config, vocab, 7);
    m.params[m.table[1]!.offset + 3] = bad;
    const file = path.join(dir, 'bad.safetensors');
    saveModel(file, m);
    assert.throws(() => readModelFile(file, k32), (e: Error) =>
      e instanceof ModelFileError && e.message.includes(`tensor ${m.table[1]!.name} holds a non-finite value (${bad} at index 3)`));
  }
  assert.ok(readModelFile(tinyFile, k32));
});

test('ensureOutputDir: /proc/x, a file, a path through a file are one-line errors within a second; a new nested folder is made', () => {
  const file = path.join(dir, 'plain');
  fs.writeFileSync(file, '');
  for (const [out, why] of [['/proc/x', /cannot write to \/proc\/x: /], ['/proc/x/y/z', /cannot write to/], [file, /exists and is not a folder/], [path.join(file, 'sub'), /a part of the path is a file/], ['/proc/self', /cannot write to \/proc\/self: /]] as const) {
    const t0 = performance.now();
    assert.throws(() => ensureOutputDir(out), (e: Error) => e instanceof OutputDirError && why.test(e.message) && !e.message.includes('\n'), out);
    assert.ok(performance.now() - t0 < 1000);
  }
  const nested = path.join(dir, 'a', 'b', 'c');
  assert.equal(ensureOutputDir(nested), nested);
  assert.ok(fs.statSync(nested).isDirectory());
  assert.deepEqual(fs.readdirSync(nested), []); // the probe is gone
});

test('train --out /proc/x and corpus --out /proc/x: one line, exit 1, within a few seconds (no spin)', async () => {
  for (const args of [['train', '--out', '/proc/x', '--corpus', 'test/fixtures/corpus', '--engine', 'reference'], ['corpus', '--out', '/proc/x']]) {
    const t0 = performance.now();
    const r = shiren(args);
    assert.equal(r.code, 1, r.stderr);
    oneLine(r.stderr);
    assert.match(r.stderr, /cannot write to \/proc\/x/);
    // the process starts (tsx, engine) in about a second on a shared 2-core machine
    assert.ok(performance.now() - t0 < 10_000);
  }
});

test('stale temp files of dead writers are cleaned on the next write; a live one is kept', () => {
  const out = ensureOutputDir(path.join(dir, 'temps'));
  const dead = path.join(out, `.model.safetensors.${deadPid()}.tmp`);
  const live = path.join(out, `.model.safetensors.${process.ppid}.tmp`);
  fs.writeFileSync(dead, 'half');
  fs.writeFileSync(live, 'busy');
  writeFileAtomic(path.join(out, 'model.safetensors'), 'x');
  assert.deepEqual(fs.readdirSync(out).sort(), [path.basename(live), 'model.safetensors'].sort());
  assert.throws(() => writeFileAtomic('/proc/x/model.safetensors', 'x'), (e: Error) => e instanceof FileError && e.message === 'cannot write /proc/x/model.safetensors: its folder does not exist');
  assert.throws(() => writeFileAtomic(out, 'x'), (e: Error) => e instanceof FileError && e.message.endsWith(': it is a folder'));
});

test('lockFolder: a second owner is refused naming the PID; a dead owner\'s lock is taken over; release frees it', () => {
  const run = ensureOutputDir(path.join(dir, 'run'));
  const release = lockFolder(run, 'run folder');
  assert.throws(() => lockFolder(run, 'run folder'), (e: Error) => e instanceof LockedError && e.message.includes(`in use by process ${process.pid}`));
  release();
  assert.equal(fs.existsSync(path.join(run, '.lock')), false);
  fs.writeFileSync(path.join(run, '.lock'), `${deadPid()}\n`);
  const again = lockFolder(run, 'run folder');
  assert.equal(fs.readFileSync(path.join(run, '.lock'), 'utf8').split(' ')[0], String(process.pid));
  again();
});

test('train on a run folder another live process holds is refused naming its PID', async () => {
  const run = ensureOutputDir(path.join(dir, 'held'));
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    fs.writeFileSync(path.join(run, '.lock'), `${holder.pid}\n`);
    const r = shiren(['train', '--resume', run, '--engine', 'reference']);
    assert.equal(r.code, 1, r.stderr);
    oneLine(r.stderr);
    assert.match(r.stderr, new RegExp(`run folder .* is in use by process ${holder.pid}`));
  } finally {
    holder.kill('SIGKILL');
  }
});

test('error messages escape control characters and cut long inputs', () => {
  assert.equal(escapeControl('a\x1b[31mb\x07\n\u202e'), 'a\\u001b[31mb\\u0007\\u000a\\u202e');
  assert.match(printable('山'.repeat(1000), 10), /^山{10}…\(990 more\)$/);
  const e = new UnknownCharacterError(['\x1b', ...Array.from({ length: 30 }, (_, i) => String.fromCodePoint(0x4e00 + i))]);
  assert.match(e.message, /: U\+001B 一 .* …\(11 more\)$/);
  assert.doesNotMatch(e.message, /\x1b/);

  const file = path.join(dir, 'hostile.txt');
  fs.writeFileSync(file, `山\x1b]0;owned\x07\x1b[2J红\n${'\u0001'.repeat(5000)}\n`);
  const r = shiren(['score', '--model', tinyFile, '--engine', 'reference', '--file', file]);
  assert.equal(r.code, 1);
  oneLine(r.stderr);
  assert.match(r.stderr, /U\+001B/);
  assert.ok(r.stderr.length < 700, `${r.stderr.length} characters`);
});

test('the caps on work reach the CLI as one-line errors, at once', () => {
  const cases: Array<[string[], RegExp]> = [
    [['gen', '--beam', '10000'], /^shiren: --beam must be an integer from 1 to 16, got 10000$/],
    [['gen', '--count', '1e9'], /^shiren: --count must be an integer from 1 to 1000, got 1000000000$/],
    [['gen', '--top-k', '99999999'], /^shiren: --top-k must be an integer from 1 to \d+, got 99999999$/],
    [['gen', '--count', '30', '--beam', '16', '日', '月', '星'], /^shiren: at most 1000 poems × beams per call/],
    [['gen', '--keep', '＿'.repeat(5000)], /^shiren: --keep must be a template of at most 320 characters/],
    [['gen', '--keep', '白日\x1b[2J＿＿'], /^shiren: the template's 'U\+001B' \(character 3\) is neither a Han character/],
    [['eval', '--count', '1e9'], /^shiren: --count must be an integer from 1 to 100000, got 1000000000$/],
  ];
  for (const [args, message] of cases) {
    const r = shiren([...args, '--model', tinyFile, '--engine', 'reference']);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    oneLine(r.stderr);
    assert.match(r.stderr.trim(), message);
  }
});
