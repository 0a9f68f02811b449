// The layers of docs/design.md §8, held for every floor: util, then data and engine, nn, then
// poetry, train and explain, the domain, then the front ends (server; cli, the entries, the page).
// No import runs up or sideways, no circle anywhere, only the entry point exits the process, and
// `shiren --version` loads nothing heavy.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The repository-relative paths a file imports (static and dynamic, relative specifiers only). */
function imports(file: string): string[] {
  // comments may quote an import (`import … from './x.ts'`): not an arrow
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => relative('.', resolve(dirname(file), s)));
}

/**
 * The floors of docs/design.md §8, lowest first. A module imports only modules of its own room or of
 * a lower floor: never one above, never a neighbour on its own floor (poetry, train and explain
 * know nothing of each other). web/src is the page, a front end like the CLI.
 */
const FLOORS: Record<string, number> = {
  'src/util': 0, 'src/types': 0,
  'src/data': 1, 'src/engine': 1,
  'src/nn': 2,
  'src/poetry': 3, 'src/train': 3, 'src/explain': 3,
  'src/domain': 4,
  'src/server': 5, 'src/library.ts': 5,
  'src/cli': 6, 'src/index.ts': 6, 'src/browser.ts': 6,
  'web/src': 7, // the page runs the browser entry in its worker
};

/** The room of a repository path: its folder under src/ (or the entry file itself), or web/src. */
function room(path: string): string {
  if (path.startsWith('web/src/')) return 'web/src';
  const parts = path.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : path;
}

test('every import runs down the floors of docs/design.md §8 (or stays in its room)', () => {
  const offences: string[] = [];
  for (const file of [...sources('src'), ...sources('web/src')]) {
    const from = room(file);
    assert.ok(from in FLOORS, `${file}: a room the floor table does not know (${from}); add it to FLOORS and to design.md §8`);
    for (const target of imports(file)) {
      const to = room(target);
      if (to === from || !to.startsWith('src') && !to.startsWith('web')) continue;
      assert.ok(to in FLOORS, `${file} imports ${target}: a room the floor table does not know`);
      if (FLOORS[to]! >= FLOORS[from]!) offences.push(`${file} (${from}, floor ${FLOORS[from]}) → ${target} (${to}, floor ${FLOORS[to]})`);
    }
  }
  for (const file of [...sources('bench'), ...sources('tools')]) {
    for (const target of imports(file)) if (/^src\/(cli|server)\//.test(target)) offences.push(`${file} → ${target}: bench and tools use the library, not a front end`);
  }
  assert.deepEqual(offences, []);
});

test('no circle of imports anywhere under src/ (type-only imports included)', () => {
  const graph = new Map<string, string[]>();
  for (const file of sources('src')) graph.set(file, imports(file).filter((t) => t.startsWith('src/')).map((t) => (t.endsWith('.ts') ? t : `${t}.ts`)));
  const state = new Map<string, 'open' | 'done'>();
  const circles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      circles.push([...path.slice(path.indexOf(file)), file].join(' → '));
      return;
    }
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(circles, []);
});

test('only the entry point exits the process', () => {
  const exits = sources('src').filter((f) => /process\.exit\(/.test(readFileSync(f, 'utf8')));
  // train's second Ctrl+C gives up at once, by design (the last checkpoint stays)
  assert.deepEqual(exits, ['src/cli/train.ts']);
});

test('`shiren --version` loads the CLI table alone: no engine, generator, rhyme book or heavy package', () => {
  // a module-resolution hook that names every module the process loads
  const hook = `export async function resolve(s, c, next) { const r = await next(s, c); if (!r.url.startsWith('node:')) process.stderr.write('LOAD ' + r.url + '\\n'); return r; }`;
  const register = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));`;
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, 'bin/shiren.js', '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const loaded = r.stderr.split('\n').filter((l) => l.startsWith('LOAD ')).map((l) => l.slice(5));
  assert.ok(loaded.some((u) => u.includes('/cli/main.')), 'the hook saw the CLI load');
  const heavy = loaded.filter((u) => /node_modules\/(?!commander)|\/(engine\/(index|wasm|blas)|poetry\/(generate|rhymebook|pingshui-table)|server\/|nn\/model)\./.test(u));
  assert.deepEqual(heavy, []);
});
