import { afterEach, beforeEach, expect } from 'vitest';

/**
 * Fails the test when a promise rejection goes unhandled while it runs (hono's timeout-test habit).
 * Call at the top level of a test file.
 */
export function failOnUnhandledRejection(): void {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => {
    seen.push(reason);
  };
  beforeEach(() => {
    seen.length = 0;
    process.on('unhandledRejection', listener);
  });
  afterEach(async () => {
    // Let pending rejections surface before checking.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', listener);
    expect(seen, 'unhandled rejections').toEqual([]);
  });
}
