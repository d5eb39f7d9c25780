// Minimal reproductions of what a sweep of hostile thrown values found (one per finding); each failed
// before its fix ("before:" says how). The other files here sweep every value of ./hostile.ts over each area.
import { describe, expect, it } from 'vitest';
import { ConcurrencyManager, retry, isRetryExhaustedError, isQueueClearedError } from '../../src/index.js';
import { MemoryJobSource, QueueProcessor } from '../../src/queue/index.js';
import { createMailSender } from '../../src/email/index.js';
import { revoked, watchProcess, settleWithin, safeDescribe } from './hostile.js';

const proc = watchProcess();

describe('F1 default onHookError (warnHookError)', () => {
  it('crashes the process on an Error whose message getter throws (ConcurrencyManager listener)', async () => {
    const bad = new Error('x');
    Object.defineProperty(bad, 'message', { get() { throw new Error('message getter'); } });
    const m = new ConcurrencyManager();
    m.on('completed', () => { throw bad; });
    await m.run(() => 'ok');
    await new Promise((r) => setTimeout(r, 10));
    expect(proc.seen).toEqual([]); // before: [['uncaughtException', 'Error: message getter']]
    proc.seen.length = 0;
  });
  it('drops a revoked Proxy silently: no warning at all', async () => {
    const warnings: unknown[] = [];
    const onWarning = (w: unknown): void => void warnings.push(w);
    process.on('warning', onWarning);
    const m = new ConcurrencyManager();
    m.on('completed', () => { throw revoked(); });
    await m.run(() => 'ok');
    await new Promise((r) => setTimeout(r, 10));
    process.off('warning', onWarning);
    expect(warnings.length).toBe(1); // before: 0
  });
});

describe('F2 messageOf returns a non-string', () => {
  it('retry rejects with its own TypeError instead of RetryExhaustedError', async () => {
    const bad = new Error('x');
    Object.defineProperty(bad, 'message', { value: Object.create(null) });
    let caught: unknown;
    try { await retry(() => { throw bad; }, { maxAttempts: 1 }); } catch (e) { caught = e; }
    expect(isRetryExhaustedError(caught), safeDescribe(caught)).toBe(true); // before: TypeError: Cannot convert object to primitive value
  });
  it('with any hook set, retry stops after the first attempt (the log line throws)', async () => {
    const bad = new Error('x');
    Object.defineProperty(bad, 'message', { value: Symbol('m') });
    let attempts = 0;
    let caught: unknown;
    try { await retry(() => { attempts++; throw bad; }, { maxAttempts: 3, initialDelayMs: 0, onRetry: () => {} }); } catch (e) { caught = e; }
    expect({ attempts, exhausted: isRetryExhaustedError(caught) }).toEqual({ attempts: 3, exhausted: true }); // before: 1 attempt, TypeError
  });
  it('MailSender: EmailDeliveryError.cause is bulwark\'s TypeError, not the transport error', async () => {
    const bad = Object.assign(new Error('x'), { responseCode: 421 });
    Object.defineProperty(bad, 'message', { value: Symbol('m') });
    const mail = createMailSender(() => Promise.reject(bad), { maxAttempts: 2, initialDelayMs: 0, circuitBreaker: false });
    let caught: { cause?: { cause?: unknown }; permanent?: boolean; responseCode?: number } | undefined;
    try { await mail.send({}); } catch (e) { caught = e as never; }
    expect({ permanent: caught?.permanent, responseCode: caught?.responseCode, last: caught?.cause?.cause === bad }).toEqual({ permanent: false, responseCode: 421, last: true });
  });
});

describe('F3 retry awaits a permanent failure', () => {
  const permanent = { classifier: () => ({ retriable: false as const, reason: 'nope' }) };
  it('a revoked Proxy becomes a TypeError', async () => {
    const value = revoked();
    let caught: unknown;
    try { await retry(() => { throw value; }, permanent); } catch (e) { caught = e; }
    expect(caught === value, safeDescribe(caught)).toBe(true);
  });
  it('a thrown pending Promise makes retry hang forever', async () => {
    const r = await settleWithin(retry(() => { throw new Promise(() => {}); }, permanent), 1000);
    expect('hung' in r).toBe(false);
  });
  it('...and MailSender.send hangs past its own timeoutMs deadline', async () => {
    const mail = createMailSender(() => Promise.reject(new Promise(() => {})), { classifier: () => ({ retriable: false, reason: 'p' }), timeoutMs: 200, circuitBreaker: false });
    const r = await settleWithin(mail.send({}), 1500);
    expect('hung' in r).toBe(false);
  });
});

describe('F4 retry hook returning an uninspectable value', () => {
  it('onSuccess returning a revoked Proxy turns a success into a rejection', async () => {
    const r = await settleWithin(retry(() => 'value', { onSuccess: () => revoked() as never, onHookError: () => {} }));
    expect(r).toEqual({ ok: true, value: 'value' }); // before: rejected with TypeError
  });
});

describe('F5 QueueProcessor#fail instanceof on the error', () => {
  it('handler throwing a revoked Proxy: unhandled rejection, job never settled', async () => {
    const source = new MemoryJobSource<number>();
    source.add(1);
    const w = new QueueProcessor(source, () => { throw revoked(); }, { retry: { maxAttempts: 1 }, maxDeliveries: 1 });
    await w.runOnce();
    await new Promise((r) => setTimeout(r, 10));
    const seen = proc.seen.splice(0);
    expect({ seen, dead: source.deadLettered.length }).toEqual({ seen: [], dead: 1 });
  });
  it('permanent error whose cause getter throws', async () => {
    const bad = new TypeError('bug');
    Object.defineProperty(bad, 'cause', { get() { throw new Error('cause getter'); } });
    const source = new MemoryJobSource<number>();
    source.add(1);
    const w = new QueueProcessor(source, () => { throw bad; }, { retry: { maxAttempts: 1 } });
    await w.runOnce();
    await new Promise((r) => setTimeout(r, 10));
    const seen = proc.seen.splice(0);
    expect({ seen, dead: source.deadLettered.length }).toEqual({ seen: [], dead: 1 });
  });
});

describe('F6 ConcurrencyManager.clear(reason) with an unreadable reason', () => {
  it('throws, and the queued task it flagged never settles', async () => {
    const m = new ConcurrencyManager({ concurrency: 1 });
    let release!: () => void;
    const first = m.run(() => new Promise<void>((r) => (release = r)));
    const queued = settleWithin(m.run(() => 'never'), 1000);
    let threw: unknown;
    try { m.clear(Object.create(null)); } catch (e) { threw = e; }
    release();
    await first;
    const r = await queued;
    const idle = await settleWithin(m.onIdle(), 200);
    expect({
      threw: threw === undefined ? 'no' : safeDescribe(threw),
      queued: 'hung' in r ? 'hung' : !r.ok && isQueueClearedError(r.error) ? 'QueueClearedError' : 'other',
      status: m.status().queued,
      idle: 'hung' in idle ? 'hung' : 'idle',
    }).toEqual({ threw: 'no', queued: 'QueueClearedError', status: 0, idle: 'idle' });
  });
});
