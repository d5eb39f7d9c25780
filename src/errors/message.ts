/** A short human-readable message for any thrown value (errors, strings, objects); never throws. */
export function messageOf(value: unknown): string {
  try {
    if (value instanceof Error) {
      const { message, name } = value as { message: unknown; name: unknown };
      if (typeof message === 'string' && message !== '') return message;
      return typeof name === 'string' ? name : 'unreadable error';
    }
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && value !== null) {
      const message = (value as { message?: unknown }).message;
      if (typeof message === 'string') return message;
      const status = (value as { status?: unknown }).status;
      if (typeof status === 'number') return `status ${status}`;
      try {
        return JSON.stringify(value) ?? String(value);
      } catch {
        return Object.prototype.toString.call(value);
      }
    }
    return String(value);
  } catch {
    // A revoked Proxy, a getter that throws, an object without `toString`: say so, never throw.
    return 'unreadable error';
  }
}
