import { permanent, retriable, walkCauses, type ErrorClassifier, type Verdict } from './classifier.js';
import { prop } from './inspect.js';

/** Statuses worth retrying: timeout, too early, rate-limited, and the transient server errors. */
const DEFAULT_RETRIABLE_STATUSES: readonly number[] = [408, 425, 429, 500, 502, 503, 504];

/** Options of {@link createHttpClassifier}. */
export interface HttpClassifierOptions {
  /**
   * Status codes that are retriable. Every other 4xx and 5xx status is permanent; 1xx-3xx statuses
   * get no opinion.
   * @default [408, 425, 429, 500, 502, 503, 504]
   */
  readonly retriableStatuses?: readonly number[];
  /**
   * The clock used to turn an HTTP-date `Retry-After` into a delay.
   * @default Date.now
   */
  readonly now?: () => number;
}

function statusOf(value: unknown): number | undefined {
  for (const candidate of [
    prop(value, 'status'),
    prop(value, 'statusCode'),
    prop(prop(value, 'response'), 'status'),
    prop(prop(value, 'response'), 'statusCode'),
  ]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 100 && candidate <= 599) return candidate;
  }
  return undefined;
}

function header(headers: unknown, name: string): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  const get = prop(headers, 'get');
  if (typeof get === 'function') {
    const value: unknown = (get as (this: unknown, key: string) => unknown).call(headers, name);
    if (typeof value === 'string') return value;
  }
  const direct = prop(headers, name) ?? prop(headers, 'Retry-After');
  if (typeof direct === 'string') return direct;
  if (typeof direct === 'number') return String(direct);
  if (Array.isArray(direct) && typeof direct[0] === 'string') return direct[0];
  return undefined;
}

/**
 * Parses a `Retry-After` value: delay-seconds (`"120"`) or an HTTP date. Returns milliseconds from
 * `now`, never negative, or `undefined` when the value is neither.
 */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // IMF-fixdate, RFC 850 and asctime dates all begin with the day's name.
  if (!/^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Builds an HTTP classifier. It reads a status from a fetch `Response` (for `retryOnResult`), or from
 * an error carrying `status`, `statusCode`, `response.status` (axios, ky) or `response.statusCode`
 * (got). A `Retry-After` header (seconds or HTTP date) on a retriable response becomes the verdict's
 * `delayMs`; the retry loop waits it exactly, up to its `maxRetryAfterMs`.
 */
export function createHttpClassifier(options: HttpClassifierOptions = {}): ErrorClassifier {
  const visit = httpVisitor(options);
  return (error) => walkCauses(error, visit);
}

/** @internal The HTTP verdict on one value (not its causes), as {@link createHttpClassifier} reads it. */
export function httpVisitor(options: HttpClassifierOptions = {}): (value: unknown) => Verdict | undefined {
  const statuses = new Set(options.retriableStatuses ?? DEFAULT_RETRIABLE_STATUSES);
  const now = options.now ?? Date.now;
  return (error) => {
    const status = statusOf(error);
    if (status === undefined || status < 400) return undefined;
    if (!statuses.has(status)) return permanent(`http ${status}`);
    const retryAfter =
      header(prop(error, 'headers'), 'retry-after') ?? header(prop(prop(error, 'response'), 'headers'), 'retry-after');
    const delayMs = retryAfter === undefined ? undefined : parseRetryAfter(retryAfter, now());
    return retriable(`http ${status}`, delayMs);
  };
}

/** @internal The default HTTP verdict on one value. */
export const visitHttp: (value: unknown) => Verdict | undefined = /* @__PURE__ */ httpVisitor();

/**
 * The HTTP classifier with default options: 408, 425, 429, 500, 502, 503, 504 retriable (honouring
 * `Retry-After`), every other 4xx/5xx permanent.
 */
export const httpClassifier: ErrorClassifier = (error) => walkCauses(error, visitHttp);
