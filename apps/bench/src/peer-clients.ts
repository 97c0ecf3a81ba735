// The HTTP clients ferrule is measured against. Each one reads the body as JSON, as an API client does.
import { Agent as HttpAgent } from 'node:http';
import axios from 'axios';
import {
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import got from 'got';
import ky from 'ky';
import { ofetch } from 'ofetch';
import { Agent, request } from 'undici';

/** One HTTP client as the benchmark drives it. */
export interface BenchClient {
  /** Sends one GET to `url` and reads the body as JSON. */
  get(): Promise<unknown>;
  close(): Promise<void>;
}

/** How to make a client for a URL. */
export interface ClientFactory {
  name: string;
  create(url: string): Promise<BenchClient> | BenchClient;
}

const noClose = async () => {};

export const peerClients: ClientFactory[] = [
  {
    name: 'undici.request',
    create(url) {
      const dispatcher = new Agent({ keepAliveTimeout: 60_000 });
      return {
        get: async () => (await request(url, { dispatcher })).body.json(),
        close: () => dispatcher.close(),
      };
    },
  },
  {
    name: 'fetch',
    create: (url) => ({ get: async () => (await fetch(url)).json(), close: noClose }),
  },
  {
    // What a timeout costs fetch itself: every ferrule stack with resilience() has an attempt timeout.
    name: 'fetch + 10 s timeout signal',
    create: (url) => ({
      get: async () => (await fetch(url, { signal: AbortSignal.timeout(10_000) })).json(),
      close: noClose,
    }),
  },
  {
    name: 'ky',
    create: (url) => ({ get: () => ky.get(url).json(), close: noClose }),
  },
  {
    name: 'got',
    create: (url) => ({ get: () => got(url).json(), close: noClose }),
  },
  {
    name: 'axios',
    create(url) {
      const httpAgent = new HttpAgent({ keepAlive: true });
      const client = axios.create({ httpAgent });
      return {
        get: async () => (await client.get(url)).data,
        close: async () => httpAgent.destroy(),
      };
    },
  },
  {
    name: 'ofetch',
    create: (url) => ({ get: () => ofetch(url), close: noClose }),
  },
  {
    name: 'cockatiel + fetch',
    create(url) {
      // A typical cockatiel client: retry with backoff, a consecutive breaker and a cooperative timeout.
      const policy = wrap(
        retry(handleAll, { maxAttempts: 2, backoff: new ExponentialBackoff() }),
        circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
        timeout(10_000, TimeoutStrategy.Cooperative),
      );
      return {
        get: () => policy.execute(async ({ signal }) => (await fetch(url, { signal })).json()),
        close: noClose,
      };
    },
  },
];
