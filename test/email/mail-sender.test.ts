// A real SMTP server (smtp-server) on localhost, nodemailer as the real client.
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { EmailDeliveryError, createMailSender, isEmailDeliveryError, type DeadLetter } from '../../src/email/index.js';
import type { Clock } from '../../src/index.js';
import { failOnUnhandledRejection } from '../helpers/unhandled.js';

failOnUnhandledRejection();

const servers: SMTPServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Replies to DATA with `replies[n]` for the n-th message (then 250), counting accepted messages. */
async function smtp(replies: number[], extra: Partial<SMTPServerOptions> = {}, port = 0): Promise<{ port: number; accepted: string[]; attempts: () => number }> {
  const accepted: string[] = [];
  let attempts = 0;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const reply = replies[attempts++];
        if (reply !== undefined && reply !== 250) {
          callback(Object.assign(new Error(`${reply} try again`), { responseCode: reply }));
          return;
        }
        accepted.push(Buffer.concat(chunks).toString('utf8'));
        void session;
        callback();
      });
    },
    ...extra,
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { port: (server.server.address() as AddressInfo).port, accepted, attempts: () => attempts };
}

/**
 * A front door on its own port, before a real SMTP server: while down it drops every connection at
 * once; once `up()` it forwards to `upstreamPort`. No port is closed and reused (another process
 * could take it). Counts the connections it received.
 */
async function frontDoor(upstreamPort: number): Promise<{ port: number; up: () => void; connections: () => number; close: () => Promise<void> }> {
  let open = false;
  let connections = 0;
  const front = net.createServer((socket) => {
    connections++;
    socket.on('error', () => undefined);
    if (!open) {
      socket.destroy();
      return;
    }
    const back = net.connect(upstreamPort, '127.0.0.1');
    back.on('error', () => socket.destroy());
    socket.pipe(back).pipe(socket);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (front.address() as AddressInfo).port,
    up: () => {
      open = true;
    },
    connections: () => connections,
    close: () => new Promise<void>((resolve) => front.close(() => resolve())),
  };
}

/**
 * A clock that records requested backoffs and waits 1 ms instead: exact backoff assertions, fast
 * tests. The attempt timeout and the send deadline (30 s and more here) keep their real length and
 * are not recorded: they are cancelled when the send ends.
 */
function recordingClock(): Clock & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => performance.now(),
    setTimeout: (cb, ms) => {
      if (ms >= 30_000) return setTimeout(cb, ms);
      delays.push(ms);
      return setTimeout(cb, 1);
    },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

function transport(port: number, auth?: { user: string; pass: string }) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, ...(auth ? { auth } : {}), connectionTimeout: 2000 });
}

const message = { from: 'thumbnails@example.com', to: 'user@example.com', subject: 'Your thumbnails are ready', text: '230 of 230' };

