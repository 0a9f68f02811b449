/**
 * 词林正韵, the rhyme book of 词: a character's readings as (部, tone), from cilin-table.ts (built
 * by tools/build-cilin-table.ts from the 廣韻 data of tshet-uinh). 部 1–14 hold 平 上 去; a 平 rhyme
 * takes the 平 of one 部, a 仄 rhyme the 上 and 去 of one 部 (they rhyme together) or the 入 of one of
 * 部 15–19. Browser-safe.
 *
 * A rhyme slot asks for a tone kind: '平', or '仄' (上 / 去 / 入). `rhymeBuOf(ch, kind)` gives the 部 in
 * which the character can rhyme as that kind; a polyphonic character has several and fits where one
 * of them does, as in the poem checker.
 *
 * 通押: 词林正韵 keeps the 部 apart, but the Song poets (and the 谱's own example 词) rhyme some of
 * them together — their dialects had merged the endings: 第三部 with 第五部 (灰 with 咍) and with 第四部
 * (支 with 鱼), 第六 第十一 第十三部 (-n, -ng, -m), 第六 with 第七部 and 第七 with 第十四部 (-n, -m), and
 * the 入声 部 15–19 among themselves (each pair counted in the 谱's examples: docs/ci.md). The checker
 * accepts these by default (`tongyaOf`); a strict check, and writing, keep to one 部.
 */
import { CILIN_TABLE } from './cilin-table.ts';

export type FourTone = '平' | '上' | '去' | '入';

export interface CilinReading {
  /** 1–19 */
  readonly bu: number;
  readonly tone: FourTone;
}

let readings: Map<string, CilinReading[]> | undefined;

function table(): Map<string, CilinReading[]> {
  if (readings) return readings;
  readings = new Map();
  for (const [bu, tone, chars] of CILIN_TABLE) {
    for (const ch of chars) {
      const list = readings.get(ch) ?? [];
      list.push({ bu, tone });
      readings.set(ch, list);
    }
  }
  return readings;
}

/** Every reading of a character in 词林正韵 ([] when the book lacks it). */
export function cilinReadings(ch: string): readonly CilinReading[] {
  return table().get(ch) ?? [];
}

/** 平仄 class: '平' when every reading is 平, '仄' when none is, 'either' for both, 'unknown' when absent. */
export function cilinTone(ch: string): '平' | '仄' | 'either' | 'unknown' {
  const rs = cilinReadings(ch);
  if (rs.length === 0) return 'unknown';
  const ping = rs.some((r) => r.tone === '平');
  const ze = rs.some((r) => r.tone !== '平');
  return ping && ze ? 'either' : ping ? '平' : '仄';
}

/** The 部 a character can rhyme in as a 平 or a 仄 rhyme (see the file comment), in book order. */
export function rhymeBuOf(ch: string, kind: '平' | '仄'): number[] {
  const bus = cilinReadings(ch).filter((r) => (kind === '平') === (r.tone === '平')).map((r) => r.bu);
  return [...new Set(bus)].sort((a, b) => a - b);
}

/** The sets of 部 rhymed together in practice (see the file comment). */
export const TONGYA: readonly (readonly number[])[] = [[3, 5], [3, 4], [6, 11, 13], [6, 7], [7, 14], [15, 16, 17, 18, 19]];

/** The 部 a rhyme in 部 `bu` may take by 通押 (every set that holds it), `bu` itself included. */
export function tongyaOf(bu: number): readonly number[] {
  return [...new Set([bu, ...TONGYA.filter((set) => set.includes(bu)).flat()])].sort((a, b) => a - b);
}

const NUMERALS = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二', '十三', '十四', '十五', '十六', '十七', '十八', '十九'];

/** '第七部' */
export function buLabel(bu: number): string {
  return `第${NUMERALS[bu] ?? bu}部`;
}
