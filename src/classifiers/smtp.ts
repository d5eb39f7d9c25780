import { byCode, permanent, retriable, walkCauses, words, type ErrorClassifier, type Verdict } from './classifier.js';
import { prop, stringCode } from './inspect.js';

/** nodemailer connection-level codes worth retrying: the server was unreachable or the socket broke. */
const RETRIABLE = /* @__PURE__ */ words('ECONNECTION ETIMEDOUT ESOCKET EDNS EMAXLIMIT');
/** nodemailer codes another attempt cannot fix: bad credentials, envelope or message; TLS refused. */
const PERMANENT = /* @__PURE__ */ words('EAUTH ENOAUTH EENVELOPE EMESSAGE ETLS EPROTOCOL EREQUIRETLS');

/** @internal The SMTP verdict on one value (not its causes). */
export function visitSmtp(error: unknown): Verdict | undefined {
  const responseCode = prop(error, 'responseCode');
  if (typeof responseCode === 'number' && responseCode >= 400 && responseCode < 600) {
    return responseCode < 500 ? retriable(`smtp ${responseCode}`) : permanent(`smtp ${responseCode}`);
  }
  const code = stringCode(error);
  // ETIMEDOUT is shared with the network classifier; only claim it for nodemailer-shaped errors.
  return code === 'ETIMEDOUT' && prop(error, 'command') === undefined ? undefined : byCode('smtp', code, RETRIABLE, PERMANENT);
}

/**
 * Classifies SMTP errors shaped like nodemailer's: a numeric `responseCode` decides first —
 * 4xx (`421`, `450`, `451`, `452`, `454`) is a transient reply and retriable, 5xx (`550`, `551`,
 * `553`, `554`, `535` authentication failed) is permanent. Without a reply code, the connection codes
 * `ECONNECTION`, `ETIMEDOUT`, `ESOCKET`, `EDNS` are retriable and `EAUTH`, `EENVELOPE`, `EMESSAGE`,
 * `ETLS`, `EPROTOCOL` permanent.
 */
export const smtpClassifier: ErrorClassifier = (error) => walkCauses(error, visitSmtp);
