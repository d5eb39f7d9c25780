import { bulwarkClassifier, visitBulwark } from './bulwark.js';
import { walkCauses, type ErrorClassifier, type Verdict } from './classifier.js';
import { databaseClassifier, visitDatabase } from './database.js';
import { fileSystemClassifier, visitFileSystem } from './file-system.js';
import { httpClassifier, visitHttp } from './http.js';
import { imageClassifier, visitImage } from './image.js';
import { networkClassifier, visitNetwork } from './network.js';
import { programmingClassifier } from './programming.js';
import { smtpClassifier, visitSmtp } from './smtp.js';

/** The built-in classifiers, one per kind of dependency. */
export const classifiers: {
  /** Node `errno` and undici codes: `ECONNRESET`, `ETIMEDOUT`, `EAI_AGAIN`, `UND_ERR_*`, … */
  readonly network: ErrorClassifier;
  /** File-system codes: `EBUSY`/`EMFILE` retriable, `ENOENT`/`EACCES`/`ENOSPC` permanent. */
  readonly fileSystem: ErrorClassifier;
  /** PostgreSQL SQLSTATE, Prisma and MySQL codes. */
  readonly database: ErrorClassifier;
  /** nodemailer-shaped SMTP errors: 4xx retriable, 5xx and auth failures permanent. */
  readonly smtp: ErrorClassifier;
  /** HTTP statuses from errors or `Response`s, honouring `Retry-After`. */
  readonly http: ErrorClassifier;
  /** sharp/libvips decode failures: permanent. */
  readonly image: ErrorClassifier;
  /** bulwark's own errors: timeouts retriable, the rest permanent. */
  readonly bulwark: ErrorClassifier;
  /** `TypeError`, `ReferenceError`, `SyntaxError` permanent (bugs), except `fetch`'s network failures. */
  readonly programming: ErrorClassifier;
} = {
  network: networkClassifier,
  fileSystem: fileSystemClassifier,
  database: databaseClassifier,
  smtp: smtpClassifier,
  http: httpClassifier,
  image: imageClassifier,
  bulwark: bulwarkClassifier,
  programming: programmingClassifier,
};

/** Every domain's verdict on one value, most specific first. */
const visitAll = (value: unknown): Verdict | undefined =>
  visitBulwark(value) ?? visitSmtp(value) ?? visitHttp(value) ?? visitDatabase(value) ?? visitFileSystem(value) ?? visitNetwork(value) ?? visitImage(value);

/**
 * Every built-in classifier in one pass: the error, then what it wraps (`AggregateError.errors`, then
 * `cause`, breadth first), and the first value any domain recognises decides — judged by bulwark,
 * SMTP, HTTP, database, file-system, network and image rules in that order. Programming errors come
 * last and only for the error itself, so a `fetch failed` whose `cause` is a known network code is
 * judged by that code. Returns `undefined` for errors none recognises; the retry loop then applies
 * its `unknownErrorVerdict` (retriable by default).
 */
export const defaultClassifier: ErrorClassifier = (error) => walkCauses(error, visitAll) ?? programmingClassifier(error);
