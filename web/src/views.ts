/**
 * The page's pictures, built as DOM nodes from plain results (no model here): a poem as rows of
 * characters, each with its 平仄 mark under it (the prosody checker's `tones`: ○ 平, ● 仄, ◐ either
 * reading, · not in the book — shapes, not characters, so no CJK font is needed for them) and its
 * faults marked; and an inspection as a table of per-character numbers beside the heat map.
 *
 * Hooks for tests and styling: `.poem-lines .line` (a row; its characters are its `.c`), `.ch` (data-line, data-pos, 1-based;
 * `.fault` with a `title` naming the faults), `.mark` (data-tone), `.faults li` (data-kind,
 * data-line, data-pos), `#inspect-table tr[data-i]` and the heat map's `g.row[data-i]`.
 */
import type { CheckResult } from '../../src/poetry/check.ts';
import type { InspectView } from './protocol.ts';

export const MARK_SHAPE: Record<string, string> = { 平: '○', 仄: '●', 中: '◐', '？': '·' };
export const MARK_WORD: Record<string, string> = { 平: '平 level', 仄: '仄 oblique', 中: '平/仄 either reading', '？': 'not in the rhyme book' };

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** What marks a poem's characters: a poem's, a 词's or a 对联's check (tones per line, faults at line and position, 1-based). */
export interface Marked {
  tones: readonly string[];
  faults: readonly { line: number; pos: number; kind: string; message: string }[];
}

/**
 * Lines of characters, each with its tone mark under it (`check.tones`, one string per line of
 * Han characters; the line's closing punctuation is shown unmarked). Faults at a line and
 * position mark that character; a fault of a whole line (pos 0) marks the line.
 */
export function poemLines(lines: readonly string[], check?: Marked): HTMLElement {
  const box = el('div', 'poem-lines');
  const faultsAt = new Map<string, string[]>();
  for (const f of check?.faults ?? []) {
    const key = `${f.line}:${f.pos}`;
    faultsAt.set(key, [...(faultsAt.get(key) ?? []), f.message]);
  }
  let hanLine = 0;
  lines.forEach((text) => {
    const row = el('div', 'row line');
    const chars = [...text];
    const isHanLine = chars.some((ch) => /\p{Script=Han}/u.test(ch));
    const marks = isHanLine ? [...(check?.tones[hanLine] ?? '')] : [];
    if (isHanLine) hanLine++;
    const lineFaults = faultsAt.get(`${hanLine}:0`);
    if (isHanLine && lineFaults) {
      row.classList.add('fault');
      row.title = lineFaults.join('\n');
    }
    let pos = 0;
    for (const ch of chars) {
      const han = /\p{Script=Han}/u.test(ch);
      const cell = el('span', 'ch');
      cell.append(el('span', 'c', ch));
      if (han) {
        pos++;
        cell.dataset.line = String(hanLine);
        cell.dataset.pos = String(pos);
        const tone = marks[pos - 1];
        if (tone) {
          const mark = el('span', 'mark', MARK_SHAPE[tone] ?? tone);
          mark.dataset.tone = tone;
          mark.title = MARK_WORD[tone] ?? tone;
          cell.append(mark);
        }
        const here = faultsAt.get(`${hanLine}:${pos}`);
        if (here) {
          cell.classList.add('fault');
          cell.title = here.join('\n');
        }
      }
      row.append(cell);
    }
    box.append(row);
  });
  return box;
}

/** The rhyme group and pattern of a checked poem, one line (empty for a poem of no regulated form). */
export function prosodyLine(check: CheckResult, bookLabel: string): string {
  if (check.form === 'free') return '';
  const parts = [check.pattern ?? '', check.rhymeGroup ? `韵 rhyme group ${check.rhymeGroup} (${bookLabel})` : 'no rhyme group'];
  parts.push(check.pass ? '合律 passes' : `${check.faults.length} fault${check.faults.length === 1 ? '' : 's'}`);
  return parts.filter(Boolean).join(' · ');
}

/** A pasted poem checked: its lines with marks and faults, the verdict, and the list of faults. */
export function checkView(check: CheckResult, bookLabel: string): HTMLElement {
  const box = el('div', 'checked');
  box.dataset.pass = String(check.pass);
  const lines = check.text.trim().split(/(?<=[，。？！；：、])|\n+/u).map((l) => l.replace(/\s+/g, '')).filter(Boolean);
  box.append(poemLines(lines, check));
  const verdict = el('p', 'verdict', check.form === 'free' ? '' : prosodyLine(check, bookLabel));
  box.append(verdict);
  if (check.faults.length) box.append(faultList(check.faults));
  return box;
}

/** The faults of a check, one item each (where, kind, message). */
export function faultList(faults: Marked['faults']): HTMLElement {
  const list = el('ol', 'faults');
  for (const f of faults) {
    const where = f.line === 0 ? 'poem' : f.pos === 0 ? `line ${f.line}` : `line ${f.line}, character ${f.pos}`;
    const item = el('li', '', `${where} · ${f.kind}: ${f.message}`);
    item.dataset.kind = f.kind;
    item.dataset.line = String(f.line);
    item.dataset.pos = String(f.pos);
    list.append(item);
  }
  return list;
}

/** An inspection: the per-character table (hovering a row marks its heat-map row) and the heat map. */
export function inspectView(view: InspectView): HTMLElement {
  const box = el('div', 'inspection');
  const tokens = view.chars.length;
  const ppl = Math.exp(-view.logprob / tokens);
  box.append(el('p', 'summary', `${view.cell}${view.title ? ` · title ${view.title}` : ''} · logprob ${view.logprob.toFixed(3)} over ${tokens} symbols · perplexity ${ppl.toFixed(1)}`));
  const table = el('table');
  table.id = 'inspect-table';
  const head = el('tr');
  const layers = view.chars[0]?.layers.length ?? 0;
  const cols = ['字', 'p', 'rank', 'top-5'];
  for (let l = 0; l < layers; l++) for (const s of view.signals) cols.push(`L${l} ${s.name}`);
  head.append(...cols.map((c) => el('th', '', c)));
  table.append(el('thead'));
  table.tHead!.append(head);
  const body = el('tbody');
  view.chars.forEach((c, i) => {
    const row = el('tr');
    row.dataset.i = String(i);
    const p = Math.exp(c.logprob);
    const cells = [
      el('td', 'c', c.ch),
      el('td', 'num p', p.toFixed(4)),
      el('td', 'num rank', String(c.rank)),
      el('td', 'top', c.top.map((t) => `${t.ch} ${t.p.toFixed(3)}`).join(' · ')),
    ];
    // the probability as a bar behind the number: readable at a glance, no colour needed to read it
    cells[1].style.setProperty('--p', String(p));
    for (const layer of c.layers) for (const s of view.signals) cells.push(el('td', 'num', layer[s.name].toFixed(3)));
    row.append(...cells);
    body.append(row);
  });
  table.append(body);
  const tableBox = el('div', 'scroll');
  tableBox.append(table);
  box.append(tableBox);
  const heat = el('div', 'scroll heat');
  heat.innerHTML = view.svg; // our own renderer's markup (src/explain/render.ts escapes every text)
  box.append(heat);
  const mark = (i: string | undefined) => {
    box.querySelectorAll('.on').forEach((n) => n.classList.remove('on'));
    if (i !== undefined) box.querySelectorAll(`[data-i="${i}"]`).forEach((n) => n.classList.add('on'));
  };
  box.addEventListener('mouseover', (e) => mark((e.target as Element).closest<HTMLElement | SVGElement>('[data-i]')?.dataset.i));
  return box;
}
