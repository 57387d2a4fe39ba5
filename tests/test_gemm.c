/* test_gemm.c - the blocked products on every path this CPU runs: exact against gemm_ref
 * on small-integer data (every sum is exact in float, so any indexing, packing, edge or
 * blocking mistake shows), with row strides larger than the rows, every transpose,
 * accumulate on and off, shapes that cross the register tiles and the cache blocks in
 * every dimension; bit-identical results on 1 to 7 threads for real-valued data; nothing
 * written outside C; degenerate sizes; products that start from a bias row. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "pool.h"
#include "rng.h"
#include "test.h"

typedef struct {
    int M, N, K;
} Shape;

/* Edges of every tile size (1..12 rows, 1..32 columns), several k blocks (up to 1100),
 * several row and column blocks (up to 1100 rows, 3200 columns). */
static const Shape shapes[] = {
    {1, 1, 1},     {2, 3, 4},      {12, 32, 8},   {13, 33, 9},    {11, 31, 300},
    {25, 70, 513}, {64, 256, 784}, {5, 3200, 40}, {1100, 9, 70},  {130, 47, 1100},
    {37, 530, 260}, {260, 700, 33},
};

static const GemmPath paths[] = {GEMM_GENERIC, GEMM_AVX2, GEMM_AVX512};
#define N_PATHS 3

/* Small integers: products and sums stay exact in float for these sizes. */
static void fill_int(float *x, size_t n, Rng *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((int)rng_below(r, 7) - 3);
}

static void fill_real(float *x, size_t n, Rng *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(rng_uniform(r) * 2 - 1);
}

typedef struct {
    float *A, *B, *C, *R, *start;
    int lda, ldb, ldc;
    size_t n_c;
} Operands;

/* Operands of s with row strides 3 floats wider than needed (the padding holds a marker
 * that must survive in C). */
static void operands_init(Operands *o, const Shape *s, bool ta, bool tb, bool integers, Rng *r)
{
    int M = s->M, N = s->N, K = s->K;
    o->lda = (ta ? M : K) + 3;
    o->ldb = (tb ? K : N) + 3;
    o->ldc = N + 3;
    size_t n_a = (size_t)(ta ? K : M) * o->lda, n_b = (size_t)(tb ? N : K) * o->ldb;
    o->n_c = (size_t)M * o->ldc;
    o->A = malloc(sizeof(float) * n_a);
    o->B = malloc(sizeof(float) * n_b);
    o->C = malloc(sizeof(float) * o->n_c);
    o->R = malloc(sizeof(float) * o->n_c);
    o->start = malloc(sizeof(float) * o->n_c);
    (integers ? fill_int : fill_real)(o->A, n_a, r);
    (integers ? fill_int : fill_real)(o->B, n_b, r);
    (integers ? fill_int : fill_real)(o->start, o->n_c, r);
    for (int i = 0; i < M; i++)
        for (int j = N; j < o->ldc; j++)
            o->start[(size_t)i * o->ldc + j] = 12345.0f;
}

static void operands_free(Operands *o)
{
    free(o->A);
    free(o->B);
    free(o->C);
    free(o->R);
    free(o->start);
}

static void run(Gemm *g, const Shape *s, bool ta, bool tb, bool acc, Operands *o, float *out)
{
    memcpy(out, o->start, sizeof(float) * o->n_c);
    if (g)
        gemm(g, ta, tb, s->M, s->N, s->K, o->A, o->lda, o->B, o->ldb, out, o->ldc, acc);
    else
        gemm_ref(ta, tb, s->M, s->N, s->K, o->A, o->lda, o->B, o->ldb, out, o->ldc, acc);
}

