import { BulwarkError } from '../errors/bulwark-error.js';

const CODE = 'ERR_BULWARK_EMAIL_DELIVERY';

/**
 * A message could not be delivered: the server refused it for good (5xx, authentication), or
 * transient failures (4xx, dropped connections) outlasted the retries. `cause` is the last error.
 */
export class EmailDeliveryError extends BulwarkError {
  static readonly code = CODE;
  override name = 'EmailDeliveryError';
  /** The SMTP reply code of the last failure (e.g. `550`, `421`), when the server answered. */
  readonly responseCode: number | undefined;
  /** The transport's own error code of the last failure (nodemailer: `EAUTH`, `EENVELOPE`, `ECONNECTION`…). */
  readonly smtpCode: string | undefined;
  /** Attempts made. */
  readonly attempts: number;
  /** `true` when the server refused the message for good; `false` when retries ran out. */
  readonly permanent: boolean;
  /** Set when the dead-letter callback itself threw: the message is then in neither place. */
  deadLetterError: unknown;
  /** `true` when the message was not attempted because the circuit breaker was open (not dead-lettered). */
  readonly circuitOpen: boolean;
  /** With `circuitOpen`: milliseconds until the breaker lets a probe through — reschedule after it. */
  readonly retryAfterMs: number | undefined;

  constructor(details: { readonly message: string; readonly responseCode: number | undefined; readonly smtpCode: string | undefined; readonly attempts: number; readonly permanent: boolean; readonly cause: unknown; readonly retryAfterMs?: number }) {
    super(CODE, details.message, { cause: details.cause });
    this.responseCode = details.responseCode;
    this.smtpCode = details.smtpCode;
    this.attempts = details.attempts;
    this.permanent = details.permanent;
    this.deadLetterError = undefined;
    this.retryAfterMs = details.retryAfterMs;
    this.circuitOpen = details.retryAfterMs !== undefined;
  }
}
