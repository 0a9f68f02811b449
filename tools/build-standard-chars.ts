/**
 * Builds src/data/standard-table.ts: each variant character (异体字, or a traditional form that OpenCC
 * left) → its standard form in the 通用规范汉字表 (2013), applied to the corpus after OpenCC t → cn
 * (src/data/standard.ts).
 *
 * Source: Unicode's Unihan database as Debian's `unicode-data` ships it (/usr/share/unicode, the
 * files plain or .bz2): the 通用规范汉字表 is field kTGH of Unihan_OtherMappings.txt; the links
 * come from Unihan_Variants.txt. Rule, for a character c NOT in the table (a standard character is
 * never mapped, so the mapping is idempotent), the first step that reaches standard characters:
 *   1. kSimplifiedVariant of c;
 *   2. kZVariant of c (the same character, another glyph);
 *   3. kSemanticVariant of c (the same word);
 *   4. a kSimplifiedVariant of a kZVariant or kSemanticVariant of c (廻 → 迴 → 回);
 *   5. a kZVariant or kSemanticVariant of c's kSimplifiedVariant;
 *   6. kSpecializedSemanticVariant of c (the same word in some senses: only reviewed ones are kept).
 * Several candidates at one step: the one most dictionaries name (the `<kMatthews,…` sources), then
 * the lower code point; OVERRIDES settle the ones a Tang poem uses.
 * Reviewed by hand (each entry says why): ADDITIONS, the variants of the 第一批异体字整理表 that
 * Unihan has no link for (嬾 珮 髪 … are frequent in the corpus); OVERRIDES, where the rule picks
 * the wrong standard character; KEEP, characters left alone because the standard form the data
 * names is a different word in a Tang poem (东菑 is a field, not 灾).
 *
 * Usage: node --import tsx tools/build-standard-chars.ts [--unihan DIR] [--corpus DIR] > src/data/standard-table.ts
 *   --corpus DIR: also print to stderr every mapping that the corpus (as built today) uses, with
 *   its count, most frequent first: the list to review.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** Variants Unihan does not link, from the 第一批异体字整理表 (variant → standard). */
const ADDITIONS: Record<string, string> = {
  嬾: '懒', 褭: '袅', 珮: '佩', 秪: '只', 秖: '只', 髪: '发', 歛: '敛', 桮: '杯', 顇: '悴', 巵: '卮',
  髴: '佛', 羇: '羁', 逈: '迥', 垅: '垄', 毬: '球', 蹔: '暂', 懃: '勤', 牓: '榜', 藂: '丛', 筿: '筱',
  歘: '欻', 䜩: '宴', 虵: '蛇', 悮: '误', 慇: '殷', 蔕: '蒂', 徴: '征', 搆: '构', 嵒: '岩', 嵓: '岩',
  撚: '捻', 蜺: '霓', 姪: '侄', 嶤: '峣', 瓌: '瑰', 睠: '眷', 斲: '斫', 斵: '斫', 隟: '隙', 撃: '击',
  鳯: '凤', 皐: '皋', 颕: '颖', 蟇: '蟆', 踈: '疏', 啣: '衔', 搥: '捶', 飚: '飙', 笻: '筇', 塼: '砖',
  駈: '驱', 璅: '琐', 葅: '菹', 頳: '赪', 惸: '茕', 栱: '拱', 雰: '氛', 箆: '篦',
};

/** Where the rule's choice is wrong or one of several: the standard form a Tang poem means. */
const OVERRIDES: Record<string, string> = {
  汚: '污', // Unihan: 洿 (a pool); 汚 is the old form of 污 (尘土汚清光)
  髣: '仿', // 髣髴 is 仿佛 in the standard (Unihan: 彷)
  袴: '裤', // Unihan also names 绔; 裤[袴] in the 第一批异体字整理表
  胷: '胸', // Unihan also names 匈
  盌: '碗', // Unihan also names 椀
  燿: '耀', // Unihan also names 曜
  廼: '乃', // Unihan also names 迺
  甖: '罂', // Unihan also names 䓨
  飇: '飙', // Unihan also names 飑
  嫰: '嫩', // Unihan also names 媆
  㟢: '崎', // Unihan also names 埼
  鸜: '鸲', // 鸜鹆 is 鸲鹆 (Unihan: 朐)
  雝: '雍', // 雝雝 is 雍雍 (Unihan: 簌)
  阨: '厄', // 厄[戹阨] (Unihan: 呃)
  尅: '克', // 克[剋尅] (Unihan: 剋)
  卭: '邛', // 临卭 is 临邛 (Unihan: 卬)
  躭: '耽', // 躭 is 耽, to indulge (Unihan: 眈)
  狥: '徇', // 狥微禄 is 徇 (Unihan: 殉)
  裌: '夹', // a lined garment, 夹 (Unihan: 袷, qiā)
};

