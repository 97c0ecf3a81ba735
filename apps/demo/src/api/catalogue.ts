import { seeded } from '../random.ts';

/** A product as the API serves it at `GET /products/:id`. */
export interface Product {
  id: number;
  sku: string;
  name: string;
  /** The id of its category. */
  category: string;
  priceCents: number;
  stock: number;
  /** Starts at 1; every applied write adds exactly 1. */
  version: number;
  updatedAt: string;
}

/** A category as the API lists it at `GET /categories`. */
export interface Category {
  id: string;
  name: string;
}

/** The whole dataset of the embedded API. */
export interface Catalogue {
  products: Product[];
  categories: Category[];
}

const MATERIALS = ['Brass', 'Copper', 'Steel', 'Nickel', 'Aluminium', 'Bronze', 'Titanium', 'Zinc'];
const KINDS = ['ferrule', 'sleeve', 'crimp', 'end cap', 'collar', 'bushing', 'grommet', 'coupling'];
const DEPARTMENTS = ['Plumbing', 'Electrical', 'Garden', 'Marine', 'Automotive', 'Workshop', 'Hydraulics'];

// Products created "before the run": their timestamps come from the seed, never from the wall clock.
const EPOCH_MS = Date.UTC(2026, 0, 1);

/** One category per ten products, at least one. */
const categoryCount = (items: number): number => Math.max(1, Math.ceil(items / 10));

/**
 * The catalogue of `items` products for `seed`: the same seed gives the same names, prices and stock
 * on every run.
 * @example
 * createCatalogue(200, 1).products.length; // 200
 */
export function createCatalogue(items: number, seed: number): Catalogue {
  const random = seeded(seed, 'catalogue');
  const categories = Array.from({ length: categoryCount(items) }, (_, index) => ({
    id: `c${String(index + 1).padStart(3, '0')}`,
    name: `${random.pick(DEPARTMENTS)} ${index + 1}`,
  }));
  const products = Array.from({ length: items }, (_, index): Product => {
    const id = index + 1;
    return {
      id,
      sku: `FRL-${String(id).padStart(5, '0')}`,
      name: `${random.pick(MATERIALS)} ${random.pick(KINDS)} ${random.int(4, 40)} mm`,
      category: random.pick(categories).id,
      priceCents: random.int(49, 9_999),
      stock: random.int(0, 500),
      version: 1,
      updatedAt: new Date(EPOCH_MS + id * 60_000).toISOString(),
    };
  });
  return { products, categories };
}
