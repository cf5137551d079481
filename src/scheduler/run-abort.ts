/**
 * A run's abort signal for the runner (timeouts, shutdown, a lost lease).
 * @module
 */

/**
 * A run's abort signal, made only when something reads it: most tasks never look at
 * `ctx.signal`, and an AbortController costs more than the rest of starting a run.
 */
export class RunAbort {
  #controller: AbortController | undefined;
  #reason: unknown;
  aborted = false;
  /** Ends the scheduler's wait for the run (the task itself may go on ignoring the signal). */
  onAbort: ((reason: unknown) => void) | undefined;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.onAbort?.(reason);
  }
}
