import { stringCode } from '../classifiers/inspect.js';
import { messageOf } from '../errors/message.js';

/** Where a hook's or listener's error goes: it never changes the outcome of the work that called it. */
export type HookErrorHandler = (error: unknown, hook: string) => void;

/**
 * The default {@link HookErrorHandler}: a process warning (printed on stderr by default, observable
 * with `process.on('warning')`), `console.error` where there is no `process`. Never throws. The
 * warning is bulwark's own `Error` — named `BulwarkHookWarning`, code `BULWARK_HOOK_ERROR`, the hook's
 * error as `cause`, its message and stack copied — so Node's printer, which runs later, never reads a
 * getter of the user's value that could throw and crash the process.
 */
export const warnHookError: HookErrorHandler = (error, hook) => {
  try {
    const emit = (globalThis as { process?: { emitWarning?: (warning: Error) => void } }).process?.emitWarning;
    if (typeof emit !== 'function') {
      console.error(`bulwark: ${hook} threw`, error);
      return;
    }
    const warning = Object.assign(new Error(messageOf(error), { cause: error }), {
      name: 'BulwarkHookWarning',
      code: 'BULWARK_HOOK_ERROR',
      detail: `thrown by ${hook}; the work's outcome is unchanged`,
    });
    const stack = stringCode(error, 'stack');
    if (stack !== undefined) warning.stack = stack;
    emit(warning);
  } catch {
    // Reporting must never throw into the work.
  }
};

/** Calls `report` without letting it throw. */
export function reportHookError(report: HookErrorHandler, error: unknown, hook: string): void {
  try {
    const result: unknown = report(error, hook);
    // An async handler's rejection must not become an unhandled rejection either.
    if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, () => warnHookError(error, hook));
    }
  } catch {
    warnHookError(error, hook);
  }
}

/**
 * @internal A typed event hub: `on(type, listener)` returns its unsubscribe function. A listener that
 * throws is reported to `onError` and the others still run; emitting with no listener costs one lookup.
 */
export class Emitter<M extends object> {
  readonly #listeners = new Map<keyof M, ReadonlyArray<(event: never) => void>>();
  readonly #onError: HookErrorHandler;

  constructor(onError: HookErrorHandler) {
    this.#onError = onError;
  }

  on<K extends keyof M>(type: K, listener: (event: M[K]) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    // Copy on write: a listener that subscribes or unsubscribes during an emit does not disturb it.
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener as (event: never) => void]);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const list = this.#listeners.get(type) ?? [];
      const index = list.indexOf(listener as (event: never) => void);
      const next = index === -1 ? list : [...list.slice(0, index), ...list.slice(index + 1)];
      if (next.length === 0) this.#listeners.delete(type);
      else this.#listeners.set(type, next);
    };
  }

  has(type: keyof M): boolean {
    return this.#listeners.has(type);
  }

  emit<K extends keyof M>(type: K, event: M[K]): void {
    const list = this.#listeners.get(type);
    if (list === undefined) return;
    for (const listener of list) {
      try {
        (listener as (event: M[K]) => void)(event);
      } catch (error) {
        reportHookError(this.#onError, error, `listener for '${String(type)}'`);
      }
    }
  }
}
