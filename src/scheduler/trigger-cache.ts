import { triggerFromJSON } from '../triggers/index.js';
import type { SerializedTrigger, Trigger } from '../triggers/trigger.js';

/**
 * Most distinct triggers kept (a parsed cron trigger holds a few KB of tables); a stored trigger
 * is parsed again after it is evicted.
 */
const CAPACITY = 1_000;

/**
 * Turns stored trigger JSON back into triggers without parsing the same cron text at every
 * wakeup: jobs that share a trigger share one instance (triggers are immutable).
 */
export class TriggerCache {
  readonly #cache = new Map<string, Trigger>();

  get(json: SerializedTrigger): Trigger {
    const key = JSON.stringify(json);
    const trigger = this.#cache.get(key);
    return trigger ?? this.#put(key, triggerFromJSON(json));
  }

  #put(key: string, trigger: Trigger): Trigger {
    // Starting over when full is O(1) amortized; evicting the oldest key of a Map one by one
    // is not (deleted slots pile up at its front until it rehashes).
    if (this.#cache.size >= CAPACITY) this.#cache.clear();
    this.#cache.set(key, trigger);
    return trigger;
  }
}
