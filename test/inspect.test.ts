/**
 * inspect (explain/inspect.ts, explain/render.ts, `shiren inspect`): its log-probabilities add up
 * to Model.logprob (what `shiren score` prints); the gates it shows equal a direct scalar
 * computation of the seed's equations from the named parameters, for each cell; the SVG and the
 * HTML page are well-formed XML; the CLI's --json shape and its files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { Model } from '../src/nn/model.ts';
import { saveModel } from '../src/nn/checkpoint.ts';
import { inspectPoem } from '../src/explain/inspect.ts';
import { renderHtml, renderSvg } from '../src/explain/render.ts';
import { EOS, SPECIALS, Vocab } from '../src/data/vocab.ts';
import type { CellType, ModelConfig } from '../src/nn/config.ts';
import { shiren } from './cli-helpers.ts';

const vocab = new Vocab([...SPECIALS, '，', '。', '山', '水', '月', '花']);
const config = (cell: CellType): ModelConfig => ({ cell, layers: 2, embed: 3, hidden: 4, dropout: 0, vocabSize: vocab.size, gruVariant: 'seed', tied: false, titleBag: false });
const POEM = '山水，月花。';
const CELLS = ['rnn', 'lstm', 'gru'] as const;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The seed's three cells written out scalar by scalar from the named tensors, over `<bos> ids`:
 * per step, per layer, the quantities inspect shows (by name), per unit.
 */
function scalarSignals(model: Model<Float64Array>, ids: number[]): Record<string, number[]>[][] {
  const { layers, hidden: H, embed: E, cell } = model.config;
  const W = (name: string) => model.tensor(name);
  let xs = ids.map((id) => [...W('embedding.weight').subarray(id * E, (id + 1) * E)]);
  const out: Record<string, number[]>[][] = ids.map(() => []);
  for (let l = 0; l < layers; l++) {
    const [wih, whh, bih, bhh] = [W(`rnn.weight_ih_l${l}`), W(`rnn.weight_hh_l${l}`), W(`rnn.bias_ih_l${l}`), W(`rnn.bias_hh_l${l}`)];
    const I = xs[0].length;
    // Row `row` of the gate blocks: W_ih x + b_ih, and W_hh v + b_hh.
    const inX = (row: number, x: number[]) => x.reduce((s, xi, i) => s + wih[row * I + i] * xi, bih[row]);
    const inH = (row: number, v: number[]) => v.reduce((s, vi, i) => s + whh[row * H + i] * vi, bhh[row]);
    const units = Array.from({ length: H }, (_, j) => j);
    let h = new Array<number>(H).fill(0);
    let c = new Array<number>(H).fill(0);
    xs = xs.map((x, t) => {
      if (cell === 'rnn') {
        h = units.map((j) => Math.tanh(inX(j, x) + inH(j, h)));
        out[t].push({ hidden: h });
      } else if (cell === 'lstm') {
        const gate = (block: number, f: (v: number) => number) => units.map((j) => f(inX(block * H + j, x) + inH(block * H + j, h)));
        const [i, f, g, o] = [gate(0, sigmoid), gate(1, sigmoid), gate(2, Math.tanh), gate(3, sigmoid)];
        c = units.map((j) => f[j] * c[j] + i[j] * g[j]);
        h = units.map((j) => o[j] * Math.tanh(c[j]));
        out[t].push({ forget: f, input: i, output: o, cell: c });
      } else {
        const r = units.map((j) => sigmoid(inX(j, x) + inH(j, h)));
        const z = units.map((j) => sigmoid(inX(H + j, x) + inH(H + j, h)));
        const rh = units.map((j) => r[j] * h[j]);
        const n = units.map((j) => Math.tanh(inX(2 * H + j, x) + inH(2 * H + j, rh)));
        h = units.map((j) => (1 - z[j]) * h[j] + z[j] * n[j]);
        out[t].push({ update: z, reset: r });
      }
      return h;
    });
  }
  return out;
}

