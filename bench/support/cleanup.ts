/** Undo steps, run last in, first out; a step that fails is reported and the others still run. */
export class Cleanups {
  private readonly steps: (() => Promise<void>)[] = [];

  push(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      await step().catch((err: unknown) => console.error('cleanup failed:', err));
    }
  }
}

/**
 * On Ctrl-C (SIGINT) or SIGTERM: says so, runs `cleanup` (a bench's database, Redis database and
 * child processes must not outlive it) and exits with 130. Returns what removes the handlers.
 */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
