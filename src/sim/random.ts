/**
 * The simulator's seeded randomness: sfc32 streams derived from (seed, stream name). Each node,
 * each node incarnation, the network and the fault picker draw from their own stream, so adding
 * a node or a restart does not perturb the others, and the same seed replays the same run.
 */

/** A uniform number in [0, 1); the shape the core's `Random` expects. */
export type RandomFn = () => number

/** cyrb128: a 128-bit hash of a string, used to seed sfc32. */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703
  let h2 = 3144134277
  let h3 = 1013904242
  let h4 = 2773480762
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  h1 ^= h2 ^ h3 ^ h4
  h2 ^= h1
  h3 ^= h1
  h4 ^= h1
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0]
}

/** A seeded sfc32 generator with a few helpers. */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  /** `seed` picks the run, `stream` the independent sequence within it (e.g. "node:n0:0", "net"). */
  constructor(seed: number, stream: string) {
    ;[this.a, this.b, this.c, this.d] = cyrb128(`dledger-sim:${seed}:${stream}`)
    // warm up: the first outputs of sfc32 are correlated with the seed words
    for (let i = 0; i < 15; i++) this.next()
  }

  /** A uniform number in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return (t >>> 0) / 4294967296
  }

  /** An integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound)
  }

  /** An integer in [min, max], both inclusive. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  /** The generator as a plain function (for the core). */
  fn(): RandomFn {
    return () => this.next()
  }
}
