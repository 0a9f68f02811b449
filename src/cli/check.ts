/**
 * `shiren check [POEM…] [--file F] [--form F] [--rhyme-book pingshui|xinyun] [--json]` (docs/design.md §5,
 * §7): the prosody checker of src/poetry/check.ts on each poem given (arguments first, then the
 * file's lines, one poem a line, blank lines skipped).
 *
 * Output: per poem its text, then `form · pattern · rhyme group · pass|N faults`, each line with its
 * tone marks under it (平 仄, 中 for a character with both, ？ for one the book lacks), and every
 * fault as `line L char P (字) kind: message`, then the notes on rare readings (`· …`). With
 * --json, `{"poems":[{"text","form","pass","pattern","rhymeGroup","tones","faults":[{"line","pos",
 * "kind","message"}],"notes":[…]}]}` only.
 *
 * A 词 (`--cipai NAME`, or a text whose first line is `词牌：NAME`) is checked by src/poetry/ci-check.ts
 * against its tune; it prints `ci · tune · format N (book) · 部 · pass|N faults` and its lines with
 * their marks, and in --json adds `cipai`, `variant`, `format`, `stanzas` to the poem's fields.
 *
 * With --duilian the arguments are couplets, 上联 then 下联 (src/poetry/duilian.ts): per pair the
 * two lines with their tone marks, `pass|N faults` and each fault as `上联|下联 char P (字) kind:
 * message`; with --json `{"pairs":[{"upper","lower","pass","tones","faults":[{"line","pos","kind",
 * "message"}]}]}` (line 1 上联, 2 下联, 0 the pair).
 *
 * Exit code (returned to main, which owns process.exit): 0 when every poem (pair) passes, 3 when
 * some has faults; a missing file or no poem at all is a user error (1), as is an unknown tune; an
 * odd number of lines with --duilian a usage error (2).
 */
import { readPoemLines } from './poem-file.ts';
import type { RegulatedForm } from '../data/clean.ts';
import { checkedLines, type CheckResult, type FaultKind } from '../poetry/check.ts';
import { checkText, parseCipaiHeader, type CiCheckResult } from '../poetry/ci-check.ts';
import { checkDuilian, type DuilianCheck, type DuilianFaultKind } from '../poetry/duilian.ts';
import { findTune } from '../poetry/cipu.ts';
import { rhymeBook, type RhymeBookName } from '../poetry/rhymebook.ts';
import { RHYME_BOOK_LABELS } from '../poetry/book-names.ts';
import { UsageError } from './errors.ts';


export interface CheckCommandOptions {
  /** Poems given on the command line. */
  poems: string[];
  /** A file of poems, one per line. */
  file?: string;
  /** The form every poem must have; default: each poem's own shape. */
  form?: RegulatedForm;
  rhymeBook: RhymeBookName;
  /** Check every text as a 词 to this tune. */
  cipai?: string;
  /** With cipai: this format of the tune only (1-based). */
  variant?: number;
  /** With 词: no 通押. */
  strictRhyme?: boolean;
  json?: boolean;
  /** The arguments are couplets: 上联 下联 [上联 下联 …]. */
  duilian?: boolean;
}

/** Exit code when some poem has faults (documented in docs/design.md §5). */
export const EXIT_FAULTS = 3;

const KIND_LABEL: Record<FaultKind, string> = {
  tone: '平仄', nian: '失粘', dui: '失对', 'gu-ping': '孤平', 'san-ping-wei': '三平尾',
  rhyme: '出韵', 'rhyme-tone': '韵脚仄声', 'rhyme-repeat': '重韵', shape: '体式',
};

/** The human report of one poem (see the file comment). */
function describe(r: CheckResult, bookName: RhymeBookName): string {
  const book = rhymeBook(bookName);
  const out = [r.text];
  const verdict = r.pass ? 'pass' : `${r.faults.length} fault${r.faults.length === 1 ? '' : 's'}`;
  const group = r.rhymeGroup === null ? 'no rhyme group' : `韵 ${book.labelOf(r.rhymeGroup)} (${RHYME_BOOK_LABELS[bookName]})`;
  out.push(`  ${r.form} · ${r.pattern ?? 'no pattern'} · ${group} · ${verdict}`);
  const textLines = checkedLines(r.text);
  r.tones.forEach((marks, i) => {
    if (textLines.length === r.tones.length) out.push(`  ${textLines[i]}`);
    out.push(`  ${marks}`);
  });
  for (const f of r.faults) {
    const where = f.line === 0 ? 'poem' : `line ${f.line} char ${f.pos}${textLines[f.line - 1] ? ` (${[...textLines[f.line - 1]][f.pos - 1]})` : ''}`;
    out.push(`  ✗ ${where} ${KIND_LABEL[f.kind]} [${f.kind}]: ${f.message}`);
  }
  for (const n of r.notes) out.push(`  · ${n}`);
  return out.join('\n');
}

