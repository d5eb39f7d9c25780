import { bulwarkClassifier } from '../classifiers/bulwark.js';
import { composeClassifiers, type ErrorClassifier } from '../classifiers/classifier.js';
import { prop, stringCode } from '../classifiers/inspect.js';
import { networkClassifier } from '../classifiers/network.js';
import { smtpClassifier } from '../classifiers/smtp.js';
import { EmailDeliveryError } from './email-delivery-error.js';
import { isCircuitOpenError, isRetryExhaustedError } from '../errors/guards.js';
import { AttemptTimeoutError } from '../errors/attempt-timeout-error.js';
import { RetryExhaustedError } from '../errors/retry-exhausted-error.js';
import { CircuitBreaker } from '../circuit/circuit-breaker.js';
import type { CircuitBreakerOptions } from '../circuit/options.js';
import { abortReason } from '../internal/abort.js';
import { startTimer, systemClock } from '../internal/clock.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { messageOf } from '../errors/message.js';
import type { SignalOptions } from '../internal/options.js';
import { number, optionalFunction, optionalSignal } from '../internal/validate.js';
import type { AttemptContext, RetryOptions } from '../retry/options.js';
import type { RetryOutcome } from '../retry/retry.js';
import { RetryService } from '../retry/retry-service.js';

/** A message that finally failed, handed to `onDeadLetter`. */
export interface DeadLetter<M> {
  /** The message as it was given to `send`. */
  readonly message: M;
  /** Why it failed, with the SMTP code. */
  readonly error: EmailDeliveryError;
}

/** The retry options a mail sender passes on to its `RetryService`, with the same defaults. */
type MailRetryOptions = Pick<RetryOptions, 'maxAttempts' | 'initialDelayMs' | 'factor' | 'maxDelayMs' | 'jitter' | 'logger' | 'onRetry' | 'clock'>;
const RETRY_KEYS: readonly (keyof MailRetryOptions)[] = ['maxAttempts', 'initialDelayMs', 'factor', 'maxDelayMs', 'jitter', 'logger', 'onRetry', 'clock'];

/** What `send` receives besides the message: the attempt's signal, to pass on where the transport can use it. */
export interface MailAttemptContext {
  /** Aborts when the attempt times out, the deadline passes or the caller aborts. */
  readonly signal: AbortSignal;
  /** The 1-based attempt. */
  readonly attempt: number;
}

/**
 * Options of {@link createMailSender}: the retry options (`maxAttempts`, `initialDelayMs`, `factor`,
 * `maxDelayMs`, `jitter`, `logger`, `onRetry`, `clock`, documented on `RetryOptions`, with the same
 * defaults), timeouts, a circuit breaker, an SMTP-aware `classifier`, and the dead-letter callback.
 */
export interface MailSenderOptions<M> extends MailRetryOptions {
  /**
   * Decides retriable vs permanent. 4xx replies and dropped connections retry; 5xx replies and
   * authentication failures do not.
   * @default composeClassifiers(classifiers.smtp, classifiers.network, classifiers.bulwark)
   */
  readonly classifier?: ErrorClassifier;
  /**
   * One attempt's limit, in milliseconds: its signal aborts and the attempt counts as a retriable
   * failure. nodemailer's own timeouts (greeting 30 s, socket 10 min) can leave a send against a
   * server that accepts and goes silent hanging for ~30 minutes; this bounds it. Minimum: `1`.
   * @default 30000
   */
  readonly attemptTimeoutMs?: number;
  /**
   * The deadline of one `send`, attempts and backoffs included, in milliseconds: past it the attempt
   * in flight is abandoned and the send fails (dead-lettered like any final failure). Minimum: `1`.
   * @default 120000
   */
  readonly timeoutMs?: number;
  /**
   * Stops hammering a server that is down: a `CircuitBreaker`, options for one, or `false`. While the
   * circuit is open, `send` fails fast with an `EmailDeliveryError` whose `circuitOpen` is `true` and
   * `retryAfterMs` says when to try again; such a message was never attempted and is **not**
   * dead-lettered (reschedule it). Only failures the classifier calls retriable count (a 421, a
   * refused connection), not a 550.
   * @default { consecutiveFailures: 5, cooldownMs: 30000 }
   */
  readonly circuitBreaker?: CircuitBreaker | CircuitBreakerOptions | false;
  /**
   * Called once for a message that finally failed (permanently, or after the last retry, or at the
   * deadline) — not when the send was aborted or the circuit was open. Awaited before `send` rejects.
   * @default undefined
   * @example
   * ```ts
   * onDeadLetter: ({ message, error }) => db.failedEmails.create({ data: { to: message.to, code: error.responseCode } })
   * ```
   */
  readonly onDeadLetter?: (letter: DeadLetter<M>) => void | Promise<void>;
  /**
   * Names a message in log lines, e.g. `(m) => \`Sending email to ${m.to}\``.
   * @default () => 'Sending email'
   */
  readonly describe?: (message: M) => string;
}

