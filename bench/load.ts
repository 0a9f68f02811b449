/**
 * Load benchmark of `shiren serve` (docs/design.md §9; figures in bench/README.md): `npm run bench:load [-- --seconds 12 --workers N --json]`.
 *
 * Starts real servers (`bin/shiren.js serve --port 0`, the bundled model) in child processes and
 * drives them with autocannon, on this machine (client and servers share the cores: say so when
 * quoting the figures):
 *   1. one instance, 50 connections each asking for one 七绝 ({"form":"qijue"}) for S seconds →
 *      poems/s, latency p50/p99/max, errors (non-2xx, socket errors, timeouts), and meanwhile
 *      GET /api/health every 50 ms on its own connection → its p50/p99/max;
 *   2. the effect of a heavy request on health: health latency idle, then while 2 heavy requests
 *      run ({"form":"qilv","count":20,"topK":1000}: the API's caps; the 30 poems and
 *      top-k 6000 are refused with a 400 since the caps);
 *   3. two instances (half the workers each) behind bench/proxy.ts (round robin), 50 connections,
 *      as in 1; then the same seed asked through the proxy 10 times gives the same poem whichever
 *      instance answers (no state between requests).
 * Prints a table (or JSON with --json), and the machine, its cores and load average.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
// @ts-expect-error autocannon ships no types
import autocannon from 'autocannon';

interface Args {
  seconds: number;
  workers: number;
  connections: number;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  // workers: serve's default, one per core
  const args: Args = { seconds: 12, workers: availableParallelism(), connections: 50, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === '--seconds') args.seconds = Math.min(20, num());
    else if (a === '--workers') args.workers = Math.round(num());
    else if (a === '--connections') args.connections = Math.round(num());
    else if (a === '--json') args.json = true;
    else throw new Error(`unknown argument ${a} (--seconds S, --workers N, --connections N, --json)`);
  }
  return args;
}

/** Spawns a process that prints `listening on URL`; resolves with it and its URL. */
function start(argv: string[]): Promise<{ child: ChildProcess; url: string; stdout: () => string }> {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'listening on' within 60 s from ${argv.join(' ')}: ${err}`)), 60_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)\n/.exec(out);
      if (m) { clearTimeout(timer); resolve({ child, url: m[1]!, stdout: () => out }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${argv.join(' ')} exited with ${code}: ${err}`)); });
  });
}

const serve = (workers: number) => start(['bin/shiren.js', 'serve', '--port', '0', '--workers', String(workers)]);

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** GET /api/health every `everyMs` until `done()`, one request at a time; latencies in ms. */
async function probeHealth(url: string, done: () => boolean, everyMs = 50): Promise<{ p50: number; p99: number; max: number; n: number; errors: number }> {
  const times: number[] = [];
  let errors = 0;
  while (!done()) {
    const t0 = performance.now();
    try {
      const res = await fetch(`${url}/api/health`);
      await res.arrayBuffer();
      if (res.status !== 200) errors++;
    } catch {
      errors++;
    }
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99), max: Math.max(...times), n: times.length, errors };
}

interface LoadFigures {
  poemsPerSecond: number;
  requests: number;
  latencyMs: { p50: number; p99: number; max: number };
  errors: { non2xx: number; socket: number; timeouts: number };
  health: { p50: number; p99: number; max: number; n: number; errors: number };
}

/** autocannon on POST /api/generate {"form":"qijue"} while health is probed on `healthUrl`. */
async function load(url: string, healthUrl: string, connections: number, seconds: number): Promise<LoadFigures> {
  let running = true;
  const health = probeHealth(healthUrl, () => !running);
  const result = await autocannon({
    url: `${url}/api/generate`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ form: 'qijue' }),
    connections,
    duration: seconds,
    timeout: 30,
  });
  running = false;
  return {
    poemsPerSecond: result['2xx'] / (result.duration || seconds),
    requests: result.requests.total,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    errors: { non2xx: result.non2xx, socket: result.errors, timeouts: result.timeouts },
    health: await health,
  };
}

