import { prop } from './inspect.js';

/** The classifier's answer: retry this error (optionally after `delayMs`), or give up at once. */
export type Verdict =
  | {
      readonly retriable: true;
      /** Why, in a few words, e.g. `network ECONNRESET`. Shown in logs and reports. */
      readonly reason: string;
      /**
       * Wait this long before the next attempt instead of the computed backoff (e.g. from an HTTP
       * `Retry-After` header). Capped by the retry's `maxDelayMs`.
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

/**
 * @internal Walks an error and its `cause` chain (and the first error of an `AggregateError`),
 * at most `depth` levels, calling `visit` until it returns a verdict.
 */
export function walkCauses(error: unknown, visit: (value: unknown) => Verdict | undefined, depth = 4): Verdict | undefined {
  let current: unknown = error;
  for (let level = 0; level < depth && current !== undefined && current !== null; level++) {
    const verdict = visit(current);
    if (verdict !== undefined) return verdict;
    const errors = prop(current, 'errors');
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = visit(errors[0]);
      if (inner !== undefined) return inner;
    }
    current = prop(current, 'cause');
  }
  return undefined;
}
