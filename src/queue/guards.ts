import { guardFor } from '../errors/guards.js';
import { LeaseLostError } from './lease-lost-error.js';

/** True for a {@link LeaseLostError}. */
export const isLeaseLostError = /* @__PURE__ */ guardFor(LeaseLostError);
