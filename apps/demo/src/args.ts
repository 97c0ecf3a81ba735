import { parseArgs } from 'node:util';
import * as v from 'valibot';

/** What a run of the demo does, from its flags. */
export interface Settings {
  /** The fraction of API requests that meet a fault (embedded API only). */
  chaos: number;
  /** The client's own limit, in requests per second. */
  ratePerSecond: number;
  /** How many products the embedded API holds. */
  items: number;
  /** Seeds the catalogue, the faults and the writes. */
  seed: number;
  /** Prints the summary as JSON on stdout, and nothing else there. */
  json: boolean;
  /** A real API to run against instead of the embedded one. */
  target: string | undefined;
}

/** What the command line asks for: a run, or the help text. */
export type Command = { help: true } | { help: false; settings: Settings };

/** A flag that cannot be used: the demo prints the message and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * The flags' defaults.
 * @example
 * DEFAULTS.items; // 200
 */
export const DEFAULTS = { chaos: 0.1, ratePerSecond: 60, items: 200, seed: 1 } as const;

/**
 * The text of `--help`.
 * @example
 * process.stdout.write(USAGE);
 */
export const USAGE = `Usage: pnpm demo [flags]

Syncs a product catalogue through a client composed from every ferrule package, against an
embedded API on 127.0.0.1 (or a real one with --target), and prints what happened.

Flags:
  --chaos <fraction>   fraction of API requests that meet a fault: 5xx, reset, slow headers,
                       slow body; above 0 also one outage and one token revocation
                       (0 to 1, default ${DEFAULTS.chaos}; embedded API only)
  --rate <per second>  the client's rate limit; the embedded API allows 50 per second
                       (default ${DEFAULTS.ratePerSecond})
  --items <n>          products in the embedded catalogue (1 to 20000, default ${DEFAULTS.items})
  --seed <n>           seeds the catalogue, the faults and the writes (default ${DEFAULTS.seed})
  --json               print the summary as JSON on stdout, and nothing else there
  --target <url>       run against a real API instead (see apps/demo/README.md for what it
                       must offer; credentials come from CATALOGUE_* environment variables)
  --help               show this text

Exit codes: 0 every item synced exactly once and every write applied once, 1 otherwise,
2 bad flags.
`;

// A number as typed: digits, maybe a fraction; no signs, exponents or spaces inside.
const numeric = (message: string) =>
  v.pipe(v.string(), v.trim(), v.regex(/^\d+(\.\d+)?$/, message), v.transform(Number));

const FRACTION = '--chaos expects a fraction from 0 to 1';
const fraction = v.pipe(numeric(FRACTION), v.maxValue(1, FRACTION));
const RATE = '--rate expects requests per second, above 0 and at most 10000';
const rate = v.pipe(numeric(RATE), v.gtValue(0, RATE), v.maxValue(10_000, RATE));
const whole = (flag: string, min: number, max: number) => {
  const message = `${flag} expects a whole number from ${min} to ${max}`;
  return v.pipe(numeric(message), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
};
const target = v.pipe(
  v.string(),
  v.check(
    (url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol),
    '--target expects an absolute http(s) URL',
  ),
);

const FlagsSchema = v.object({
  chaos: v.optional(fraction),
  rate: v.optional(rate),
  items: v.optional(whole('--items', 1, 20_000)),
  seed: v.optional(whole('--seed', 0, 4_294_967_295)),
  json: v.optional(v.boolean()),
  target: v.optional(target),
  help: v.optional(v.boolean()),
});

/**
 * Reads the demo's flags. Unknown flags, missing values, values out of range, and flags that make no
 * sense together throw a {@link UsageError} that says which.
 * @example
 * parseFlags(['--chaos', '0.2', '--seed', '7']); // { help: false, settings: { chaos: 0.2, seed: 7, … } }
 */
export function parseFlags(argv: readonly string[]): Command {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        chaos: { type: 'string' },
        rate: { type: 'string' },
        items: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        target: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'bad flags');
  }
  const result = v.safeParse(FlagsSchema, values);
  if (!result.success) throw new UsageError(result.issues[0]?.message ?? 'bad flags');
  const flags = result.output;
  if (flags.help) return { help: true };
  if (flags.target !== undefined) {
    const embeddedOnly = (['chaos', 'items'] as const).find((name) => flags[name] !== undefined);
    if (embeddedOnly) throw new UsageError(`--${embeddedOnly} applies to the embedded API, not to --target`);
  }
  return {
    help: false,
    settings: {
      chaos: flags.chaos ?? (flags.target === undefined ? DEFAULTS.chaos : 0),
      ratePerSecond: flags.rate ?? DEFAULTS.ratePerSecond,
      items: flags.items ?? DEFAULTS.items,
      seed: flags.seed ?? DEFAULTS.seed,
      json: flags.json ?? false,
      target: flags.target,
    },
  };
}
