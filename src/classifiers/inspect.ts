/** Reads a property of an unknown value without throwing (getters and proxies may throw). */
export function prop(value: unknown, key: PropertyKey): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
  try {
    return (value as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** `value instanceof Error`, false where even that throws (a revoked Proxy, a hostile `getPrototypeOf` trap). */
export function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/** `value[key]` (by default `value.code`) if it is a string. */
export function stringCode(value: unknown, key = 'code'): string | undefined {
  const code = prop(value, key);
  return typeof code === 'string' ? code : undefined;
}
