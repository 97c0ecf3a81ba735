import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = new URL('./check-dependency-rule.mjs', import.meta.url).pathname;
const roots: string[] = [];

const tree = (files: Record<string, string>) => {
  const root = mkdtempSync(join(tmpdir(), 'dependency-rule-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
};

const manifest = (name: string, dependencies: Record<string, string> = {}) => JSON.stringify({ name, dependencies });

const check = (root: string) =>
  run('node', [script, root]).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code: number; stderr: string }) => ({ code: error.code, output: error.stderr }),
  );

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('the dependency rule check', () => {
  it('passes when each concern imports @ferrule/core only', async () => {
    const root = tree({
      'packages/core/package.json': manifest('@ferrule/core'),
      'packages/cache/package.json': manifest('@ferrule/cache', { '@ferrule/core': 'workspace:^' }),
      'packages/cache/src/index.ts': "import { createFetch } from '@ferrule/core';\n",
      'packages/cache/src/cache.test.ts': "import { createTestServer } from '@ferrule/testing/vitest';\n",
    });
    expect((await check(root)).code).toBe(0);
  });

  it('fails when a concern imports another concern in its source', async () => {
    const root = tree({
      'packages/cache/package.json': manifest('@ferrule/cache'),
      'packages/cache/src/index.ts': "import { retry } from '@ferrule/resilience';\n",
    });
    const result = await check(root);
    expect(result.code).toBe(1);
    expect(result.output).toContain('packages/cache/src/index.ts imports @ferrule/resilience');
  });

  it('fails when a concern declares another concern as a dependency', async () => {
    const root = tree({
      'packages/auth/package.json': manifest('@ferrule/auth', { '@ferrule/transport': 'workspace:^' }),
    });
    const result = await check(root);
    expect(result.code).toBe(1);
    expect(result.output).toContain('@ferrule/auth depends on @ferrule/transport');
  });

  it('fails when core gains a runtime dependency or imports a concern', async () => {
    const root = tree({
      'packages/core/package.json': manifest('@ferrule/core', { valibot: '1' }),
      'packages/core/src/index.ts': "export * from '@ferrule/cache';\n",
    });
    const result = await check(root);
    expect(result.code).toBe(1);
    expect(result.output).toContain('must have no runtime dependencies');
    expect(result.output).toContain('core imports nothing');
  });
});
