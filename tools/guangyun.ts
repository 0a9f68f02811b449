/**
 * The 廣韻 readings of tshet-uinh, as the rhyme-book tools read them (build-rhyme-book.ts for the
 * 平水韵, build-cilin-table.ts for the 词林正韵): every entry with the 韻目 that places it — its own
 * 韻目 for a 廣韻 entry, and for the few entries tshet-uinh takes from the 王三 (忘 陽平) the 廣韻
 * 韻目 most used for its 音韻地位 (韻 + 聲) — and the keys a character is looked up by (itself, its
 * simplified form and that form's traditional ones).
 */
import * as OpenCC from 'opencc-js';
import TshetUinh from 'tshet-uinh';
import { toSimplified } from '../src/data/clean.ts';

const TRADITIONAL = [OpenCC.Converter({ from: 'cn', to: 't' }), OpenCC.Converter({ from: 'cn', to: 'tw' })];

/** One reading: the character, its 韻目 (undefined: none could be found) and its 音韻地位. */
export interface GuangyunReading {
  ch: string;
  rhyme: string | undefined;
  position: ReturnType<typeof TshetUinh.資料.iter音韻地位> extends Iterable<infer P> ? P : never;
}

/** Every reading of the data (see the file comment). */
export function* guangyunReadings(): Generator<GuangyunReading> {
  const rhymeOfPosition = new Map<string, Map<string, number>>();
  for (const entry of TshetUinh.資料.廣韻.iter條目()) {
    if (!entry.音韻地位) continue;
    const key = entry.音韻地位.韻 + entry.音韻地位.聲;
    const counts = rhymeOfPosition.get(key) ?? new Map<string, number>();
    counts.set(entry.來源.韻目, (counts.get(entry.來源.韻目) ?? 0) + 1);
    rhymeOfPosition.set(key, counts);
  }
  const mostUsed = (key: string): string | undefined => [...(rhymeOfPosition.get(key) ?? [])].sort((a, b) => b[1] - a[1])[0]?.[0];
  for (const position of TshetUinh.資料.iter音韻地位()) {
    for (const entry of TshetUinh.資料.query音韻地位(position)) {
      yield { ch: entry.字頭, rhyme: entry.來源?.文獻 === '廣韻' ? entry.來源.韻目 : mostUsed(position.韻 + position.聲), position };
    }
  }
}

/** The keys `ch` is filed under: itself, its simplified form and that form's traditional ones (single characters only). */
export function lookupKeys(ch: string): string[] {
  const simplified = toSimplified(ch);
  return [...new Set([ch, simplified, ...TRADITIONAL.map((convert) => convert(simplified))])].filter((k) => [...k].length === 1);
}
