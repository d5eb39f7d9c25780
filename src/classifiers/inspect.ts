/** Reads a property of an unknown value without throwing (getters and proxies may throw). */
export function prop(value: unknown, key: PropertyKey): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
  try {
    return (value as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** `value instanceof Class`, false where even that throws (a revoked Proxy, a hostile `getPrototypeOf` trap). */
export function isInstance<C extends abstract new (...args: never[]) => unknown>(value: unknown, Class: C): value is InstanceType<C> {
  try {
    return value instanceof Class;
  } catch {
    return false;
  }
}

/** `value[key]` (by default `value.code`) if it is a string. */
export function stringCode(value: unknown, key = 'code'): string | undefined {
  const code = prop(value, key);
  return typeof code === 'string' ? code : undefined;
}
