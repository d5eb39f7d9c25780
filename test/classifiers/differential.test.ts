// The built-in classifiers were rewritten for size (tables as strings, one pass for the default
// classifier). `./v0` is the previous implementation, kept verbatim: every domain classifier must
// give the same verdict on any error, and the default classifier the same verdict on any error that
// wraps nothing. What changed on purpose (a wrapped error: the nearest recognised value decides, and
// bulwark's own errors are found inside `cause` chains too) is tested at the end.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttemptTimeoutError, CircuitOpenError, classifiers, defaultClassifier, PermanentError } from '../../src/index.js';
import { classifiers as v0, defaultClassifier as v0Default } from './v0/index.js';

/** Every code any table knows, plus near misses. */
const CODES = [
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'ENETDOWN',
  'ENETRESET', 'EHOSTUNREACH', 'EHOSTDOWN', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_GOAWAY_SESSION',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ENOTFOUND',
  'ERR_INVALID_URL', 'ERR_UNESCAPED_CHARACTERS', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_TLS_CERT_ALTNAME_INVALID',
  'UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_EXCEEDED_MAX_SIZE', 'EBUSY', 'EMFILE', 'ENFILE', 'EAGAIN', 'EWOULDBLOCK', 'EINTR', 'ETXTBSY', 'ENOENT', 'EACCES',
  'EPERM', 'EISDIR', 'ENOTDIR', 'ENOSPC', 'EDQUOT', 'EROFS', 'ENAMETOOLONG', 'ELOOP', 'EEXIST', 'ENOTEMPTY', 'EXDEV', 'EBADF',
  'ECONNECTION', 'ESOCKET', 'EDNS', 'EMAXLIMIT', 'EAUTH', 'ENOAUTH', 'EENVELOPE', 'EMESSAGE', 'ETLS', 'EPROTOCOL', 'EREQUIRETLS',
  '40001', '40P01', '40002', '55P03', '55P04', '57P01', '57P02', '57P03', '57P04', '57014', '53300', '53400', '53200', '53100', '53500',
  '58000', '58030', '58P01', '08006', '08P01', '08000', '23505', '42601', '22P02', 'P1001', 'P1002', 'P1008', 'P1017', 'P2024',
  'P2034', 'P2002', 'P1003', 'P12345', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN', 'ER_QUERY_INTERRUPTED', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_NET_READ_INTERRUPTED',
  'ER_NET_WRITE_INTERRUPTED', 'ER_DUP_ENTRY', 'ER_PARSE_ERROR', 'ERR_BULWARK_IMAGE_DECODE', 'ERR_BULWARK_IMAGE_TOO_LARGE',
  'ERR_BULWARK_ATTEMPT_TIMEOUT', 'ERR_BULWARK_QUEUE_FULL', 'ERR_BULWARK_CIRCUIT_OPEN', 'ERR_BULWARK_INVALID_OPTION', 'EPIPE ', 'econnreset',
  'ABCDE', 'ABC1E', '', 'E',
];
const MESSAGES = [
  'Input buffer contains unsupported image format', 'VipsJpeg: Premature end of JPEG file', 'Input image exceeds pixel limit',
  'Upstream response truncated', 'corrupt', 'Connection terminated unexpectedly', 'Query read timeout', 'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool', 'fetch failed', 'Failed to fetch', 'Load failed', 'x is not a function', 'boom', '',
  'tiff2vips: bad', 'improper call to JPEG library in state 200',
];
const BRAND = Symbol.for('bulwark.error');

const headers = fc.option(
  fc.oneof(
    fc.record({ 'retry-after': fc.constantFrom('120', '0', 'Wed, 21 Oct 2015 07:28:00 GMT', 'soon', ' 5 ') }),
    fc.constant(new Headers({ 'retry-after': '3' })),
    fc.record({ 'Retry-After': fc.constantFrom(7, '8', ['9']) }),
  ),
  { nil: undefined },
);

