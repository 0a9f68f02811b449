#!/usr/bin/env node
// Cold-start time of the `shiren` command (bench/README.md's targets: `--version` ≤ 150 ms, `gen 山`
// ≤ 400 ms): runs each command N times in a fresh process and prints min/median/max wall ms.
//
//   node bench/startup.mjs [--runs 10] [--bin bin/shiren.js] [-- extra command …]
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const argv = process.argv.slice(2);
const flag = (name, fallback) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : fallback; };
const runs = Number(flag('--runs', '10'));
const bin = flag('--bin', new URL('../bin/shiren.js', import.meta.url).pathname);
const dash = argv.indexOf('--');
const commands = dash >= 0 ? [argv.slice(dash + 1)] : [['--version'], ['gen', '山']];

for (const args of commands) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`shiren ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  times.sort((a, b) => a - b);
  const median = (times[(runs - 1) >> 1] + times[runs >> 1]) / 2;
  console.log(`shiren ${args.join(' ')}: median ${median.toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times.at(-1).toFixed(0)}, ${runs} runs)`);
}
