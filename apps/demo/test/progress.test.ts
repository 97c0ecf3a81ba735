import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../src/progress.ts';

const capture = (isTTY: boolean) => {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 120 });
  let written = '';
  stream.on('data', (chunk) => {
    written += chunk;
  });
  return { stream, written: () => written };
};

describe('the progress display', () => {
  it('writes a plain line at each quarter and at the end when not on a terminal', async () => {
    const { stream, written } = capture(false);
    const progress = createProgress({ stream, interactive: false, live: () => 'retries 0' });
    const step = progress.step('sync', 8);
    for (let index = 0; index < 8; index++) step.increment();
    step.done();
    progress.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(written()).toMatch(
      /^sync: 2\/8 \(25%\) · retries 0\nsync: 4\/8 \(50%\) · retries 0\nsync: 6\/8 \(75%\) · retries 0\nsync: 8\/8 done in \d+\.\d s · retries 0\n$/,
    );
    expect(written()).not.toContain('\u001b');
  });

  it('learns a step size once it is known', async () => {
    const { stream, written } = capture(false);
    const step = createProgress({ stream, interactive: false, live: () => '' }).step('sync', 100);
    step.setTotal(4);
    step.increment();
    await new Promise((resolve) => setImmediate(resolve));
    expect(written()).toContain('sync: 1/4 (25%)');
  });

  it('draws a bar per step on a terminal, left on screen when stopped', async () => {
    const { stream, written } = capture(true);
    const progress = createProgress({ stream, interactive: true, live: () => 'retries 3' });
    const step = progress.step('sync', 4);
    for (let index = 0; index < 4; index++) step.increment();
    step.done();
    progress.stop();
    progress.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(written()).toContain('sync     ████████████████████ 4/4 · retries 3');
  });
});
