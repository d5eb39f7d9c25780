import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  AttemptTimeoutError,
  InvalidOptionError,
  PermanentError,
  QueueFullError,
  classifiers,
  composeClassifiers,
  createHttpClassifier,
  defaultClassifier,
  parseRetryAfter,
  withFallback,
  type ErrorClassifier,
  type Verdict,
} from '../../src/index.js';

const err = (code: string, extra: Record<string, unknown> = {}, message = code): Error => Object.assign(new Error(message), { code, ...extra });
const R = (reason: string, delayMs?: number): Verdict => (delayMs === undefined ? { retriable: true, reason } : { retriable: true, reason, delayMs });
const P = (reason: string): Verdict => ({ retriable: false, reason });

type Row = [name: string, error: unknown, expected: Verdict | undefined];
function table(classifier: ErrorClassifier, rows: Row[]): void {
  it.each(rows)('%s', (_name, error, expected) => {
    expect(classifier(error)).toEqual(expected);
  });
}

/** A real ECONNREFUSED from connecting to a port nobody listens on. */
async function realConnRefused(): Promise<unknown> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', resolve);
  });
}

describe('network classifier', () => {
  table(classifiers.network, [
    ['ECONNRESET', err('ECONNRESET', { errno: -104, syscall: 'read' }), R('network ECONNRESET')],
    ['ETIMEDOUT', err('ETIMEDOUT', { syscall: 'connect' }), R('network ETIMEDOUT')],
    ['ECONNREFUSED', err('ECONNREFUSED'), R('network ECONNREFUSED')],
    ['EPIPE', err('EPIPE', { syscall: 'write' }), R('network EPIPE')],
    ['EAI_AGAIN', err('EAI_AGAIN', { syscall: 'getaddrinfo', hostname: 'db' }), R('network EAI_AGAIN')],
    ['ENETUNREACH', err('ENETUNREACH'), R('network ENETUNREACH')],
    ['EHOSTUNREACH', err('EHOSTUNREACH'), R('network EHOSTUNREACH')],
    ['undici fetch failed with cause', new TypeError('fetch failed', { cause: err('UND_ERR_CONNECT_TIMEOUT') }), R('network UND_ERR_CONNECT_TIMEOUT')],
    ['undici socket error', new TypeError('fetch failed', { cause: err('UND_ERR_SOCKET') }), R('network UND_ERR_SOCKET')],
    ['AggregateError of connection attempts', new AggregateError([err('ECONNREFUSED'), err('ECONNREFUSED')], ''), R('network ECONNREFUSED')],
    ['AbortSignal.timeout DOMException', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), R('network timeout')],
    ['ENOTFOUND is permanent', err('ENOTFOUND', { syscall: 'getaddrinfo' }), P('network ENOTFOUND')],
    ['bad certificate is permanent', err('CERT_HAS_EXPIRED'), P('network CERT_HAS_EXPIRED')],
    ['invalid URL is permanent', new TypeError('Invalid URL', { cause: err('ERR_INVALID_URL') }), P('network ERR_INVALID_URL')],
    ['an unrelated error', new Error('nope'), undefined],
    ['a string', 'ECONNRESET', undefined],
    ['null', null, undefined],
  ]);

  it('recognises a real ECONNREFUSED from node:net', async () => {
    expect(classifiers.network(await realConnRefused())).toEqual(R('network ECONNREFUSED'));
  });

  it('recognises a real fetch failure against a closed port', async () => {
    const refused = (await realConnRefused()) as { port: number };
    const error = await fetch(`http://127.0.0.1:${refused.port}/`).catch((e: unknown) => e);
    expect(classifiers.network(error)).toEqual(R('network ECONNREFUSED'));
  });
});

