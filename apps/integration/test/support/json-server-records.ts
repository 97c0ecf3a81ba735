/** One record of the generated dataset the pagination tests serve from json-server. */
export interface JsonServerRecord {
  id: number;
  name: string;
  /** Epoch milliseconds, one second apart, in id order. */
  ts: number;
}

/** The start of the dataset's timestamps: 2025-01-01T00:00:00Z. */
export const RECORDS_START_MS = Date.UTC(2025, 0, 1);

/** A generated dataset of `count` records: ids 1…count, timestamps one second apart. */
export const jsonServerRecords = (count: number): JsonServerRecord[] =>
  Array.from({ length: count }, (_, index) => ({
    id: index + 1,
    name: `record-${index + 1}`,
    ts: RECORDS_START_MS + index * 1_000,
  }));
