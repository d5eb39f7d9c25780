import { describe, expect, it } from 'vitest';
import {
  AttemptTimeoutError,
  BulwarkError,
  InvalidOptionError,
  PermanentError,
  QueueClearedError,
  QueueFullError,
  QueueTimeoutError,
  ReentrantRunError,
  RetryExhaustedError,
  isAttemptTimeoutError,
  isBulwarkError,
  isInvalidOptionError,
  isPermanentError,
  isQueueClearedError,
  isQueueFullError,
  isQueueTimeoutError,
  isReentrantRunError,
  isRetryExhaustedError,
} from '../../src/index.js';

const instances = {
  AttemptTimeoutError: new AttemptTimeoutError(5, 1),
  InvalidOptionError: new InvalidOptionError('x', 'an integer', 0),
  PermanentError: new PermanentError('stop'),
  QueueClearedError: new QueueClearedError('bye'),
  QueueFullError: new QueueFullError(1, 1),
  QueueTimeoutError: new QueueTimeoutError(10),
  ReentrantRunError: new ReentrantRunError(),
  RetryExhaustedError: new RetryExhaustedError({ attempts: 1, errors: [new Error('x')], elapsedMs: 0, reason: 'max-attempts', verdict: { retriable: true, reason: 'r' } }),
} as const;

const guards: Record<keyof typeof instances, (v: unknown) => boolean> = {
  AttemptTimeoutError: isAttemptTimeoutError,
  InvalidOptionError: isInvalidOptionError,
  PermanentError: isPermanentError,
  QueueClearedError: isQueueClearedError,
  QueueFullError: isQueueFullError,
  QueueTimeoutError: isQueueTimeoutError,
  ReentrantRunError: isReentrantRunError,
  RetryExhaustedError: isRetryExhaustedError,
};

describe('error classes and guards', () => {
  for (const [name, guard] of Object.entries(guards)) {
    it(`${name}: its guard accepts it and rejects every sibling`, () => {
      for (const [other, instance] of Object.entries(instances)) {
        expect(guard(instance), `${name} guard on ${other}`).toBe(other === name);
      }
      expect(guard(new Error('plain'))).toBe(false);
      expect(guard(null)).toBe(false);
      expect(guard({ code: (instances as Record<string, BulwarkError>)[name]?.code })).toBe(false); // not an Error
    });
  }

  it('guards recognise an error from another copy of the package by code', () => {
    class ForeignRetryExhausted extends Error {
      code = 'ERR_BULWARK_RETRY_EXHAUSTED';
    }
    expect(isRetryExhaustedError(new ForeignRetryExhausted())).toBe(true);
    expect(isBulwarkError(new ForeignRetryExhausted())).toBe(true);
    expect(isPermanentError(new ForeignRetryExhausted())).toBe(false);
  });

  it('every class has a distinct stable code, its own name, and is a BulwarkError', () => {
    const codes = new Set<string>();
    for (const [name, instance] of Object.entries(instances)) {
      expect(instance).toBeInstanceOf(BulwarkError);
      expect(instance).toBeInstanceOf(Error);
      expect(instance.name).toBe(name);
      expect(instance.code).toMatch(/^ERR_BULWARK_[A-Z_]+$/);
      expect(instance.code).toBe((instance.constructor as unknown as { code: string }).code);
      codes.add(instance.code);
      expect(isBulwarkError(instance)).toBe(true);
    }
    expect(codes.size).toBe(Object.keys(instances).length);
    expect(isBulwarkError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
  });

  it('keeps causes', () => {
    const cause = new Error('root');
    expect(new PermanentError(cause).cause).toBe(cause);
    expect(new PermanentError('m', { cause }).cause).toBe(cause);
    expect(new QueueClearedError(cause).cause).toBe(cause);
    expect(instances.RetryExhaustedError.cause).toBe(instances.RetryExhaustedError.errors[0]);
  });
});
