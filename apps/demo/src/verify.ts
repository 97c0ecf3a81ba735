import { isDeepStrictEqual } from 'node:util';
import type { Catalogue } from './api/catalogue.ts';
import type { SyncResult } from './sync.ts';
import type { WriteOutcome } from './writes.ts';

/** How one sync compares with the API's dataset. */
export interface SyncCheck {
  /** How many items the API holds: its own dataset, or (for `--target`) the total it reported. */
  expected: number;
  /** Distinct items listed, and stored. */
  listed: number;
  stored: number;
  /** Items the API holds that were not stored. */
  missing: number;
  /** Items listed or stored more than once. */
  duplicated: number;
  /** Items stored that differ from the API's dataset, or that it does not hold. */
  different: number;
  /** Items and pages that failed for good. */
  failures: string[];
  ok: boolean;
}

/** How the writes came out. */
export interface WriteCheck {
  sent: number;
  /** Writes the API answered with the next version. */
  confirmed: number;
  /** Writes whose answer was replayed from the API's idempotency record. */
  replayedAnswers: number;
  /** Writes whose product, in the second sync, is exactly one version on with the new price. */
  appliedOnce: number;
  failures: string[];
  ok: boolean;
}

const duplicates = <Key>(...maps: Map<Key, number>[]) => {
  const keys = new Set<Key>();
  for (const map of maps) for (const [key, seen] of map) if (seen > 1) keys.add(key);
  return keys.size;
};

function check<Key, Item extends { id: Key }>(
  expected: readonly Item[] | undefined,
  reported: number | undefined,
  listed: Map<Key, number>,
  stored: Map<Key, Item>,
  storedCounts: Map<Key, number>,
  failures: string[],
): SyncCheck {
  const expectedCount = expected?.length ?? reported ?? listed.size;
  const truth = expected ? new Map(expected.map((item) => [item.id, item])) : undefined;
  let missing = 0;
  let different = 0;
  if (truth) {
    for (const id of truth.keys()) if (!stored.has(id)) missing++;
    for (const [id, item] of stored) if (!isDeepStrictEqual(item, truth.get(id))) different++;
  } else {
    for (const id of listed.keys()) if (!stored.has(id)) missing++;
  }
  const duplicated = duplicates(listed, storedCounts);
  const result = { expected: expectedCount, listed: listed.size, stored: stored.size, missing, duplicated, different };
  const ok =
    missing === 0 && duplicated === 0 && different === 0 && failures.length === 0 && stored.size === expectedCount;
  return { ...result, failures, ok };
}

/**
 * Compares a sync with the API's dataset: every product present, none listed or stored twice, each
 * equal to the API's. Without the dataset (`--target`), with the total the API reported and its listing.
 * @example
 * checkProducts(result, api.catalogue()).ok;
 */
export function checkProducts(result: SyncResult, catalogue: Catalogue | undefined): SyncCheck {
  const stored = new Map([...result.products].map(([id, { product }]) => [id, product]));
  const failures = result.failures.filter((failure) => !failure.startsWith('categories'));
  return check(catalogue?.products, result.reported.products, result.listed, stored, result.stored, failures);
}

/** The same for the categories (listed only: a category has no details to fetch). */
export function checkCategories(result: SyncResult, catalogue: Catalogue | undefined): SyncCheck {
  const failures = result.failures.filter((failure) => failure.startsWith('categories'));
  const { categories, categoriesListed, reported } = result;
  return check(catalogue?.categories, reported.categories, categoriesListed, categories, categoriesListed, failures);
}

/**
 * Checks that every write was applied exactly once: answered with the next version, and found in the
 * second sync one version on with its new price — a write applied twice would be two versions on.
 * `applied` is the API's own count of the writes that changed a product, when known.
 * @example
 * checkWrites(outcomes, secondSync, api.stats().writes.applied).ok;
 */
export function checkWrites(outcomes: readonly WriteOutcome[], resync: SyncResult, applied?: number): WriteCheck {
  const failures = outcomes.flatMap(({ id, error }) => (error ? [`write ${id}: ${error}`] : []));
  const confirmed = outcomes.filter(({ versionBefore, versionAfter }) => versionAfter === versionBefore + 1).length;
  const appliedOnce = outcomes.filter(({ id, priceCents, versionBefore }) => {
    const product = resync.products.get(id)?.product;
    return product?.version === versionBefore + 1 && product.priceCents === priceCents;
  }).length;
  const sent = outcomes.length;
  const ok =
    failures.length === 0 && confirmed === sent && appliedOnce === sent && (applied === undefined || applied === sent);
  return {
    sent,
    confirmed,
    replayedAnswers: outcomes.filter(({ replayed }) => replayed).length,
    appliedOnce,
    failures,
    ok,
  };
}
