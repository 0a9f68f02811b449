/**
 * 改写 on the page (issue 20, revision): under a written poem, click a character to keep it, or a
 * line's 留 to keep the whole line (kept characters are marked, `.ch.kept`; a click again lets it
 * go); 改写 rewrites the rest through the same library call as 写诗 (`generate` with `keep`, a
 * template: src/poetry/keep.ts templateOf), on the poem's title and with the settings it was
 * written with, and shows the new poem in its place with its kept characters marked; 撤销 brings
 * the poem before back (any number of steps). The page (main.ts) only calls `keepControls` for each
 * poem it shows and `forgetRevisions` when it writes new poems.
 *
 * Hooks for tests and styling: `.keep-line` (a line's 留), `.ch.kept`, `button.rewrite`,
 * `button.undo`; the article's data-revisions counts the rewrites that 撤销 can undo.
 */
import type { Poem } from '../../src/domain/write.ts';
import type { GenerateRequest } from '../../src/domain/requests.ts';
import { templateOf } from '../../src/poetry/keep.ts';

/** What the page lends: how to write (in the browser or on the server), and where a poem goes. */
export interface KeepHooks {
  /** the request of the poems shown (their form, rules, book, temperature, candidates) */
  request(): GenerateRequest | undefined;
  /** writes as 写诗 does */
  write(request: GenerateRequest): Promise<Poem[]>;
  /** shows `poem` in place of poem i */
  replace(i: number, poem: Poem): Promise<void>;
  /** says what happened (the page's status line) */
  status(state: 'busy' | 'ready' | 'error', message: string): void;
}

/** Per poem shown: the characters chosen to keep ("line:index"), and the poems a rewrite replaced. */
const chosen = new WeakMap<Poem, Set<string>>();
let history: Poem[][] = [];

/** New poems are written: no undo reaches past them. */
export function forgetRevisions(): void {
  history = [];
}

function keptOf(poem: Poem): Set<string> {
  let set = chosen.get(poem);
  if (!set) chosen.set(poem, (set = new Set((poem.kept ?? []).flatMap((idx, i) => idx.map((j) => `${i}:${j}`)))));
  return set;
}

/** The request that rewrites `poem` keeping `kept`: its form and title, the call's rules, a fresh seed. */
function rewriteRequest(base: GenerateRequest, poem: Poem, kept: Set<string>): GenerateRequest {
  const { start: _s, acrostic: _a, count: _c, seed: _seed, title: _t, ...rest } = base;
  const indices = poem.lines.map((_, i) => [...kept].filter((k) => k.startsWith(`${i}:`)).map((k) => Number(k.split(':')[1])));
  const request: GenerateRequest = { ...rest, keep: templateOf(poem.lines, indices), count: 1, seed: Math.floor(Math.random() * 2 ** 32) };
  if (poem.form === 'ci') {
    // a 词: its tune and format; its title is the tune
    Object.assign(request, { form: 'ci', cipai: poem.cipai, variant: poem.variant });
    delete request.rhymeBook;
    delete request.rhymeGroup;
  } else {
    request.form = poem.form;
    if (poem.title) request.title = poem.title;
    if (poem.form === 'free') for (const k of ['tones', 'rhyme', 'rhymeBook', 'rhymeGroup'] as const) delete request[k];
  }
  return request;
}

/** Adds keeping, 改写 and 撤销 to the article that shows poem i. */
export function keepControls(article: HTMLElement, poem: Poem, i: number, hooks: KeepHooks): void {
  const kept = keptOf(poem);
  const cells = () => [...article.querySelectorAll<HTMLElement>('.poem-lines .ch[data-pos]')];
  // data-line and data-pos (views.ts) are 1-based among the Han characters of a line; `kept` indexes the line's characters
  const indexOf = (cell: HTMLElement) => {
    const row = cell.closest('.line')!;
    return `${[...article.querySelectorAll('.poem-lines .line')].indexOf(row)}:${[...row.querySelectorAll('.ch')].indexOf(cell)}`;
  };
  const rewrite = button('rewrite', '改写 rewrite', 'write the characters not kept again');
  const undo = button('undo', '撤销 undo', 'bring the poem before this rewrite back');
  const refresh = () => {
    for (const cell of cells()) cell.classList.toggle('kept', kept.has(indexOf(cell)));
    const all = cells().length;
    rewrite.disabled = kept.size === 0 || kept.size === all;
    undo.disabled = !history[i]?.length;
    article.dataset.revisions = String(history[i]?.length ?? 0);
  };
  for (const cell of cells()) {
    cell.addEventListener('click', () => {
      const key = indexOf(cell);
      if (!kept.delete(key)) kept.add(key);
      refresh();
    });
  }
  for (const row of article.querySelectorAll<HTMLElement>('.poem-lines .line')) {
    const line = button('keep-line', '留', 'keep this line (again: let it go)');
    line.addEventListener('click', () => {
      const keys = [...row.querySelectorAll<HTMLElement>('.ch[data-pos]')].map(indexOf);
      const all = keys.every((k) => kept.has(k));
      for (const k of keys) (all ? kept.delete(k) : kept.add(k));
      refresh();
    });
    row.append(line);
  }
  rewrite.addEventListener('click', async () => {
    const base = hooks.request();
    if (!base) return;
    hooks.status('busy', 'Rewriting…');
    try {
      const [next] = await hooks.write(rewriteRequest(base, poem, kept));
      (history[i] ??= []).push(poem);
      await hooks.replace(i, next!);
      hooks.status('ready', `Rewritten, ${kept.size} character${kept.size === 1 ? '' : 's'} kept.`);
    } catch (error) {
      hooks.status('error', (error as Error).message);
    }
  });
  undo.addEventListener('click', async () => {
    const before = history[i]?.pop();
    if (!before) return;
    await hooks.replace(i, before);
    hooks.status('ready', 'The poem before the rewrite is back.');
  });
  const bar = document.createElement('div');
  bar.className = 'keep-bar';
  bar.append(rewrite, undo);
  article.append(bar);
  refresh();
}

function button(className: string, text: string, title: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = text;
  b.title = title;
  return b;
}
