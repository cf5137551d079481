/**
 * The server-sent-events stream of scheduler events. One listener per event name on the
 * scheduler, added when the first stream opens and removed when the last closes, fans each event
 * out to every open stream. A stream whose client reads too slowly (its socket buffer over
 * {@link MAX_BUFFERED} bytes) is closed rather than buffered without bound; the browser's
 * EventSource reconnects.
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { SchedulerEventName } from '../scheduler/events.js';
import type { AdminSource } from './options.js';

const EVENT_NAMES: SchedulerEventName[] = [
  'schedulerStarted', 'schedulerShutdown', 'schedulerPaused', 'schedulerResumed',
  'jobAdded', 'jobModified', 'jobRemoved', 'jobSubmitted', 'jobExecuted', 'jobError', 'jobMissed', 'jobMaxInstances',
];
/** Bytes waiting in a stream's socket beyond which the stream is dropped. */
const MAX_BUFFERED = 1 << 20;
/** A comment line this often keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

/** An event as the stream sends it (`data:` of an SSE message named after the event). */
function eventData(name: SchedulerEventName, payload: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { event: name };
  for (const [key, value] of Object.entries(payload as Record<string, unknown>)) {
    if (key === 'result') continue; // any size, any shape: read it from the run history
    if (value instanceof Date) out[key] = value.toISOString();
    else if (key === 'error') out.error = value instanceof Error ? { name: value.name, message: value.message } : { name: 'Error', message: String(value) };
    else out[key] = value;
  }
  return out;
}

/** The open event streams of one mount. */
export class EventFanOut {
  readonly #source: AdminSource;
  readonly #streams = new Set<ServerResponse>();
  readonly #maxAge: number;
  readonly #listeners = new Map<SchedulerEventName, (payload: unknown) => void>();
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(source: AdminSource, maxAge: number) {
    this.#source = source;
    this.#maxAge = maxAge;
  }

  /** Whether the source emits events (a Scheduler does; a JobClient does not). */
  get live(): boolean {
    return typeof this.#source.on === 'function' && typeof this.#source.off === 'function';
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Starts an event stream on `res` (headers included); it ends when the client leaves, at its max age, or on close(). */
  open(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // nginx buffers responses by default, which would hold events back
      'x-accel-buffering': 'no',
      // A stream's connection is not reused: when the server ends the stream (max age, shutdown),
      // the socket closes with it, so a closing server does not wait for it to idle out.
      connection: 'close',
    });
    res.flushHeaders();
    this.#streams.add(res);
    // The dashboard polls instead when the source emits nothing.
    res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ live: this.live })}\n\n`);
    const maxAge = setTimeout(() => res.end(), this.#maxAge);
    maxAge.unref();
    res.on('close', () => {
      clearTimeout(maxAge);
      this.#streams.delete(res);
      if (this.#streams.size === 0) this.#unsubscribe();
    });
    if (this.#streams.size === 1) this.#subscribe();
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    for (const res of this.#streams) res.end();
  }

  #send(chunk: string): void {
    for (const res of this.#streams) {
      // Ended (closing server, max age, scheduler shut down) but its 'close' not yet emitted.
      if (res.writableEnded || res.destroyed) continue;
      if (res.writableLength > MAX_BUFFERED) res.destroy();
      else res.write(chunk);
    }
  }

  #subscribe(): void {
    const source = this.#source;
    if (this.live) {
      for (const name of EVENT_NAMES) {
        const listener = (payload: unknown): void => {
          this.#send(`event: ${name}\ndata: ${JSON.stringify(eventData(name, payload))}\n\n`);
          // A scheduler that shut down sends nothing more: let the clients go, so the server can close.
          if (name === 'schedulerShutdown') this.close();
        };
        this.#listeners.set(name, listener);
        (source.on as (n: string, l: (p: unknown) => void) => void)(name, listener);
      }
    }
    this.#heartbeat = setInterval(() => this.#send(': heartbeat\n\n'), HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  #unsubscribe(): void {
    for (const [name, listener] of this.#listeners) (this.#source.off as (n: string, l: (p: unknown) => void) => void)(name, listener);
    this.#listeners.clear();
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
