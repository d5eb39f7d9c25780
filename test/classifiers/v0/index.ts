import { bulwarkClassifier } from './bulwark.js';
import { composeClassifiers, type ErrorClassifier } from './classifier.js';
import { databaseClassifier } from './database.js';
import { fileSystemClassifier } from './file-system.js';
import { httpClassifier } from './http.js';
import { imageClassifier } from './image.js';
import { networkClassifier } from './network.js';
import { programmingClassifier } from './programming.js';
import { smtpClassifier } from './smtp.js';

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

/**
 * Every built-in classifier composed, most specific first: bulwark, SMTP, HTTP, database, file
 * system, network, image, then programming errors (so a `fetch failed` whose `cause` is a known
 * network code is judged by that code). Each walks `cause` chains and `AggregateError`s. Returns `undefined` for errors none recognises; the retry loop then applies
 * its `unknownErrorVerdict` (retriable by default).
 */
export const defaultClassifier: ErrorClassifier = /* @__PURE__ */ composeClassifiers(
  bulwarkClassifier,
  smtpClassifier,
  httpClassifier,
  databaseClassifier,
  fileSystemClassifier,
  networkClassifier,
  imageClassifier,
  programmingClassifier,
);
