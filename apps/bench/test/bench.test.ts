import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

// Benchmarks are not tests: this only proves that `pnpm bench` runs from a clean clone and writes its
// report. It asserts no timing.
it('runs every part of the benchmark and writes the markdown and JSON reports', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'ferrule-bench-')), 'report.md');
  await run(
    process.execPath,
    [
      '--conditions=@ferrule/source',
      '--expose-gc',
      'src/main.ts',
      '--quick',
      '--requests',
      '200',
      '--measure-ms',
      '10',
      '--only',
      'fetch;ky;ferrule full stack, createFetch;ferrule full stack, createClient (ky)',
      '--out',
      out,
    ],
    { cwd: new URL('..', import.meta.url).pathname, timeout: 180_000 },
  );
  const report = readFileSync(out, 'utf8');
  expect(report).toContain('### HTTP, concurrency 64');
  expect(report).toMatch(/\| ferrule full stack, createFetch \| [\d,]+ \|/);
  expect(report).toContain('### In-process cost per request');
  expect(report).toMatch(/\| full stack \| [\d,]+ \|/);
  expect(report).toMatch(/\| p-throttle \| 50 \|/);
  const json = JSON.parse(readFileSync(out.replace(/\.md$/, '.json'), 'utf8')) as { http: { errors: number }[] };
  expect(json.http.every((row) => row.errors === 0)).toBe(true);
}, 200_000);
