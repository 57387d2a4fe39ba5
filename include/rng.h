/* rng.h - an explicit, seedable random number generator (xoshiro256** seeded through
 * splitmix64). No global state: every user owns an Rng. Streams derived from one seed
 * keep init, split, shuffling and dropout independent of each other. */
#ifndef MLPTRAIN_RNG_H
#define MLPTRAIN_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} Rng;

/* Seeds r from (seed, stream): different streams give unrelated sequences. */
void rng_seed(Rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(Rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
double rng_uniform(Rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t rng_below(Rng *r, uint64_t n);
/* Standard normal by Box-Muller; each call uses two uniforms and returns one value. */
double rng_normal(Rng *r);
/* Fisher-Yates shuffle of a[0..n). */
void rng_shuffle(Rng *r, int *a, int n);

#endif
