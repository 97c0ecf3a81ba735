// The child side of `startChild` (test/support/child-process.ts): JSON lines on stdout, a start
// signal over IPC, settings in the environment.

/** Prints one message for the parent (one JSON value per line on stdout). */
export function report(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** A setting the parent passed in the environment; a missing one is a bug in the test. */
export function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`the parent did not set ${name}`);
  return value;
}

/**
 * Says `ready`, waits for the parent's `go` (a start time, epoch ms, shared by every child), then lets
 * go of the IPC channel so that it never keeps this process alive, and sleeps until the start time.
 */
export async function readyThenGo(): Promise<void> {
  const go = new Promise<number>((resolve) => process.once('message', (startAtMs) => resolve(Number(startAtMs))));
  report({ type: 'ready' });
  const startAtMs = await go;
  process.channel?.unref();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAtMs - Date.now())));
}
