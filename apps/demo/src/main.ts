// `pnpm demo`: an embedded catalogue API and a client composed from every ferrule package.
// Exit codes: 0 every item synced exactly once, 1 otherwise (or the run failed), 2 bad flags.
import { parseFlags, USAGE, UsageError } from './args.ts';
import { runDemo } from './run.ts';
import { renderSummary } from './summary.ts';

const usageFailure = (error: UsageError) => {
  process.stderr.write(`demo: ${error.message}\nRun \`pnpm demo --help\` for the flags.\n`);
  process.exitCode = 2;
};

async function main(argv: readonly string[]): Promise<void> {
  let command: ReturnType<typeof parseFlags>;
  try {
    command = parseFlags(argv);
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(error);
    throw error;
  }
  if (command.help) {
    process.stdout.write(USAGE);
    return;
  }
  const { settings } = command;
  const controller = new AbortController();
  const interrupt = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt);
  // With --json, stdout holds the summary and nothing else.
  const log = (line: string) => (settings.json ? process.stderr : process.stdout).write(`${line}\n`);
  try {
    const summary = await runDemo(settings, {
      progress: process.stderr,
      log,
      signal: controller.signal,
      env: process.env,
    });
    process.stdout.write(
      settings.json ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary, process.stdout.columns),
    );
    process.exitCode = summary.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(error);
    process.stderr.write(
      `demo: ${controller.signal.aborted ? 'interrupted' : ((error as Error)?.stack ?? String(error))}\n`,
    );
    process.exitCode = controller.signal.aborted ? 130 : 1;
  } finally {
    process.off('SIGINT', interrupt);
  }
}

await main(process.argv.slice(2));
