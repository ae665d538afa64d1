import type { Logger } from '../logger';

/** The stop functions of what a server started, run in reverse order of start. */
export class Stops {
  private readonly steps: { readonly name: string; readonly stop: () => Promise<void> }[] = [];

  constructor(private readonly logger: Logger) {}

  add(name: string, stop: () => Promise<void> | void): void {
    this.steps.push({ name, stop: async () => stop() });
  }

  /** Runs every stop, newest first; one that fails is logged and the others still run. */
  async runAll(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps[this.steps.length - 1];
      await step
        .stop()
        .catch((error: unknown) => this.logger.warn({ err: error, step: step.name }, 'stop failed'));
      this.steps.pop();
    }
  }

  /** What `runAll` has still to do, newest first (for the log line when a shutdown hangs). */
  pending(): string[] {
    return this.steps.map((step) => step.name).reverse();
  }
}
