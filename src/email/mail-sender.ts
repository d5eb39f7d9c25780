import { bulwarkClassifier } from '../classifiers/bulwark.js';
import { composeClassifiers, type ErrorClassifier } from '../classifiers/classifier.js';
import { prop, stringCode } from '../classifiers/inspect.js';
import { networkClassifier } from '../classifiers/network.js';
import { smtpClassifier } from '../classifiers/smtp.js';
import { EmailDeliveryError } from './email-delivery-error.js';
import { isRetryExhaustedError } from '../errors/guards.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { messageOf } from '../errors/message.js';
import type { Clock } from '../internal/clock.js';
import { optionalFunction, optionalSignal } from '../internal/validate.js';
import type { JitterStrategy } from '../retry/jitter.js';
import type { RetryHook, RetryLogger } from '../retry/options.js';
import type { RetryOutcome } from '../retry/retry.js';
import { RetryService } from '../retry/retry-service.js';

/** A message that finally failed, handed to `onDeadLetter`. */
export interface DeadLetter<M> {
  /** The message as it was given to `send`. */
  readonly message: M;
  /** Why it failed, with the SMTP code. */
  readonly error: EmailDeliveryError;
}

/** Options of {@link createMailSender}. Defaults mirror the segmentation backend's email service. */
export interface MailSenderOptions<M> {
  /**
   * Attempts in all: the default allows 2 retries. Minimum: `1`.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * The first backoff in milliseconds. Minimum: `0`.
   * @default 1000
   */
  readonly initialDelayMs?: number;
  /**
   * The multiplier between backoffs. Minimum: `1`.
   * @default 2
   */
  readonly factor?: number;
  /**
   * The longest backoff in milliseconds. Minimum: `0`.
   * @default 10000
   */
  readonly maxDelayMs?: number;
  /**
   * Jitter strategy (see the retry options).
   * @default 'equal'
   */
  readonly jitter?: JitterStrategy;
  /**
   * Decides retriable vs permanent. 4xx replies and dropped connections retry; 5xx replies and
   * authentication failures do not.
   * @default composeClassifiers(classifiers.smtp, classifiers.network, classifiers.bulwark)
   */
  readonly classifier?: ErrorClassifier;
  /**
   * Called once for a message that finally failed (permanently, or after the last retry) — not when
   * the send was aborted. Awaited before `send` rejects.
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
  /** Where retry log lines go (`console`, pino, winston). @default undefined */
  readonly logger?: RetryLogger;
  /** Called after each failed attempt that will be retried. @default undefined */
  readonly onRetry?: RetryHook;
  /** The clock, injectable for tests. @default the system clock */
  readonly clock?: Clock;
}

/** Counters of a mail sender. */
export interface MailSenderMetrics {
  /** Messages delivered. */
  readonly sent: number;
  /** Messages that finally failed (and were dead-lettered). */
  readonly failed: number;
  /** Attempts made, first attempts included. */
  readonly attempts: number;
  /** Retries made. */
  readonly retries: number;
  /** `sent / (sent + failed)`, `1` before any message. */
  readonly successRate: number;
}

/** A `send` function wrapped with retries, the SMTP classifier and a dead-letter callback. */
export interface MailSender<M, I> {
  /**
   * Sends one message. Resolves with the transport's info (nodemailer: `{ messageId, response, … }`).
   * Rejects with an {@link EmailDeliveryError} (after `onDeadLetter`), or the signal's reason.
   */
  send(message: M, options?: { readonly signal?: AbortSignal }): Promise<I>;
  /** Counters since creation. */
  metrics(): MailSenderMetrics;
}

const smtpDefault = /* @__PURE__ */ composeClassifiers(smtpClassifier, networkClassifier, bulwarkClassifier);

/**
 * Wraps any `send(message) => Promise<info>` — a nodemailer transporter's `sendMail` is the
 * reference — with retries decided by the SMTP classifier: `421`/`450`/`451`/`452` replies and dropped
 * connections retry with backoff; `550`–`554` and authentication failures fail at once with an
 * {@link EmailDeliveryError} carrying the SMTP code. Messages that finally fail go to `onDeadLetter`.
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
export function createMailSender<M, I>(send: (message: M) => Promise<I> | I, options: MailSenderOptions<M> = {}): MailSender<M, I> {
  if (typeof send !== 'function') throw new InvalidOptionError('send', 'a function', send);
  const onDeadLetter = optionalFunction('onDeadLetter', options.onDeadLetter);
  const describe = optionalFunction('describe', options.describe) ?? (() => 'Sending email');
  const retry = new RetryService({
    maxAttempts: options.maxAttempts ?? 3,
    initialDelayMs: options.initialDelayMs ?? 1000,
    factor: options.factor ?? 2,
    maxDelayMs: options.maxDelayMs ?? 10_000,
    jitter: options.jitter ?? 'equal',
    classifier: options.classifier ?? smtpDefault,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  let sent = 0;
  let failed = 0;
  let attempts = 0;

  return {
    async send(message, callOptions) {
      const signal = optionalSignal('signal', callOptions?.signal);
      const outcome: RetryOutcome = { attempts: 0, verdict: undefined };
      try {
        const info = await retry.executeWithOutcome(() => send(message), { ...(signal === undefined ? {} : { signal }), operation: describe(message) }, outcome);
        sent++;
        attempts += outcome.attempts;
        return info;
      } catch (error) {
        attempts += outcome.attempts;
        if (signal?.aborted) throw error;
        failed++;
        const last = isRetryExhaustedError(error) ? error.cause : error;
        const responseCode = prop(last, 'responseCode');
        const permanent = !isRetryExhaustedError(error);
        const deliveryError = new EmailDeliveryError({
          message: `${describe(message)} failed ${permanent ? 'permanently' : `after ${outcome.attempts} attempts`}: ${messageOf(last)}`,
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
      }
    },
    metrics() {
      const done = sent + failed;
      return { sent, failed, attempts, retries: attempts - done, successRate: done === 0 ? 1 : sent / done };
    },
  };
}
