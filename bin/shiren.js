#!/usr/bin/env node
// Entry point of the `shiren` command: runs the TypeScript CLI through tsx's loader, then exits
// explicitly: worker threads of the compute engine must not keep the process alive (`serve` only
// returns when the server has closed).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exit(await main(process.argv.slice(2)));
