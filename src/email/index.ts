// bulwark/email: SMTP sending that retries what is transient and dead-letters what is not.
// No runtime dependency: pass your transport's send function (nodemailer's sendMail is the reference).
export { createMailSender } from './mail-sender.js';
export type { DeadLetter, MailAttemptContext, MailSender, MailSenderMetrics, MailSenderOptions } from './mail-sender.js';
export { EmailDeliveryError } from './email-delivery-error.js';
export { isEmailDeliveryError } from './guards.js';
