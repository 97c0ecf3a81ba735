import * as v from 'valibot';
import { count } from './schemas.ts';
import type { JsonValue } from './strategy.ts';

/**
 * Where a pagination stands, as plain JSON: store it (a database row, a file, a queue message) and
 * pass it to `paginate(…, { resumeFrom })` to continue exactly there — no item lost, none repeated.
 * It holds the next page's position as the strategy knows it (a cursor, an offset, the next page's
 * URL as the server sent it), so store it as carefully as you would that cursor or URL.
 * @example
 * const saved = JSON.stringify(paginator.checkpoint());
 * const resumed = paginate(fetch, url, { strategy, resumeFrom: JSON.parse(saved) });
 */
export interface PaginationCheckpoint {
  /** The format of this checkpoint. */
  version: 1;
  /** The name of the strategy it belongs to. */
  strategy: string;
  /** The position of the page the next item is on. */
  position: JsonValue;
  /** How many items of that page were already delivered: they are skipped when resuming. */
  skip: number;
  /** How many items come before that page. */
  index: number;
  /** The number of that page, 1 for the first. */
  page: number;
  /** Whether the last page was delivered: resuming from here yields nothing. */
  done: boolean;
}

export const CheckpointSchema = v.strictObject({
  version: v.literal(1),
  strategy: v.string(),
  position: v.unknown() as v.GenericSchema<unknown, JsonValue>,
  skip: count(0),
  index: count(0),
  page: count(1),
  done: v.boolean(),
});
