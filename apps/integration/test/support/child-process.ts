import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A Node child process running one of `test/children/*.child.ts`, talking JSON lines on stdout. */
export interface Child {
  /** The next message the child printed (one JSON value per stdout line); rejects when it exits first. */
  next<Message = unknown>(): Promise<Message>;
  /** Sends a message over the IPC channel (children started with `ipc: true`). */
  send(message: unknown): void;
  /** Resolves when the child has exited, with how and when (`performance.now()` of this process). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
  /** What the child wrote to stderr so far. */
  stderr(): string;
  /** Ends the child if it still runs (for a test that failed half-way). */
  kill(): void;
}

/** Options of {@link startChild}. */
export interface ChildOptions {
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Node flags besides the source condition, e.g. `--expose-gc`. */
  nodeFlags?: string[];
  /** Opens an IPC channel for {@link Child.send}. @default false */
  ipc?: boolean;
}

const running = new Set<ChildProcess>();
// A test run that dies must not leave a child behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `test/children/<name>.child.ts` with Node's own TypeScript support, the `@ferrule/*` packages
 * read from their sources (the `@ferrule/source` condition), and a JSON-lines channel on stdout.
 * @example
 * const child = startChild('chaos', { nodeFlags: ['--expose-gc'] });
 * const result = await child.next();
 */
export function startChild(name: string, { env = {}, nodeFlags = [], ipc = false }: ChildOptions = {}): Child {
  const script = fileURLToPath(new URL(`../children/${name}.child.ts`, import.meta.url));
  const spawned = spawn(
    process.execPath,
    ['--conditions=@ferrule/source', '--disable-warning=ExperimentalWarning', ...nodeFlags, script],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? (['ipc'] as const) : [])] },
  );
  running.add(spawned);
  let stderr = '';
  spawned.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const messages: unknown[] = [];
  const waiting: { resolve: (message: unknown) => void; reject: (error: Error) => void }[] = [];
  let buffered = '';
  spawned.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end).trim();
      buffered = buffered.slice(end + 1);
      if (!line) continue;
      const message: unknown = JSON.parse(line);
      const reader = waiting.shift();
      if (reader) reader.resolve(message);
      else messages.push(message);
    }
  });
  let closed = false;
  let exitAtMs = 0;
  spawned.once('exit', () => {
    exitAtMs = performance.now();
  });
  // 'close' comes after 'exit' and after stdout has delivered its last line.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) => {
    spawned.once('close', (code, signal) => {
      closed = true;
      running.delete(spawned);
      for (const reader of waiting.splice(0)) {
        reader.reject(new Error(`${name} child exited (${code ?? signal}) before its next message: ${stderr}`));
      }
      resolve({ code, signal, atMs: exitAtMs });
    });
  });
  return {
    next: <Message>() =>
      new Promise<Message>((resolve, reject) => {
        if (messages.length > 0) return resolve(messages.shift() as Message);
        if (closed) return reject(new Error(`${name} child has exited: ${stderr}`));
        waiting.push({ resolve: resolve as (message: unknown) => void, reject });
      }),
    send: (message) => spawned.send(message as never),
    exited,
    stderr: () => stderr,
    kill: () => {
      if (spawned.exitCode === null && spawned.signalCode === null) spawned.kill('SIGKILL');
    },
  };
}

/**
 * Waits until every child said `ready` (see `readyThenGo` in test/children/protocol.ts), then tells them
 * all to start at the same moment, a little ahead.
 * @example
 * await startTogether(children);
 */
export async function startTogether(children: readonly Child[], aheadMs = 200): Promise<void> {
  const said = await Promise.all(children.map((child) => child.next<{ type: string }>()));
  const wrong = said.find((message) => message.type !== 'ready');
  if (wrong) throw new Error(`a child said ${JSON.stringify(wrong)} instead of ready`);
  const startAtMs = Date.now() + aheadMs;
  for (const child of children) child.send(startAtMs);
}
