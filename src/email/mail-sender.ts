import { bulwarkClassifier } from '../classifiers/bulwark.js';
import { composeClassifiers, type ErrorClassifier } from '../classifiers/classifier.js';
import { prop, stringCode } from '../classifiers/inspect.js';
import { networkClassifier } from '../classifiers/network.js';
import { smtpClassifier } from '../classifiers/smtp.js';
import { EmailDeliveryError } from './email-delivery-error.js';
import { isRetryExhaustedError } from '../errors/guards.js';
import { InvalidOptionError } from '../errors/invalid-option-error.js';
import { messageOf } from '../errors/message.js';
import type { SignalOptions } from '../internal/options.js';
import { optionalFunction, optionalSignal } from '../internal/validate.js';
import type { RetryOptions } from '../retry/options.js';
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

/**
 * Options of {@link createMailSender}: the retry options (`maxAttempts`, `initialDelayMs`, `factor`,
 * `maxDelayMs`, `jitter`, `logger`, `onRetry`, `clock`, documented on `RetryOptions`, with the same
 * defaults), an SMTP-aware `classifier`, and the dead-letter callback.
 */
export interface MailSenderOptions<M> extends MailRetryOptions {
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
  send(message: M, options?: SignalOptions): Promise<I>;
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
  const retryOptions: Record<string, unknown> = { classifier: options.classifier ?? smtpDefault };
  for (const key of RETRY_KEYS) if (options[key] !== undefined) retryOptions[key] = options[key];
  const retry = new RetryService(retryOptions as RetryOptions);
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
