import { permanent, retriable, walkCauses, words, type ErrorClassifier, type Verdict } from './classifier.js';
import { isInstance, prop, stringCode } from './inspect.js';

/**
 * SQLSTATE codes (PostgreSQL, and the standard) worth retrying: `40001` serialization failure,
 * `40P01` deadlock, `55P03` lock not available, `57P01`-`57P03` shutdown / cannot connect now,
 * `53200` out of memory, `53300` too many connections, `53400` configuration limit, `58000` / `58030`
 * system and I/O errors. The whole class `08` (connection exceptions) is matched apart.
 */
const SQLSTATE_RETRIABLE = /^(?:40001|40P01|55P03|57P0[1-3]|53[2-4]00|580[03]0)$/;

/** Prisma error codes worth retrying: cannot reach the server, timeouts, pool exhaustion, write conflicts. */
const PRISMA_RETRIABLE = /^P(?:100[128]|1017|2024|2034)$/;

/** MySQL / MariaDB (mysql2) codes worth retrying: deadlock (1213), lock wait timeout (1205), too many connections (1040, 1203), shutdown (1053), interrupted (1317), lost connections. */
const MYSQL_RETRIABLE = /* @__PURE__ */ words(
  'ER_LOCK_DEADLOCK ER_LOCK_WAIT_TIMEOUT ER_CON_COUNT_ERROR ER_TOO_MANY_USER_CONNECTIONS ER_SERVER_SHUTDOWN ER_QUERY_INTERRUPTED ' +
    'PROTOCOL_CONNECTION_LOST PROTOCOL_SEQUENCE_TIMEOUT ER_NET_READ_INTERRUPTED ER_NET_WRITE_INTERRUPTED',
);
const MYSQL_RETRIABLE_ERRNO: readonly number[] = [1213, 1205, 1040, 1203, 1053, 1317, 1159, 1161, 2006, 2013];

/**
 * node-postgres (`pg`, `pg-pool`) reports a lost connection with a plain `Error` and no code: these
 * exact messages (compared whole, never as substrings) are its lost-connection errors — after the
 * server killed the backend (57P01 is seen only by the query in flight), a reset, or a pool timeout
 * (the last one is the client's own `query_timeout`).
 */
const PG_CONNECTION_LOST: readonly string[] = [
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Query read timeout',
];
/** pg's code-less programming errors: retrying cannot help. */
const PG_MISUSE: readonly string[] = ['Cannot use a pool after calling end on the pool', 'Client was closed and is not queryable'];

const SQLSTATE = /^[0-9A-Z]{5}$/;

function sqlState(code: string): Verdict {
  const reason = `database SQLSTATE ${code}`;
  if (code.startsWith('08')) return retriable(`${reason} (connection)`);
  return SQLSTATE_RETRIABLE.test(code) ? retriable(reason) : permanent(reason);
}

/** @internal The database verdict on one value (not its causes). */
export function visitDatabase(error: unknown): Verdict | undefined {
  const code = stringCode(error) ?? stringCode(error, 'errorCode');
  if (code !== undefined) {
    if (/^P\d{4}$/.test(code)) {
      const reason = `database Prisma ${code}`;
      return PRISMA_RETRIABLE.test(code) ? retriable(reason) : permanent(reason);
    }
    const errno = prop(error, 'errno');
    if (MYSQL_RETRIABLE.has(code)) return retriable(`database MySQL ${code}`);
    if (code.startsWith('ER_') && (prop(error, 'sqlMessage') !== undefined || typeof errno === 'number')) {
      const reason = `database MySQL ${code}`;
      return MYSQL_RETRIABLE_ERRNO.includes(errno as number) ? retriable(reason) : permanent(reason);
    }
    // A SQLSTATE in `code` has at least one digit: Node's five-letter codes (EPIPE, EBUSY) have none,
    // and system errors carry `syscall`.
    if (SQLSTATE.test(code) && /\d/.test(code) && prop(error, 'syscall') === undefined) return sqlState(code);
  }
  const state = stringCode(error, 'sqlState');
  if (state !== undefined && SQLSTATE.test(state)) return sqlState(state);
  if (code === undefined && isInstance(error, Error)) {
    const message = prop(error, 'message') as string;
    if (PG_CONNECTION_LOST.includes(message)) return retriable('database pg connection lost');
    if (PG_MISUSE.includes(message)) return permanent('database pg client closed');
  }
  return undefined;
}

/**
 * Classifies database errors:
 * - PostgreSQL (`pg`, `postgres`): SQLSTATE in `code` — `40001` serialization failure, `40P01`
 *   deadlock, the whole connection class `08…`, `57P01`/`57P02`/`57P03` shutdown, `53300` too many
 *   connections, `53200`/`53400` out of memory or a configuration limit, `58000`/`58030` system and
 *   I/O errors, `55P03` lock not available are retriable; every other SQLSTATE (constraint
 *   violations `23…`, syntax `42…`, data `22…`, statement timeout `57014`) is permanent. `pg`'s
 *   code-less lost-connection errors (`Connection terminated unexpectedly`, a client "not queryable"
 *   after a connection error, pool connection timeouts, `Query read timeout`; exact messages) are
 *   retriable; a pool used after `end()` is permanent.
 * - Prisma: `P1001`, `P1002`, `P1008`, `P1017`, `P2024`, `P2034` retriable; other `P…` codes permanent.
 *   `PrismaClientInitializationError` carries its code in `errorCode`, which is read too.
 * - MySQL (`mysql2`): deadlock, lock wait timeout, too many connections, lost connection retriable;
 *   other `ER_…` errors permanent.
 */
export const databaseClassifier: ErrorClassifier = (error) => walkCauses(error, visitDatabase);
