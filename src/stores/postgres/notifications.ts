/**
 * LISTEN/NOTIFY for the PostgreSQL store: one dedicated connection per store instance listens on
 * `<schema>_changes`, where every write other schedulers should react to sends a notification
 * (from inside its transaction, so only committed changes are announced). A notification from
 * another instance calls the store's listeners, so their schedulers re-arm at once.
 *
 * When the connection drops (server restart, network), it is re-opened with exponential backoff
 * (with jitter), and until it is back a slow safety poll calls the listeners every few seconds,
 * so changes made meanwhile are still picked up. On reconnection the listeners are called once,
 * for what was missed.
 * @module
 */
import type { Client, Notification } from 'pg';
import type { Logger } from '../job-store.js';

/** Options of {@link ChangeNotifier}. */
export interface ChangeNotifierOptions {
  /** A new, unconnected client for the listening connection. */
  createClient(): Client;
  channel: string;
  /** The payload this instance's own writes send; its notifications are ignored. */
  self: string;
  /** Called (at most once per event-loop turn) when something changed. */
  onChange(): void;
  logger: Logger;
  /** Store name, for log messages. */
  storeName: string;
  /** Period of the safety poll while disconnected, ms. */
  safetyPollInterval: number;
  /** First reconnection delay, ms; doubled after each failure up to `maxReconnectDelay`. */
  minReconnectDelay: number;
  maxReconnectDelay: number;
}

/** Keeps one LISTEN connection alive; see the module description. */
export class ChangeNotifier {
  readonly #o: ChangeNotifierOptions;
  #client: Client | null = null;
  #stopped = false;
  /** True while LISTEN is in place. */
  #up = false;
  /** Failed attempts since the connection was last up. */
  #failures = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #pollTimer: ReturnType<typeof setInterval> | null = null;
  #changeQueued = false;

  constructor(options: ChangeNotifierOptions) {
    this.#o = options;
  }

  /** True while the listening connection is up. */
  get connected(): boolean {
    return this.#up;
  }

  /** Opens the connection; resolves after the first attempt, whether it succeeded or not. */
  start(): Promise<void> {
    this.#stopped = false;
    return this.#connect();
  }

  /** Closes the connection and stops every timer. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#up = false;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#reconnectTimer = null;
    this.#pollTimer = null;
    const client = this.#client;
    this.#client = null;
    if (client) await client.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    this.#reconnectTimer = null;
    if (this.#stopped) return;
    const client = this.#o.createClient();
    this.#client = client;
    let lost = false;
    const onLost = (err?: unknown): void => {
      if (lost) return;
      lost = true;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (this.#client === client) this.#client = null;
      this.#down(err);
    };
    // An idle client with no 'error' listener would crash the process when the server goes away.
    client.on('error', onLost);
    client.on('end', () => onLost(new Error('the connection ended')));
    client.on('notification', (msg: Notification) => {
      if (msg.channel === this.#o.channel && msg.payload !== this.#o.self) this.#changed();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#o.channel}"`);
    } catch (err) {
      onLost(err);
      return;
    }
    if (lost || this.#stopped) {
      if (this.#stopped) await client.end().catch(() => {});
      return;
    }
    const wasDown = this.#failures > 0;
    this.#up = true;
    this.#failures = 0;
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
    if (wasDown) this.#o.logger.info(`kairos: store "${this.#o.storeName}": PostgreSQL notification connection restored`, { jobStore: this.#o.storeName });
    // Whatever changed while we were not listening (or before the first LISTEN) is looked at now.
    this.#changed();
  }

  #down(err: unknown): void {
    this.#up = false;
    if (this.#stopped) return;
    if (this.#failures === 0) {
      this.#o.logger.warn(
        `kairos: store "${this.#o.storeName}": PostgreSQL notification connection lost (${describe(err)}); ` +
          `reconnecting, and polling every ${this.#o.safetyPollInterval} ms meanwhile`,
        { jobStore: this.#o.storeName },
        err,
      );
    }
    this.#failures++;
    if (!this.#pollTimer) this.#pollTimer = setInterval(() => this.#changed(), this.#o.safetyPollInterval);
    const base = Math.min(this.#o.maxReconnectDelay, this.#o.minReconnectDelay * 2 ** Math.min(this.#failures - 1, 20));
    const delay = base / 2 + Math.random() * (base / 2);
    if (!this.#reconnectTimer) this.#reconnectTimer = setTimeout(() => void this.#connect(), delay);
  }

  /** Calls the listener once per event-loop turn however many notifications arrived in it. */
  #changed(): void {
    if (this.#changeQueued || this.#stopped) return;
    this.#changeQueued = true;
    setImmediate(() => {
      this.#changeQueued = false;
      if (this.#stopped) return;
      try {
        this.#o.onChange();
      } catch (err) {
        this.#o.logger.error(`kairos: store "${this.#o.storeName}": a change listener threw`, { jobStore: this.#o.storeName }, err);
      }
    });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
