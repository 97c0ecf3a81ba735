import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

// Every module the main entry loads, following its relative imports.
function modulesOf(entry: string, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(entry)) return seen;
  const source = readFileSync(new URL(entry, import.meta.url), 'utf8');
  const imports = [...source.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map(
    (match) => match[1] as string,
  );
  seen.set(entry, imports);
  for (const specifier of imports) if (specifier.startsWith('./')) modulesOf(specifier, seen);
  return seen;
}

it('loads nothing of OpenTelemetry from the main entry', () => {
  const modules = modulesOf('./index.ts');
  expect([...modules.keys()]).toContain('./metrics.ts');
  const external = [...modules.values()].flat().filter((specifier) => !specifier.startsWith('./'));
  expect(external.length).toBeGreaterThan(0);
  expect(external.filter((specifier) => specifier.includes('opentelemetry'))).toEqual([]);
});

it('loads OpenTelemetry from the /otel entry', () => {
  const external = [...modulesOf('./otel.ts').values()].flat();
  expect(external).toContain('@opentelemetry/api');
});
