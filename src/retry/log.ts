import type { Verdict } from '../classifiers/classifier.js';
import type { RetryLogFields, RetryLogger } from './options.js';

/**
 * pino takes `(fields, message)`; console and winston take `(message, fields)`. A pino logger is
 * recognised by its `bindings()` method, which neither of the others has.
 */
function isPino(logger: RetryLogger): boolean {
  return typeof (logger as { bindings?: unknown }).bindings === 'function';
}

/** @internal Writes one structured line; a logger that throws never changes the operation's outcome. */
export function logLine(
  logger: RetryLogger | undefined,
  level: 'info' | 'warn' | 'error',
  message: string,
  operation: string | undefined,
  attempt: number,
  maxAttempts: number,
  delayMs: number | undefined,
  error: unknown,
  verdict: Verdict | undefined,
): void {
  if (logger === undefined) return;
  const fields: RetryLogFields = {
    operation,
    attempt,
    maxAttempts,
    ...(delayMs === undefined ? {} : { delayMs }),
    ...(error === undefined ? {} : { err: error }),
    ...(verdict === undefined ? {} : { verdict: verdict.reason, retriable: verdict.retriable }),
  };
  try {
    const result: unknown = isPino(logger) ? (logger[level] as unknown as (fields: RetryLogFields, message: string) => unknown)(fields, message) : (logger[level] as (message: string, fields: RetryLogFields) => unknown)(message, fields);
    // An async logger that rejects must not become an unhandled rejection.
    if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') (result as PromiseLike<unknown>).then(undefined, () => undefined);
  } catch {
    // A broken logger must not break the work it logs.
  }
}
