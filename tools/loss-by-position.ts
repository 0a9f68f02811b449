/**
 * Where in a poem is a character hard to guess? The mean loss (nats, −log p) of the characters of
 * the regulated test poems by their position within a line (1…7 and the closing mark, for the
 * seven-character forms; 1…5 and the mark for the five-character ones) and by line (1…8 of the
 * 律诗), for each model given — as an SVG bar chart and the numbers as JSON beside it. A
 * title-conditioned model reads each poem untitled, as `shiren eval` scores it.
 *
 * What it shows (docs/models.md): the first character of a line costs most (a new thought), the
 * characters inside a two-character word little, the rhyme at the end of an even line less than its
 * neighbours (the rhyme group narrows the choice) — context a recurrent model has to carry.
 *
 * Usage (reproduces docs/figures/loss-by-position.svg and .json):
 *   node --import tsx tools/loss-by-position.ts models/shiren-lstm.safetensors models/shiren-gru.safetensors
 *   node --import tsx tools/loss-by-position.ts [--corpus data/corpus] [--out docs/figures/loss-by-position.svg] [MODEL.safetensors …]
 *
 * Legend: B poems per batch, T steps, V vocabulary.
 */
import { parseArgs } from 'node:util';
import { readTitledSplit } from '../src/data/corpus.ts';
import { encodeExample } from '../src/data/sequence.ts';
import { PAD } from '../src/data/vocab.ts';
import { loadModel } from '../src/domain/model.ts';
import { escapeXml } from '../src/explain/render.ts';
import type { Model } from '../src/nn/model.ts';
import { makeBatch } from '../src/train/batches.ts';
import { writeFileAtomic } from '../src/util/fs.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { corpus: { type: 'string', default: 'data/corpus' }, out: { type: 'string', default: 'docs/figures/loss-by-position.svg' } },
});

interface Means {
  /** [chars per line + 1]: mean loss at position i of a line (the last: the mark) */
  inLine: Record<'5' | '7', number[]>;
  /** [8]: mean loss per line of the 律诗 (both lengths), marks included */
  byLine: number[];
}

function mean(sum: number[], n: number[]): number[] {
  return sum.map((s, i) => s / Math.max(1, n[i]!));
}

/** Losses of every target of the test poems of `forms`, by position. */
function measure(model: Model): Means {
  const inLine = { '5': [] as number[], '7': [] as number[] };
  const sums = { '5': new Array(6).fill(0), '7': new Array(8).fill(0) };
  const counts = { '5': new Array(6).fill(0), '7': new Array(8).fill(0) };
  const lineSum = new Array(8).fill(0), lineCount = new Array(8).fill(0);
  const poems = readTitledSplit(values.corpus!, 'test', ['wujue', 'qijue', 'wulv', 'qilv']);
  const V = model.vocab.size;
  for (let i = 0; i < poems.length; i += 32) {
    const chunk = poems.slice(i, i + 32);
    const examples = chunk.map((p) => encodeExample(model.vocab, { ...p, title: '' }));
    const batch = makeBatch(examples);
    const logits = model.logits(batch.inputs, batch.B, batch.T); // [B,T,V]
    chunk.forEach((poem, b) => {
      const C = poem.form === 'wujue' || poem.form === 'wulv' ? '5' : '7';
      const width = Number(C) + 1;
      for (let t = examples[b]!.skip; t < batch.T; t++) {
        const target = batch.targets[b * batch.T + t]!;
        if (target === PAD) continue;
        const row = logits.subarray((b * batch.T + t) * V, (b * batch.T + t + 1) * V);
        let max = -Infinity;
        for (let v = 0; v < V; v++) if (row[v]! > max) max = row[v]!;
        let sum = 0;
        for (let v = 0; v < V; v++) sum += Math.exp(row[v]! - max);
        const loss = max + Math.log(sum) - row[target]!;
        const k = t - examples[b]!.skip; // position in the poem; <eos> is k = length
        if (k >= [...poem.text].length) continue;
        sums[C][k % width] += loss;
        counts[C][k % width]++;
        if (poem.form === 'wulv' || poem.form === 'qilv') {
          lineSum[Math.floor(k / width)] += loss;
          lineCount[Math.floor(k / width)]++;
        }
      }
    });
  }
  inLine['5'] = mean(sums['5'], counts['5']);
  inLine['7'] = mean(sums['7'], counts['7']);
  return { inLine, byLine: mean(lineSum, lineCount) };
}

