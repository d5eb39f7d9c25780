import { permanent, retriable, walkCauses, type ErrorClassifier, type Verdict } from './classifier.js';
import { prop, stringCode } from './inspect.js';

/**
 * Node `errno` codes and undici (`fetch`) codes of transient network failures: the peer reset or
 * refused the connection, a timeout fired, DNS was temporarily unavailable, a route went away.
 */
const RETRIABLE = /* @__PURE__ */ new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * Failures that another attempt cannot fix: the host does not exist (`ENOTFOUND`: NXDOMAIN, unlike
 * the temporary `EAI_AGAIN`), the URL or request is malformed, or the TLS certificate is not trusted.
 */
const PERMANENT = /* @__PURE__ */ new Set([
  'ENOTFOUND',
  'ERR_INVALID_URL',
  'ERR_UNESCAPED_CHARACTERS',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_EXCEEDED_MAX_SIZE',
]);

function visit(value: unknown): Verdict | undefined {
  const code = stringCode(value);
  if (code !== undefined) {
    if (RETRIABLE.has(code)) return retriable(`network ${code}`);
    if (PERMANENT.has(code)) return permanent(`network ${code}`);
  }
  // AbortSignal.timeout() rejects with a DOMException named TimeoutError.
  if (prop(value, 'name') === 'TimeoutError') return retriable('network timeout');
  return undefined;
}

/**
 * Classifies network errors by their `code`, looking through `cause` (undici's `fetch failed`
 * `TypeError` carries the socket error there) and `AggregateError` (happy-eyeballs connection attempts).
 *
 * Retriable: `ECONNRESET`, `ECONNREFUSED`, `ETIMEDOUT`, `EPIPE`, `EAI_AGAIN`, `ENETUNREACH`,
 * `EHOSTUNREACH`, `UND_ERR_CONNECT_TIMEOUT`, `UND_ERR_SOCKET`, … and `TimeoutError` DOMExceptions.
 * Permanent: `ENOTFOUND`, invalid URLs and untrusted TLS certificates.
 */
export const networkClassifier: ErrorClassifier = (error) => walkCauses(error, visit);
