/**
 * The code every worker thread runs: an ES module started from a `data:` URL
 * ({@link WORKER_URL}).
 *
 * Why a string and not a file next to this one: the same source then works from the built
 * package, from TypeScript sources under vitest (a worker cannot load a `.ts` entry on Node 20)
 * and from a bundle, with no file to locate at run time. Why a `data:` URL and not
 * `{ eval: true }`: eval workers skip `--import` preloads in `execArgv`, which TypeScript loaders
 * need. Task modules are imported by absolute URL. It speaks the protocol of `protocol.ts`.
 * @module
 */

export const WORKER_SOURCE = String.raw`import { parentPort } from 'node:worker_threads';

/** href -> Promise of the module namespace: each task module is imported once per worker. */
const modules = new Map();
/** run id -> the AbortController behind that run's ctx.signal. */
const controllers = new Map();

function loadModule(href) {
  let loading = modules.get(href);
  if (loading === undefined) {
    loading = import(href).catch((err) => {
      modules.delete(href); // a module that failed to load is tried again on the next run
      if (err && err.code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?ts$/.test(href)) {
        throw new TypeError(
          'cannot import the TypeScript task module ' + href + ' in a worker thread: this thread has no TypeScript loader. ' +
            'Compile it to JavaScript and point the task at the .js file, or give the executor execArgv that load one ' +
            '(see "TypeScript tasks" in the kairos README)',
          { cause: err },
        );
      }
      throw err;
    });
    modules.set(href, loading);
  }
  return loading;
}

function cloneable(value) {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function serializeError(err, depth) {
  if (err === null || (typeof err !== 'object' && typeof err !== 'function')) {
    return { kind: 'value', value: cloneable(err) ? err : String(err) };
  }
  const out = { kind: 'error', name: 'Error', message: '', stack: undefined, props: {} };
  try {
    out.name = String(err.name === undefined ? 'Error' : err.name);
    out.message = String(err.message === undefined ? '' : err.message);
    if (typeof err.stack === 'string') out.stack = err.stack;
    for (const key of Object.keys(err)) {
      if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
      const value = err[key];
      if (cloneable(value)) out.props[key] = value;
    }
    if (out.props.code === undefined && (typeof err.code === 'string' || typeof err.code === 'number')) out.props.code = err.code;
    if ('cause' in err && err.cause !== undefined && depth < 8) out.cause = serializeError(err.cause, depth + 1);
  } catch {
    // a throwing getter: keep what was read
  }
  return out;
}

function reviveReason(reason) {
  let error;
  if (reason.name === 'AbortError' || reason.name === 'TimeoutError') {
    error = new DOMException(reason.message, reason.name);
  } else {
    error = new Error(reason.message);
    error.name = reason.name;
  }
  if (reason.code !== undefined) error.code = reason.code;
  return error;
}

async function run(msg) {
  const controller = new AbortController();
  controllers.set(msg.id, controller);
  try {
    const namespace = await loadModule(msg.module);
    const fn = namespace[msg.export];
    if (typeof fn !== 'function') {
      const names = Object.keys(namespace).filter((k) => typeof namespace[k] === 'function');
      throw new TypeError(
        'task "' + msg.taskId + '": ' + msg.module + ' has no function export "' + msg.export + '"' +
          '; its function exports are: ' + (names.join(', ') || 'none') + ' (set the task\'s export option to one of them)',
      );
    }
    // aborted while its module loaded: the task never starts (as a run aborted while queued)
    if (controller.signal.aborted) throw controller.signal.reason;
    const ctx = { ...msg.context, signal: controller.signal };
    const value = await fn(...msg.args, ctx);
    controllers.delete(msg.id);
    try {
      parentPort.postMessage({ type: 'done', id: msg.id, ok: true, value });
    } catch (err) {
      const error = new TypeError(
        'task "' + msg.taskId + '" returned a value that cannot be copied back to the main thread (' +
          (err && err.message) + '); return plain data: objects, arrays, primitives, Dates, Maps, Sets, typed arrays',
        { cause: err },
      );
      parentPort.postMessage({ type: 'done', id: msg.id, ok: false, error: serializeError(error, 0), isAbortReason: false });
    }
  } catch (err) {
    controllers.delete(msg.id);
    const isAbortReason = controller.signal.aborted && err === controller.signal.reason;
    parentPort.postMessage({ type: 'done', id: msg.id, ok: false, error: serializeError(err, 0), isAbortReason });
  }
}

parentPort.on('message', (msg) => {
  if (msg.type === 'run') {
    void run(msg);
  } else if (msg.type === 'abort') {
    const controller = controllers.get(msg.id);
    if (controller !== undefined && !controller.signal.aborted) controller.abort(reviveReason(msg.reason));
  }
});
parentPort.postMessage({ type: 'ready' });
//# sourceURL=kairos/worker-thread.mjs
`;

/** The worker's entry: stack frames name it `kairos/worker-thread.mjs` (its `sourceURL`). */
export const WORKER_URL = new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`);
