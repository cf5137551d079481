/**
 * What PostgreSQL cannot store, told as kairos errors: text it cannot hold, checked before
 * writing, and the server's data errors, turned into SerializationError after.
 * @module
 */
import { SerializationError } from '../../errors.js';
import type { JobRecord } from '../job-store.js';

/** Half of a surrogate pair on its own: not encodable as UTF-8 (the driver would replace it). */
const LONE_SURROGATE = /\p{Cs}/u;

/** @throws SerializationError when a text field of `job` holds a lone UTF-16 surrogate */
export function checkStorableText(job: JobRecord, storeName: string): void {
  for (const field of ['id', 'name', 'taskId', 'executor'] as const) {
    if (LONE_SURROGATE.test(job[field])) {
      throw new SerializationError(
        `job "${job.id}" cannot be stored in store "${storeName}": its ${field} contains a lone UTF-16 surrogate, which PostgreSQL text cannot hold`,
        job.id,
        storeName,
      );
    }
  }
}

/** A data error from PostgreSQL (text with NUL, invalid JSON escape, oversized key) as SerializationError; other errors as they are. */
export function refusedJob(err: unknown, jobId: string, storeName: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code.startsWith('22') || code === '54000')) {
    return new SerializationError(
      `job "${jobId}" cannot be stored in store "${storeName}": PostgreSQL refused it (${(err as Error).message}); ` +
        'store text without NUL characters, and plain JSON data as args',
      jobId,
      storeName,
      { cause: err },
    );
  }
  return err;
}
