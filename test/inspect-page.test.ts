/**
 * The standalone page of `shiren inspect --html` in a real browser: hovering a character (or its
 * heat-map row) shows that character's probability, rank, top-5 and per-layer gate means, and
 * marks it. Needs /usr/bin/chromium (skipped without it, saying so).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { Model } from '../src/nn/model.ts';
import { inspectPoem } from '../src/explain/inspect.ts';
import { renderHtml } from '../src/explain/render.ts';
import { SPECIALS, Vocab } from '../src/data/vocab.ts';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.ts';

test('hovering a character shows its numbers', async () => {
  const vocab = new Vocab([...SPECIALS, '，', '。', '山', '水', '月']);
  const model = Model.create(createReferenceKernels('f32'), { cell: 'gru', layers: 2, embed: 3, hidden: 4, dropout: 0, vocabSize: vocab.size, gruVariant: 'seed', tied: false, titleBag: false }, vocab, 2);
  const ins = inspectPoem(model, '山水，月。');
  const dir = mkdtempSync(join(tmpdir(), 'shiren-inspect-page-'));
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  try {
    const file = join(dir, 'p.html');
    writeFileSync(file, renderHtml(ins));
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${file}`);
    await page.hover('#poem .ch[data-i="2"]');
    const info = await page.textContent('#info');
    const c = ins.chars[2];
    assert.match(info ?? '', new RegExp(`p = ${Math.exp(c.logprob).toFixed(4)} · rank ${c.rank}`));
    assert.match(info ?? '', new RegExp(`update ${c.layers[1].summary.update.toFixed(3)}`));
    assert.equal(await page.locator('.on').count(), 2); // the character and its heat-map row
    await page.hover('#heat g.row[data-i="5"] text');
    assert.match((await page.textContent('#info')) ?? '', /<eos>/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
