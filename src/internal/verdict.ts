import { reportHookError, type HookErrorHandler } from './events.js';

/**
 * The classifier's verdict on `value`, or `undefined` for no opinion. A classifier that throws, or
 * answers something that is not a verdict, is reported to `report` (as `'classifier'`) and has no
 * opinion: the caller's unknown-error verdict applies. The one rule for retry, the circuit breaker
 * and the BullMQ adapters (generic, so this folder needs nothing from the classifiers').
 */
export function verdictOf<V extends Answer>(classifier: (value: unknown) => V | undefined, value: unknown, report: HookErrorHandler): V | undefined {
  try {
    const answer: unknown = classifier(value);
    if (answer === undefined) return undefined;
    if (typeof answer === 'object' && answer !== null) {
      // Read once, here, into plain data (extra fields kept): a getter that throws is this
      // classifier's error, not the caller's, and nothing reads the answer's getters again.
      const copy = { ...(answer as Partial<Answer>) };
      if (typeof copy.retriable === 'boolean') {
        if (typeof copy.reason !== 'string') copy.reason = 'classifier';
        return copy as V;
      }
      // An async classifier: its rejection must not go unhandled (and it decides nothing).
      const then = (answer as { then?: unknown }).then;
      if (typeof then === 'function') {
        (then as (this: unknown, ok: () => void, fail: (error: unknown) => void) => void).call(answer, noop, (error) => reportHookError(report, error, 'classifier'));
        throw new TypeError('classifier returned a promise: classifiers are synchronous');
      }
    }
    throw new TypeError(`classifier returned ${describe(answer)}, not a verdict`);
  } catch (error) {
    reportHookError(report, error, 'classifier');
  }
  return undefined;
}

/** What a verdict is made of (`Verdict` without the classifiers' types: this folder needs nothing from theirs). */
interface Answer {
  retriable: boolean;
  reason: string;
  delayMs?: number;
}

const noop = (): void => undefined;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return typeof value === 'object' ? (value === null ? 'null' : 'an object') : String(value);
}
