import { byCode, walkCauses, words, type ErrorClassifier, type Verdict } from './classifier.js';
import { stringCode } from './inspect.js';

/** Contention that clears by itself: a file is locked, the process or system ran out of descriptors. */
const RETRIABLE = /* @__PURE__ */ words('EBUSY EMFILE ENFILE EAGAIN EWOULDBLOCK EINTR ETXTBSY');

/**
 * Failures another attempt a few seconds later cannot fix. `ENOSPC` (disk full) and `EDQUOT` are
 * permanent on purpose: a backoff of seconds does not free disk space, and every retry writes into a
 * full disk again; failing at once with the code lets an operator see "disk full" instead of a retry storm.
 */
const PERMANENT = /* @__PURE__ */ words('ENOENT EACCES EPERM EISDIR ENOTDIR ENOSPC EDQUOT EROFS ENAMETOOLONG ELOOP EEXIST ENOTEMPTY EXDEV EBADF');

/** @internal The file-system verdict on one value (not its causes). */
export function visitFileSystem(value: unknown): Verdict | undefined {
  return byCode('file-system', stringCode(value), RETRIABLE, PERMANENT);
}

/**
 * Classifies Node file-system errors by their `code` (never by message text).
 *
 * Retriable: `EBUSY`, `EMFILE`, `ENFILE`, `EAGAIN`, `EWOULDBLOCK`, `EINTR`, `ETXTBSY`.
 * Permanent: `ENOENT`, `EACCES`, `EPERM`, `EISDIR`, `ENOTDIR`, `ENOSPC`, `EDQUOT`, `EROFS`,
 * `ENAMETOOLONG`, `ELOOP`, `EEXIST`, `ENOTEMPTY`, `EXDEV`, `EBADF`.
 */
export const fileSystemClassifier: ErrorClassifier = (error) => walkCauses(error, visitFileSystem);
