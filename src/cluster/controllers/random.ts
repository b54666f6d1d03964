// Seeded randomness, so a simulated cluster started twice with the same seed makes the same
// choices (start delays, SSH ports, loss curves) and tests can pin them down.

/** The seed used when none is given. */
export const DEFAULT_RANDOM_SEED = 20_240_611;

export class Random {
  private state: number;

  constructor(seed: number = DEFAULT_RANDOM_SEED) {
    // Mix the seed so that small consecutive seeds do not give correlated first draws.
    this.state = (Math.imul(seed | 0, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;
  }

  /** A float in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A float in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }
}

/** FNV-1a: a stable 32-bit hash for deriving per-object seeds. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
