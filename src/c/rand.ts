/**
 * glibc's `rand()` and `srand()`: the additive feedback generator of `random_r` with its default
 * state (TYPE_3: 31 words, the second tap 3 words ahead). `srand(seed)` fills the state from the
 * seed (0 counts as 1; read as a signed 32-bit word) with the "minimal standard" multiplier 16807
 * modulo 2^31 - 1, then runs the generator 310 times; each `rand()` adds the rear word to the
 * front one (modulo 2^32) and returns that sum shifted right by one. A program that never calls
 * `srand` gets `srand(1)`'s numbers. The same in every glibc heaplab models:
 * tests/c/real_outputs_test.ts checks 200 numbers against real 2.31, 2.36, 2.41, 2.43 and 2.44.
 *
 * @module
 */

/** Words of the TYPE_3 state, and how far the front tap runs ahead of the rear one. */
const DEGREE = 31;
const SEPARATION = 3;

/** The generator behind one process's `rand()`. */
export class GlibcRand {
  readonly #state = new Int32Array(DEGREE);
  #front = SEPARATION;
  #rear = 0;

  /** A generator as at program start: seeded with 1. */
  constructor() {
    this.seed(1);
  }

  /** `srand(seed)`: `seed` as an unsigned int. */
  seed(seed: number): void {
    const state = this.#state;
    // glibc keeps the seed as a signed 32-bit word: 2^32 - 1 is -1 here.
    let word = seed | 0 || 1;
    state[0] = word;
    for (let i = 1; i < DEGREE; i++) {
      // 16807 * word % (2^31 - 1) without overflow (Schrage's method), as glibc computes it.
      const hi = Math.trunc(word / 127773), lo = word % 127773;
      word = 16807 * lo - 2836 * hi;
      if (word < 0) word += 2147483647;
      state[i] = word;
    }
    this.#front = SEPARATION;
    this.#rear = 0;
    for (let i = 0; i < 10 * DEGREE; i++) this.next();
  }

  /** `rand()`: a number from 0 to 2^31 - 1. */
  next(): number {
    const state = this.#state;
    state[this.#front] = (state[this.#front] + state[this.#rear]) | 0;
    const result = (state[this.#front] >>> 1) & 0x7fffffff;
    if (++this.#front >= DEGREE) {
      this.#front = 0;
      ++this.#rear;
    } else if (++this.#rear >= DEGREE) this.#rear = 0;
    return result;
  }
}