async function heavyEffect(url: string): Promise<{ idle: { p50: number; p99: number; max: number }; during: { p50: number; p99: number; max: number; n: number }; heavyMs: number[]; heavyStatus: number[] }> {
  let t = performance.now();
  const idle = await probeHealth(url, () => performance.now() - t > 2000);
  const heavyBody = JSON.stringify({ form: 'qilv', count: 20, topK: 1000 });
  let running = 2;
  t = performance.now();
  const heavy = [0, 1].map(async () => {
    const t0 = performance.now();
    const res = await fetch(`${url}/api/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: heavyBody });
    await res.arrayBuffer();
    running--;
    return { ms: performance.now() - t0, status: res.status };
  });
  const during = await probeHealth(url, () => running === 0);
  const done = await Promise.all(heavy);
  return { idle, during, heavyMs: done.map((d) => d.ms), heavyStatus: done.map((d) => d.status) };
}

/** The same seed through the proxy `n` times: the texts must all be equal. */
async function stateless(url: string, n = 10): Promise<{ asked: number; distinct: number }> {
  const texts = new Set<string>();
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/api/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ form: 'qijue', seed: 42 }) });
    texts.add(((await res.json()) as { poems: Array<{ text: string }> }).poems[0]!.text);
  }
  return { asked: n, distinct: texts.size };
}

const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '—');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), loadavgBefore: loadavg().map((x) => +x.toFixed(2)) };
  const log = (s: string) => { if (!args.json) process.stdout.write(s + '\n'); };
  log(`machine: ${machine.cpu}, ${machine.cores} cores, load average ${machine.loadavgBefore.join(' ')} (client and servers share it)`);

  // 1 and 2: one instance
  const one = await serve(args.workers);
  let single: LoadFigures, heavy: Awaited<ReturnType<typeof heavyEffect>>;
  try {
    // warm-up: the first requests pay for lazy compilation in the workers
    await autocannon({ url: `${one.url}/api/generate`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"form":"qijue"}', connections: 4, amount: 20 });
    log(`1. one instance (${args.workers} worker${args.workers > 1 ? 's' : ''}), ${args.connections} connections × one 七绝, ${args.seconds} s …`);
    single = await load(one.url, one.url, args.connections, args.seconds);
    log('2. health while 2 heavy requests (20 qilv, top-k 1000 each) run …');
    heavy = await heavyEffect(one.url);
  } finally {
    await stop(one.child);
  }

  // 3: two instances behind a round-robin proxy
  const half = Math.max(1, Math.floor(args.workers / 2));
  const [a, b] = await Promise.all([serve(half), serve(half)]);
  const proxy = await start(['--import', 'tsx', 'bench/proxy.ts', '0', a.url, b.url]);
  let pair: LoadFigures, same: { asked: number; distinct: number };
  let split: string;
  try {
    await autocannon({ url: `${proxy.url}/api/generate`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"form":"qijue"}', connections: 4, amount: 20 });
    log(`3. two instances (${half} worker${half > 1 ? 's' : ''} each) behind bench/proxy.ts, ${args.connections} connections, ${args.seconds} s …`);
    pair = await load(proxy.url, a.url, args.connections, args.seconds);
    same = await stateless(proxy.url);
  } finally {
    const exited = new Promise((resolve) => proxy.child.once('exit', resolve));
    proxy.child.kill('SIGTERM');
    await exited;
    split = (/served ([\d ]+)/.exec(proxy.stdout())?.[1] ?? '?').trim();
    await Promise.all([stop(a.child), stop(b.child)]);
  }

  const report = { machine: { ...machine, loadavgAfter: loadavg().map((x) => +x.toFixed(2)) }, seconds: args.seconds, connections: args.connections, workers: args.workers, single, heavy, pair: { ...pair, perInstance: split, sameSeed: same } };
  if (args.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  const row = (name: string, r: LoadFigures) =>
    `${name.padEnd(34)}${f(r.poemsPerSecond, 1).padStart(9)}${f(r.latencyMs.p50).padStart(8)}${f(r.latencyMs.p99).padStart(8)}${f(r.latencyMs.max).padStart(8)}${String(r.errors.non2xx + r.errors.socket + r.errors.timeouts).padStart(8)}${f(r.health.p50, 1).padStart(10)}${f(r.health.p99, 1).padStart(10)}${f(r.health.max, 1).padStart(10)}`;
  log('');
  log(`${''.padEnd(34)}${'poems/s'.padStart(9)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'max ms'.padStart(8)}${'errors'.padStart(8)}${'health50'.padStart(10)}${'health99'.padStart(10)}${'healthmx'.padStart(10)}`);
  log(row(`one instance, ${args.workers} worker(s)`, single));
  log(row(`two instances × ${half} worker(s), proxy`, pair));
  log('');
  log(`requests per instance through the proxy: ${split}; the same seed 10 times through the proxy: ${same.distinct} distinct poem${same.distinct > 1 ? 's' : ''}`);
  log(`health idle: p50 ${f(heavy.idle.p50, 1)} ms, p99 ${f(heavy.idle.p99, 1)} ms; during 2 heavy requests (${heavy.heavyMs.map((x) => f(x)).join(', ')} ms, status ${heavy.heavyStatus.join(', ')}): p50 ${f(heavy.during.p50, 1)} ms, p99 ${f(heavy.during.p99, 1)} ms, max ${f(heavy.during.max, 1)} ms over ${heavy.during.n} probes`);
  log(`errors: non-2xx ${single.errors.non2xx} / ${pair.errors.non2xx}, socket ${single.errors.socket} / ${pair.errors.socket}, timeouts ${single.errors.timeouts} / ${pair.errors.timeouts}; load average after ${report.machine.loadavgAfter.join(' ')}`);
}

main().catch((err) => {
  process.stderr.write(`bench/load: ${(err as Error).message.split('\n')[0]}\n`);
  process.exitCode = 1;
});
