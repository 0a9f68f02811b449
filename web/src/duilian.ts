/**
 * The page's 对联 (issue 20): the form 对联 answers a typed 上联 with several 下联, written by the
 * domain's writeDuilian (the worker, or POST /api/duilian: main.ts chooses), ranked by the score
 * each won among its candidates (src/domain/candidates.ts); and the check box checks a pasted pair
 * with checkDuilian (`shiren check --duilian`). An impossible 上联 (one ending in 平, an unknown
 * character) is the domain's one-line error, shown as the page shows any.
 *
 * Hooks: #upper (the 上联 field); `#poems .pair` (data-rank, 1 = best) with two `.line` rows, the
 * 上联 then the 下联, marked as poems are (views.ts poemLines); the check's `.checked.duilian`.
 */
import type { DuilianResult, DuilianWriteOptions } from '../../src/domain/duilian.ts';
import type { GenerateRequest } from '../../src/domain/requests.ts';
import type { DuilianCheck } from '../../src/poetry/duilian.ts';
import type { RhymeBookName } from '../../src/poetry/book-names.ts';
import { el, faultList, poemLines } from './views.ts';

/** The 下联 request of the page's form: its 上联, and the count, seed and sampling of the form. */
export function duilianRequest(base: GenerateRequest, upper: string, rhymeBook: RhymeBookName): DuilianWriteOptions {
  const { count, seed, candidates, temperature } = base;
  return { upper, count, seed, temperature, ...(candidates !== undefined && { candidates }), ...(rhymeBook !== 'pingshui' && { rhymeBook }) };
}

/**
 * The two lines of a pasted pair: one per line, or parted by a mark (，；。 …); their closing marks
 * dropped. A one-line error when there are not two.
 */
export function pairOf(text: string): [string, string] {
  const parts = text.split(/[\s，。？！；：、,.?!;:]+/u).filter(Boolean);
  if (parts.length !== 2) throw new Error(`a 对联 is two lines, the 上联 and the 下联 (one a line, or parted by ，); got ${parts.length}`);
  return [parts[0]!, parts[1]!];
}

/** A pair as two rows, the 上联 closed by ， and the 下联 by 。, with their tones and faults. */
function pairLines(upper: string, lower: string, check: DuilianCheck | undefined): HTMLElement {
  return poemLines([`${upper}，`, `${lower}。`], check);
}

/** How a pair was chosen, on hover (as a poem's: src/domain/candidates.ts). */
function choiceNote(pair: DuilianResult['pairs'][number]): string {
  const c = pair.choice;
  return c ? `best of ${c.candidates} candidates: score ${c.score.toFixed(3)} (fit to the 上联 ${c.fit.toFixed(3)}, fluency ${c.fluency.toFixed(3)})` : '';
}

/** The written pairs, best first, each with its rank and (with 标平仄) its tones and verdict. */
export function pairsView(result: DuilianResult, checks: readonly DuilianCheck[]): HTMLElement[] {
  const ranked = result.pairs.map((pair, i) => ({ pair, check: checks[i] }))
    .sort((a, b) => (b.pair.choice?.score ?? 0) - (a.pair.choice?.score ?? 0));
  return ranked.map(({ pair, check }, rank) => {
    const article = el('article', 'poem pair');
    article.dataset.rank = String(rank + 1);
    article.title = choiceNote(pair);
    const verdict = check ? (check.pass ? '合 passes the 对联 rules' : `${check.faults.length} fault${check.faults.length === 1 ? '' : 's'}`) : '';
    article.append(el('h2', 'title', `下联 ${rank + 1}`), pairLines(pair.upper, pair.lower, check), el('p', 'prosody', verdict));
    return article;
  });
}

/** A pasted pair checked: both lines marked, the verdict and the faults. */
export function duilianCheckView(check: DuilianCheck, bookLabel: string): HTMLElement {
  const box = el('div', 'checked duilian');
  box.dataset.pass = String(check.pass);
  box.append(pairLines(check.upper, check.lower, check), el('p', 'verdict', check.pass ? `合 passes the 对联 rules (${bookLabel})` : `${check.faults.length} fault${check.faults.length === 1 ? '' : 's'} by the 对联 rules (${bookLabel})`));
  if (check.faults.length) box.append(faultList(check.faults));
  return box;
}