/** The human report of one 词. */
function describeCi(r: CiCheckResult): string {
  const out = [r.text];
  const verdict = r.pass ? 'pass' : `${r.faults.length} fault${r.faults.length === 1 ? '' : 's'}`;
  const format = r.variant === null ? 'no format of this length' : `format ${r.variant} (${r.format}, 片 ${r.stanzas!.join('+')})`;
  out.push(`  ci · ${r.cipai} · ${format} · ${r.rhymeGroup ?? 'no rhyme 部'} (词林正韵) · ${verdict}`);
  const body = parseCipaiHeader(r.text).body;
  const textLines = body.split(/[，。？！；：、,.?!;:｜/\s]+/u).filter((l) => [...l].some((c) => /\p{Script=Han}/u.test(c)));
  r.tones.forEach((marks, i) => out.push(`  ${textLines.length === r.tones.length ? `${textLines[i]}  ` : ''}${marks}`));
  if (r.pattern) out.push(`  谱 ${r.pattern}`);
  for (const f of r.faults) {
    const line = textLines.length === r.tones.length ? textLines[f.line - 1] : undefined;
    const where = f.line === 0 ? 'text' : `line ${f.line}${f.pos ? ` char ${f.pos}${line ? ` (${[...line][f.pos - 1]})` : ''}` : ''}`;
    out.push(`  ✗ ${where} ${KIND_LABEL[f.kind]} [${f.kind}]: ${f.message}`);
  }
  return out.join('\n');
}

const DUILIAN_KIND_LABEL: Record<DuilianFaultKind, string> = {
  shape: '体式', length: '字数', tone: '平仄', end: '仄起平收', repeat: '重字', pattern: '叠字',
};

/** The human report of one couplet (see the file comment). */
function describeDuilian(r: DuilianCheck): string {
  const lines = [r.upper.trim(), r.lower.trim()];
  const out = [`${lines[0]} / ${lines[1]}`, `  对联 · ${r.pass ? 'pass' : `${r.faults.length} fault${r.faults.length === 1 ? '' : 's'}`}`];
  r.tones.forEach((marks, i) => {
    if (marks) out.push(`  ${lines[i]}`, `  ${marks}`);
  });
  for (const f of r.faults) {
    const line = f.line === 0 ? 'pair' : f.line === 1 ? '上联' : '下联';
    const ch = f.pos > 0 ? [...lines[f.line - 1]!.replace(/[，。？！；：、\s]/gu, '')][f.pos - 1] : undefined;
    out.push(`  ✗ ${line}${f.pos > 0 ? ` char ${f.pos}${ch ? ` (${ch})` : ''}` : ''} ${DUILIAN_KIND_LABEL[f.kind]} [${f.kind}]: ${f.message}`);
  }
  return out.join('\n');
}

/** `shiren check --duilian 上联 下联 …`; returns the exit code. */
function runDuilianCheck(opts: CheckCommandOptions): number {
  if (opts.file !== undefined || opts.form !== undefined) throw new UsageError('--duilian checks the couplets given as arguments; it takes neither --file nor --form');
  const lines = opts.poems.map((p) => p.trim()).filter(Boolean);
  if (lines.length === 0 || lines.length % 2 === 1) {
    throw new UsageError(`--duilian takes couplets as pairs of arguments, 上联 then 下联; got ${lines.length} line${lines.length === 1 ? '' : 's'}`);
  }
  const results: DuilianCheck[] = [];
  for (let i = 0; i < lines.length; i += 2) results.push(checkDuilian(lines[i]!, lines[i + 1]!, { book: opts.rhymeBook }));
  if (opts.json) process.stdout.write(JSON.stringify({ pairs: results }) + '\n');
  else process.stdout.write(results.map(describeDuilian).join('\n\n') + '\n');
  return results.every((r) => r.pass) ? 0 : EXIT_FAULTS;
}

/** Runs `shiren check`; returns the exit code (0 all pass, 3 some fault). */
export async function runCheck(opts: CheckCommandOptions): Promise<number> {
  if (opts.duilian) return runDuilianCheck(opts);
  const poems = opts.poems.map((p) => p.trim()).filter(Boolean);
  if (opts.file !== undefined) poems.push(...readPoemLines(opts.file).map((l) => l.line));
  if (poems.length === 0) throw new Error('nothing to check: give poems as arguments or --file FILE');
  if (opts.cipai !== undefined) findTune(opts.cipai); // an unknown tune fails before any text
  if (opts.variant !== undefined && opts.cipai === undefined) throw new Error('--variant needs --cipai');
  const results = poems.map((text) => checkText(text, { form: opts.form, book: opts.rhymeBook, cipai: opts.cipai, variant: opts.variant, strictRhyme: opts.strictRhyme }));
  if (opts.json) process.stdout.write(JSON.stringify({ poems: results }) + '\n');
  else process.stdout.write(results.map((r) => (r.form === 'ci' ? describeCi(r as CiCheckResult) : describe(r as CheckResult, opts.rhymeBook))).join('\n\n') + '\n');
  return results.every((r) => r.pass) ? 0 : EXIT_FAULTS;
}
