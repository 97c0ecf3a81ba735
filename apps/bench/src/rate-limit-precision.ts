// Rate-limit precision: each client is told the server's limit and sends as fast as it allows.
// What share of the allowed rate did it achieve, and how many 429s did it get?
import { createFetch } from '@ferrule/core';
import { rateLimit, slidingWindow, tokenBucket } from '@ferrule/rate-limit';
import { createTestServer, rateLimited } from '@ferrule/testing';
import Bottleneck from 'bottleneck';
import pThrottle from 'p-throttle';

export interface PrecisionRow {
  client: string;
  allowedPerSecond: number;
  achievedPerSecond: number;
  ratio: number;
  refused: number;
  sent: number;
}

export interface PrecisionOptions {
  ratePerSecond: number;
  durationMs: number;
  concurrency: number;
}

type Limited = (send: () => Promise<Response>) => Promise<Response>;

async function drive(
  name: string,
  limit: Limited | undefined,
  send: (url: string) => Promise<Response>,
  options: PrecisionOptions,
): Promise<PrecisionRow> {
  const limited = rateLimited({
    limit: options.ratePerSecond,
    windowMs: 1_000,
    algorithm: 'token-bucket',
    headers: 'none',
  });
  const server = await createTestServer({ 'GET /items': limited });
  const url = `${server.url}/items`;
  const deadline = Date.now() + options.durationMs;
  let ok = 0;
  const startMs = Date.now();
  const loop = async () => {
    while (Date.now() < deadline) {
      const response = await (limit ? limit(() => send(url)) : send(url));
      await response.arrayBuffer();
      if (response.ok) ok++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const elapsedS = (Date.now() - startMs) / 1000;
  await server.close();
  const achievedPerSecond = ok / elapsedS;
  return {
    client: name,
    allowedPerSecond: options.ratePerSecond,
    achievedPerSecond,
    // The server allows a burst of one second's worth, then the rate: that is the most any client can get.
    ratio: ok / (options.ratePerSecond * (elapsedS + 1)),
    refused: limited.stats.refused,
    sent: limited.stats.allowed + limited.stats.refused,
  };
}

export async function runRateLimitPrecision(options: PrecisionOptions): Promise<PrecisionRow[]> {
  const rate = options.ratePerSecond;
  const bucket = createFetch({ use: [rateLimit({ policy: tokenBucket({ ratePerSecond: rate }) })] });
  const window = createFetch({ use: [rateLimit({ policy: slidingWindow({ limit: rate, windowMs: 1_000 }) })] });
  const bottleneck = new Bottleneck({ minTime: 1000 / rate, maxConcurrent: options.concurrency });
  const throttle = pThrottle({ limit: rate, interval: 1_000 });
  const throttled = throttle((send: () => Promise<Response>) => send());
  return [
    await drive('ferrule rateLimit, tokenBucket (default burst)', undefined, (url) => bucket(url), options),
    await drive('ferrule rateLimit, slidingWindow', undefined, (url) => window(url), options),
    await drive(
      'bottleneck (minTime)',
      (send) => bottleneck.schedule(send),
      (url) => fetch(url),
      options,
    ),
    await drive(
      'p-throttle',
      (send) => throttled(send),
      (url) => fetch(url),
      options,
    ),
  ];
}
