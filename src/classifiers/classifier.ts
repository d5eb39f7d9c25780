import { prop } from './inspect.js';

/** The classifier's answer: retry this error (optionally after `delayMs`), or give up at once. */
export type Verdict =
  | {
      readonly retriable: true;
      /** Why, in a few words, e.g. `network ECONNRESET`. Shown in logs and reports. */
      readonly reason: string;
      /**
       * Wait this long before the next attempt instead of the computed backoff (e.g. from an HTTP
       * `Retry-After` header). Waited exactly up to the retry's `maxRetryAfterMs`; beyond it the loop
       * gives up (`reason: 'retry-after'`). A value that is not a number is ignored.
       */
      readonly delayMs?: number;
    }
  | {
      readonly retriable: false;
      /** Why, in a few words, e.g. `file-system ENOENT`. */
      readonly reason: string;
    };

/**
 * Decides whether an error (any thrown value, or a rejected result) is worth retrying.
 * Returns `undefined` for "no opinion": the next classifier in a composition is asked.
 */
export type ErrorClassifier = (error: unknown) => Verdict | undefined;

/**
 * Combines classifiers: the first one with an opinion wins. Returns `undefined` when none has one,
 * so the caller's fallback (`unknownErrorVerdict` on the retry options) applies.
 *
 * @example
 * ```ts
 * const classify = composeClassifiers(myAppClassifier, classifiers.network, classifiers.http);
 * ```
 */
export function composeClassifiers(...classifiers: readonly ErrorClassifier[]): ErrorClassifier {
  const list = classifiers.slice();
  return (error) => {
    for (const classify of list) {
      const verdict = classify(error);
      if (verdict !== undefined) return verdict;
    }
    return undefined;
  };
}

/**
 * Gives a classifier a verdict for errors it does not recognise, so it always answers.
 *
 * @example
 * ```ts
 * // Unknown errors are permanent: only retry what we know to be transient.
 * const strict = withFallback(defaultClassifier, { retriable: false, reason: 'unrecognised error' });
 * ```
 */
export function withFallback(classifier: ErrorClassifier, fallback: Verdict): (error: unknown) => Verdict {
  return (error) => classifier(error) ?? fallback;
}

/** @internal A retriable verdict. */
export function retriable(reason: string, delayMs?: number): Verdict {
  return delayMs === undefined ? { retriable: true, reason } : { retriable: true, reason, delayMs };
}

/** @internal A permanent verdict. */
export function permanent(reason: string): Verdict {
  return { retriable: false, reason };
}

/** @internal A set of space-separated words: tables written as one string minify to a third. */
export function words(list: string): ReadonlySet<string> {
  return new Set(list.split(' '));
}

/** @internal `<domain> <code>` retriable when `code` is in `retry`, permanent when in `fail`, else no opinion. */
export function byCode(domain: string, code: string | undefined, retry: ReadonlySet<string>, fail: ReadonlySet<string>): Verdict | undefined {
  if (code === undefined) return undefined;
  if (retry.has(code)) return retriable(`${domain} ${code}`);
  return fail.has(code) ? permanent(`${domain} ${code}`) : undefined;
}

/**
 * @internal Runs `visit` on an error, then on what it wraps — every error of an `AggregateError`
 * (`errors`, its first `limit`), then its `cause` — breadth first, each value once (cycles end), until
 * `visit` returns a verdict: the error itself and at most `limit` values it wraps. A value whose
 * reading throws (a revoked Proxy, a throwing getter) has no opinion. Every built-in classifier walks
 * this way, so an HTTP 503 wrapped in a `cause`, or an `ECONNREFUSED` inside undici's `fetch failed` or happy-eyeballs' `AggregateError`,
 * is judged like the bare error.
 */
export function walkCauses(error: unknown, visit: (value: unknown) => Verdict | undefined, limit = 16): Verdict | undefined {
  const verdict = safely(visit, error);
  if (verdict !== undefined) return verdict;
  const cause = prop(error, 'cause');
  const errors = prop(error, 'errors');
  if (cause === undefined && errors === undefined) return undefined;
  const queue: unknown[] = [];
  const seen = new Set<unknown>([error]);
  const enqueue = (value: unknown): void => {
    if ((typeof value === 'object' || typeof value === 'function') && value !== null && !seen.has(value)) {
      seen.add(value);
      queue.push(value);
    }
  };
  const children = (value: unknown): void => {
    // A hostile list (a revoked Proxy, an index getter that throws) is skipped: what it wraps is unseen.
    try {
      const list = prop(value, 'errors');
      if (Array.isArray(list)) for (const inner of list.slice(0, limit)) enqueue(inner);
    } catch {
      // no opinion from what cannot be read
    }
    enqueue(prop(value, 'cause'));
  };
  children(error);
  for (let i = 0; i < queue.length && i < limit; i++) {
    const value = queue[i];
    const found = safely(visit, value);
    if (found !== undefined) return found;
    children(value);
  }
  return undefined;
}

/** `visit(value)`, or no opinion when reading the value throws (a revoked Proxy, a throwing getter or trap). */
function safely(visit: (value: unknown) => Verdict | undefined, value: unknown): Verdict | undefined {
  try {
    return visit(value);
  } catch {
    return undefined;
  }
}