describe('file-system classifier', () => {
  table(classifiers.fileSystem, [
    ...(['EBUSY', 'EMFILE', 'ENFILE', 'EAGAIN'] as const).map((c): Row => [c, err(c, { syscall: 'open', path: '/x' }), R(`file-system ${c}`)]),
    ...(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOSPC', 'ENOTDIR', 'EROFS'] as const).map((c): Row => [c, err(c, { syscall: 'open', path: '/x' }), P(`file-system ${c}`)]),
    ['a message mentioning ENOENT without the code', new Error('ENOENT: no such file'), undefined],
    ['an unknown code', err('EWHATEVER'), undefined],
  ]);

  it('recognises a real ENOENT from fs.readFile', async () => {
    const error = await readFile('/definitely/not/here.png').catch((e: unknown) => e);
    expect(classifiers.fileSystem(error)).toEqual(P('file-system ENOENT'));
  });
});

describe('database classifier', () => {
  const pg = (code: string): Error => err(code, { severity: 'ERROR', routine: 'x' }, `pg ${code}`);
  table(classifiers.database, [
    ['pg serialization failure 40001', pg('40001'), R('database SQLSTATE 40001')],
    ['pg deadlock 40P01', pg('40P01'), R('database SQLSTATE 40P01')],
    ['pg connection failure 08006', pg('08006'), R('database SQLSTATE 08006 (connection)')],
    ['pg connection does not exist 08003', pg('08003'), R('database SQLSTATE 08003 (connection)')],
    ['pg admin shutdown 57P01', pg('57P01'), R('database SQLSTATE 57P01')],
    ['pg too many connections 53300', pg('53300'), R('database SQLSTATE 53300')],
    ['pg unique violation 23505', pg('23505'), P('database SQLSTATE 23505')],
    ['pg syntax error 42601', pg('42601'), P('database SQLSTATE 42601')],
    ['pg statement timeout 57014', pg('57014'), P('database SQLSTATE 57014')],
    ['Prisma P1001 cannot reach server', err('P1001', { clientVersion: '5.0.0' }), R('database Prisma P1001')],
    ['Prisma P1002', err('P1002'), R('database Prisma P1002')],
    ['Prisma P1008', err('P1008'), R('database Prisma P1008')],
    ['Prisma P1017', err('P1017'), R('database Prisma P1017')],
    ['Prisma P2024 pool timeout', err('P2024'), R('database Prisma P2024')],
    ['Prisma P2034 write conflict', err('P2034'), R('database Prisma P2034')],
    ['Prisma P2002 unique constraint', err('P2002', { meta: { target: ['email'] } }), P('database Prisma P2002')],
    ['Prisma P2025 record not found', err('P2025'), P('database Prisma P2025')],
    ['PrismaClientInitializationError errorCode', Object.assign(new Error('Can\'t reach database server'), { errorCode: 'P1001' }), R('database Prisma P1001')],
    ['MySQL deadlock', err('ER_LOCK_DEADLOCK', { errno: 1213, sqlState: '40001', sqlMessage: 'Deadlock found' }), R('database MySQL ER_LOCK_DEADLOCK')],
    ['MySQL lock wait timeout', err('ER_LOCK_WAIT_TIMEOUT', { errno: 1205, sqlMessage: 'Lock wait timeout' }), R('database MySQL ER_LOCK_WAIT_TIMEOUT')],
    ['MySQL duplicate entry', err('ER_DUP_ENTRY', { errno: 1062, sqlState: '23000', sqlMessage: 'Duplicate' }), P('database MySQL ER_DUP_ENTRY')],
    ['MySQL connection lost', err('PROTOCOL_CONNECTION_LOST'), R('database MySQL PROTOCOL_CONNECTION_LOST')],
    ['pg lost connection (no code)', new Error('Connection terminated unexpectedly'), R('database pg connection lost')],
    ['pg client not queryable after a connection error', new Error('Client has encountered a connection error and is not queryable'), R('database pg connection lost')],
    ['pg-pool connect timeout', new Error('timeout exceeded when trying to connect'), R('database pg connection lost')],
    ['pg query_timeout', new Error('Query read timeout'), R('database pg connection lost')],
    ['pg pool used after end()', new Error('Cannot use a pool after calling end on the pool'), P('database pg client closed')],
    ['a message merely containing pg\'s is not matched', new Error('Connection terminated unexpectedly by my own code path'), undefined],
    ['pg\'s message with a code of its own is left to that code', err('EOTHER', {}, 'Connection terminated unexpectedly'), undefined],
    ['EPIPE is not a SQLSTATE', err('EPIPE', { syscall: 'write' }), undefined],
    ['EBUSY is not a SQLSTATE', err('EBUSY'), undefined],
  ]);
});

describe('smtp classifier', () => {
  const smtp = (responseCode: number, code = 'EENVELOPE'): Error => err(code, { responseCode, command: 'RCPT TO', response: `${responseCode} x` });
  table(classifiers.smtp, [
    ...[421, 450, 451, 452, 454].map((c): Row => [`${c} reply`, smtp(c), R(`smtp ${c}`)]),
    ...[550, 551, 552, 553, 554].map((c): Row => [`${c} reply`, smtp(c), P(`smtp ${c}`)]),
    ['535 auth failed', smtp(535, 'EAUTH'), P('smtp 535')],
    ['EAUTH without reply code', err('EAUTH', { command: 'AUTH PLAIN' }), P('smtp EAUTH')],
    ['ECONNECTION', err('ECONNECTION', { command: 'CONN' }), R('smtp ECONNECTION')],
    ['ESOCKET', err('ESOCKET'), R('smtp ESOCKET')],
    ['ETIMEDOUT from nodemailer', err('ETIMEDOUT', { command: 'CONN' }), R('smtp ETIMEDOUT')],
    ['plain ETIMEDOUT is left to the network classifier', err('ETIMEDOUT'), undefined],
    ['EENVELOPE no recipients', err('EENVELOPE', { command: 'API' }), P('smtp EENVELOPE')],
  ]);
});

describe('http classifier', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  const http = createHttpClassifier({ now: () => now });
  table(http, [
    ...[408, 425, 429, 500, 502, 503, 504].map((s): Row => [`status ${s}`, Object.assign(new Error(), { status: s }), R(`http ${s}`)]),
    ...[400, 401, 403, 404, 409, 422, 501].map((s): Row => [`status ${s}`, Object.assign(new Error(), { status: s }), P(`http ${s}`)]),
    ['statusCode (http-errors)', Object.assign(new Error(), { statusCode: 503 }), R('http 503')],
    ['axios-shaped response.status with Retry-After seconds', Object.assign(new Error(), { response: { status: 429, headers: { 'retry-after': '7' } } }), R('http 429', 7000)],
    ['got-shaped response.statusCode', Object.assign(new Error(), { response: { statusCode: 502, headers: {} } }), R('http 502')],
    ['fetch Response 503 with Retry-After date', new Response(null, { status: 503, headers: { 'Retry-After': 'Wed, 25 Nov 2026 12:00:30 GMT' } }), R('http 503', 30_000)],
    ['Retry-After date in the past', new Response(null, { status: 503, headers: { 'Retry-After': 'Wed, 25 Nov 2026 11:00:00 GMT' } }), R('http 503', 0)],
    ['garbage Retry-After ignored', new Response(null, { status: 429, headers: { 'Retry-After': 'soon-ish 12' } }), R('http 429')],
    ['fetch Response 200', new Response('ok'), undefined],
    ['a status that is not HTTP', Object.assign(new Error(), { status: 'failed' }), undefined],
  ]);

  it('parses Retry-After forms', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });

  it('accepts custom retriable statuses', () => {
    expect(createHttpClassifier({ retriableStatuses: [409] })({ status: 409 })).toEqual(R('http 409'));
    expect(createHttpClassifier({ retriableStatuses: [409] })({ status: 503 })).toEqual(P('http 503'));
  });
});

