// The CLI's contract (docs/design.md §5): help for every flag, one-line errors, exit codes 0/1/2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shiren } from './cli-helpers.ts';

test('--help lists every command; each command help describes every flag', () => {
  const top = shiren(['--help']);
  assert.equal(top.code, 0);
  for (const cmd of ['corpus', 'train', 'gen', 'score', 'inspect', 'eval', 'bench', 'serve']) assert.match(top.stdout, new RegExp(`\\b${cmd}\\b`));
  const inspect = shiren(['inspect', '--help']);
  for (const flag of ['--model', '--json', '--svg', '--html', '--engine']) assert.match(inspect.stdout, new RegExp(`${flag}\\b`), `inspect --help mentions ${flag}`);
  const corpus = shiren(['corpus', '--help']);
  assert.equal(corpus.code, 0);
  for (const flag of ['--out', '--forms', '--include-free', '--sample']) assert.match(corpus.stdout, new RegExp(flag));
  const train = shiren(['train', '--help']);
  for (const flag of ['--corpus', '--cell', '--layers', '--embed', '--hidden', '--tied', '--batch', '--epochs', '--lr', '--optimizer', '--clip', '--dropout', '--forms', '--out', '--resume', '--time-budget', '--cpu-budget', '--valid-every', '--valid-poems', '--seed', '--log-every', '--show-predictions', '--engine']) {
    assert.match(train.stdout, new RegExp(`${flag}\\b`), `train --help mentions ${flag}`);
  }
});

test('a wrong flag or value exits 2 with one line', () => {
  for (const args of [['corpus', '--bogus'], ['corpus', '--forms', 'sonnet'], ['train', '--cell', 'transformer'], ['train', '--hidden', '-3'], ['train', '--cpu-budget', '-1'], ['train', '--valid-poems', '1.5'], ['nosuchcommand']]) {
    const r = shiren(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, /^shiren: /);
  }
});
