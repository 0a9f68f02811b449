// The layers of docs/design.md §8: the domain layer and everything below it use no front end.
// No module under src/ outside src/cli/ imports from src/cli/, none outside src/server/ from
// src/server/; the page (web/src) may import the domain layer, never the CLI or the server.
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
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => relative('.', resolve(dirname(file), s)));
}

test('no module outside src/cli imports src/cli, none outside src/server imports src/server', () => {
  const offences: string[] = [];
  for (const file of [...sources('src'), ...sources('web/src'), ...sources('bench')]) {
    for (const target of imports(file)) {
      if (target.startsWith('src/cli/') && !file.startsWith('src/cli/')) offences.push(`${file} → ${target}`);
      if (target.startsWith('src/server/') && !file.startsWith('src/server/') && !file.startsWith('src/cli/main.ts')) offences.push(`${file} → ${target}`);
    }
  }
  assert.deepEqual(offences, []);
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
