import { defineConfig } from 'vitest/config';

// Tests read each package's src/ through the `@ferrule/source` export condition: no build needed.
// Type tests (`*.test-d.ts`) are checked by `tsc --noEmit` in each package's typecheck task.
export default defineConfig({
  resolve: { conditions: ['@ferrule/source'] },
  ssr: { resolve: { conditions: ['@ferrule/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
