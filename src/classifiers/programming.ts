import { permanent, retriable, type ErrorClassifier } from './classifier.js';
import { isInstance, prop } from './inspect.js';

/** What `fetch` implementations throw, as a `TypeError`, when the network failed (as p-retry lists them). */
const FETCH_FAILED = /* @__PURE__ */ new Set(['fetch failed', 'failed to fetch', 'networkerror when attempting to fetch resource.', 'network request failed', 'load failed', 'terminated']);
const PROGRAMMING = /* @__PURE__ */ new Set(['TypeError', 'ReferenceError', 'SyntaxError']);

/**
 * Classifies programming errors as permanent: a `TypeError`, `ReferenceError` or `SyntaxError` is a
 * bug, and running the same code again repeats it (p-retry decides the same). The exception is a
 * `fetch` that failed on the network (undici's `TypeError: fetch failed`, the browsers' "Failed to
 * fetch", "Load failed"…): retriable. Only the error itself is judged, not its `cause`s: a bug inside
 * a wrapped error is the wrapper's to classify.
 */
export const programmingClassifier: ErrorClassifier = (error) => {
  if (!isInstance(error, Error)) return undefined;
  const name = prop(error, 'name');
  if (typeof name !== 'string' || !PROGRAMMING.has(name)) return undefined;
  const message = prop(error, 'message');
  if (name === 'TypeError' && typeof message === 'string' && FETCH_FAILED.has(message.toLowerCase())) return retriable('network fetch failed');
  return permanent(`programming ${name}`);
};