for (const cell of CELLS) {
  test(`${cell}: inspect's log-probabilities sum to Model.logprob (score), one entry per character and <eos>`, () => {
    const model = Model.create(createReferenceKernels('f32'), config(cell), vocab, 11);
    const ins = inspectPoem(model, POEM);
    assert.deepEqual(ins.chars.map((c) => c.ch), [...POEM, '<eos>']);
    const sum = ins.chars.reduce((s, c) => s + c.logprob, 0);
    const expected = model.logprob(vocab.encode(POEM));
    assert.ok(Math.abs(sum - expected) < 1e-5, `${sum} vs ${expected}`);
    assert.ok(Math.abs(ins.logprob - expected) < 1e-5);
    for (const c of ins.chars) {
      assert.equal(c.top.length, 5);
      for (let i = 1; i < 5; i++) assert.ok(c.top[i - 1].p >= c.top[i].p);
      assert.ok(c.rank >= 1 && c.rank <= vocab.size);
      // a character ranked in the top five is listed there with its own probability
      const listed = c.top.findIndex((t) => t.ch === c.ch);
      assert.equal(listed, c.rank <= 5 ? c.rank - 1 : -1);
      if (listed >= 0) assert.ok(Math.abs(Math.log(c.top[listed].p) - c.logprob) < 1e-5);
      assert.equal(c.layers.length, 2);
    }
  });

  test(`${cell}: the gates inspect shows equal a scalar computation from the parameters`, () => {
    const model = Model.create(createReferenceKernels('f64'), config(cell), vocab, 12);
    const ins = inspectPoem(model, POEM);
    const expected = scalarSignals(model, [2, ...vocab.encode(POEM)]);
    assert.deepEqual(ins.signals.map((s) => s.name), Object.keys(expected[0][0]));
    ins.chars.forEach((c, t) => c.layers.forEach((layer, l) => {
      for (const [name, units] of Object.entries(expected[t][l])) {
        units.forEach((u, j) => assert.ok(Math.abs(layer.units[name][j] - u) < 1e-12, `t=${t} layer ${l} ${name}[${j}]`));
        const info = ins.signals.find((s) => s.name === name)!;
        const summary = info.summary === 'mean' ? units.reduce((s, u) => s + u, 0) / units.length
          : info.summary === 'norm' ? Math.hypot(...units) : units.reduce((s, u) => s + Math.abs(u), 0) / units.length;
        assert.ok(Math.abs(layer.summary[name] - summary) < 1e-12, `summary t=${t} layer ${l} ${name}`);
      }
    }));
  });
}

test('prefix: read before the poem, not reported; the poem is scored given it', () => {
  const model = Model.create(createReferenceKernels('f64'), config('lstm'), vocab, 4);
  const plain = inspectPoem(model, POEM, { prefix: [] });
  assert.deepEqual(plain, inspectPoem(model, POEM));
  const prefixed = inspectPoem(model, POEM, { prefix: [vocab.id('花')!, vocab.id('。')!] });
  assert.deepEqual(prefixed.chars.map((c) => c.ch), [...POEM, '<eos>']);
  // Same figure from the model's loss over the whole sequence minus the prefix's own targets.
  const ids = [vocab.id('花')!, vocab.id('。')!, ...vocab.encode(POEM)];
  const inputs = Int32Array.from([2, ...ids]);
  const all = model.loss(inputs, Int32Array.from([...ids, EOS]), 1, inputs.length).loss;
  const head = model.loss(inputs, Int32Array.from([ids[0], ids[1], ...new Array(ids.length - 1).fill(0)]), 1, inputs.length).loss;
  assert.ok(Math.abs(prefixed.logprob - (head - all)) < 1e-9);
});

test('unknown characters and an empty poem are one-line errors', () => {
  const model = Model.create(createReferenceKernels('f64'), config('gru'), vocab, 4);
  assert.throws(() => inspectPoem(model, '山X'), /X/);
  assert.throws(() => inspectPoem(model, ''), /empty/);
});

/**
 * A minimal XML well-formedness check (no dependency): after dropping comments, CDATA, the
 * doctype and processing instructions, every tag is balanced, attributes are quoted, and text
 * holds no raw `<` and only known or numeric entities.
 */
