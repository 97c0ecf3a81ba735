import { describe, expect, it } from 'vitest';
import { createCatalogue } from '../src/api/catalogue.ts';
import type { SyncResult } from '../src/sync.ts';
import { checkCategories, checkProducts, checkWrites } from '../src/verify.ts';
import type { WriteOutcome } from '../src/writes.ts';

const catalogue = createCatalogue(4, 1);

// A sync that stored exactly what the API holds.
function perfectSync(): SyncResult {
  return {
    products: new Map(catalogue.products.map((product) => [product.id, { product: { ...product }, etag: null }])),
    listed: new Map(catalogue.products.map(({ id }) => [id, 1])),
    stored: new Map(catalogue.products.map(({ id }) => [id, 1])),
    categories: new Map(catalogue.categories.map((category) => [category.id, { ...category }])),
    categoriesListed: new Map(catalogue.categories.map(({ id }) => [id, 1])),
    reported: { products: 4, categories: catalogue.categories.length },
    failures: [],
  };
}

describe('checking a sync against the API', () => {
  it('passes a sync that stored every item once, as the API holds it', () => {
    expect(checkProducts(perfectSync(), catalogue)).toEqual({
      expected: 4,
      listed: 4,
      stored: 4,
      missing: 0,
      duplicated: 0,
      different: 0,
      failures: [],
      ok: true,
    });
    expect(checkCategories(perfectSync(), catalogue).ok).toBe(true);
  });

  it('fails a sync that missed an item', () => {
    const sync = perfectSync();
    sync.products.delete(2);
    expect(checkProducts(sync, catalogue)).toMatchObject({ missing: 1, ok: false });
  });

  it('fails a sync that listed an item twice, or stored it twice', () => {
    const listedTwice = perfectSync();
    listedTwice.listed.set(3, 2);
    expect(checkProducts(listedTwice, catalogue)).toMatchObject({ duplicated: 1, ok: false });
    const storedTwice = perfectSync();
    storedTwice.stored.set(1, 2);
    expect(checkProducts(storedTwice, catalogue)).toMatchObject({ duplicated: 1, ok: false });
  });

  it('fails a sync that stored an item unlike the API holds it', () => {
    const sync = perfectSync();
    (sync.products.get(4) as { product: { priceCents: number } }).product.priceCents += 1;
    expect(checkProducts(sync, catalogue)).toMatchObject({ different: 1, ok: false });
  });

  it('fails a sync with a failure even when everything else matches', () => {
    const sync = perfectSync();
    sync.failures.push('product 9: HTTP 503: gone');
    expect(checkProducts(sync, catalogue)).toMatchObject({ failures: ['product 9: HTTP 503: gone'], ok: false });
  });

  it('checks against the reported total when the dataset is unknown (--target)', () => {
    const sync = perfectSync();
    expect(checkProducts(sync, undefined).ok).toBe(true);
    sync.reported.products = 5;
    expect(checkProducts(sync, undefined)).toMatchObject({ expected: 5, ok: false });
  });
});

describe('checking the writes', () => {
  const outcome = (id: number, priceCents: number): WriteOutcome => ({
    id,
    priceCents,
    versionBefore: 1,
    versionAfter: 2,
    replayed: false,
  });
  const resynced = (changes: Record<number, { priceCents: number; version: number }>) => {
    const sync = perfectSync();
    for (const [id, change] of Object.entries(changes))
      Object.assign(sync.products.get(Number(id))?.product ?? {}, change);
    return sync;
  };

  it('passes writes each found one version on with their price', () => {
    const check = checkWrites(
      [outcome(1, 500), outcome(2, 600)],
      resynced({ 1: { priceCents: 500, version: 2 }, 2: { priceCents: 600, version: 2 } }),
      2,
    );
    expect(check).toMatchObject({ sent: 2, confirmed: 2, appliedOnce: 2, ok: true });
  });

  it('fails a write applied twice: two versions on', () => {
    const check = checkWrites([outcome(1, 500)], resynced({ 1: { priceCents: 500, version: 3 } }));
    expect(check).toMatchObject({ appliedOnce: 0, ok: false });
  });

  it('fails when the API counted more writes applied than were sent', () => {
    expect(checkWrites([outcome(1, 500)], resynced({ 1: { priceCents: 500, version: 2 } }), 2).ok).toBe(false);
  });

  it('fails a write that did not go through', () => {
    const failed = { ...outcome(1, 500), error: 'CIRCUIT_OPEN: open' };
    delete failed.versionAfter;
    expect(checkWrites([failed], resynced({}))).toMatchObject({ failures: ['write 1: CIRCUIT_OPEN: open'], ok: false });
  });
});