/** One error-like value: an Error (or subclass, or DOMException) or a plain object, with any mix of the properties classifiers read. */
const leaf: fc.Arbitrary<unknown> = fc
  .record(
    {
      kind: fc.constantFrom('Error', 'TypeError', 'ReferenceError', 'SyntaxError', 'RangeError', 'object', 'DOMException'),
      message: fc.constantFrom(...MESSAGES),
      code: fc.option(fc.constantFrom(...CODES), { nil: undefined }),
      errorCode: fc.option(fc.constantFrom('P1001', 'P2002', 'ECONNRESET'), { nil: undefined }),
      sqlState: fc.option(fc.constantFrom('40001', '23505', 'HY000', '08S01', 'abcde', 'XX'), { nil: undefined }),
      errno: fc.option(fc.constantFrom(1213, 1062, -104, 2013, '1213'), { nil: undefined }),
      syscall: fc.option(fc.constantFrom('read', 'connect'), { nil: undefined }),
      sqlMessage: fc.option(fc.constant('Deadlock found'), { nil: undefined }),
      command: fc.option(fc.constantFrom('CONN', 'DATA'), { nil: undefined }),
      responseCode: fc.option(fc.constantFrom(220, 354, 421, 450, 535, 550, 600, 399, 451.5), { nil: undefined }),
      status: fc.option(fc.constantFrom(200, 404, 408, 429, 500, 503, 599, 600, 99, '503'), { nil: undefined }),
      response: fc.option(fc.record({ status: fc.constantFrom(502, 410), headers }), { nil: undefined }),
      headers,
      name: fc.option(fc.constantFrom('TimeoutError', 'AbortError', 'TypeError'), { nil: undefined }),
      brand: fc.boolean(),
      retryAfterMs: fc.option(fc.constantFrom(0, 1500, 'x'), { nil: undefined }),
    },
    { requiredKeys: ['kind', 'message'] },
  )
  .map(({ kind, message, brand, ...props }) => {
    const base: object =
      kind === 'object'
        ? { message }
        : kind === 'DOMException'
          ? new DOMException(message, props.name ?? 'TimeoutError')
          : new (globalThis[kind as 'Error'])(message);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || (kind === 'DOMException' && key === 'name')) continue;
      Object.defineProperty(base, key, { value, enumerable: true, writable: true, configurable: true });
    }
    if (brand) Object.defineProperty(base, BRAND, { value: true });
    return base;
  });

/** An error wrapping others: `cause` and/or `AggregateError`-style `errors`, two levels deep at most. */
const wrapped: fc.Arbitrary<unknown> = fc
  .tuple(leaf, fc.option(leaf, { nil: undefined }), fc.array(leaf, { maxLength: 3 }), fc.option(leaf, { nil: undefined }), fc.boolean())
  .map(([top, cause, errors, deep, aggregate]) => {
    if (cause !== undefined && deep !== undefined) Object.defineProperty(cause, 'cause', { value: deep, configurable: true });
    if (cause !== undefined) Object.defineProperty(top as object, 'cause', { value: cause, configurable: true });
    if (aggregate) Object.defineProperty(top as object, 'errors', { value: errors, configurable: true });
    return top;
  });

const DOMAINS = ['network', 'fileSystem', 'database', 'smtp', 'http', 'image', 'programming'] as const;

describe('the compact classifiers give the verdicts of the previous implementation', () => {
  it.each(DOMAINS)('classifiers.%s: the same verdict on any error, wrapped or not', (domain) => {
    fc.assert(
      fc.property(wrapped, (error) => {
        expect(classifiers[domain](error)).toEqual(v0[domain](error));
      }),
      { numRuns: 3000 },
    );
  });

  it('classifiers.bulwark and defaultClassifier: the same verdict on any error that wraps nothing', () => {
    fc.assert(
      fc.property(leaf, (error) => {
        expect(classifiers.bulwark(error)).toEqual(v0.bulwark(error));
        expect(defaultClassifier(error)).toEqual(v0Default(error));
      }),
      { numRuns: 20_000 },
    );
  });

  it('defaultClassifier on wrapped errors: the first value (breadth first) any domain recognises decides', () => {
    const domains = [classifiers.bulwark, classifiers.smtp, classifiers.http, classifiers.database, classifiers.fileSystem, classifiers.network, classifiers.image];
    fc.assert(
      fc.property(wrapped, (error) => {
        // The reference: walk the values in the documented order and ask every domain about each one alone.
        const values: unknown[] = [];
        const seen = new Set<unknown>();
        const add = (value: unknown): void => {
          if (typeof value === 'object' && value !== null && !seen.has(value)) {
            seen.add(value);
            values.push(value);
          }
        };
        add(error);
        for (let i = 0; i < values.length; i++) {
          const errors = (values[i] as { errors?: unknown }).errors;
          if (Array.isArray(errors)) errors.forEach(add);
          add((values[i] as { cause?: unknown }).cause);
        }
        // The value without what it wraps (getters still run on the value itself).
        const alone = (value: unknown): unknown =>
          typeof value !== 'object' || value === null
            ? value
            : new Proxy(value, { get: (target, key) => (key === 'cause' || key === 'errors' ? undefined : Reflect.get(target, key)) });
        let expected: unknown;
        for (const value of values) {
          for (const domain of domains) {
            expected = domain(alone(value));
            if (expected !== undefined) break;
          }
          if (expected !== undefined) break;
        }
        expect(defaultClassifier(error)).toEqual(expected ?? classifiers.programming(error));
      }),
      { numRuns: 5000 },
    );
  });

  it('changed on purpose: a wrapper is judged before what it wraps, across domains', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const missing = Object.assign(new Error('no such file', { cause: reset }), { code: 'ENOENT' });
    // v0 asked the file-system classifier about the whole chain first (wherever ENOENT was), then the
    // network one: the same here. The other way round, v0 still said ENOENT; now the outer error decides.
    expect(defaultClassifier(missing)).toEqual({ retriable: false, reason: 'file-system ENOENT' });
    const outer = Object.assign(new Error('request failed', { cause: Object.assign(new Error('gone'), { code: 'ENOENT' }) }), { code: 'ECONNRESET' });
    expect(v0Default(outer)).toEqual({ retriable: false, reason: 'file-system ENOENT' });
    expect(defaultClassifier(outer)).toEqual({ retriable: true, reason: 'network ECONNRESET' });
  });

  it("changed on purpose: bulwark's own errors are found inside cause chains", () => {
    const timeout = new Error('upload failed', { cause: new AttemptTimeoutError(100, 1) });
    expect(v0.bulwark(timeout)).toBeUndefined();
    expect(classifiers.bulwark(timeout)).toEqual({ retriable: true, reason: 'bulwark ERR_BULWARK_ATTEMPT_TIMEOUT' });
    const open = new Error('send failed', { cause: new CircuitOpenError(2500, 'smtp') });
    expect(defaultClassifier(open)).toEqual({ retriable: true, reason: 'bulwark ERR_BULWARK_CIRCUIT_OPEN', delayMs: 2500 });
    expect(defaultClassifier(new Error('wrapped', { cause: new PermanentError('stop') }))).toEqual({ retriable: false, reason: 'bulwark ERR_BULWARK_PERMANENT' });
  });
});

