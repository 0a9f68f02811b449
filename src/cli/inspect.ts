/**
 * `shiren inspect [--model FILE] [--title T] POEM [--json] [--svg FILE] [--html FILE] [--engine E]`
 * (docs/design.md §5): per predicted character (the poem's and <eos>) its probability, rank, top-5 and
 * the per-layer gate summaries (explain/inspect.ts); the heat map and the hover page
 * (explain/render.ts) written atomically to the files asked for.
 *
 * Output: a table on stdout (model and engine on stderr); with --json only
 * `{"chars":[{"ch","logprob","rank","top":[{"ch","p"}],"layers":[{"summary","units"}]}],…}`.
 */
import { inspectUnderTitle, type PoemInspection } from '../domain/inspect.ts';
import { renderHtml, renderSvg } from '../explain/render.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { openCommandModel } from './open.ts';

export interface InspectCliOptions {
  poem: string;
  model?: string;
  /** the title the poem is read under (a title-conditioned model; none: untitled) */
  title?: string;
  json?: boolean;
  svg?: string;
  html?: string;
  engine?: string;
}

/** Short labels of the signals in the table. */
const LABELS: Record<string, string> = { forget: 'f', input: 'i', output: 'o', cell: '|c|', update: 'z', reset: 'r', hidden: '|h|' };

/** Terminal columns of a string: CJK and full-width forms take two. */
function columns(s: string): number {
  let n = 0;
  for (const ch of s) n += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return n;
}
const pad = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - columns(s)));

function table(ins: PoemInspection): string {
  const rows = ins.chars.map((c) => [
    c.ch,
    Math.exp(c.logprob).toFixed(4),
    String(c.rank),
    c.top.map((t) => `${t.ch}${t.p.toFixed(2).replace(/^0/, '')}`).join(' '),
    ...c.layers.map((l) => ins.signals.map((s) => `${LABELS[s.name] ?? s.name}${fmt(l.summary[s.name], s.summary)}`).join(' ')),
  ]);
  const header = ['char', 'p', 'rank', 'top-5', ...ins.chars[0].layers.map((_, k) => `layer ${k}`)];
  const widths = header.map((h, i) => Math.max(columns(h), ...rows.map((r) => columns(r[i]))));
  const line = (r: string[]) => r.map((cell, i) => pad(cell, widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function fmt(value: number, how: string): string {
  return how === 'mean' ? value.toFixed(2).replace(/^0/, '') : value.toFixed(2);
}

export async function runInspect(opts: InspectCliOptions): Promise<void> {
  const poem = opts.poem.trim();
  if (!poem) throw new Error('nothing to inspect: give a poem');
  const { model, banner } = await openCommandModel(opts);
  // a title-conditioned model reads `<form> title <sep>` first (src/data/sequence.ts), as score does
  const ins = inspectUnderTitle(model, poem, opts.title ?? '');
  if (opts.svg) writeFileAtomic(opts.svg, renderSvg(ins));
  if (opts.html) writeFileAtomic(opts.html, renderHtml(ins));
  if (opts.json) {
    process.stdout.write(JSON.stringify(ins) + '\n');
    return;
  }
  process.stderr.write(banner);
  process.stdout.write(table(ins));
  process.stdout.write(`logprob ${ins.logprob.toFixed(3)}  tokens ${ins.chars.length}  perplexity ${Math.exp(-ins.logprob / ins.chars.length).toFixed(2)}\n`);
  for (const f of [opts.svg, opts.html]) if (f) process.stderr.write(`wrote ${f}\n`);
}
