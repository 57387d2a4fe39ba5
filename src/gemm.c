/* gemm.c - portable C matrix products, split over the thread pool by blocks of output
 * rows. Each element's sum runs over k in increasing order (with the same association
 * as gemm_ref), so the threaded result equals the reference bit for bit. */
#include "gemm.h"

#include <stddef.h>

void gemm_ref(bool trans_a, bool trans_b, int M, int N, int K,
              const float *A, int lda, const float *B, int ldb, float *C, int ldc, bool accumulate)
{
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            float s = accumulate ? C[(size_t)i * ldc + j] : 0.0f;
            for (int k = 0; k < K; k++) {
                float a = trans_a ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                float b = trans_b ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                s += a * b;
            }
            C[(size_t)i * ldc + j] = s;
        }
    }
}

typedef struct {
    bool trans_a, trans_b, accumulate;
    int M, N, K, lda, ldb, ldc, rows_per_task;
    const float *A, *B;
    float *C;
} GemmJob;

/* Rows [i0, i1) of C. The k loop is outermost over a row so that the inner loop runs
 * along contiguous memory where the layout allows; each C[i][j] still receives its
 * terms in k order, starting from 0 (or C). */
static void gemm_rows(const GemmJob *g, int i0, int i1)
{
    int N = g->N, K = g->K;
    for (int i = i0; i < i1; i++) {
        float *c = g->C + (size_t)i * g->ldc;
        if (!g->accumulate)
            for (int j = 0; j < N; j++)
                c[j] = 0.0f;
        if (g->trans_b) {
            /* B is (N,K): C[i][j] = sum_k a_ik * B[j][k], a dot product per j. */
            for (int j = 0; j < N; j++) {
                const float *b = g->B + (size_t)j * g->ldb;
                float s = c[j];
                if (g->trans_a)
                    for (int k = 0; k < K; k++)
                        s += g->A[(size_t)k * g->lda + i] * b[k];
                else {
                    const float *a = g->A + (size_t)i * g->lda;
                    for (int k = 0; k < K; k++)
                        s += a[k] * b[k];
                }
                c[j] = s;
            }
        } else {
            /* B is (K,N): axpy rows of B into c, k ascending. */
            for (int k = 0; k < K; k++) {
                float a = g->trans_a ? g->A[(size_t)k * g->lda + i] : g->A[(size_t)i * g->lda + k];
                const float *b = g->B + (size_t)k * g->ldb;
                for (int j = 0; j < N; j++)
                    c[j] += a * b[j];
            }
        }
    }
}

static void gemm_task(void *ctx, int task)
{
    const GemmJob *g = ctx;
    int i0 = task * g->rows_per_task;
    int i1 = i0 + g->rows_per_task;
    if (i1 > g->M)
        i1 = g->M;
    gemm_rows(g, i0, i1);
}

void gemm(Pool *pool, bool trans_a, bool trans_b, int M, int N, int K,
          const float *A, int lda, const float *B, int ldb, float *C, int ldc, bool accumulate)
{
    GemmJob g = {trans_a, trans_b, accumulate, M, N, K, lda, ldb, ldc, M, A, B, C};
    int threads = pool_threads(pool);
    double flops = 2.0 * M * N * K;
    if (threads == 1 || flops < 2e5 || M < 2) {
        gemm_rows(&g, 0, M);
        return;
    }
    int tasks = threads * 4 < M ? threads * 4 : M;
    g.rows_per_task = (M + tasks - 1) / tasks;
    tasks = (M + g.rows_per_task - 1) / g.rows_per_task;
    pool_run(pool, tasks, gemm_task, &g);
}
