/** mulberry32: a tiny seeded PRNG returning numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A transient error shaped like Node's (EBUSY from fs, ETIMEDOUT from a network volume). */
export function transient(random: () => number, what: string): Error {
  const code = random() < 0.5 ? 'EBUSY' : 'ETIMEDOUT';
  return Object.assign(new Error(`${code}: injected fault (${what})`), { code, syscall: 'open' });
}
