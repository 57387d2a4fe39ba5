/* gemm.h - the matrix-product boundary. Every product in training goes through gemm(),
 * so faster kernels replace the body here without touching the layers. Row-major,
 * float32; each output element is summed over k in order, by one task, so results do
 * not depend on the number of threads. */
#ifndef MLPTRAIN_GEMM_H
#define MLPTRAIN_GEMM_H

#include <stdbool.h>

#include "pool.h"

/* C (M,N) = op(A) (M,K) . op(B) (K,N)  [+ C when accumulate]
 * op(A) = A (M,K), lda >= K   or, with trans_a, A^T where A is (K,M), lda >= M.
 * op(B) = B (K,N), ldb >= N   or, with trans_b, B^T where B is (N,K), ldb >= K.
 * C is (M,N) with ldc >= N. pool may be NULL. The three training products are
 * X.W^T (forward), dY^T.X (weight gradient) and dY.W (input gradient). */
void gemm(Pool *pool, bool trans_a, bool trans_b, int M, int N, int K,
          const float *A, int lda, const float *B, int ldb, float *C, int ldc, bool accumulate);

/* The plain reference: same contract, single thread, simplest loops. Tests compare
 * gemm() with it. */
void gemm_ref(bool trans_a, bool trans_b, int M, int N, int K,
              const float *A, int lda, const float *B, int ldb, float *C, int ldc, bool accumulate);

#endif
