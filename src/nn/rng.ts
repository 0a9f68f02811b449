/**
 * Seeded randomness, in one place: a small pseudo-random generator with a serialisable state,
 * xoshiro128** (Blackman & Vigna) seeded through splitmix32; the 32-bit hash mixer that derives
 * seeds and per-item choices from integers (mix32); and the Fisher–Yates shuffle. Used for
 * parameter initialisation, dropout masks, data order and sampling, so a run is reproducible from
 * its seed and resumable from `getState()`.
 */

/**
 * The constants of a xorshift-multiply finalizer (shifts s0, s1, s2 and odd multipliers m0, m1):
 *   x ^= x >>> s0;  x = x·m0;  x ^= x >>> s1;  x = x·m1;  x ^= x >>> s2   (mod 2^32)
 */
export interface MixConstants {
  readonly s0: number; readonly m0: number;
  readonly s1: number; readonly m1: number;
  readonly s2: number;
}

/** murmur3's fmix32: splitmix32's output step (Rng seeding); poemSeed (src/poetry/generate.ts) mixes the same way. */
export const FMIX32: MixConstants = { s0: 16, m0: 0x85ebca6b, s1: 13, m1: 0xc2b2ae35, s2: 16 };

/**
 * Another constant set, the one the trainer's untitled-example choice was written with
 * (src/train/trainer.ts): kept, since changing it would change which examples a seed trains
 * untitled, and so every trained model.
 */
export const UNTITLED_MIX: MixConstants = { s0: 15, m0: 0x2c1b3c6d, s1: 12, m1: 0x297a2d39, s2: 15 };

/**
 * Mixes a 32-bit word so that every output bit depends on every input bit (a bijection); an
 * unsigned 32-bit result. x is read as its low 32 bits.
 */
export function mix32(x: number, k: MixConstants = FMIX32): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> k.s0), k.m0);
  z = Math.imul(z ^ (z >>> k.s1), k.m1);
  return (z ^ (z >>> k.s2)) >>> 0;
}

/** splitmix32: spreads a (possibly small) seed over the 128-bit state. */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    return mix32(s);
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
 * poem of a call draws from its own stream (murmur3's 32-bit finaliser, mix32, over the pair), so a
 * poem does not depend on the others.
 */
export function poemSeed(seed: number, index: number): number {
  return mix32((seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0);
}

/** Fisher–Yates in place, drawing from rng; returns the array. */
export function shuffle<X>(items: X[], rng: Rng): X[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
