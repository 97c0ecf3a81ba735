import { createFetch } from '@ferrule/core';
import { createClient } from '@ferrule/transport';
import { undiciFetch } from '@ferrule/transport/undici';
import type { ClientFactory } from './peer-clients.ts';
import { fullStack, fullStackSlots } from './stacks.ts';

export const ferruleClients: ClientFactory[] = [
  {
    // The fast-path terminal with no middleware: what the stacks below cost is measured against it too.
    name: 'ferrule undiciFetch alone',
    create(url) {
      const fetch = undiciFetch();
      return { get: async () => (await fetch(url)).json(), close: () => fetch.close() };
    },
  },
  {
    name: 'ferrule full stack, createFetch',
    create(url) {
      const fetch = createFetch({ use: fullStack() });
      return { get: async () => (await fetch(url)).json(), close: async () => {} };
    },
  },
  {
    name: 'ferrule full stack, createFetch + undici fast path',
    create(url) {
      const terminal = undiciFetch();
      const fetch = createFetch({ use: fullStack(), fetch: terminal });
      return { get: async () => (await fetch(url)).json(), close: () => terminal.close() };
    },
  },
  {
    name: 'ferrule full stack, createClient (ky)',
    create(url) {
      const api = createClient(fullStackSlots());
      return { get: () => api.get(url).json(), close: async () => {} };
    },
  },
];
