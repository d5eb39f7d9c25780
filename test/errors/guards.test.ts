import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import * as core from '../../src/index.js';
import * as email from '../../src/email/index.js';
import * as queue from '../../src/queue/index.js';
import * as thumbnails from '../../src/thumbnails/index.js';
import type { BulwarkErrorCode } from '../../src/index.js';

const {
  AttemptTimeoutError,
  BulwarkError,
  InvalidOptionError,
  NotProcessedError,
  PermanentError,
  QueueClearedError,
  QueueFullError,
  QueueTimeoutError,
  ReentrantRunError,
  RetryExhaustedError,
  UnacceptableResultError,
  isBulwarkError,
  isRetryExhaustedError,
} = core;

/** One instance of every error class of every entry point. */
const instances: Record<string, core.BulwarkError> = {
  AttemptTimeoutError: new AttemptTimeoutError(5, 1),
  InvalidOptionError: new InvalidOptionError('x', 'an integer', 0),
  NotProcessedError: new NotProcessedError('aborted'),
  PermanentError: new PermanentError('stop'),
  QueueClearedError: new QueueClearedError('bye'),
  QueueFullError: new QueueFullError(1, 1),
  QueueTimeoutError: new QueueTimeoutError(10),
  ReentrantRunError: new ReentrantRunError(),
  RetryExhaustedError: new RetryExhaustedError({ attempts: 1, errors: [new Error('x')], elapsedMs: 0, reason: 'max-attempts', verdict: { retriable: true, reason: 'r' } }),
  UnacceptableResultError: new UnacceptableResultError(503, { retriable: true, reason: 'http 503' }),
  CircuitOpenError: new core.CircuitOpenError(1000, 'smtp'),
  TaskTimeoutError: new core.TaskTimeoutError(50, 'job-1'),
  ImageDecodeError: new thumbnails.ImageDecodeError('bad'),
  ImageTooLargeError: new thumbnails.ImageTooLargeError(10),
  InvalidPolygonError: new thumbnails.InvalidPolygonError(0, 'p', 'bad'),
  TooManyPolygonsError: new thumbnails.TooManyPolygonsError(2, 1),
  TooManyPointsError: new thumbnails.TooManyPointsError(2, 1),
  InvalidStorageKeyError: new thumbnails.InvalidStorageKeyError('../x', 'dot-dot'),
  StorageNotFoundError: new thumbnails.StorageNotFoundError('k'),
  SegmentationNotFoundError: new thumbnails.SegmentationNotFoundError('s'),
  SharpMissingError: new thumbnails.SharpMissingError(),
  LeaseLostError: new queue.LeaseLostError('job-1', 'expired'),
  EmailDeliveryError: new email.EmailDeliveryError({ message: 'm', responseCode: 550, smtpCode: undefined, attempts: 1, permanent: true, cause: undefined }),
};

/** Every exported guard, found by name: `isXError` for class `XError`. */
const guards = Object.fromEntries(
  Object.keys(instances).map((name) => {
    const guard = (core as Record<string, unknown>)[`is${name}`] ?? (thumbnails as Record<string, unknown>)[`is${name}`] ?? (email as Record<string, unknown>)[`is${name}`] ?? (queue as Record<string, unknown>)[`is${name}`];
    return [name, guard as ((value: unknown) => boolean) | undefined];
  }),
);

/** Every code of the exported union, checked against the classes below (a missing one fails to compile). */
const ALL_CODES: Record<BulwarkErrorCode, true> = {
  ERR_BULWARK_INVALID_OPTION: true,
  ERR_BULWARK_PERMANENT: true,
  ERR_BULWARK_ATTEMPT_TIMEOUT: true,
  ERR_BULWARK_TASK_TIMEOUT: true,
  ERR_BULWARK_RETRY_EXHAUSTED: true,
  ERR_BULWARK_UNACCEPTABLE_RESULT: true,
  ERR_BULWARK_QUEUE_FULL: true,
  ERR_BULWARK_QUEUE_CLEARED: true,
  ERR_BULWARK_QUEUE_TIMEOUT: true,
  ERR_BULWARK_REENTRANT_RUN: true,
  ERR_BULWARK_NOT_PROCESSED: true,
  ERR_BULWARK_CIRCUIT_OPEN: true,
  ERR_BULWARK_IMAGE_DECODE: true,
  ERR_BULWARK_IMAGE_TOO_LARGE: true,
  ERR_BULWARK_INVALID_POLYGON: true,
  ERR_BULWARK_TOO_MANY_POLYGONS: true,
  ERR_BULWARK_TOO_MANY_POINTS: true,
  ERR_BULWARK_INVALID_STORAGE_KEY: true,
  ERR_BULWARK_STORAGE_NOT_FOUND: true,
  ERR_BULWARK_SEGMENTATION_NOT_FOUND: true,
  ERR_BULWARK_SHARP_MISSING: true,
  ERR_BULWARK_EMAIL_DELIVERY: true,
  ERR_BULWARK_LEASE_LOST: true,
};

