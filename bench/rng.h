/* rng.h — the bench generators' one random stream: splitmix64, uniforms in (0, 1), Box-Muller normals.
 * Each generator includes it after defining SEED, so its rows depend on nothing but its arguments. */
#ifndef BENCH_RNG_H
#define BENCH_RNG_H

#include <math.h>
#include <stdint.h>

static uint64_t state = SEED;

static uint64_t next_u64(void) { /* splitmix64 */
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double unif(void) { return ((next_u64() >> 11) + 0.5) * 0x1.0p-53; } /* in (0, 1) */

static double normal(void) { /* Box-Muller, one draw per pair of uniforms: simple and reproducible */
  return sqrt(-2.0 * log(unif())) * cos(6.283185307179586 * unif());
}

#endif
