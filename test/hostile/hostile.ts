import { afterEach, beforeEach, expect } from 'vitest';

export function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}
export function trapProxy(): object {
  return new Proxy(new Error('trap'), {
    getPrototypeOf() {
      throw new Error('getPrototypeOf trap');
    },
    get() {
      throw new Error('get trap');
    },
  });
}
function getterError(prop: string): Error {
  const e = new Error('getter');
  Object.defineProperty(e, prop, {
    get() {
      throw new Error(`${prop} getter`);
    },
  });
  return e;
}
export function symbolMessageError(): Error {
  const e = new TypeError('x');
  Object.defineProperty(e, 'message', { value: Symbol('msg') });
  return e;
}
export function nullProtoMessageError(): Error {
  const e = new Error('x');
  Object.defineProperty(e, 'message', { value: Object.create(null) });
  return e;
}
export function cyclicCause(): Error {
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  return a;
}

/** name → factory (fresh value each call). */
export const HOSTILE: Record<string, () => unknown> = {
  revokedProxy: revoked,
  trapProxy,
  messageGetter: () => getterError('message'),
  nameGetter: () => getterError('name'),
  codeGetter: () => getterError('code'),
  causeGetter: () => getterError('cause'),
  stackGetter: () => getterError('stack'),
  nullProto: () => Object.create(null),
  toStringThrows: () => ({ toString() { throw new Error('toString'); }, [Symbol.toPrimitive]() { throw new Error('toPrimitive'); } }),
  symbol: () => Symbol('hostile'),
  bigint: () => 10n,
  undefined: () => undefined,
  null: () => null,
  function: () => function hostileFn() {},
  frozenError: () => Object.freeze(new Error('frozen')),
  longString: () => 'x'.repeat(10 * 1024 * 1024),
  cyclicCause,
  symbolMessage: symbolMessageError,
  nullProtoMessage: nullProtoMessageError,
  revokedCause: () => new Error('outer', { cause: revoked() }),
};

/** Records uncaughtException / unhandledRejection while a test runs. */
export function watchProcess(): { seen: unknown[] } {
  const state = { seen: [] as unknown[] };
  const onUnhandled = (reason: unknown): void => void state.seen.push(['unhandledRejection', safeDescribe(reason)]);
  const onUncaught = (error: unknown): void => void state.seen.push(['uncaughtException', safeDescribe(error)]);
  beforeEach(() => {
    state.seen.length = 0;
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUncaught);
  });
  afterEach(async () => {
    // Node's warning printer runs on nextTick and unhandled rejections surface after the microtasks:
    // two turns of the event loop see both.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
    expect(state.seen, 'process-level errors').toEqual([]);
  });
  return state;
}

export function safeDescribe(v: unknown): string {
  try {
    if (v instanceof Error) return `${v.name}: ${v.message}`;
  } catch {
    return '<uninspectable>';
  }
  try {
    return typeof v === 'symbol' ? v.toString() : typeof v === 'string' ? (v.length > 100 ? `string(${v.length})` : v) : String(v);
  } catch {
    return `<${typeof v}>`;
  }
}

/** Is this one of OUR TypeErrors (a library bug), rather than the user's value? */
export function isLibraryTypeError(v: unknown, original: unknown): boolean {
  if (v === original) return false;
  try {
    return v instanceof TypeError;
  } catch {
    return false;
  }
}

export function settleWithin<T>(p: Promise<T>, ms = 3000): Promise<{ ok: true; value: T } | { ok: false; error: unknown } | { hung: true }> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve({ hung: true }), ms);
    p.then(
      (value) => {
        clearTimeout(t);
        // don't resolve with a possibly-revoked proxy
        resolve({ ok: true, value: value as T });
      },
      (error: unknown) => {
        clearTimeout(t);
        resolve({ ok: false, error });
      },
    );
  });
}
