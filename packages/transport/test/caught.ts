// What a test expects to be thrown, checked with one of core's guards (`isParseError`, `isConfigError`, …).

/** Awaits `promise` and returns its rejection, which must pass `guard`. */
export async function rejectionOf<T>(promise: Promise<unknown>, guard: (error: unknown) => error is T): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!guard(error)) throw new Error(`expected ${guard.name} to hold for ${String(error)}`);
  return error;
}

/** Runs `run` and returns what it throws, which must pass `guard`. */
export function thrownBy<T>(run: () => unknown, guard: (error: unknown) => error is T): T {
  try {
    run();
  } catch (error) {
    if (guard(error)) return error;
    throw error;
  }
  throw new Error(`expected a throw that ${guard.name} accepts`);
}
