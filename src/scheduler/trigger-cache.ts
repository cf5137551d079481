import { triggerFromJSON } from '../triggers/index.js';
import type { SerializedTrigger, Trigger } from '../triggers/trigger.js';

/** Most distinct triggers kept; a stored trigger is parsed again after it is evicted. */
const CAPACITY = 10_000;

/**
 * Turns stored trigger JSON back into triggers without parsing the same cron text at every
 * wakeup: jobs that share a trigger share one instance (triggers are immutable).
 */
export class TriggerCache {
  readonly #cache = new Map<string, Trigger>();

  get(json: SerializedTrigger): Trigger {
    const key = JSON.stringify(json);
    let trigger = this.#cache.get(key);
    if (trigger === undefined) {
      trigger = triggerFromJSON(json);
      if (this.#cache.size >= CAPACITY) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(key, trigger);
    }
    return trigger;
  }
}
