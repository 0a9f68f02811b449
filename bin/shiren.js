#!/usr/bin/env node
// Entry point of the `shiren` command: runs the compiled CLI (dist/, built by `npm run build:ts`,
// which `prepare` and `pretest` run in a clone) and exits with its code explicitly: worker threads
// of the compute engine must not keep the process alive (`serve` only returns when the server
// has closed). No TypeScript is compiled at run time.
import module from 'node:module';

module.enableCompileCache?.(); // Node ≥ 22.1: V8's code cache of the compiled modules between runs
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/cli/main.js')) throw err;
  process.stderr.write('shiren: the compiled code (dist/) is missing: run `npm run build` in the shiren folder\n');
  process.exit(1);
}
process.exit(await cli.main(process.argv.slice(2)));
