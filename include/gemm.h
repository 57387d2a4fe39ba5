/* gemm.h - the matrix-product boundary. Every product in training goes through gemm(),
 * so kernels change here without touching the layers. Row-major float32.
 * Paths: generic (portable C, bit-identical to gemm_ref), avx2 (AVX2+FMA micro-kernel),
 * avx512 (AVX-512F micro-kernel), chosen at run time. All share one packing and blocking
 * scheme (BLIS style); threads split the output into blocks, and every element is summed
 * over k in the same order whatever the thread count, so results do not depend on it. */
#ifndef MLPTRAIN_GEMM_H
#define MLPTRAIN_GEMM_H

#include <stdbool.h>

#include "pool.h"
#include "util.h"

typedef enum { GEMM_AUTO, GEMM_GENERIC, GEMM_AVX2, GEMM_AVX512 } GemmPath;
extern const char *const gemm_path_names[]; /* "auto", "generic", "avx2", "avx512", NULL */

typedef struct Gemm Gemm;

/* Whether this CPU (and this build) can run path p. GEMM_AUTO and GEMM_GENERIC always can. */
bool gemm_path_supported(GemmPath p);

/* Reads MLPTRAIN_KERNEL (auto | generic | avx2 | avx512; unset = auto) into *p. Fails on
 * an unknown name or a path this CPU cannot run. */
int gemm_path_from_env(GemmPath *p, Err *e);

/* Creates a context for path p (AUTO: the fastest supported) running on pool (NULL = one
 * thread), with its packing buffers allocated once. Fails if the CPU lacks the path. */
Gemm *gemm_create(Pool *pool, GemmPath p, Err *e);
/* NULL is fine. Does not free the pool. */
void gemm_free(Gemm *g);
/* Bytes of packing buffers gemm_create allocates for a pool of threads threads. */
double gemm_workspace_bytes(int threads);

/* The path actually used (never GEMM_AUTO). */
GemmPath gemm_path(const Gemm *g);

/* C (M,N) = op(A) (M,K) . op(B) (K,N)  [+ C when accumulate]
 * op(A) = A (M,K), lda >= K   or, with trans_a, A^T where A is (K,M), lda >= M.
 * op(B) = B (K,N), ldb >= N   or, with trans_b, B^T where B is (N,K), ldb >= K.
 * C is (M,N) with ldc >= N. The three training products are X.W^T (forward),
 * dY^T.X (weight gradient) and dY.W (input gradient). g may be NULL: gemm_ref. */
void gemm(Gemm *g, bool trans_a, bool trans_b, int M, int N, int K,
          const float *A, int lda, const float *B, int ldb, float *C, int ldc, bool accumulate);

/* C (M,N) = bias + op(A) . op(B), bias (N) added to every row: each element starts from
 * its bias and adds the k terms in order, the same bits as gemm with accumulate on C
 * filled with bias rows, without that pass over C (the forward product of a Linear). */
void gemm_bias(Gemm *g, bool trans_a, bool trans_b, int M, int N, int K, const float *A, int lda,
               const float *B, int ldb, const float *bias, float *C, int ldc);

/* Time spent in gemm() on g, for the benchmarks' split of a training step: wall seconds
 * inside gemm() as its caller sees them, the part of it the calling thread spent packing
 * operands, the FLOPs (2*M*N*K) and the calls, since gemm_stats_reset. Counting is off
 * until the first reset (so training pays nothing for it). */
typedef struct {
    double seconds, pack_seconds, flops;
    long calls;
} GemmStats;
void gemm_stats_reset(Gemm *g);
GemmStats gemm_stats(const Gemm *g);

/* The plain reference: same contract, single thread, simplest loops; each element is
 * C (or 0) + a0*b0 + a1*b1 + ... in k order, rounded after every operation. */
void gemm_ref(bool trans_a, bool trans_b, int M, int N, int K,
              const float *A, int lda, const float *B, int ldb, float *C, int ldc, bool accumulate);

#endif