static void test_exact_against_reference(void)
{
    Rng r;
    rng_seed(&r, 7, 0);
    Pool *pool = pool_create_exact(3);
    Gemm *gs[N_PATHS][2] = {{NULL}};
    int tested = 0;
    for (int p = 0; p < N_PATHS; p++)
        if (gemm_path_supported(paths[p])) {
            gs[p][0] = gemm_create(NULL, paths[p], NULL);
            gs[p][1] = gemm_create(pool, paths[p], NULL);
            CHECK(gs[p][0] && gs[p][1]);
        }
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const Shape *s = &shapes[si];
        for (int t = 0; t < 4; t++) {
            bool ta = t & 1, tb = t & 2;
            Operands o;
            operands_init(&o, s, ta, tb, true, &r);
            for (int acc = 0; acc < 2; acc++) {
                run(NULL, s, ta, tb, acc, &o, o.R);
                for (int p = 0; p < N_PATHS; p++)
                    for (int gi = 0; gi < 2 && gs[p][gi]; gi++) {
                        run(gs[p][gi], s, ta, tb, acc, &o, o.C);
                        bool same = memcmp(o.C, o.R, sizeof(float) * o.n_c) == 0;
                        if (!same)
                            fprintf(stderr, "  %s, %d threads: %dx%dx%d ta=%d tb=%d acc=%d differs\n",
                                    gemm_path_names[paths[p]], gi ? pool_threads(pool) : 1,
                                    s->M, s->N, s->K, ta, tb, acc);
                        CHECK(same);
                        tested++;
                    }
            }
            operands_free(&o);
        }
    }
    CHECK(tested > 0);
    for (int p = 0; p < N_PATHS; p++) {
        gemm_free(gs[p][0]);
        gemm_free(gs[p][1]);
    }
    pool_free(pool);
}

/* Real values: each path gives the same bits on any thread count (more threads than
 * tasks, and more than CPUs, included). */
static void test_threads_bit_identical(void)
{
    Rng r;
    rng_seed(&r, 11, 0);
    const Shape big[] = {{64, 256, 784}, {512, 300, 200}, {256, 784, 64}, {33, 1000, 500}};
    Pool *pools[7] = {NULL};
    for (int t = 2; t <= 7; t++)
        pools[t - 1] = pool_create_exact(t);
    for (int p = 0; p < N_PATHS; p++) {
        if (!gemm_path_supported(paths[p]))
            continue;
        Gemm *gs[7];
        for (int t = 0; t < 7; t++)
            gs[t] = gemm_create(pools[t], paths[p], NULL);
        for (size_t si = 0; si < sizeof big / sizeof big[0]; si++) {
            for (int tr = 0; tr < 4; tr++) {
                bool ta = tr & 1, tb = tr & 2;
                Operands o;
                operands_init(&o, &big[si], ta, tb, false, &r);
                run(gs[0], &big[si], ta, tb, true, &o, o.R);
                bool same = true;
                for (int t = 1; t < 7; t++) {
                    run(gs[t], &big[si], ta, tb, true, &o, o.C);
                    same = same && memcmp(o.C, o.R, sizeof(float) * o.n_c) == 0;
                }
                CHECK(same);
                operands_free(&o);
            }
        }
        for (int t = 0; t < 7; t++)
            gemm_free(gs[t]);
    }
    for (int t = 0; t < 7; t++)
        pool_free(pools[t]);
}

/* The AVX2 and AVX-512 kernels share the k blocking and fuse every multiply-add in the
 * same order: the same bits, so the faster one can be picked per CPU. */
static void test_simd_paths_agree(void)
{
    if (!gemm_path_supported(GEMM_AVX2) || !gemm_path_supported(GEMM_AVX512))
        SKIP_HARDWARE("this CPU cannot run both the AVX2 and the AVX-512 kernels");
    Rng r;
    rng_seed(&r, 5, 0);
    Gemm *a = gemm_create(NULL, GEMM_AVX2, NULL), *b = gemm_create(NULL, GEMM_AVX512, NULL);
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
        for (int tr = 0; tr < 4; tr++) {
            bool ta = tr & 1, tb = tr & 2;
            Operands o;
            operands_init(&o, &shapes[si], ta, tb, false, &r);
            run(a, &shapes[si], ta, tb, true, &o, o.R);
            run(b, &shapes[si], ta, tb, true, &o, o.C);
            CHECK(memcmp(o.C, o.R, sizeof(float) * o.n_c) == 0);
            operands_free(&o);
        }
    gemm_free(a);
    gemm_free(b);
}

