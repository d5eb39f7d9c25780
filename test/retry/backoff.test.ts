import { describe, expect, it } from 'vitest';
import { exponentialDelay } from '../../src/retry/backoff.js';
import { applyJitter } from '../../src/retry/jitter.js';

describe('exponentialDelay', () => {
  it('doubles from the initial delay and stops at the cap (the production defaults)', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => exponentialDelay(n, 1000, 2, 10_000))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('honours other factors and a zero initial delay', () => {
    expect([1, 2, 3].map((n) => exponentialDelay(n, 100, 3, 1e9))).toEqual([100, 300, 900]);
    expect([1, 2, 3].map((n) => exponentialDelay(n, 0, 2, 1000))).toEqual([0, 0, 0]);
    expect([1, 2, 3].map((n) => exponentialDelay(n, 500, 1, 1000))).toEqual([500, 500, 500]);
  });

  it('does not overflow for very large retry numbers', () => {
    expect(exponentialDelay(5000, 1000, 2, 10_000)).toBe(10_000);
  });
});

describe('applyJitter', () => {
  const low = (): number => 0;
  const high = (): number => 0.999_999;

  it('none returns the delay itself', () => {
    expect(applyJitter('none', 4000, 2000, 1000, 10_000, high)).toBe(4000);
  });

  it('full spans [0, delay)', () => {
    expect(applyJitter('full', 4000, 2000, 1000, 10_000, low)).toBe(0);
    expect(applyJitter('full', 4000, 2000, 1000, 10_000, high)).toBe(3999);
    expect(applyJitter('full', 4000, 2000, 1000, 10_000, () => 0.5)).toBe(2000);
  });

  it('equal spans [delay/2, delay)', () => {
    expect(applyJitter('equal', 4000, 2000, 1000, 10_000, low)).toBe(2000);
    expect(applyJitter('equal', 4000, 2000, 1000, 10_000, high)).toBe(3999);
  });

  it('decorrelated spans [initial, previous*3) and is capped', () => {
    expect(applyJitter('decorrelated', 0, 2000, 1000, 10_000, low)).toBe(1000);
    expect(applyJitter('decorrelated', 0, 2000, 1000, 10_000, high)).toBe(5999);
    expect(applyJitter('decorrelated', 0, 8000, 1000, 10_000, high)).toBe(10_000);
  });
});
