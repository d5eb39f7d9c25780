import { permanent, retriable, walkCauses, type ErrorClassifier, type Verdict } from './classifier.js';
import { stringCode } from './inspect.js';

/** Contention that clears by itself: a file is locked, the process or system ran out of descriptors. */
const RETRIABLE = /* @__PURE__ */ new Set(['EBUSY', 'EMFILE', 'ENFILE', 'EAGAIN', 'EWOULDBLOCK', 'EINTR', 'ETXTBSY']);

/**
 * Failures another attempt a few seconds later cannot fix. `ENOSPC` (disk full) and `EDQUOT` are
 * permanent on purpose: a backoff of seconds does not free disk space, and every retry writes into a
 * full disk again; failing at once with the code lets an operator see "disk full" instead of a retry storm.
 */
const PERMANENT = /* @__PURE__ */ new Set([
  'ENOENT',
  'EACCES',
  'EPERM',
  'EISDIR',
  'ENOTDIR',
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'ENAMETOOLONG',
  'ELOOP',
  'EEXIST',
  'ENOTEMPTY',
  'EXDEV',
  'EBADF',
]);

function visit(error: unknown): Verdict | undefined {
  const code = stringCode(error);
  if (code === undefined) return undefined;
  if (RETRIABLE.has(code)) return retriable(`file-system ${code}`);
  if (PERMANENT.has(code)) return permanent(`file-system ${code}`);
  return undefined;
}

/**
 * Classifies Node file-system errors by their `code` (never by message text).
 *
 * Retriable: `EBUSY`, `EMFILE`, `ENFILE`, `EAGAIN`, `EWOULDBLOCK`, `EINTR`, `ETXTBSY`.
 * Permanent: `ENOENT`, `EACCES`, `EPERM`, `EISDIR`, `ENOTDIR`, `ENOSPC`, `EDQUOT`, `EROFS`,
 * `ENAMETOOLONG`, `ELOOP`, `EEXIST`, `ENOTEMPTY`, `EXDEV`, `EBADF`.
 */
export const fileSystemClassifier: ErrorClassifier = (error) => walkCauses(error, visit);
