import { MultiBar, Presets, type SingleBar } from 'cli-progress';

/** One step of the run, e.g. the first sync. */
export interface ProgressStep {
  /** The step's size, once it is known. */
  setTotal(total: number): void;
  /** One more item done. */
  increment(): void;
  /** The step is over. */
  done(): void;
}

/** Shows how the run goes: a live bar per step on a terminal, plain lines anywhere else. */
export interface Progress {
  step(label: string, total: number): ProgressStep;
  /** Ends the display (the bars stay on screen). Safe to call twice. */
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  stream: NodeJS.WritableStream;
  /** Whether `stream` is a terminal: bars are redrawn there; elsewhere plain lines are written. */
  interactive: boolean;
  /** A short line of live figures shown with the bars (`retries 3 · 429s 1`). */
  live: () => string;
}

// Plain lines are written at each quarter of a step, so a CI log gets a few lines, not hundreds.
const QUARTERS = 4;

function plainStep(stream: NodeJS.WritableStream, label: string, initialTotal: number, live: () => string) {
  let total = initialTotal;
  let value = 0;
  let quarter = 0;
  const startMs = performance.now();
  const line = (text: string) => stream.write(`${label}: ${text}\n`);
  return {
    setTotal(next: number) {
      total = next;
    },
    increment() {
      value++;
      const reached = total > 0 ? Math.floor((value / total) * QUARTERS) : 0;
      if (reached > quarter && reached < QUARTERS) {
        quarter = reached;
        line(`${value}/${total} (${Math.round((value / total) * 100)}%) · ${live()}`);
      }
    },
    done() {
      line(`${value}/${total} done in ${((performance.now() - startMs) / 1000).toFixed(1)} s · ${live()}`);
    },
  };
}

function barStep(bars: MultiBar, label: string, total: number, live: () => string): ProgressStep {
  const bar: SingleBar = bars.create(total, 0, { label, live: live() });
  return {
    setTotal: (next) => bar.setTotal(next),
    increment: () => bar.increment(1, { live: live() }),
    done: () => bar.update({ live: live() }),
  };
}

/**
 * The progress display of a run: a `cli-progress` multi-bar when `interactive`, otherwise a plain line
 * at each quarter of a step and at its end — no escape codes in a CI log.
 * @example
 * const progress = createProgress({ stream: process.stderr, interactive: process.stderr.isTTY, live: () => '' });
 * const step = progress.step('sync', 200);
 */
export function createProgress({ stream, interactive, live }: ProgressOptions): Progress {
  if (!interactive) return { step: (label, total) => plainStep(stream, label, total, live), stop() {} };
  const bars = new MultiBar(
    {
      stream,
      format: ' {label} {bar} {value}/{total} · {live}',
      barsize: 20,
      hideCursor: true,
      autopadding: true,
      fps: 12,
    },
    Presets.shades_classic,
  );
  let stopped = false;
  return {
    step: (label, total) => barStep(bars, label.padEnd(8), total, live),
    stop() {
      if (stopped) return;
      stopped = true;
      bars.stop();
    },
  };
}