describe('createMailSender against a real SMTP server', () => {
  it('421, 421, then 250: delivered on the third attempt after 1000 and 2000 ms', async () => {
    const server = await smtp([421, 421]);
    const clock = recordingClock();
    const letters: unknown[] = [];
    const mail = createMailSender((m: typeof message) => transport(server.port).sendMail(m), { jitter: 'none', clock, onDeadLetter: (l) => void letters.push(l) });
    const info = await mail.send(message);
    expect(info.accepted).toEqual(['user@example.com']);
    expect(server.attempts()).toBe(3);
    expect(server.accepted).toHaveLength(1);
    expect(server.accepted[0]).toContain('Subject: Your thumbnails are ready');
    expect(clock.delays).toEqual([1000, 2000]);
    expect(letters).toEqual([]);
    expect(mail.metrics()).toEqual({ sent: 1, failed: 0, rejected: 0, attempts: 3, retries: 2, successRate: 1 });
  });

  it('451 once: delivered on the second attempt', async () => {
    const server = await smtp([451]);
    const mail = createMailSender((m: typeof message) => transport(server.port).sendMail(m), { jitter: 'none', clock: recordingClock() });
    await mail.send(message);
    expect(server.attempts()).toBe(2);
  });

  it.each([550, 551, 553, 554])('%i: one attempt, typed error with the SMTP code, dead-lettered once', async (code) => {
    const server = await smtp([code, code, code]);
    const letters: DeadLetter<typeof message>[] = [];
    const mail = createMailSender((m: typeof message) => transport(server.port).sendMail(m), { clock: recordingClock(), onDeadLetter: (l) => void letters.push(l) });
    const error = await mail.send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmailDeliveryError);
    expect(isEmailDeliveryError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_BULWARK_EMAIL_DELIVERY', responseCode: code, attempts: 1, permanent: true });
    expect(server.attempts()).toBe(1);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.message).toBe(message);
    expect(letters[0]?.error).toBe(error);
  });

  it('authentication failure: one attempt, EAUTH with 535, dead-lettered once', async () => {
    let logins = 0;
    const server = await smtp([], {
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(_auth, _session, callback) {
        logins++;
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
    });
    const letters: unknown[] = [];
    const mail = createMailSender((m: typeof message) => transport(server.port, { user: 'u', pass: 'wrong' }).sendMail(m), { clock: recordingClock(), onDeadLetter: (l) => void letters.push(l) });
    const error = await mail.send(message).catch((e: unknown) => e);
    expect(error).toMatchObject({ responseCode: 535, smtpCode: 'EAUTH', attempts: 1, permanent: true });
    expect(logins).toBe(1);
    expect(letters).toHaveLength(1);
  });

  it('451 every time: three attempts, then a typed error and one dead letter', async () => {
    const server = await smtp([451, 451, 451, 451]);
    const letters: unknown[] = [];
    const mail = createMailSender((m: typeof message) => transport(server.port).sendMail(m), { clock: recordingClock(), onDeadLetter: (l) => void letters.push(l) });
    const error = await mail.send(message).catch((e: unknown) => e);
    expect(error).toMatchObject({ responseCode: 451, attempts: 3, permanent: false });
    expect(server.attempts()).toBe(3);
    expect(letters).toHaveLength(1);
    expect(mail.metrics()).toMatchObject({ sent: 0, failed: 1, attempts: 3, retries: 2 });
  });

  it('server down, then up: delivered', async () => {
    const upstream = await smtp([]);
    const front = await frontDoor(upstream.port);
    const port = front.port;
    const errors: string[] = [];
    try {
      const mail = createMailSender((m: typeof message) => transport(port).sendMail(m), {
        jitter: 'none',
        clock: recordingClock(),
        onRetry: ({ error }) => {
          errors.push((error as { code?: string }).code ?? '');
          front.up();
        },
      });
      await mail.send(message);
    } finally {
      await front.close();
    }
    expect(errors).toHaveLength(1);
    expect(['ECONNECTION', 'ESOCKET']).toContain(errors[0]);
    expect(upstream.accepted).toHaveLength(1);
    expect(upstream.accepted[0]).toContain('Subject: Your thumbnails are ready');
  });

  it('a dead-letter callback that throws is reported on the error, not lost', async () => {
    const server = await smtp([550]);
    const mail = createMailSender((m: typeof message) => transport(server.port).sendMail(m), { onDeadLetter: () => { throw new Error('dead-letter store down'); } });
    const error = (await mail.send(message).catch((e: unknown) => e)) as EmailDeliveryError;
    expect(error.responseCode).toBe(550);
    expect((error.deadLetterError as Error).message).toBe('dead-letter store down');
  });
});

