export { prng } from '../../demo/fixtures.mjs';

/** A transient error shaped like Node's (EBUSY from fs, ETIMEDOUT from a network volume). */
export function transient(random: () => number, what: string): Error {
  const code = random() < 0.5 ? 'EBUSY' : 'ETIMEDOUT';
  return Object.assign(new Error(`${code}: injected fault (${what})`), { code, syscall: 'open' });
}
