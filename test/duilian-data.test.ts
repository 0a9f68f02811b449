// The duilian form of the corpus (src/data/duilian.ts): 颔联 and 颈联 of every 律诗, split by poem,
// repeats dropped, written as 上联 (titles file) and 下联。 (text file).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fullCorpus } from './full-corpus.ts';
import { FIXTURE_CORPUS } from './cli-helpers.ts';
import { DuilianPairs, coupletsOf, corpusEntry, pairOfEntry } from '../src/data/duilian.ts';
import { readTitledSplit } from '../src/data/corpus.ts';
import { SPLITS, type Split } from '../src/data/split.ts';
import { CONTROL_SYMBOLS, conditionPrefix, encodeExample, formSymbol } from '../src/data/sequence.ts';
import { Vocab } from '../src/data/vocab.ts';

const QILV = '风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚来。万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。';

test('a 律诗 gives its 颔联 and 颈联; other forms give none', () => {
  assert.deepEqual(coupletsOf(QILV, 'qilv'), [
    { upper: '无边落木萧萧下', lower: '不尽长江滚滚来' },
    { upper: '万里悲秋常作客', lower: '百年多病独登台' },
  ]);
  assert.deepEqual(coupletsOf('白日依山尽，黄河入海流。欲穷千里目，更上一层楼。', 'wujue'), []);
  const entry = corpusEntry({ upper: '无边落木萧萧下', lower: '不尽长江滚滚来' });
  assert.deepEqual(entry, { title: '无边落木萧萧下', text: '不尽长江滚滚来。' });
  assert.deepEqual(pairOfEntry(entry), { upper: '无边落木萧萧下', lower: '不尽长江滚滚来' });
});

test('a pair whose 上联 or 下联 was taken before is dropped and counted, in whatever split it falls', () => {
  const pairs = new DuilianPairs();
  pairs.addPoem(QILV, 'qilv', 'train', 'tang');
  // a copy of the poem with a variant 下联 in line 4 and the 颈联 as before
  pairs.addPoem(QILV.replace('不尽长江滚滚来', '不尽长江滚滚流'), 'qilv', 'test', 'tang');
  pairs.addPoem('江流天地外，山色有无中。郡邑浮前浦，波澜动远空。', 'wujue', 'test', 'tang');
  assert.equal(pairs.pairs('train').length, 2);
  assert.equal(pairs.pairs('test').length, 0);
  assert.deepEqual(pairs.stats.sources.tang, { poems: 2, train: 2, valid: 0, test: 0, repeats: 2 });
});

test('full corpus: every pair comes from a 律诗 of its own split, and no line of a pair is in two splits', { timeout: 120_000 }, () => {
  const dir = fullCorpus();
  const lines = new Map<string, Split>();
  for (const split of SPLITS) {
    const couplets = new Set(readTitledSplit(dir, split, ['wulv', 'qilv']).flatMap((p) => coupletsOf(p.text, p.form as 'wulv' | 'qilv')).map((c) => `${c.upper}|${c.lower}`));
    const pairs = readTitledSplit(dir, split, ['duilian']).map(pairOfEntry);
    assert.ok(pairs.length > (split === 'train' ? 39_000 : 2_000), `${split}: ${pairs.length} pairs`);
    for (const { upper, lower } of pairs) {
      assert.ok(couplets.has(`${upper}|${lower}`), `${upper}|${lower} is a couplet of a ${split} 律诗`);
      assert.equal([...upper].length, [...lower].length);
      for (const line of [upper, lower]) {
        assert.ok(!lines.has(line) || lines.get(line) === split, `${line} in ${lines.get(line)} and ${split}`);
        lines.set(line, split);
      }
    }
  }
});

test('the fixture corpus holds duilian pairs in each split', () => {
  for (const split of SPLITS) {
    const pairs = readTitledSplit(FIXTURE_CORPUS, split, ['duilian']);
    assert.equal(pairs.length, 120);
    for (const p of pairs) assert.match(`${p.title}|${p.text}`, /^(\p{Script=Han}{5}\|\p{Script=Han}{5}|\p{Script=Han}{7}\|\p{Script=Han}{7})。$/u);
  }
});

test('a conditioned model reads <bos> <duilian> 上联 <sep> 下联。 (then <eos>); one trained before the form says so', () => {
  const vocab = Vocab.fromTexts(['无边落木萧萧下', '不尽长江滚滚来。'], 1, CONTROL_SYMBOLS);
  const { title, text } = corpusEntry({ upper: '无边落木萧萧下', lower: '不尽长江滚滚来' });
  const ex = encodeExample(vocab, { title, text, form: 'duilian' });
  assert.equal([...ex.tokens].map((id) => vocab.symbols[id]).join(''), `${formSymbol('duilian')}${title}<sep>${text}`);
  assert.equal(ex.skip, 9, 'the 上联 is given: scores cover the 下联 and <eos>');
  const old = Vocab.fromTexts(['无边落木萧萧下'], 1, CONTROL_SYMBOLS.filter((s) => s !== '<duilian>'));
  assert.throws(() => conditionPrefix(old, 'duilian', title), /trained without the form duilian \(no <duilian> in its vocabulary\)/);
});
