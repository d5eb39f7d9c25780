import { BulwarkError } from './bulwark-error.js';

const CODE = 'ERR_BULWARK_INVALID_OPTION';

/**
 * An option or argument is out of range or of the wrong type. Constructors throw it synchronously;
 * promise-returning functions reject with it. Either way before any work starts, so nothing is lost.
 */
export class InvalidOptionError extends BulwarkError {
  static readonly code = CODE;
  override name = 'InvalidOptionError';
  /** The option's name, e.g. `concurrency`. */
  readonly option: string;
  /** The rejected value. */
  readonly value: unknown;

  constructor(option: string, expected: string, value: unknown) {
    super(CODE, `Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`);
    this.option = option;
    this.value = value;
  }
}

/** Renders a value the way every validation message does: "`0` (number)". */
export function describeValue(value: unknown): string {
  let shown: string;
  if (typeof value === 'string') shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  else if (typeof value === 'bigint') shown = `${value}n`;
  else if (typeof value === 'function') shown = '[function]';
  else if (typeof value === 'symbol') shown = value.toString();
  else if (value === null || typeof value !== 'object') shown = String(value);
  else if (Array.isArray(value)) shown = `[array(${value.length})]`;
  else shown = '[object]';
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `\`${shown}\` (${type})`;
}
