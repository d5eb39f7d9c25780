import { permanent, retriable, type ErrorClassifier } from './classifier.js';
import { prop } from './inspect.js';

/** Matches bulwark's own codes by text, so this classifier needs none of the error classes. */
const RETRIABLE_CODES: ReadonlySet<unknown> = /* @__PURE__ */ new Set([
  'ERR_BULWARK_ATTEMPT_TIMEOUT',
  'ERR_BULWARK_TASK_TIMEOUT',
  'ERR_BULWARK_QUEUE_FULL',
  'ERR_BULWARK_QUEUE_TIMEOUT',
  'ERR_BULWARK_NOT_PROCESSED',
]);
const BRAND = /* @__PURE__ */ Symbol.for('bulwark.error');

/**
 * Classifies bulwark's own errors (from any copy of the package): timeouts, a full queue and an item
 * that was never started are retriable, an open circuit retriable after its `retryAfterMs`; every other bulwark error (invalid options or input, a
 * nested retry that already gave up, a cleared queue) is permanent.
 */
export const bulwarkClassifier: ErrorClassifier = (error) => {
  if (prop(error, BRAND) !== true) return undefined;
  const code = prop(error, 'code');
  if (typeof code !== 'string') return undefined;
  // An open circuit: wait until the breaker lets a probe through, never hammer it.
  if (code === 'ERR_BULWARK_CIRCUIT_OPEN') {
    const after = prop(error, 'retryAfterMs');
    return retriable(`bulwark ${code}`, typeof after === 'number' ? after : undefined);
  }
  return RETRIABLE_CODES.has(code) ? retriable(`bulwark ${code}`) : permanent(`bulwark ${code}`);
};