/** Counters of a mail sender. */
export interface MailSenderMetrics {
  /** Messages delivered. */
  readonly sent: number;
  /** Messages that finally failed (and were dead-lettered). */
  readonly failed: number;
  /** Messages refused at once because the circuit was open (not dead-lettered). */
  readonly rejected: number;
  /** Attempts made, first attempts included. */
  readonly attempts: number;
  /** Retries made. */
  readonly retries: number;
  /** `sent / (sent + failed)`, `1` before any message. */
  readonly successRate: number;
}

/** A `send` function wrapped with retries, timeouts, a circuit breaker, the SMTP classifier and a dead-letter callback. */
export interface MailSender<M, I> {
  /**
   * Sends one message. Resolves with the transport's info (nodemailer: `{ messageId, response, … }`).
   * Rejects with an {@link EmailDeliveryError} (after `onDeadLetter` unless the circuit was open), or
   * the signal's reason when the caller aborts (the attempt in flight is abandoned at once).
   */
  send(message: M, options?: SignalOptions): Promise<I>;
  /** Counters since creation. */
  metrics(): MailSenderMetrics;
  /** The circuit breaker, when there is one: its `state`, `status()`, `on('open' | 'halfOpen' | 'close' | 'reject')`. */
  readonly breaker: CircuitBreaker | undefined;
}

/** Read through a function: TypeScript would keep an earlier check's narrowing of `aborted`. */
const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

const smtpDefault = /* @__PURE__ */ composeClassifiers(smtpClassifier, networkClassifier, bulwarkClassifier);

/**
 * Wraps any `send(message) => Promise<info>` — a nodemailer transporter's `sendMail` is the
 * reference — with retries decided by the SMTP classifier: `421`/`450`/`451`/`452` replies and dropped
 * connections retry with backoff; `550`–`554` and authentication failures fail at once with an
 * {@link EmailDeliveryError} carrying the SMTP code. Every attempt is bounded (`attemptTimeoutMs`),
 * every send has a deadline (`timeoutMs`), a server that keeps failing trips a circuit breaker, and
 * messages that finally fail go to `onDeadLetter`.
 *
 * @example
 * ```ts
 * const transporter = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });
 * const mail = createMailSender((m: Mail.Options) => transporter.sendMail(m), {
 *   onDeadLetter: ({ message, error }) => log.error({ to: message.to, code: error.responseCode }, 'email dead-lettered'),
 * });
 * await mail.send({ to: 'user@example.com', subject: 'Your thumbnails are ready', text: '…' });
 * ```
 */