const snake = (name: string): string => name.replace(/Error$/, '').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

describe('error classes and guards', () => {
  it('every exported error class is covered here, and every code has exactly one class', () => {
    const exported = [core, thumbnails, email, queue].flatMap((entry) =>
      Object.entries(entry).filter(([name, value]) => typeof value === 'function' && /^[A-Z]/.test(name) && name.endsWith('Error') && name !== 'BulwarkError').map(([name]) => name),
    );
    expect(exported.sort()).toEqual(Object.keys(instances).sort());
    expect(Object.values(instances).map((e) => e.code).sort()).toEqual(Object.keys(ALL_CODES).sort());
  });

  for (const name of Object.keys(instances)) {
    it(`${name}: code follows the class name, its guard accepts it and rejects every sibling`, () => {
      const instance = instances[name] as core.BulwarkError;
      expect(instance.code).toBe(`ERR_BULWARK_${snake(name)}`);
      expect(instance.code).toBe((instance.constructor as unknown as { code: string }).code);
      expect(instance.name).toBe(name);
      expect(instance.constructor.name).toBe(name);
      expect(inspect(instance).startsWith(`${name}: `)).toBe(true);
      expect(instance).toBeInstanceOf(BulwarkError);
      expect(isBulwarkError(instance)).toBe(true);
      const guard = guards[name];
      expect(guard, `is${name} is exported`).toBeTypeOf('function');
      for (const [other, value] of Object.entries(instances)) expect(guard?.(value), `is${name}(${other})`).toBe(other === name);
      expect(guard?.(new Error('plain'))).toBe(false);
      expect(guard?.(null)).toBe(false);
      expect(guard?.({ code: instance.code })).toBe(false); // a look-alike without the brand
      expect(guard?.(Object.assign(new Error('x'), { code: instance.code }))).toBe(false); // someone else's error with our code
    });
  }

  it('guards recognise errors made by another copy of the package (a fresh module graph)', async () => {
    vi.resetModules();
    const copy = (path: string): Promise<unknown> => import(/* @vite-ignore */ `${path}?copy`);
    const other = (await copy('../../src/index.js')) as typeof core;
    const otherThumbnails = (await copy('../../src/thumbnails/index.js')) as typeof thumbnails;
    expect(other.RetryExhaustedError).not.toBe(RetryExhaustedError);
    const foreign = new other.RetryExhaustedError({ attempts: 2, errors: [1, 2], elapsedMs: 0, reason: 'budget', verdict: { retriable: true, reason: 'r' } });
    expect(foreign).not.toBeInstanceOf(RetryExhaustedError);
    expect(isRetryExhaustedError(foreign)).toBe(true);
    expect(isBulwarkError(foreign)).toBe(true);
    expect(core.isPermanentError(foreign)).toBe(false);
    expect(thumbnails.isImageDecodeError(new otherThumbnails.ImageDecodeError('x'))).toBe(true);
    expect(other.isQueueFullError(instances['QueueFullError'])).toBe(true);
    // And the default classifier judges a foreign copy's errors like its own.
    expect(core.defaultClassifier(new other.QueueTimeoutError(5))?.retriable).toBe(true);
    expect(core.defaultClassifier(new other.InvalidOptionError('x', 'y', 1))?.retriable).toBe(false);
  });

  it('keeps causes', () => {
    const cause = new Error('root');
    expect(new PermanentError(cause).cause).toBe(cause);
    expect(new PermanentError('m', { cause }).cause).toBe(cause);
    expect(new QueueClearedError(cause).cause).toBe(cause);
    const exhausted = instances['RetryExhaustedError'] as core.RetryExhaustedError;
    expect(exhausted.cause).toBe(exhausted.errors[0]);
    expect(new thumbnails.SharpMissingError({ cause }).cause).toBe(cause);
  });
});
