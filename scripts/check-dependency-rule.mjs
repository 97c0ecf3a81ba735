#!/usr/bin/env node
// The dependency rule (ARCHITECTURE.md): core depends on nothing; a concern package depends on
// @ferrule/core and its own third-party libraries, never on another concern; only apps and
// @ferrule/testing (as a dev dependency) may depend on everything. Exits 1 on any violation.
// usage: node scripts/check-dependency-rule.mjs [repository root]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = process.argv[2] ?? new URL('..', import.meta.url).pathname;
const packagesDir = join(root, 'packages');
const problems = [];

const walk = (dir) =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? walk(path) : /\.(ts|mts|js|mjs)$/.test(entry) ? [path] : [];
  });

const importsOf = (source) =>
  [...source.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](@ferrule\/[a-z-]+)(?:\/[^'"]*)?['"]/g)].map(
    (match) => match[1],
  );

for (const name of readdirSync(packagesDir)) {
  const dir = join(packagesDir, name);
  const manifestPath = join(dir, 'package.json');
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    continue;
  }
  const self = manifest.name;
  const runtime = { ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies };
  const dev = manifest.devDependencies ?? {};
  const isCore = self === '@ferrule/core';
  const isTesting = self === '@ferrule/testing';

  if (isCore && Object.keys(runtime).length > 0) {
    problems.push(`${self} must have no runtime dependencies, has: ${Object.keys(runtime).join(', ')}`);
  }
  for (const dependency of Object.keys(runtime)) {
    if (dependency.startsWith('@ferrule/') && dependency !== '@ferrule/core' && !isTesting) {
      problems.push(`${self} depends on ${dependency} in package.json: a concern may depend on @ferrule/core only`);
    }
  }
  for (const dependency of Object.keys(dev)) {
    if (dependency.startsWith('@ferrule/') && !['@ferrule/core', '@ferrule/testing'].includes(dependency)) {
      problems.push(`${self} has a dev dependency on ${dependency}: combine concerns in apps/, not in a package`);
    }
  }

  let files = [];
  try {
    files = walk(join(dir, 'src'));
  } catch {
    continue;
  }
  for (const file of isTesting ? [] : files) {
    const isTest = /\.test(-d)?\.ts$/.test(file);
    for (const imported of importsOf(readFileSync(file, 'utf8'))) {
      if (imported === self) continue;
      const allowed = isCore ? [] : isTest ? ['@ferrule/core', '@ferrule/testing'] : ['@ferrule/core'];
      if (!allowed.includes(imported)) {
        problems.push(
          `${relative(root, file)} imports ${imported}: ${isCore ? 'core imports nothing' : 'a concern may import @ferrule/core only'}`,
        );
      }
    }
  }
}

if (problems.length > 0) {
  console.error(
    `Dependency rule broken (see ARCHITECTURE.md):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
  );
  process.exit(1);
}
console.log('Dependency rule holds: core imports nothing; each concern imports @ferrule/core only.');
