// One cleanup stack per process. It runs on normal exit paths, SIGINT/SIGTERM and uncaught
// errors, so an interrupted benchmark never leaves namespaces or processes behind.

type Step = { label: string; fn: () => Promise<void> | void };

const steps: Step[] = [];
let running: Promise<void> | undefined;

/** True once cleanup has started: long loops check it so they stop creating things. */
export function aborting(): boolean {
  return running !== undefined;
}

/** Registers an undo step; returns a function that runs it now and removes it from the stack. */
export function defer(label: string, fn: () => Promise<void> | void): () => Promise<void> {
  const step: Step = { label, fn };
  steps.push(step);
  return async () => {
    const i = steps.indexOf(step);
    if (i < 0) return;
    steps.splice(i, 1);
    await runStep(step);
  };
}

async function runStep(step: Step): Promise<void> {
  try {
    await step.fn();
  } catch (err) {
    process.stderr.write(`cleanup: ${step.label}: ${(err as Error).message}\n`);
  }
}

/** Runs every pending step, newest first. Safe to call more than once. */
export function runCleanup(): Promise<void> {
  if (!running) {
    running = (async () => {
      while (steps.length) await runStep(steps.pop()!);
    })();
  }
  return running;
}

export function installSignalHandlers(): void {
  const bail = (code: number, why: string) => {
    process.stderr.write(`\n${why}: cleaning up…\n`);
    void runCleanup().finally(() => process.exit(code));
  };
  process.once("SIGINT", () => bail(130, "SIGINT"));
  process.once("SIGTERM", () => bail(143, "SIGTERM"));
  process.once("uncaughtException", (err) => bail(1, `uncaught: ${err.stack ?? err}`));
  process.once("unhandledRejection", (err) => bail(1, `unhandled rejection: ${String(err)}`));
}