function assertWellFormed(xml: string): void {
  const body = xml.replace(/<!--[\s\S]*?-->/g, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '').replace(/<!DOCTYPE[^>]*>/i, '').replace(/<\?[\s\S]*?\?>/g, '');
  const stack: string[] = [];
  let roots = 0;
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < body.length) {
    const lt = body.indexOf('<', i);
    const text = body.slice(i, lt < 0 ? body.length : lt);
    assert.ok(!/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(text), `bad entity in text near ${JSON.stringify(text.slice(0, 40))}`);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(body);
    assert.ok(m, `malformed tag near ${JSON.stringify(body.slice(lt, lt + 60))}`);
    const [whole, close, name, , selfClose] = m;
    if (close) assert.equal(stack.pop(), name, `unbalanced </${name}>`);
    else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
    i = lt + whole.length;
  }
  assert.deepEqual(stack, [], 'unclosed tags');
  assert.equal(roots, 1, 'one root element');
}

for (const cell of CELLS) {
  test(`${cell}: the SVG heat map and the HTML page are well-formed, the page's data parses`, () => {
    const model = Model.create(createReferenceKernels('f32'), config(cell), vocab, 5);
    const ins = inspectPoem(model, '山水月');
    const svg = renderSvg(ins);
    assertWellFormed(svg);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal(svg.match(/<g class="row"/g)?.length, ins.chars.length);
    const html = renderHtml(ins);
    assertWellFormed(html);
    const json = /<script type="application\/json" id="data">([^<]*)<\/script>/.exec(html);
    assert.ok(json);
    const data = JSON.parse(json[1]);
    assert.deepEqual(data.chars.map((c: { ch: string }) => c.ch), ins.chars.map((c) => c.ch));
  });
}

test('escaping: a symbol like <eos> cannot break the markup', () => {
  const model = Model.create(createReferenceKernels('f32'), config('rnn'), vocab, 5);
  const ins = inspectPoem(model, '山');
  ins.text = '</title><x a="&">';
  ins.chars[0].ch = '<&>';
  assertWellFormed(renderSvg(ins));
  assertWellFormed(renderHtml(ins));
});

test('shiren inspect --json --svg --html: shape, files written, logprob as score', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiren-inspect-'));
  try {
    const model = Model.create(createReferenceKernels('f32'), config('lstm'), vocab, 6);
    const file = path.join(dir, 'm.safetensors');
    saveModel(file, model);
    const [svg, html] = [path.join(dir, 'h.svg'), path.join(dir, 'p.html')];
    const r = shiren(['inspect', '--model', file, '--engine', 'reference', '--json', '--svg', svg, '--html', html, POEM]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.chars.length, [...POEM].length + 1);
    const [first] = out.chars;
    assert.deepEqual(Object.keys(first), ['ch', 'logprob', 'rank', 'top', 'layers']);
    assert.deepEqual(Object.keys(first.top[0]), ['ch', 'p']);
    assert.equal(first.layers.length, 2);
    assert.deepEqual(Object.keys(first.layers[0].summary), ['forget', 'input', 'output', 'cell']);
    assert.equal(first.layers[0].units.forget.length, 4);
    const score = JSON.parse(shiren(['score', '--model', file, '--engine', 'reference', '--json', POEM]).stdout);
    const sum = out.chars.reduce((s: number, c: { logprob: number }) => s + c.logprob, 0);
    assert.ok(Math.abs(sum - score.poems[0].logprob) < 1e-5);
    assertWellFormed(fs.readFileSync(svg, 'utf8'));
    assertWellFormed(fs.readFileSync(html, 'utf8'));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['h.svg', 'm.safetensors', 'p.html']); // no temp files left

    const table = shiren(['inspect', '--model', file, '--engine', 'reference', POEM]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^char\s+p\s+rank\s+top-5\s+layer 0\s+layer 1\n/);
    assert.equal(table.stdout.trim().split('\n').length, 1 + out.chars.length + 1);
    const bad = shiren(['inspect', '--model', file, '--engine', 'reference', '山X']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