describe('hostile errors', () => {
  it('a `message` getter that throws never breaks a classifier', () => {
    const hostile = (ctor: ErrorConstructor): Error =>
      Object.defineProperty(new ctor('x'), 'message', {
        get: () => {
          throw new Error('getter');
        },
      });
    for (const error of [hostile(Error), hostile(TypeError), Object.create(DOMException.prototype) as Error]) {
      expect(() => defaultClassifier(error)).not.toThrow();
      for (const domain of DOMAINS) expect(() => classifiers[domain](error)).not.toThrow();
    }
    expect(defaultClassifier(hostile(TypeError))).toEqual({ retriable: false, reason: 'programming TypeError' });
  });
});

describe('hostile values inside what an error wraps (found by review)', () => {
  const revoked = (): object => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };
  const reset = (): Error => Object.assign(new Error('reset'), { code: 'ECONNRESET' });

  it('never throws: a revoked Proxy as the error, as its cause, as its errors, an errors list whose reading throws', () => {
    const trapThrows = new Proxy({}, { getPrototypeOf: () => { throw new Error('trap'); } });
    const listThrows = Object.defineProperty([reset()], 0, { get: () => { throw new Error('index'); } });
    const cases: unknown[] = [
      revoked(),
      trapThrows,
      new Error('x', { cause: revoked() }),
      Object.assign(new Error('x'), { errors: revoked() }),
      Object.assign(new Error('x'), { errors: listThrows }),
      Object.assign(new Error('x'), { errors: new Proxy([reset()], { get: () => { throw new Error('get'); } }) }),
      { status: 503, headers: { get: () => { throw new Error('headers'); } } },
      { status: 503, headers: { 'retry-after': revoked() } },
    ];
    for (const error of cases) {
      expect(() => defaultClassifier(error)).not.toThrow();
      for (const domain of DOMAINS) expect(() => classifiers[domain](error)).not.toThrow();
      expect(() => classifiers.bulwark(error)).not.toThrow();
    }
  });

  it('a hostile value has no opinion; the rest of the chain is still judged', () => {
    const error = Object.assign(new Error('outer', { cause: reset() }), { errors: revoked() });
    expect(defaultClassifier(error)).toEqual({ retriable: true, reason: 'network ECONNRESET' });
    const sibling = new AggregateError([revoked(), reset()], 'both');
    expect(defaultClassifier(sibling)).toEqual({ retriable: true, reason: 'network ECONNRESET' });
  });

  it('visits the error itself and at most 16 values it wraps', () => {
    let deep: Error = reset();
    for (let i = 0; i < 16; i++) deep = new Error(`level ${i}`, { cause: deep });
    expect(classifiers.network(deep)).toEqual({ retriable: true, reason: 'network ECONNRESET' });
    expect(classifiers.network(new Error('one more', { cause: deep }))).toBeUndefined();
  });
});
