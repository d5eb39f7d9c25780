import { permanent, retriable, walkCauses, type ErrorClassifier, type Verdict } from './classifier.js';
import { prop, stringCode } from './inspect.js';

/** SQLSTATE codes (PostgreSQL, and the standard) worth retrying. Class `08` is matched as a prefix. */
const SQLSTATE_RETRIABLE = /* @__PURE__ */ new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
  '53200', // out_of_memory
  '58000', // system_error
  '58030', // io_error
]);

/** Prisma error codes worth retrying: cannot reach the server, timeouts, pool exhaustion, write conflicts. */
const PRISMA_RETRIABLE = /* @__PURE__ */ new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2034']);

/** MySQL / MariaDB (mysql2) codes worth retrying. */
const MYSQL_RETRIABLE = /* @__PURE__ */ new Set([
  'ER_LOCK_DEADLOCK', // 1213
  'ER_LOCK_WAIT_TIMEOUT', // 1205
  'ER_CON_COUNT_ERROR', // 1040 too many connections
  'ER_TOO_MANY_USER_CONNECTIONS', // 1203
  'ER_SERVER_SHUTDOWN', // 1053
  'ER_QUERY_INTERRUPTED', // 1317
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_WRITE_INTERRUPTED',
]);
const MYSQL_RETRIABLE_ERRNO = /* @__PURE__ */ new Set([1213, 1205, 1040, 1203, 1053, 1317, 1159, 1161, 2006, 2013]);

/**
 * node-postgres (`pg`, `pg-pool`) reports a lost connection with a plain `Error` and no code: these
 * exact messages (compared whole, never as substrings) are its lost-connection errors — after the
 * server killed the backend (57P01 is seen only by the query in flight), a reset, or a pool timeout.
 */
const PG_CONNECTION_LOST = /* @__PURE__ */ new Set([
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Query read timeout', // the client's own `query_timeout`
]);
/** pg's code-less programming errors: retrying cannot help. */
const PG_MISUSE = /* @__PURE__ */ new Set(['Cannot use a pool after calling end on the pool', 'Client was closed and is not queryable']);

const SQLSTATE = /^[0-9A-Z]{5}$/;
const PRISMA = /^P\d{4}$/;

function sqlState(code: string): Verdict {
  if (code.startsWith('08')) return retriable(`database SQLSTATE ${code} (connection)`);
  if (SQLSTATE_RETRIABLE.has(code)) return retriable(`database SQLSTATE ${code}`);
  return permanent(`database SQLSTATE ${code}`);
}

function visit(error: unknown): Verdict | undefined {
  const code = stringCode(error) ?? stringCode(error, 'errorCode');
  if (code !== undefined) {
    if (PRISMA.test(code)) {
      return PRISMA_RETRIABLE.has(code) ? retriable(`database Prisma ${code}`) : permanent(`database Prisma ${code}`);
    }
    if (MYSQL_RETRIABLE.has(code)) return retriable(`database MySQL ${code}`);
    if (code.startsWith('ER_') && (prop(error, 'sqlMessage') !== undefined || typeof prop(error, 'errno') === 'number')) {
      const errno = prop(error, 'errno');
      if (typeof errno === 'number' && MYSQL_RETRIABLE_ERRNO.has(errno)) return retriable(`database MySQL ${code}`);
      return permanent(`database MySQL ${code}`);
    }
    // A SQLSTATE has five characters with at least one digit; Node's five-letter codes (EPIPE, EBUSY)
    // have none, and system errors carry `syscall`.
    if (SQLSTATE.test(code) && /\d/.test(code) && prop(error, 'syscall') === undefined) return sqlState(code);
  }
  const state = stringCode(error, 'sqlState');
  if (state !== undefined && SQLSTATE.test(state)) return sqlState(state);
  if (code === undefined && error instanceof Error) {
    if (PG_CONNECTION_LOST.has(error.message)) return retriable('database pg connection lost');
    if (PG_MISUSE.has(error.message)) return permanent('database pg client closed');
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
export const databaseClassifier: ErrorClassifier = (error) => walkCauses(error, visit);
