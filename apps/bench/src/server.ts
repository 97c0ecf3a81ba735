// The benchmark's API: a keep-alive HTTP server in its own process, answering ~300 B of JSON.
// Started by the benchmark with `fork`; it reports its port over IPC and stops when its parent goes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = JSON.stringify({
  id: 4711,
  sku: 'FER-RULE-0042',
  name: 'Brass ferrule, 12 mm',
  description: 'A compression ferrule for 12 mm tube, brass, pack of ten.',
  price: { amount: 1299, currency: 'EUR' },
  stock: 318,
  tags: ['plumbing', 'fittings', 'brass'],
  updatedAt: '2026-11-21T12:00:00.000Z',
  links: { self: '/products/4711' },
});
const headers = {
  'content-type': 'application/json',
  'content-length': String(Buffer.byteLength(body)),
  'cache-control': 'no-store',
};

const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, headers);
    response.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port, bodyBytes: Buffer.byteLength(body) });
});
process.on('disconnect', () => process.exit(0));
