import { permanent, retriable, walkCauses, type ErrorClassifier, type Verdict } from './classifier.js';
import { prop } from './inspect.js';

/** Matches bulwark's own codes by text, so this classifier needs none of the error classes. */
const RETRIABLE_CODES = /^ERR_BULWARK_(?:ATTEMPT_TIMEOUT|TASK_TIMEOUT|QUEUE_FULL|QUEUE_TIMEOUT|NOT_PROCESSED)$/;
const BRAND = /* @__PURE__ */ Symbol.for('bulwark.error');

/** @internal The bulwark verdict on one value (not its causes). */
export function visitBulwark(error: unknown): Verdict | undefined {
  if (prop(error, BRAND) !== true) return undefined;
  const code = prop(error, 'code');
  if (typeof code !== 'string') return undefined;
  // An open circuit: wait until the breaker lets a probe through, never hammer it.
  if (code === 'ERR_BULWARK_CIRCUIT_OPEN') {
    const after = prop(error, 'retryAfterMs');
    return retriable(`bulwark ${code}`, typeof after === 'number' ? after : undefined);
  }
  return RETRIABLE_CODES.test(code) ? retriable(`bulwark ${code}`) : permanent(`bulwark ${code}`);
}

/**
 * Classifies bulwark's own errors (from any copy of the package): timeouts, a full queue and an item
 * that was never started are retriable, an open circuit retriable after its `retryAfterMs`; every other bulwark error (invalid options or input, a
 * nested retry that already gave up, a cleared queue) is permanent. Looks through `cause` chains and
 * `AggregateError`s like every built-in classifier.
 */
export const bulwarkClassifier: ErrorClassifier = (error) => walkCauses(error, visitBulwark);
