/** Seeded randomness for the reliability tests, so that a failing run can be repeated. */

/** mulberry32: a small generator of numbers in [0, 1) from a 32-bit seed. */
export function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from `variable`, else one taken from the clock (printed by the test). */
export function seedFrom(variable: string): number {
  const text = process.env[variable];
  return text === undefined || text === '' ? Date.now() % 1_000_000 : Number(text);
}
