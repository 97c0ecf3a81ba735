import { memoryStore, type TokenSet, type TokenStore } from '@ferrule/core';

/** Looks for known secrets in everything the client wrote down. */
export interface SecretScan {
  /** Adds a secret to look for from now on. */
  add(secret: string): void;
  /** Scans one log record, event or error message. */
  scan(text: string): void;
  /** A token store that adds every token it is given to the scan. */
  tokenStore(): TokenStore;
  /** How many texts were scanned, and how many held a secret. */
  readonly stats: { scanned: number; leaks: number };
}

/**
 * A scan for secrets (client and signing secrets, every access token the client received) in every
 * log record, event and error message of a run: each one found is a leak.
 * @example
 * const scan = secretScan([clientSecret, signingSecret]);
 * scan.scan(JSON.stringify(record));
 * scan.stats.leaks; // 0
 */
export function secretScan(initial: Iterable<string>): SecretScan {
  const secrets = new Set<string>();
  const stats = { scanned: 0, leaks: 0 };
  const add = (secret: string) => {
    // A short value would match by chance; every secret of the demo is long.
    if (secret.length >= 8) secrets.add(secret);
  };
  for (const secret of initial) add(secret);
  return {
    add,
    stats,
    scan(text) {
      stats.scanned++;
      for (const secret of secrets) {
        if (text.includes(secret)) {
          stats.leaks++;
          return;
        }
      }
    },
    tokenStore() {
      const store = memoryStore<TokenSet>();
      return {
        ...store,
        set(key, tokens, options) {
          add(tokens.accessToken);
          if (tokens.refreshToken) add(tokens.refreshToken);
          return store.set(key, tokens, options);
        },
      };
    },
  };
}