describe('createMailSender: timeouts, drops and a breaker, against a real smtp-server', () => {
  it('a server that accepts and stays silent: each attempt is cut at attemptTimeoutMs, the send ends at its deadline', async () => {
    // A real smtp-server that accepts each connection and never sends its greeting.
    let connections = 0;
    const silent = await smtp([], { onConnect: () => void connections++ });
    const letters: unknown[] = [];
    const mail = createMailSender((m: typeof message) => transport(silent.port).sendMail(m), {
      attemptTimeoutMs: 150,
      timeoutMs: 2_000,
      initialDelayMs: 10,
      jitter: 'none',
      circuitBreaker: false,
      onDeadLetter: (l) => void letters.push(l),
    });
    const error = (await mail.send(message).catch((e: unknown) => e)) as EmailDeliveryError;
    expect(isEmailDeliveryError(error)).toBe(true);
    expect(error.permanent).toBe(false);
    expect(error.attempts).toBe(3);
    expect((error.cause as { errors: Array<{ code?: string }> }).errors.map((e) => e.code)).toEqual(['ERR_BULWARK_ATTEMPT_TIMEOUT', 'ERR_BULWARK_ATTEMPT_TIMEOUT', 'ERR_BULWARK_ATTEMPT_TIMEOUT']);
    expect(letters).toHaveLength(1);
    expect(connections).toBe(3);
  });

  it("the caller's signal cancels the wait and the attempt at once", async () => {
    const silent = await smtp([], { onConnect: () => undefined });
    const server = { port: silent.port, close: async () => undefined };
    try {
      const mail = createMailSender((m: typeof message) => transport(server.port).sendMail(m), { circuitBreaker: false });
      const controller = new AbortController();
      const pending = mail.send(message, { signal: controller.signal });
      await new Promise((r) => setTimeout(r, 50));
      controller.abort(new Error('user navigated away'));
      await expect(pending).rejects.toThrow('user navigated away');
      expect(mail.metrics()).toMatchObject({ sent: 0, failed: 0 });
    } finally {
      await server.close();
    }
  });

  it('a connection dropped mid-DATA is retried and the message delivered once', async () => {
    // A real smtp-server whose first connection is cut as the message body arrives.
    let dropped = false;
    let accepted = 0;
    const instance: { server: SMTPServer | undefined } = { server: undefined };
    const real = await smtp([], {
      onData(stream, _session, callback) {
        if (!dropped) {
          dropped = true;
          stream.once('data', () => {
            for (const connection of (instance.server as unknown as { connections: Set<{ _socket: net.Socket }> }).connections) connection._socket.destroy();
          });
          stream.resume();
          return;
        }
        stream.resume();
        stream.on('end', () => {
          accepted++;
          callback();
        });
      },
    });
    instance.server = servers.at(-1);
    const server = { port: real.port, get accepted() { return accepted; }, close: async () => undefined };
    try {
      const errors: string[] = [];
      const mail = createMailSender((m: typeof message) => transport(server.port).sendMail(m), { initialDelayMs: 10, jitter: 'none', circuitBreaker: false, onRetry: ({ error }) => void errors.push((error as { code?: string }).code ?? '') });
      await expect(mail.send(message)).resolves.toMatchObject({ response: expect.stringContaining('250') });
      expect(errors).toHaveLength(1);
      expect(['ECONNECTION', 'ESOCKET', 'ECONNRESET']).toContain(errors[0]);
      expect(server.accepted).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('down, then up: the breaker opens after consecutive failures, sends fail fast without connecting, a probe closes it', async () => {
    let t = 0;
    const clock: Clock = { now: () => t, setTimeout: (cb) => setTimeout(cb, 1), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    const { CircuitBreaker } = await import('../../src/index.js');
    const breaker = new CircuitBreaker({ consecutiveFailures: 2, cooldownMs: 10_000, clock });
    const events: string[] = [];
    for (const type of ['open', 'halfOpen', 'close'] as const) breaker.on(type, (e) => events.push(e.type));
    // Down: every connection is dropped at once by the front door; once up, it forwards to smtp-server.
    const real = await smtp([]);
    const front = await frontDoor(real.port);
    const port = front.port;
    try {
      const mail = createMailSender((m: typeof message) => transport(port).sendMail(m), { maxAttempts: 1, circuitBreaker: breaker, timeoutMs: 60_000 });
      for (let i = 0; i < 2; i++) await expect(mail.send(message)).rejects.toMatchObject({ permanent: false, circuitOpen: false });
      expect(breaker.state).toBe('open');
      const fast = (await mail.send(message).catch((e: unknown) => e)) as EmailDeliveryError;
      expect(fast).toMatchObject({ circuitOpen: true, retryAfterMs: 10_000, attempts: 0 });
      expect(front.connections()).toBe(2); // failing fast: no third connection
      front.up();
      t += 10_000;
      await expect(mail.send(message)).resolves.toBeDefined();
      expect(events).toEqual(['open', 'halfOpen', 'close']);
      expect(mail.metrics()).toMatchObject({ sent: 1, failed: 2, rejected: 1 });
    } finally {
      await front.close();
    }
  });
});

describe('createMailSender: found by the adversarial review', () => {
  const reply421 = (): Error => Object.assign(new Error('421 busy'), { responseCode: 421 });

  it('a probe that hangs is cut by attemptTimeoutMs and frees the breaker (0.2-pre stayed half-open for good)', async () => {
    let t = 0;
    const clock: Clock = { now: () => t, setTimeout: (cb, ms) => setTimeout(cb, Math.min(ms, 20)), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    const { CircuitBreaker } = await import('../../src/index.js');
    const breaker = new CircuitBreaker({ consecutiveFailures: 2, cooldownMs: 50, clock });
    let mode: 'fail' | 'hang' | 'ok' = 'fail';
    const mail = createMailSender(() => (mode === 'fail' ? Promise.reject(reply421()) : mode === 'hang' ? new Promise<never>(() => undefined) : Promise.resolve('sent')), { maxAttempts: 1, attemptTimeoutMs: 30, circuitBreaker: breaker, clock });
    await mail.send(message).catch(() => undefined);
    await mail.send(message).catch(() => undefined);
    expect(breaker.state).toBe('open');
    t += 50;
    mode = 'hang';
    await expect(mail.send(message)).rejects.toMatchObject({ circuitOpen: false });
    expect(breaker.state).toBe('open'); // the timed-out probe counted and reopened the circuit
    t += 100;
    mode = 'ok';
    await expect(mail.send(message)).resolves.toBe('sent');
    expect(breaker.state).toBe('closed');
  });

  it('a retry that runs into the open circuit is a circuit-open rejection, never dead-lettered as permanent', async () => {
    const letters: unknown[] = [];
    const mail = createMailSender(() => Promise.reject(reply421()), { maxAttempts: 3, initialDelayMs: 1, jitter: 'none', circuitBreaker: { consecutiveFailures: 2, cooldownMs: 60_000 }, onDeadLetter: (l) => void letters.push(l) });
    const error = (await mail.send(message).catch((e: unknown) => e)) as EmailDeliveryError;
    expect(error).toMatchObject({ circuitOpen: true, permanent: false, attempts: 2 });
    expect(letters).toEqual([]);
    expect(mail.metrics()).toMatchObject({ sent: 0, failed: 0, rejected: 1, attempts: 2, retries: 1 });
  });

  it("the caller's cancellations neither open the breaker nor count as retries", async () => {
    const mail = createMailSender((_m: typeof message, { signal }) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))), { circuitBreaker: { consecutiveFailures: 2 } });
    for (let i = 0; i < 3; i++) {
      const controller = new AbortController();
      const pending = mail.send(message, { signal: controller.signal });
      controller.abort(new Error('cancelled'));
      await pending.catch(() => undefined);
    }
    expect(mail.breaker?.state).toBe('closed');
    expect(mail.metrics()).toMatchObject({ sent: 0, failed: 0, attempts: 3, retries: 0 });
  });
});
