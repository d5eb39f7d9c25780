import { EmailDeliveryError } from './email-delivery-error.js';
import { guardFor } from '../errors/guards.js';

/** True for an {@link EmailDeliveryError}. */
export const isEmailDeliveryError = /* @__PURE__ */ guardFor(EmailDeliveryError);
