/**
 * Quality figures of generated poems (docs/design.md §7). Every figure is a share in [0, 1], NaN when
 * nothing qualifies for it (e.g. tonal compliance of a set without regulated poems).
 *
 * - wellFormed: share of poems well-formed for the form they were asked for (forms.ts).
 * - regulated: share of poems that are well-formed regulated poems, whatever was asked (how well a
 *   model learned the forms when decoding `free`).
 * - toneCompliance: among the regulated poems, the share whose every line fits one standard 平仄
 *   pattern of their form (prosody.ts's checker: positions 1/3/5 free but for 孤平/三平尾).
 * - rhymeRate: among lines 4, 6, 8 of poems of four lines or more, the share whose last character
 *   rhymes with the last of line 2.
 * - checkPass: among the regulated poems, the share that `shiren check` passes (check.ts: the
 *   平水韵, Wang Li's rules — tones, 粘对, 孤平, 三平尾, rhyme).
 * - novelty: share of generated lines (marks dropped) that do not occur as a line of the train split.
 * - distinct2: distinct character bigrams within lines ÷ all such bigrams, over all poems.
 */
import { bareLines, isWellFormed, lineBigrams, wellFormedForm, type GenForm } from './forms.ts';
import { matchPattern, rhymes } from './prosody.ts';
import { checkPoem } from './check.ts';

export interface QualityFigures {
  poems: number;
  wellFormed: number;
  regulated: number;
  toneCompliance: number;
  rhymeRate: number;
  checkPass: number;
  novelty: number;
  distinct2: number;
}


/** The set of lines of the training poems, for novelty. */
export function trainLineSet(trainPoems: Iterable<string>): Set<string> {
  const lines = new Set<string>();
  for (const poem of trainPoems) for (const line of bareLines(poem)) lines.add(line);
  return lines;
}

function share(hits: number, total: number): number {
  return total === 0 ? NaN : hits / total;
}

export function toneCompliance(texts: readonly string[]): number {
  let hits = 0;
  let total = 0;
  for (const text of texts) {
    const form = wellFormedForm(text);
    if (form === 'free') continue;
    total++;
    if (matchPattern(bareLines(text), form)) hits++;
  }
  return share(hits, total);
}

export function rhymeRate(texts: readonly string[]): number {
  let hits = 0;
  let total = 0;
  for (const text of texts) {
    const ends = bareLines(text).map((line) => line.at(-1)!);
    for (let i = 3; i < ends.length; i += 2) {
      total++;
      if (rhymes(ends[1], ends[i])) hits++;
    }
  }
  return share(hits, total);
}

export function checkPass(texts: readonly string[]): number {
  const regulated = texts.filter((t) => wellFormedForm(t) !== 'free');
  return share(regulated.filter((t) => checkPoem(t).pass).length, regulated.length);
}

export function novelty(texts: readonly string[], trainLines: ReadonlySet<string>): number {
  const lines = texts.flatMap(bareLines);
  return share(lines.filter((line) => !trainLines.has(line)).length, lines.length);
}

export function distinct2(texts: readonly string[]): number {
  const bigrams = texts.flatMap(lineBigrams);
  return share(new Set(bigrams).size, bigrams.length);
}

/** All figures for poems generated with the forms they were asked for. */
export function qualityFigures(poems: readonly { text: string; form: GenForm }[], trainLines: ReadonlySet<string>): QualityFigures {
  const texts = poems.map((p) => p.text);
  return {
    poems: poems.length,
    wellFormed: share(poems.filter((p) => (p.form === 'ci' ? isWellFormed(p.text, 'free') : isWellFormed(p.text, p.form))).length, poems.length),
    regulated: share(texts.filter((t) => wellFormedForm(t) !== 'free').length, poems.length),
    toneCompliance: toneCompliance(texts),
    rhymeRate: rhymeRate(texts),
    checkPass: checkPass(texts),
    novelty: novelty(texts, trainLines),
    distinct2: distinct2(texts),
  };
}
