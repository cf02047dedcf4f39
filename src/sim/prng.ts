// Seeded pseudo-random numbers for sensor noise. The simulator never touches
// Math.random or the wall clock: a run is a pure function of profile, trace,
// seed and the sequence of calls.
//
// Each noisy peripheral gets its own stream derived from (board seed, stream
// name), so reading one sensor more often does not change another sensor's
// values.

/** splitmix32 step: a well-mixed 32-bit output from a Weyl sequence. */
function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97) >>> 0;
  return [next, (z ^ (z >>> 15)) >>> 0];
}

/** FNV-1a over the UTF-16 code units of a name: only used to separate streams. */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export class Prng {
  private state: number;
  /** A Box-Muller pair yields two normals; the second is kept for the next call. */
  private spareNormal: number | null = null;

  constructor(seed: number, stream = "") {
    this.state = (seed ^ hashName(stream)) >>> 0;
  }

  /** new Prng(seed, stream) for a stream whose hashName() the caller keeps (streams made per sample). */
  static ofHashedStream(seed: number, streamHash: number): Prng {
    const p = new Prng(0);
    p.state = (seed ^ streamHash) >>> 0;
    return p;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const [next, out] = splitmix32(this.state);
    this.state = next;
    return out;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Standard normal (mean 0, stddev 1). */
  nextNormal(): number {
    if (this.spareNormal !== null) {
      const s = this.spareNormal;
      this.spareNormal = null;
      return s;
    }
    // 1 - u keeps the logarithm's argument in (0, 1].
    const u1 = 1 - this.nextFloat();
    const u2 = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }
}

/**
 * mulberry32: a small deterministic generator of uniform numbers in [0, 1), for
 * whatever must repeat run to run without the noise streams above (simulated
 * link losses, power-cut tearing, fuzz corpora).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
