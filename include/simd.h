/* simd.h - SIMD_CLONES marks a plain-C element loop to be compiled several times (AVX-512,
 * AVX2 and the baseline) with the best chosen when the program loads (GCC target_clones
 * on x86-64 Linux); elsewhere it is the plain function. The clones only vectorize: ISO C
 * mode keeps -ffp-contract=off and nothing is reassociated, so every clone rounds exactly
 * as the scalar code. */
#ifndef MLPTRAIN_SIMD_H
#define MLPTRAIN_SIMD_H

/* -DSIMD_CLONES= builds without clones (ThreadSanitizer, for one, cannot run the load-time
 * resolvers that pick a clone). */
#ifndef SIMD_CLONES
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SIMD_CLONES
#endif
#endif

#endif