/** One bar chart panel: labelled bars per model. */
function panel(x0: number, title: string, labels: string[], series: { name: string; values: number[] }[], hi: number): string {
  const W = 300, H = 200, barGroup = W / labels.length;
  const bar = (barGroup - 6) / series.length;
  const colours = ['#3b6ea5', '#c0504d', '#9bbb59', '#8064a2'];
  const out = [`<text x="${x0 + W / 2}" y="18" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`];
  for (let i = 0; i < labels.length; i++) {
    series.forEach((s, j) => {
      const h = (s.values[i]! / hi) * H;
      out.push(`<rect x="${(x0 + i * barGroup + 3 + j * bar).toFixed(1)}" y="${(30 + H - h).toFixed(1)}" width="${(bar - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${colours[j % colours.length]}"><title>${escapeXml(`${s.name}: ${s.values[i]!.toFixed(2)} nats`)}</title></rect>`);
    });
    out.push(`<text x="${(x0 + i * barGroup + barGroup / 2).toFixed(1)}" y="${30 + H + 14}" text-anchor="middle" font-size="11">${escapeXml(labels[i]!)}</text>`);
  }
  out.push(`<line x1="${x0}" y1="${30 + H}" x2="${x0 + W}" y2="${30 + H}" stroke="#444"/>`);
  return out.join('\n');
}

const files = positionals.length ? positionals : [undefined];
const results: { model: string; means: Means }[] = [];
for (const file of files) {
  const model = await loadModel(file);
  results.push({ model: file ?? 'bundled', means: measure(model) });
}
const hi = Math.max(...results.flatMap((r) => [...r.means.inLine['7'], ...r.means.inLine['5'], ...r.means.byLine])) * 1.05;
const names = results.map((r) => r.model.replace(/^.*\//, ''));
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="290" viewBox="0 0 1000 290" font-family="sans-serif">
<rect width="1000" height="290" fill="white"/>
${panel(20, 'loss by position in a seven-character line', ['1', '2', '3', '4', '5', '6', '7', 'mark'], results.map((r, i) => ({ name: names[i]!, values: r.means.inLine['7'] })), hi)}
${panel(350, 'by position in a five-character line', ['1', '2', '3', '4', '5', 'mark'], results.map((r, i) => ({ name: names[i]!, values: r.means.inLine['5'] })), hi)}
${panel(680, 'by line of a 律诗 (5 and 7)', ['1', '2', '3', '4', '5', '6', '7', '8'], results.map((r, i) => ({ name: names[i]!, values: r.means.byLine })), hi)}
<text x="20" y="280" font-size="11">mean −log p (nats) of the regulated test poems' characters; ${escapeXml(names.join(', '))}; scale 0–${hi.toFixed(1)}</text>
</svg>
`;
writeFileAtomic(values.out!, svg);
writeFileAtomic(values.out!.replace(/\.svg$/, '.json'), JSON.stringify(results, null, 1) + '\n');
for (const r of results) {
  console.log(`${r.model}: 7-char line ${r.means.inLine['7'].map((x) => x.toFixed(2)).join(' ')} | 5-char ${r.means.inLine['5'].map((x) => x.toFixed(2)).join(' ')} | lines ${r.means.byLine.map((x) => x.toFixed(2)).join(' ')}`);
}
console.log(`wrote ${values.out} and its .json`);
