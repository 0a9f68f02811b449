/**
 * tools/gradient-flow.ts (the figure of docs/models.md) runs end to end on a tiny budget: it
 * trains the three tiny models, measures, and writes a well-formed SVG and the JSON of the
 * numbers, one series per cell, each a positive norm per step back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

test('tools/gradient-flow.ts --steps 2 --poems 2 writes the chart and its numbers', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiren-gradient-flow-'));
  try {
    const out = path.join(dir, 'g.svg');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'tools/gradient-flow.ts', '--steps', '2', '--poems', '2', '--engine', 'wasm', '--out', out],
      { cwd: path.join(import.meta.dirname, '..'), encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    const svg = fs.readFileSync(out, 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal(svg.match(/<path /g)?.length, 3);
    const { poems, series } = JSON.parse(fs.readFileSync(path.join(dir, 'g.json'), 'utf8'));
    assert.equal(poems, 2);
    assert.deepEqual(series.map((s: { label: string }) => s.label.split(' ')[0]), ['rnn', 'lstm', 'gru']);
    for (const s of series) {
      assert.equal(s.values.length, 63); // <bos> + 62 characters before the rhyme character
      assert.ok(s.values.every((v: number) => v > 0 && Number.isFinite(v)));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
