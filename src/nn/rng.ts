/**
 * A small seeded pseudo-random generator with a serialisable state: xoshiro128** (Blackman &
 * Vigna), seeded through splitmix32. Used for parameter initialisation, dropout masks, data order
 * and sampling, so a run is reproducible from its seed and resumable from `getState()`.
 */

/** splitmix32: spreads a (possibly small) seed over the 128-bit state. */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    const next = splitmix32(seed);
    for (let i = 0; i < 4; i++) this.s[i] = next();
  }

  /** 32 uniformly random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box–Muller; one value per call so the state stays four words). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log stays finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** The four state words, for checkpoints. */
  getState(): number[] {
    return [...this.s];
  }

  setState(state: number[]): void {
    if (state.length !== 4 || state.every((w) => w === 0)) throw new Error('invalid RNG state');
    this.s.set(state.map((w) => w >>> 0));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * The seed of item `index` of a call seeded with `seed` (poem i of `shiren gen --seed S`): every
 * poem of a call draws from its own stream (murmur3's 32-bit finaliser over the pair), so a poem
 * does not depend on the others.
 */
export function poemSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
