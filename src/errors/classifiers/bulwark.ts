import { AttemptTimeoutError } from '../attempt-timeout-error.js';
import { QueueFullError } from '../queue-full-error.js';
import { QueueTimeoutError } from '../queue-timeout-error.js';
import { isBulwarkError } from '../guards.js';
import { permanent, retriable, type ErrorClassifier } from './classifier.js';

const RETRIABLE_CODES = new Set([AttemptTimeoutError.code, QueueFullError.code, QueueTimeoutError.code]);

/**
 * Classifies bulwark's own errors: timeouts and a full queue are retriable; every other bulwark error
 * (invalid options or input, a nested retry that already gave up, a cleared queue) is permanent.
 */
export const bulwarkClassifier: ErrorClassifier = (error) => {
  if (!isBulwarkError(error)) return undefined;
  return RETRIABLE_CODES.has(error.code) ? retriable(`bulwark ${error.code}`) : permanent(`bulwark ${error.code}`);
};