/** Left alone: the form the data names is another word where a Tang poem uses the character. */
const KEEP: Record<string, string> = {
  菑: 'zī, a newly tilled field (东菑); 灾 only in another sense',
  刓: 'wán, to wear round (刓缺); Unihan names 园',
  艑: 'biàn, a large boat (大艑); Unihan names 扁',
  絣: 'bēng, to bind; Unihan names 背',
  寔: 'shí, "this, truly" (王业寔艰难); Unihan reaches 实',
  酖: 'dān, to indulge in wine (= 耽) as often as 鸩',
  蓧: 'diào, a weeding basket (荷蓧); Unihan names 莜 (oats)',
  卍: 'a symbol, not 万',
  豝: 'bā, a sow; Unihan names 羓 (dried meat)',
  襮: 'bó, an embroidered collar; Unihan names 幞',
  擗: 'pǐ, to beat the breast (擗踊); Unihan names 劈',
  埶: 'yì or shì (艺 or 势)',
  蜑: 'dàn, the 蜑 people (疍); Unihan names 蛋',
};

const { values: args } = parseArgs({ options: { unihan: { type: 'string', default: '/usr/share/unicode' }, corpus: { type: 'string' } } });

/** The lines of a Unihan file, plain or bz2 (bzcat), or a one-line error. */
function unihanLines(name: string): string[] {
  const plain = join(args.unihan!, name);
  if (existsSync(plain)) return readFileSync(plain, 'utf8').split('\n');
  if (existsSync(plain + '.bz2')) return execFileSync('bzcat', [plain + '.bz2'], { encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n');
  process.stderr.write(`no ${plain}(.bz2): install Debian's unicode-data (apt-get install unicode-data) or pass --unihan DIR\n`);
  process.exit(1);
}

const char = (u: string): string => String.fromCodePoint(parseInt(u.slice(2), 16));
const cp = (c: string): number => c.codePointAt(0)!;

const standard = new Set<string>();
for (const line of unihanLines('Unihan_OtherMappings.txt')) {
  const [u, field] = line.split('\t');
  if (field === 'kTGH' && u!.startsWith('U+')) standard.add(char(u!));
}
if (standard.size !== 8105) throw new Error(`kTGH lists ${standard.size} characters, the 通用规范汉字表 has 8105`);

type Field = 'kSimplifiedVariant' | 'kZVariant' | 'kSemanticVariant' | 'kSpecializedSemanticVariant';
/** links[c][field] = target → number of dictionaries that name the link */
const links = new Map<string, Partial<Record<Field, Map<string, number>>>>();
for (const line of unihanLines('Unihan_Variants.txt')) {
  if (line.startsWith('#') || !line.trim()) continue;
  const [u, field, value] = line.split('\t') as [string, Field, string];
  const c = char(u);
  const byField = links.get(c) ?? {};
  links.set(c, byField);
  const targets = (byField[field] ??= new Map());
  for (const item of value.split(' ')) {
    const [t, sources = ''] = item.split('<');
    if (char(t!) !== c) targets.set(char(t!), sources ? sources.split(',').length : 0);
  }
}
const linked = (c: string, ...fields: Field[]): Map<string, number> => {
  const out = new Map<string, number>();
  for (const f of fields) for (const [t, n] of links.get(c)?.[f] ?? []) out.set(t, Math.max(n, out.get(t) ?? 0));
  return out;
};

/** The standard form of c by the rule of the file comment, or undefined. */
function ruled(c: string): { to: string; step: number; of: string[] } | undefined {
  const simplified = (x: string) => linked(x, 'kSimplifiedVariant');
  const sameWord = (x: string) => linked(x, 'kZVariant', 'kSemanticVariant');
  const via = (first: Map<string, number>, then: (x: string) => Map<string, number>) => {
    const out = new Map<string, number>();
    for (const x of first.keys()) for (const [t, n] of then(x)) out.set(t, Math.max(n, out.get(t) ?? 0));
    return out;
  };
  const steps = [
    () => simplified(c),
    () => linked(c, 'kZVariant'),
    () => linked(c, 'kSemanticVariant'),
    () => via(sameWord(c), simplified),
    () => via(simplified(c), sameWord),
    () => linked(c, 'kSpecializedSemanticVariant'),
  ];
  for (const [i, step] of steps.entries()) {
    const found = [...step()].filter(([t]) => standard.has(t)).sort((a, b) => b[1] - a[1] || cp(a[0]) - cp(b[0]));
    if (found.length) return { to: found[0]![0], step: i + 1, of: found.map(([t]) => t) };
  }
  return undefined;
}

const variantsFile = unihanLines('Unihan_Variants.txt');
const version = variantsFile.find((l) => l.startsWith('# Unicode version:'))?.slice(2) ?? 'Unicode version unknown';
const table = new Map<string, string>();
const review: string[] = [];
for (const c of links.keys()) {
  if (standard.has(c) || c in KEEP) continue;
  const r = ruled(c);
  if (!r) continue;
  if (r.step === 6 && !(c in OVERRIDES)) {
    review.push(`${c}→${r.to} (specialized)`);
  }
  if (r.of.length > 1 && !(c in OVERRIDES)) review.push(`${c}→${r.of.join('|')}`);
  table.set(c, r.to);
}
for (const [c, to] of Object.entries({ ...ADDITIONS, ...OVERRIDES })) {
  if (standard.has(c)) throw new Error(`${c} is itself standard: drop it from the reviewed lists`);
  if (!standard.has(to)) throw new Error(`${c} → ${to}: ${to} is not in the 通用规范汉字表`);
  if (c in ADDITIONS && table.has(c)) throw new Error(`${c}: Unihan links it now (→ ${table.get(c)}); drop it from ADDITIONS`);
  table.set(c, to);
}
for (const c of Object.keys(KEEP)) if (standard.has(c)) throw new Error(`${c} is standard: drop it from KEEP`);

if (args.corpus) {
  const counts = new Map<string, number>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.txt')) for (const ch of readFileSync(join(dir, e.name), 'utf8')) if (table.has(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
  };
  walk(args.corpus);
  const used = [...counts].sort((a, b) => b[1] - a[1]);
  process.stderr.write(`${used.length} mapped characters in ${args.corpus}, ${used.reduce((s, [, n]) => s + n, 0)} occurrences:\n`);
  process.stderr.write(used.map(([c, n]) => `${c}→${table.get(c)} ${n}`).join('  ') + '\n');
  process.stderr.write(`ambiguous or specialized, not overridden, used there: ${review.filter((r) => counts.has([...r][0]!)).join('  ') || 'none'}\n`);
}

// one string of pairs (variant, standard), by the variant's code point: compact and greppable
const pairs = [...table].sort((a, b) => cp(a[0]) - cp(b[0])).map(([c, s]) => c + s);
const rows: string[] = [];
for (let i = 0; i < pairs.length; i += 32) rows.push(`  ${JSON.stringify(pairs.slice(i, i + 32).join(''))} +`);
process.stdout.write(`/**
 * Variant → standard form of the 通用规范汉字表, as pairs of characters (variant, standard), by the
 * variant's code point. Generated by tools/build-standard-chars.ts from Unicode's Unihan data
 * (${version}; the tool's comment gives the rule and the reviewed lists); do not edit by hand.
 * ${pairs.length} characters.
 */
export const STANDARD_PAIRS =
${rows.join('\n').slice(0, -2)};
`);