static void test_degenerate_sizes(void)
{
    for (int p = 0; p < N_PATHS; p++) {
        if (!gemm_path_supported(paths[p]))
            continue;
        Gemm *g = gemm_create(NULL, paths[p], NULL);
        float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {1, 1, 1, 1, 1, 1}, C[6] = {7, 7, 7, 7, 7, 7};
        gemm(g, false, false, 2, 3, 0, A, 1, B, 3, C, 3, true); /* K = 0, accumulate: C kept */
        CHECK(C[0] == 7 && C[5] == 7);
        gemm(g, false, false, 2, 3, 0, A, 1, B, 3, C, 3, false); /* K = 0: C = 0 */
        CHECK(C[0] == 0 && C[5] == 0);
        C[0] = 9;
        gemm(g, false, false, 0, 3, 2, A, 2, B, 3, C, 3, false); /* no rows: nothing written */
        gemm(g, false, false, 2, 0, 2, A, 2, B, 3, C, 3, false);
        CHECK(C[0] == 9);
        gemm_free(g);
    }
}

/* gemm_bias: every row of C starts from the bias. Exact against the bias rows plus
 * gemm_ref on integers, and on real values the same bits as the same path accumulating
 * onto bias rows, on 1 and 3 threads and with the reference (g NULL); the padding past N
 * untouched; K = 0 leaves the bias. */
static void test_bias_rows(void)
{
    Rng r;
    rng_seed(&r, 17, 0);
    Pool *pool = pool_create_exact(3);
    Gemm *gs[1 + 2 * N_PATHS] = {NULL};
    int n_g = 1, tested = 0;
    for (int p = 0; p < N_PATHS; p++)
        if (gemm_path_supported(paths[p])) {
            gs[n_g++] = gemm_create(NULL, paths[p], NULL);
            gs[n_g++] = gemm_create(pool, paths[p], NULL);
        }
    const Shape more[] = {{30, 800, 700}, {3, 5, 0}};
    int n_shapes = (int)(sizeof shapes / sizeof shapes[0]);
    for (int si = 0; si < n_shapes + 2; si++) {
        const Shape *s = si < n_shapes ? &shapes[si] : &more[si - n_shapes];
        for (int integers = 0; integers < 2; integers++) {
            bool ta = si % 2, tb = si % 3 != 0;
            Operands o;
            operands_init(&o, s, ta, tb, integers, &r);
            float *bias = malloc(sizeof(float) * (size_t)s->N);
            for (int j = 0; j < s->N; j++)
                bias[j] = o.start[j]; /* row 0 of the start values */
            for (int gi = 0; gi < n_g; gi++) {
                memcpy(o.R, o.start, sizeof(float) * o.n_c);
                for (int i = 0; i < s->M; i++)
                    memcpy(o.R + (size_t)i * o.ldc, bias, sizeof(float) * (size_t)s->N);
                if (integers || !gs[gi])
                    gemm_ref(ta, tb, s->M, s->N, s->K, o.A, o.lda, o.B, o.ldb, o.R, o.ldc, true);
                else
                    gemm(gs[gi], ta, tb, s->M, s->N, s->K, o.A, o.lda, o.B, o.ldb, o.R, o.ldc, true);
                memcpy(o.C, o.start, sizeof(float) * o.n_c);
                gemm_bias(gs[gi], ta, tb, s->M, s->N, s->K, o.A, o.lda, o.B, o.ldb, bias, o.C, o.ldc);
                CHECK(memcmp(o.C, o.R, sizeof(float) * o.n_c) == 0);
                tested++;
            }
            free(bias);
            operands_free(&o);
        }
    }
    CHECK(tested >= 2 * (n_shapes + 2));
    for (int gi = 0; gi < n_g; gi++)
        gemm_free(gs[gi]);
    pool_free(pool);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_exact_against_reference);
    RUN(test_threads_bit_identical);
    RUN(test_simd_paths_agree);
    RUN(test_degenerate_sizes);
    RUN(test_bias_rows);
    return test_finish(argv[0]);
}
