/**
 * docs/models.md and docs/models.zh.md: the `shiren` commands in their shell blocks run as
 * written (in a scratch folder, with the bundled model) — except `train` and `corpus`, which take
 * minutes to hours and are exercised by their own tests; every file and function the guide names
 * in backticks exists, so the guide cannot silently go stale when code moves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const root = path.join(import.meta.dirname, '..');
const docs = ['docs/models.md', 'docs/models.zh.md'].map((f) => ({ file: f, text: fs.readFileSync(path.join(root, f), 'utf8') }));

/** `npx shiren …` lines of the ```sh blocks. */
function commands(text: string): string[][] {
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => b.split('\n')).map((l) => l.trim()).filter((l) => l.startsWith('npx shiren '))
    .map((l) => l.replace(/^npx shiren /, '').split(/\s+/));
}

test('the shiren commands of the guide run as written', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiren-docs-'));
  try {
    const all = docs.flatMap((d) => commands(d.text));
    assert.ok(all.some((args) => args[0] === 'inspect'));
    for (const args of all) {
      if (args[0] === 'train' || args[0] === 'corpus') continue;
      const r = spawnSync(process.execPath, [path.join(root, 'bin/shiren.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `shiren ${args.join(' ')}: ${r.stderr}`);
    }
    assert.ok(fs.existsSync(path.join(dir, 'gates.svg')) && fs.existsSync(path.join(dir, 'gates.html')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('every source file and exported function the guide names exists', () => {
  const sources = new Map<string, string>();
  const read = (f: string) => {
    if (!sources.has(f)) sources.set(f, fs.readFileSync(path.join(root, f), 'utf8'));
    return sources.get(f)!;
  };
  for (const { file, text } of docs) {
    const paths = [...text.matchAll(/`((?:src|tools|docs|models)\/[\w./-]+)`/g)].map((m) => m[1]);
    for (const p of paths) assert.ok(fs.existsSync(path.join(root, p)), `${file} names ${p}`);
    const code = [...new Set(paths.filter((p) => p.endsWith('.ts')))].map(read).join('\n')
      + ['src/nn/cells/rnn.ts', 'src/nn/cells/lstm.ts', 'src/nn/cells/gru.ts', 'src/nn/cells/cell.ts', 'src/engine/kernels.ts'].map(read).join('\n');
    const names = [...text.matchAll(/`([a-z][A-Za-z]+)`/g)].map((m) => m[1]).filter((n) => /[A-Z]/.test(n) && !n.startsWith('xxx')); // xxxStep: the pattern, not a name
    for (const n of new Set(names)) assert.match(code, new RegExp(`\\b${n}\\b`), `${file} names ${n}`);
  }
});