describe('image classifier', () => {
  table(classifiers.image, [
    ['unsupported format', new Error('Input buffer contains unsupported image format'), P('image contains unsupported image format')],
    ['premature end', new Error('VipsJpeg: Premature end of JPEG file'), P('image vipsjpeg')],
    ['corrupt', new Error('pngload_buffer: libpng read error: IDAT: incorrect data check (corrupt)'), P('image libpng read error')],
    ['pixel limit', new Error('Input image exceeds pixel limit'), P('image input image exceeds pixel limit')],
    ['empty buffer', new Error('Input Buffer is empty'), P('image input buffer is empty')],
    ['failOn without detail', new Error('Warning treated as error due to failOn setting'), P('image warning treated as error due to failon')],
    ['a generic "truncated" is not an image error', new Error('Upstream response truncated'), undefined],
    ['a generic "corrupt" is not an image error', new Error('cache entry corrupt'), undefined],
    ['a coded error is not judged by its message', err('EBUSY', {}, 'corrupt'), undefined],
    ['an unrelated message', new Error('socket hang up'), undefined],
  ]);
});

describe('bulwark classifier and composition', () => {
  it('judges bulwark errors by code', () => {
    expect(classifiers.bulwark(new AttemptTimeoutError(10, 1))).toEqual(R('bulwark ERR_BULWARK_ATTEMPT_TIMEOUT'));
    expect(classifiers.bulwark(new QueueFullError(1, 1))).toEqual(R('bulwark ERR_BULWARK_QUEUE_FULL'));
    expect(classifiers.bulwark(new InvalidOptionError('x', 'y', 1))).toEqual(P('bulwark ERR_BULWARK_INVALID_OPTION'));
    expect(classifiers.bulwark(new PermanentError('stop'))).toEqual(P('bulwark ERR_BULWARK_PERMANENT'));
    expect(classifiers.bulwark(new Error('x'))).toBeUndefined();
  });

  it('composeClassifiers returns the first opinion, in order', () => {
    const calls: string[] = [];
    const a: ErrorClassifier = () => {
      calls.push('a');
      return undefined;
    };
    const b: ErrorClassifier = () => {
      calls.push('b');
      return P('b');
    };
    const c: ErrorClassifier = () => {
      calls.push('c');
      return R('c');
    };
    expect(composeClassifiers(a, b, c)(new Error())).toEqual(P('b'));
    expect(calls).toEqual(['a', 'b']);
    expect(composeClassifiers()(new Error())).toBeUndefined();
    expect(withFallback(a, P('fallback'))(1)).toEqual(P('fallback'));
  });

  it('defaultClassifier covers every kind and leaves the unknown undefined', () => {
    expect(defaultClassifier(err('ECONNRESET'))).toEqual(R('network ECONNRESET'));
    expect(defaultClassifier(err('ENOENT'))).toEqual(P('file-system ENOENT'));
    expect(defaultClassifier(err('P2034'))).toEqual(R('database Prisma P2034'));
    expect(defaultClassifier(err('EENVELOPE', { responseCode: 451 }))).toEqual(R('smtp 451'));
    expect(defaultClassifier({ status: 404 })).toEqual(P('http 404'));
    expect(defaultClassifier(new Error('Input buffer contains unsupported image format'))).toEqual(P('image contains unsupported image format'));
    expect(defaultClassifier('a string')).toBeUndefined();
    expect(defaultClassifier(undefined)).toBeUndefined();
    // A getter that throws does not break classification.
    const hostile = Object.defineProperty(new Error('x'), 'code', { get: () => { throw new Error('getter'); } });
    expect(defaultClassifier(hostile)).toBeUndefined();
  });
});
