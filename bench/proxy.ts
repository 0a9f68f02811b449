/**
 * A tiny round-robin HTTP proxy, to show `shiren serve` keeps no state between requests: each
 * request goes to the next backend in turn, body and headers passed through as they are.
 *
 *   node --import tsx bench/proxy.ts PORT BACKEND_URL…   e.g. 8080 http://127.0.0.1:8081 http://127.0.0.1:8082
 *
 * Prints `listening on http://127.0.0.1:PORT` (the actual port for 0) once ready, and on SIGTERM
 * or SIGINT `served <n1> <n2> …`, the requests each backend got, then exits.
 * A backend that refuses the connection answers 502 with a one-line `{"error"}`. For measuring on
 * one machine only; in production use nginx, HAProxy or a cloud load balancer.
 */
import { createServer, request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';

const [portArg, ...backends] = process.argv.slice(2);
if (portArg === undefined || !backends.length) {
  process.stderr.write('usage: node --import tsx bench/proxy.ts PORT BACKEND_URL…\n');
  process.exit(2);
}
const targets = backends.map((b) => new URL(b));
const served = targets.map(() => 0);
// keep-alive to the backends, as a real load balancer does
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
let next = 0;

const server = createServer((req, res) => {
  const i = next++ % targets.length;
  const target = targets[i]!;
  served[i]!++;
  const up = request({ agent, host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (back) => {
    res.writeHead(back.statusCode ?? 502, back.headers);
    back.pipe(res);
  });
  up.on('error', (err) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `backend ${target.host} failed: ${err.message}` }));
  });
  // the client went away: so does the backend request, which cancels the job there
  res.on('close', () => {
    if (!res.writableEnded) up.destroy();
  });
  req.pipe(up);
});

server.listen(Number(portArg), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
const stop = () => {
  process.stdout.write(`served ${served.join(' ')}\n`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
