import { permanent, retriable, walkCauses, type ErrorClassifier, type Verdict } from './classifier.js';
import { prop, stringCode } from './inspect.js';

/** nodemailer connection-level codes worth retrying: the server was unreachable or the socket broke. */
const RETRIABLE = /* @__PURE__ */ new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EMAXLIMIT']);
/** nodemailer codes another attempt cannot fix: bad credentials, envelope or message; TLS refused. */
const PERMANENT = /* @__PURE__ */ new Set(['EAUTH', 'ENOAUTH', 'EENVELOPE', 'EMESSAGE', 'ETLS', 'EPROTOCOL', 'EREQUIRETLS']);

function visit(error: unknown): Verdict | undefined {
  const responseCode = prop(error, 'responseCode');
  if (typeof responseCode === 'number' && responseCode >= 200 && responseCode < 600) {
    if (responseCode >= 400 && responseCode < 500) return retriable(`smtp ${responseCode}`);
    if (responseCode >= 500) return permanent(`smtp ${responseCode}`);
  }
  const code = stringCode(error);
  if (code === undefined) return undefined;
  if (PERMANENT.has(code)) return permanent(`smtp ${code}`);
  // ETIMEDOUT is shared with the network classifier; only claim it for nodemailer-shaped errors.
  if (RETRIABLE.has(code) && (code !== 'ETIMEDOUT' || prop(error, 'command') !== undefined)) return retriable(`smtp ${code}`);
  return undefined;
}

/**
 * Classifies SMTP errors shaped like nodemailer's: a numeric `responseCode` decides first —
 * 4xx (`421`, `450`, `451`, `452`, `454`) is a transient reply and retriable, 5xx (`550`, `551`,
 * `553`, `554`, `535` authentication failed) is permanent. Without a reply code, the connection codes
 * `ECONNECTION`, `ETIMEDOUT`, `ESOCKET`, `EDNS` are retriable and `EAUTH`, `EENVELOPE`, `EMESSAGE`,
 * `ETLS`, `EPROTOCOL` permanent.
 */
export const smtpClassifier: ErrorClassifier = (error) => walkCauses(error, visit);
