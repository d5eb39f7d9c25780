import { reportHookError, type HookErrorHandler } from './events.js';

/**
 * The classifier's verdict on `value`, or `undefined` for no opinion. A classifier that throws, or
 * answers something that is not a verdict, is reported to `report` (as `'classifier'`) and has no
 * opinion: the caller's unknown-error verdict applies. The one rule for retry, the circuit breaker
 * and the BullMQ adapters (generic, so this folder needs nothing from the classifiers').
 */
export function verdictOf<V extends { readonly retriable: boolean }>(classifier: (value: unknown) => V | undefined, value: unknown, report: HookErrorHandler): V | undefined {
  try {
    const verdict = classifier(value);
    if (verdict === undefined || (typeof verdict === 'object' && verdict !== null && typeof verdict.retriable === 'boolean')) return verdict;
    reportHookError(report, new TypeError(`classifier returned ${String(verdict)}, not a verdict`), 'classifier');
  } catch (error) {
    reportHookError(report, error, 'classifier');
  }
  return undefined;
}
