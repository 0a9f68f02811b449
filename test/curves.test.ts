// tools/curves.ts report: the perplexity table at CPU minutes (interpolated between validations,
// validation CPU left out), the cost table and the figure, from a run folder's metrics.jsonl.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

test('curves report: perplexity at 1, 2, 4… CPU minutes of training, cost per token, the figure', () => {
  const out = mkdtempSync(join(tmpdir(), 'shiren-curves-'));
  mkdirSync(join(out, 'gru-2x256'));
  const rows = [
    { kind: 'train', step: 10, epoch: 0, tokens: 1000, loss: 6, time: 70, cpu: 60, validCpu: 0 },
    // training CPU = cpu − validCpu: 1 and 3 minutes; the loss between is linear, so 2 min → ln 200
    { kind: 'valid', step: 20, epoch: 0, loss: Math.log(400), time: 90, cpu: 70, validCpu: 10 },
    { kind: 'train', step: 30, epoch: 0, tokens: 4000, loss: 5, time: 200, cpu: 190, validCpu: 10 },
    { kind: 'valid', step: 40, epoch: 1, loss: 2 * Math.log(200) - Math.log(400), time: 220, cpu: 200, validCpu: 20 },
  ];
  writeFileSync(join(out, 'gru-2x256', 'metrics.jsonl'), rows.map((r) => JSON.stringify(r) + '\n').join(''));
  const figure = join(out, 'curves.svg');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'tools/curves.ts', 'report', '--out', out, '--candidates', 'gru:2x256,lstm:2x256', '--cpu-budget', '3', '--figure', figure], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\| 1 min \| 2 min \| 3 min \| best \(at CPU min\) \| at step 40 \|/);
  assert.match(r.stdout, /\| gru-2x256 \| 400\.0 \| 200\.0 \| 100\.0 \| 100\.0 \(3\.0\) \| 100\.0 \|/);
  assert.doesNotMatch(r.stdout, /lstm-2x256 \|/, 'a candidate not trained is left out');
  // (130 − 10 CPU s) / 3000 tokens = 40,000 µs per token
  assert.match(r.stdout, /\| gru-2x256 \| — \| 40 \| 1 \| 3\.0 \(\+0\.3\) \| 4 \| 40000 \| — \| — \|/);
  assert.match(readFileSync(figure, 'utf8'), /^<svg[\s\S]*gru-2x256/);
  assert.ok(existsSync(join(out, 'curves.json')));
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'tools/curves.ts', 'report', '--out', out, '--candidates', 'cnn:2x256'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^curves: candidate 'cnn:2x256' is not cell:LAYERSxHIDDEN/);
});
