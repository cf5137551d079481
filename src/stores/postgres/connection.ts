/**
 * Connections of the PostgreSQL store: telling a lost connection from a refused statement, and
 * running a transaction on a pooled client so that a connection dying mid-way neither crashes
 * the process nor returns a broken client to the pool.
 * @module
 */
import type { Pool, PoolClient } from 'pg';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * True for failures of the connection rather than of the statement: the server went away or is
 * (re)starting, or the network failed. Such a statement may or may not have committed.
 */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    // 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now; 53300: too many connections
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
    if (CONNECTION_CODES.has(code)) return true;
  }
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection closed/i.test(err.message);
}

/**
 * Runs `body` in a transaction on a client of `pool`: COMMIT when it resolves, ROLLBACK when it
 * throws. A client whose connection failed is destroyed rather than returned to the pool.
 */
export async function inTransaction<T>(pool: Pool, body: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client has no 'error' listener of the pool's: without one, the server going
  // away between two statements would be an uncaught exception. The failure reaches us through
  // the next statement instead.
  let connectionFailed = false;
  const onError = (): void => {
    connectionFailed = true;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    if (isConnectionError(err)) connectionFailed = true;
    else await client.query('ROLLBACK').catch(() => (connectionFailed = true));
    throw err;
  } finally {
    client.removeListener('error', onError);
    client.release(connectionFailed ? true : undefined);
  }
}
