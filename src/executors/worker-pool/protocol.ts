/**
 * The messages between `WorkerThreadsExecutor` and its worker threads, and how errors cross the
 * thread boundary. The worker side of this protocol is plain JavaScript in `worker-source.ts`;
 * keep both in step.
 * @module
 */

/** An error or thrown value as it crosses a thread: structured clone keeps neither class nor own fields. */
export type WireError =
  | {
      kind: 'error';
      name: string;
      message: string;
      stack: string | undefined;
      /** Own enumerable fields (`code`, `errno`, …) that could be cloned. */
      props: Record<string, unknown>;
      cause?: WireError;
    }
  | { kind: 'value'; value: unknown };

/** The abort reason the worker gives its own signal: only name, message and code cross. */
export interface WireReason {
  name: string;
  message: string;
  code?: unknown;
}

/** Main thread → worker. */
export type ToWorker =
  | {
      type: 'run';
      id: number;
      /** An import specifier: `file:` URL or other absolute URL. */
      module: string;
      export: string;
      taskId: string;
      args: unknown[];
      context: { jobId: string; scheduledRunTime: Date; runId: string; attempt: number };
    }
  | { type: 'abort'; id: number; reason: WireReason };

/** Worker → main thread. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; id: number; ok: true; value: unknown }
  /** `isAbortReason`: the task rejected with its signal's reason, so the main thread rejects with the original. */
  | { type: 'done'; id: number; ok: false; error: WireError; isAbortReason: boolean };

const BUILTIN_ERRORS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * Rebuilds an error that crossed from a worker: same name, message and stack (the worker's), own
 * fields copied, `cause` rebuilt. Built-in classes come back as themselves; other classes as an
 * `Error` whose `name` is the original class name. A thrown non-error comes back as the value.
 */
export function reviveError(wire: WireError): unknown {
  if (wire.kind === 'value') return wire.value;
  const Ctor = BUILTIN_ERRORS[wire.name] ?? Error;
  const error = new Ctor(wire.message) as Error & Record<string, unknown>;
  Object.defineProperty(error, 'name', { value: wire.name, writable: true, configurable: true, enumerable: false });
  if (wire.stack !== undefined) error.stack = wire.stack;
  Object.assign(error, wire.props);
  if (wire.cause !== undefined) {
    Object.defineProperty(error, 'cause', { value: reviveError(wire.cause), writable: true, configurable: true, enumerable: false });
  }
  return error;
}

/** What of an abort reason crosses to the worker's own signal. */
export function toWireReason(reason: unknown): WireReason {
  if (reason instanceof Error || (typeof reason === 'object' && reason !== null && 'message' in reason)) {
    const r = reason as { name?: unknown; message?: unknown; code?: unknown };
    const code = typeof r.code === 'string' || typeof r.code === 'number' ? r.code : undefined;
    return { name: String(r.name ?? 'Error'), message: String(r.message), ...(code === undefined ? {} : { code }) };
  }
  return { name: 'AbortError', message: reason === undefined ? 'This operation was aborted' : String(reason) };
}
