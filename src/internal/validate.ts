import { systemClock, type Clock } from './clock.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';

function range(min: number, max: number): string {
  if (max === Infinity) return `>= ${min}`;
  return `from ${min} to ${max}`;
}

/** An integer in `[min, max]`; `Infinity` only when `allowInfinity`. */
export function integer(name: string, value: unknown, min: number, max = Infinity, allowInfinity = false): number {
  if (typeof value === 'number' && ((Number.isInteger(value) && value >= min && value <= max) || (allowInfinity && value === Infinity))) {
    return value;
  }
  throw new InvalidOptionError(name, `an integer ${range(min, max)}${allowInfinity ? ' or Infinity' : ''}`, value);
}

/** A finite number in `[min, max]`. */
export function number(name: string, value: unknown, min: number, max = Infinity): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return value;
  throw new InvalidOptionError(name, `a finite number ${range(min, max)}`, value);
}

/** Optional: `undefined` passes through, anything else must be a finite number in range. */
export function optionalNumber(name: string, value: unknown, min: number, max = Infinity): number | undefined {
  return value === undefined ? undefined : number(name, value, min, max);
}

/** One of the listed strings. */
export function oneOf<const T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new InvalidOptionError(name, `one of ${allowed.map((a) => `\`${a}\``).join(', ')}`, value);
}

/** Optional function. */
export function optionalFunction<F>(name: string, value: F | undefined): F | undefined {
  if (value === undefined || typeof value === 'function') return value;
  throw new InvalidOptionError(name, 'a function', value);
}

/** Optional `AbortSignal`. */
export function optionalSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  const s = value as Partial<AbortSignal> | null;
  if (typeof value === 'object' && s !== null && typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function' && typeof s.removeEventListener === 'function') {
    return value as AbortSignal;
  }
  throw new InvalidOptionError(name, 'an AbortSignal', value);
}

/** Optional boolean. */
export function optionalBoolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new InvalidOptionError(name, 'a boolean', value);
}

/**
 * Throws an `InvalidOptionError` for the first key of `options` that is not in `known`: a typo, or
 * another library's (or an older version's) name, which would otherwise be ignored silently.
 * `aliases` maps such names to bulwark's, for the hint.
 */
export function knownOptions(options: object, known: ReadonlySet<string>, aliases: Readonly<Record<string, string>>, what: string): void {
  for (const key of Object.keys(options)) {
    if (known.has(key)) continue;
    const hint = aliases[key];
    throw new InvalidOptionError(key, `a known ${what} option${hint === undefined ? '' : ` (did you mean ${hint}?)`}: this one does not exist`, (options as Record<string, unknown>)[key]);
  }
}

/**
 * A verdict option (`unknownErrorVerdict`): `{ retriable: boolean, reason: string }`, or `undefined`.
 * Generic so this folder needs nothing from the classifiers'.
 */
export function verdictOption<V extends { readonly retriable: boolean; readonly reason: string }>(name: string, value: V | undefined): V | undefined {
  if (value === undefined) return undefined;
  const v = value as Partial<V> | null;
  if (typeof value === 'object' && v !== null && typeof v.retriable === 'boolean' && typeof v.reason === 'string') return value;
  throw new InvalidOptionError(name, 'a verdict `{ retriable: boolean, reason: string }`', value);
}

/** A `clock` option: `{ now, setTimeout, clearTimeout }`, or the system clock when `undefined`. */
export function clockOption(value: unknown): Clock {
  if (value === undefined) return systemClock;
  const c = value as Partial<Clock>;
  if (typeof value === 'object' && value !== null && typeof c.now === 'function' && typeof c.setTimeout === 'function' && typeof c.clearTimeout === 'function') return value as Clock;
  throw new InvalidOptionError('clock', 'a Clock `{ now, setTimeout, clearTimeout }`', value);
}
