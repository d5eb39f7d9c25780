import { describe, expect, it } from 'vitest';
import { createMailSender, isEmailDeliveryError } from '../../src/email/index.js';
import { HOSTILE, watchProcess, settleWithin, safeDescribe } from './hostile.js';

watchProcess();

describe('MailSender with hostile transport rejections', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    for (const breaker of [true, false]) {
      it(`sendMail rejects with ${name} (breaker ${breaker})`, async () => {
        const value = make();
        const dead: unknown[] = [];
        const mail = createMailSender(async () => { throw value; }, {
          maxAttempts: 2,
          initialDelayMs: 0,
          onRetry: () => { throw value; },
          logger: { info() {}, warn() {}, error() {} },
          circuitBreaker: breaker ? { consecutiveFailures: 1, onHookError: () => {} } : false,
          onDeadLetter: (l) => void dead.push(l),
        });
        const r = await settleWithin(mail.send({ to: 'a@b' }));
        if ('hung' in r) throw new Error('hung');
        if (r.ok) throw new Error('resolved');
        expect(isEmailDeliveryError(r.error), `got ${safeDescribe(r.error)}`).toBe(true);
        expect(typeof (r.error as Error).message).toBe('string');
        if (!(r.error as { circuitOpen: boolean }).circuitOpen) expect(dead.length).toBe(1);
        // second send: breaker open path
        const r2 = await settleWithin(mail.send({ to: 'a@b' }));
        if ('hung' in r2 || r2.ok) throw new Error('second send');
        expect(isEmailDeliveryError(r2.error), `second: ${safeDescribe(r2.error)}`).toBe(true);
      });
    }
  }
});
