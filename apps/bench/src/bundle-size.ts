// Bundle size: esbuild, minified, gzipped — each ferrule package's own code, the full stack with
// everything it pulls in, and the peers' packages.
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';

export interface SizeRow {
  name: string;
  /** Minified and gzipped bytes. */
  gzipBytes: number;
  note: string;
}

const cwd = new URL('..', import.meta.url).pathname;

// Marks every bare import except the ones listed as external, so a bundle holds only its own code.
const externalExcept = (bundled: RegExp): Plugin => ({
  name: 'external-except',
  setup(context) {
    context.onResolve({ filter: /^[^./]/ }, (args) =>
      bundled.test(args.path) || args.kind === 'entry-point' ? undefined : { path: args.path, external: true },
    );
  },
});

async function gzipSize(source: string, options: { platform: 'browser' | 'node'; bundled?: RegExp }): Promise<number> {
  const result = await build({
    stdin: { contents: source, resolveDir: cwd, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: options.platform,
    conditions: ['@ferrule/source'],
    write: false,
    logLevel: 'silent',
    plugins: options.bundled ? [externalExcept(options.bundled)] : [],
  });
  return gzipSync(result.outputFiles[0]?.contents ?? new Uint8Array(), { level: 9 }).byteLength;
}

const ownCode = (name: string, entry = `@ferrule/${name}`, platform: 'browser' | 'node' = 'browser') => ({
  name: entry,
  source: `export * from '${entry}';`,
  platform,
  // Bundle the package's own source only: core and third-party libraries stay outside.
  bundled: new RegExp(`^${entry.replace('/', '\\/')}$`),
  note: 'own code, every export',
});

// What one middleware of a package costs a client that imports just it (the bundler drops the rest).
const oneExport = (name: string, exported: string) => ({
  ...ownCode(name),
  name: `@ferrule/${name} ${exported}()`,
  source: `export { ${exported} } from '@ferrule/${name}';`,
  note: 'own code, this export only',
});

export async function runBundleSizes(): Promise<SizeRow[]> {
  const entries = [
    {
      name: '@ferrule/core',
      source: "export * from '@ferrule/core';",
      platform: 'browser' as const,
      bundled: /^@ferrule\/core$/,
      note: 'everything',
    },
    {
      name: '@ferrule/core',
      source: "export { createFetch, editable, replayable } from '@ferrule/core';",
      platform: 'browser' as const,
      bundled: /^@ferrule\/core$/,
      note: 'createFetch only',
    },
    ownCode('transport'),
    ownCode('transport', '@ferrule/transport/undici', 'node'),
    ownCode('resilience'),
    oneExport('resilience', 'resilience'),
    ownCode('auth'),
    ...['apiKey', 'bearer', 'basic', 'oauth2', 'jwtBearer', 'hmac', 'awsSigV4'].map((scheme) =>
      oneExport('auth', scheme),
    ),
    ownCode('pagination'),
    ownCode('cache'),
    oneExport('cache', 'cache'),
    ownCode('cache', '@ferrule/cache/file', 'node'),
    ownCode('rate-limit'),
    ownCode('observability'),
    ownCode('observability', '@ferrule/observability/otel'),
    ownCode('redis', '@ferrule/redis', 'node'),
    {
      name: 'full stack',
      source: `export { createFetch } from '@ferrule/core';
export { logging, metrics } from '@ferrule/observability';
export { cache } from '@ferrule/cache';
export { resilience } from '@ferrule/resilience';
export { rateLimit, tokenBucket } from '@ferrule/rate-limit';
export { apiKey } from '@ferrule/auth';`,
      platform: 'browser' as const,
      bundled: /./,
      note: 'core + observability + cache + resilience + rate-limit + apiKey, with valibot and cockatiel',
    },
    {
      name: 'full stack on ky',
      source: `export { createClient } from '@ferrule/transport';
export { logging, metrics } from '@ferrule/observability';
export { cache } from '@ferrule/cache';
export { resilience } from '@ferrule/resilience';
export { rateLimit, tokenBucket } from '@ferrule/rate-limit';
export { apiKey } from '@ferrule/auth';`,
      platform: 'browser' as const,
      bundled: /./,
      note: 'the same under createClient, ky included',
    },
    { name: 'ky', source: "export { default } from 'ky';", platform: 'browser' as const, bundled: /./, note: 'peer' },
    { name: 'ofetch', source: "export * from 'ofetch';", platform: 'browser' as const, bundled: /./, note: 'peer' },
    {
      name: 'wretch',
      source: "export { default } from 'wretch';",
      platform: 'browser' as const,
      bundled: /./,
      note: 'peer',
    },
    {
      name: 'axios',
      source: "export { default } from 'axios';",
      platform: 'browser' as const,
      bundled: /./,
      note: 'peer (browser build)',
    },
    {
      name: 'cockatiel',
      source: "export * from 'cockatiel';",
      platform: 'browser' as const,
      bundled: /./,
      note: 'peer',
    },
    {
      name: 'fetch-extras',
      source: "export * from 'fetch-extras';",
      platform: 'browser' as const,
      bundled: /./,
      note: 'peer',
    },
  ];
  const rows: SizeRow[] = [];
  for (const entry of entries) {
    rows.push({ name: entry.name, gzipBytes: await gzipSize(entry.source, entry), note: entry.note });
  }
  return rows;
}