export function createMailSender<M, I>(send: (message: M, context: MailAttemptContext) => Promise<I> | I, options: MailSenderOptions<M> = {}): MailSender<M, I> {
  if (typeof send !== 'function') throw new InvalidOptionError('send', 'a function', send);
  const onDeadLetter = optionalFunction('onDeadLetter', options.onDeadLetter);
  const describe = optionalFunction('describe', options.describe) ?? (() => 'Sending email');
  const attemptTimeoutMs = number('attemptTimeoutMs', options.attemptTimeoutMs ?? 30_000, 1, Number.MAX_SAFE_INTEGER);
  const timeoutMs = number('timeoutMs', options.timeoutMs ?? 120_000, 1, Number.MAX_SAFE_INTEGER);
  const clock = options.clock ?? systemClock;
  const breakerOption = options.circuitBreaker ?? {};
  const breaker =
    breakerOption === false
      ? undefined
      : breakerOption instanceof CircuitBreaker
        ? breakerOption
        : new CircuitBreaker({ consecutiveFailures: 5, cooldownMs: 30_000, classifier: options.classifier ?? smtpDefault, ...(options.clock === undefined ? {} : { clock: options.clock }), ...breakerOption });
  // An open circuit ends this send at once: failing fast is the point.
  const classifier = composeClassifiers((error) => (isCircuitOpenError(error) ? { retriable: false, reason: 'circuit open' } : undefined), options.classifier ?? smtpDefault);
  const retryOptions: Record<string, unknown> = { classifier, attemptTimeoutMs, maxElapsedMs: timeoutMs };
  for (const key of RETRY_KEYS) if (options[key] !== undefined) retryOptions[key] = options[key];
  const retry = new RetryService(retryOptions as RetryOptions);
  let sent = 0;
  let failed = 0;
  let rejected = 0;
  let attempts = 0;
  /** Sends that made at least one attempt: `retries` is the attempts beyond their first. */
  let attempted = 0;
  const count = (made: number): void => {
    attempts += made;
    if (made > 0) attempted++;
  };

  return {
    breaker,
    async send(message, callOptions) {
      const callerSignal = optionalSignal('signal', callOptions?.signal);
      if (callerSignal?.aborted === true) throw abortReason(callerSignal);
      // The deadline aborts the attempt in flight too, not only the next one.
      const deadline = new AbortController();
      const timer = startTimer(clock, timeoutMs, () => deadline.abort(new AttemptTimeoutError(timeoutMs, 0)));
      const signal = callerSignal === undefined ? deadline.signal : AbortSignal.any([callerSignal, deadline.signal]);
      const outcome: RetryOutcome = { attempts: 0, verdict: undefined };
      const attempt = ({ signal: attemptSignal, attempt: n }: AttemptContext): Promise<I> | I =>
        // The breaker sees the attempt's signal: a timed-out attempt counts as a failure (and frees a
        // probe), a cancelled one counts as nothing.
        breaker === undefined ? send(message, { signal: attemptSignal, attempt: n }) : breaker.execute(() => send(message, { signal: attemptSignal, attempt: n }), { signal: attemptSignal });
      try {
        const info = await retry.executeWithOutcome(attempt, { signal, operation: describe(message) }, outcome);
        sent++;
        count(outcome.attempts);
        return info;
      } catch (caught) {
        if (isAborted(callerSignal)) {
          count(outcome.attempts);
          throw caught;
        }
        // Past the deadline the loop rejects with the deadline's reason: a final failure like any other.
        const error = deadline.signal.aborted && caught === deadline.signal.reason ? new RetryExhaustedError({ attempts: outcome.attempts, errors: [caught], elapsedMs: timeoutMs, reason: 'max-elapsed', verdict: { retriable: true, reason: 'deadline' }, operation: describe(message) }) : caught;
        const last = isRetryExhaustedError(error) ? error.cause : error;
        if (isCircuitOpenError(last)) {
          // The breaker refused the (last) attempt: the server is known to be down. Not a verdict on
          // the message, so not dead-lettered — reschedule it after `retryAfterMs`.
          rejected++;
          const made = Math.max(0, outcome.attempts - 1);
          count(made);
          throw new EmailDeliveryError({
            message: `${describe(message)} ${made === 0 ? 'not attempted' : `stopped after ${made} attempt${made === 1 ? '' : 's'}`}: ${messageOf(last)}`,
            responseCode: undefined,
            smtpCode: undefined,
            attempts: made,
            permanent: false,
            cause: last,
            retryAfterMs: last.retryAfterMs,
          });
        }
        count(outcome.attempts);
        failed++;
        const responseCode = prop(last, 'responseCode');
        const permanent = !isRetryExhaustedError(error);
        const deliveryError = new EmailDeliveryError({
          message: `${describe(message)} failed ${permanent ? 'permanently' : `after ${outcome.attempts} attempt${outcome.attempts === 1 ? '' : 's'}`}: ${messageOf(last)}`,
          responseCode: typeof responseCode === 'number' ? responseCode : undefined,
          smtpCode: stringCode(last),
          attempts: outcome.attempts,
          permanent,
          cause: error,
        });
        if (onDeadLetter !== undefined) {
          try {
            await onDeadLetter({ message, error: deliveryError });
          } catch (deadLetterError) {
            deliveryError.deadLetterError = deadLetterError;
          }
        }
        throw deliveryError;
      } finally {
        timer.cancel();
      }
    },
    metrics() {
      const done = sent + failed;
      return { sent, failed, rejected, attempts, retries: attempts - attempted, successRate: done === 0 ? 1 : sent / done };
    },
  };
}
