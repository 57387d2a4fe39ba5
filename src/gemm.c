/* gemm.c - matrix products: the plain reference, and a packed, cache-blocked GEMM (BLIS
 * style: B is packed into KC x NR slivers, A into MR x KC slivers, and a register-tiled
 * MR x NR micro-kernel runs over them) with three micro-kernels: portable C, AVX2+FMA and
 * AVX-512F, picked at run time. Threads each take one block of C (split along N, or along
 * M when N is narrow) and pack their own operands, so a product costs one pool dispatch.
 * Every micro-kernel starts each element from C (or 0) and adds the k terms in order, so
 * an element's value does not depend on blocking or threads; the C kernel adds after
 * rounding each product, like gemm_ref, and is bit-identical to it. */
#include "gemm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GEMM_X86 1
#else
#define GEMM_X86 0
#endif

const char *const gemm_path_names[] = {"auto", "generic", "avx2", "avx512", NULL};

#define KC 256       /* k depth of one packed block: A sliver and B sliver stay in L1/L2 */
#define MC 120       /* rows of A packed at once (multiple of every MR) */
#define NC 3072      /* columns of B packed at once (multiple of every NR) */
#define MIN_FLOPS_PER_THREAD 1e6 /* below it a thread's share costs more than it saves */
#define MR_MAX 12
#define NR_MAX 32

/* c (MR,NR, row stride ldc) = (load ? c : 0) + a . b over kc, a packed (kc, MR) k-major,
 * b packed (kc, NR) k-major. */
typedef void (*MicroKernel)(int kc, const float *a, const float *b, float *c, int ldc, int load);

typedef struct {
    GemmPath path;
    int mr, nr;
    MicroKernel kernel;
} KernelInfo;

struct Gemm {
    KernelInfo k;
    Pool *pool;
    int n_ws;
    float **apack, **bpack;   /* per thread: (MC + MR_MAX) * KC and KC * (NC + NR_MAX) */
    bool stats_on;
    GemmStats stats;
};

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

/* ---- micro-kernels ---- */

#define GENERIC_MR 4
#define GENERIC_NR 8

static void kernel_generic(int kc, const float *a, const float *b, float *c, int ldc, int load)
{
    float acc[GENERIC_MR][GENERIC_NR];
    for (int i = 0; i < GENERIC_MR; i++)
        for (int j = 0; j < GENERIC_NR; j++)
            acc[i][j] = load ? c[(size_t)i * ldc + j] : 0.0f;
    for (int k = 0; k < kc; k++) {
        const float *ak = a + k * GENERIC_MR, *bk = b + k * GENERIC_NR;
        for (int i = 0; i < GENERIC_MR; i++)
            for (int j = 0; j < GENERIC_NR; j++)
                acc[i][j] += ak[i] * bk[j];
    }
    for (int i = 0; i < GENERIC_MR; i++)
        for (int j = 0; j < GENERIC_NR; j++)
            c[(size_t)i * ldc + j] = acc[i][j];
}

#if GEMM_X86
/* 6 x 16: 12 ymm accumulators, 2 ymm of B, one broadcast of A per row. */
__attribute__((target("avx2,fma"))) static void kernel_avx2(int kc, const float *a, const float *b,
                                                             float *c, int ldc, int load)
{
    __m256 c0[6], c1[6];
    #pragma GCC unroll 12
    for (int i = 0; i < 6; i++) {
        c0[i] = load ? _mm256_loadu_ps(c + (size_t)i * ldc) : _mm256_setzero_ps();
        c1[i] = load ? _mm256_loadu_ps(c + (size_t)i * ldc + 8) : _mm256_setzero_ps();
    }
#pragma GCC unroll 4
    for (int k = 0; k < kc; k++) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        #pragma GCC unroll 12
        for (int i = 0; i < 6; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i);
            c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
        }
        a += 6;
        b += 16;
    }
    #pragma GCC unroll 12
    for (int i = 0; i < 6; i++) {
        _mm256_storeu_ps(c + (size_t)i * ldc, c0[i]);
        _mm256_storeu_ps(c + (size_t)i * ldc + 8, c1[i]);
    }
}

/* 12 x 32: 24 zmm accumulators, 2 zmm of B, one broadcast of A per row. */
__attribute__((target("avx512f"))) static void kernel_avx512(int kc, const float *a, const float *b,
                                                              float *c, int ldc, int load)
{
    __m512 c0[12], c1[12];
    #pragma GCC unroll 12
    for (int i = 0; i < 12; i++) {
        c0[i] = load ? _mm512_loadu_ps(c + (size_t)i * ldc) : _mm512_setzero_ps();
        c1[i] = load ? _mm512_loadu_ps(c + (size_t)i * ldc + 16) : _mm512_setzero_ps();
    }
#pragma GCC unroll 4
    for (int k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        #pragma GCC unroll 12
        for (int i = 0; i < 12; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
        }
        a += 12;
        b += 32;
    }
    #pragma GCC unroll 12
    for (int i = 0; i < 12; i++) {
        _mm512_storeu_ps(c + (size_t)i * ldc, c0[i]);
        _mm512_storeu_ps(c + (size_t)i * ldc + 16, c1[i]);
    }
}
#endif

bool gemm_path_supported(GemmPath p)
{
    switch (p) {
    case GEMM_AUTO:
    case GEMM_GENERIC:
        return true;
#if GEMM_X86
    case GEMM_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case GEMM_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f");
#else
    default:
        return false;
#endif
    }
    return false;
}

static KernelInfo kernel_for(GemmPath p)
{
    if (p == GEMM_AUTO)
        p = gemm_path_supported(GEMM_AVX512) ? GEMM_AVX512
            : gemm_path_supported(GEMM_AVX2) ? GEMM_AVX2 : GEMM_GENERIC;
    KernelInfo k = {GEMM_GENERIC, GENERIC_MR, GENERIC_NR, kernel_generic};
#if GEMM_X86
    if (p == GEMM_AVX2)
        k = (KernelInfo){GEMM_AVX2, 6, 16, kernel_avx2};
    else if (p == GEMM_AVX512)
        k = (KernelInfo){GEMM_AVX512, 12, 32, kernel_avx512};
#endif
    return k;
}

int gemm_path_from_env(GemmPath *p, Err *e)
{
    const char *v = getenv("MLPTRAIN_KERNEL");
    *p = GEMM_AUTO;
    if (!v || !*v)
        return 0;
    for (int i = 0; gemm_path_names[i]; i++)
        if (strcmp(v, gemm_path_names[i]) == 0) {
            *p = (GemmPath)i;
            if (!gemm_path_supported(*p))
                return err_set(e, "MLPTRAIN_KERNEL=%s: this CPU cannot run the %s kernels "
                                  "(use auto, generic%s)", v, v,
                               gemm_path_supported(GEMM_AVX2) ? " or avx2" : "");
            return 0;
        }
    return err_set(e, "MLPTRAIN_KERNEL=%s: unknown kernel path (expected auto, generic, avx2 or avx512)", v);
}

static Gemm *gemm_alloc(Pool *pool, GemmPath p)
{
    Gemm *g = xcalloc(1, sizeof *g);
    g->k = kernel_for(p);
    g->pool = pool;
    g->n_ws = pool_threads(pool);
    g->apack = xcalloc((size_t)g->n_ws, sizeof *g->apack);
    g->bpack = xcalloc((size_t)g->n_ws, sizeof *g->bpack);
    for (int t = 0; t < g->n_ws; t++) {
        g->apack[t] = xmalloc(sizeof(float) * (MC + MR_MAX) * KC);
        g->bpack[t] = xmalloc(sizeof(float) * KC * (NC + NR_MAX));
    }
    return g;
}

/* A product with full and edge tiles in both dimensions and two k blocks, compared with
 * gemm_ref: a SIMD kernel is checked on the CPU that runs it, which may not be one its
 * tests ran on. Values are small integers, so every path must agree exactly. */
static bool self_check(Gemm *g)
{
    enum { M = 2 * MR_MAX + 5, N = 2 * NR_MAX + 7, K = KC + 37 };
    float *A = xmalloc(sizeof(float) * M * K), *B = xmalloc(sizeof(float) * K * N);
    float *C = xmalloc(sizeof(float) * M * N), *R = xmalloc(sizeof(float) * M * N);
    for (int i = 0; i < M * K; i++)
        A[i] = (float)(i % 7 - 3);
    for (int i = 0; i < K * N; i++)
        B[i] = (float)(i % 5 - 2);
    for (int i = 0; i < M * N; i++)
        C[i] = R[i] = (float)(i % 3);
    gemm_ref(false, false, M, N, K, A, K, B, N, R, N, true);
    gemm(g, false, false, M, N, K, A, K, B, N, C, N, true);
    bool ok = memcmp(C, R, sizeof(float) * M * N) == 0;
    free(A);
    free(B);
    free(C);
    free(R);
    return ok;
}

Gemm *gemm_create(Pool *pool, GemmPath p, Err *e)
{
    if (!gemm_path_supported(p)) {
        err_set(e, "the %s kernels cannot run on this CPU", gemm_path_names[p]);
        return NULL;
    }
    /* auto: the fastest path that passes its self-check. */
    const GemmPath order[] = {GEMM_AVX512, GEMM_AVX2, GEMM_GENERIC};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        GemmPath q = p == GEMM_AUTO ? order[i] : p;
        if (!gemm_path_supported(q))
            continue;
        Gemm *g = gemm_alloc(pool, q);
        if (self_check(g))
            return g;
        gemm_free(g);
        if (p != GEMM_AUTO)
            break;
    }
    err_set(e, "the %s kernels failed their self-check on this CPU (products differ from the "
               "reference); use MLPTRAIN_KERNEL=generic", gemm_path_names[p]);
    return NULL;
}

void gemm_free(Gemm *g)
{
    if (!g)
        return;
    for (int t = 0; t < g->n_ws; t++) {
        free(g->apack[t]);
        free(g->bpack[t]);
    }
    free(g->apack);
    free(g->bpack);
    free(g);
}

GemmPath gemm_path(const Gemm *g)
{
    return g ? g->k.path : GEMM_GENERIC;
}

Pool *gemm_pool(const Gemm *g)
{
    return g ? g->pool : NULL;
}

/* ---- packing ---- */

/* Packing copies strided rows into k-major slivers; where the source runs along k it is
 * read in runs of PACK_K so the scattered writes stay within a few cache lines. */
#define PACK_K 8

/* Rows r0.. of a k-contiguous source (src + row * ld, element k at [k]) into a k-major
 * sliver of width w: dst[k * w + i] for i < rows, zero for rows <= i < w. */
static void pack_transposing(float *dst, const float *src, int ld, int rows, int kc, int w)
{
    for (int k0 = 0; k0 < kc; k0 += PACK_K) {
        int kb = kc - k0 < PACK_K ? kc - k0 : PACK_K;
        for (int i = 0; i < rows; i++) {
            const float *s = src + (size_t)i * ld + k0;
            for (int kk = 0; kk < kb; kk++)
                dst[(size_t)(k0 + kk) * w + i] = s[kk];
        }
        for (int kk = 0; kk < kb; kk++)
            for (int i = rows; i < w; i++)
                dst[(size_t)(k0 + kk) * w + i] = 0.0f;
    }
}

/* A source already k-major (element (i, k) at src[k * ld + i]): copy runs of rows. */
static void pack_copying(float *dst, const float *src, int ld, int rows, int kc, int w)
{
    for (int k = 0; k < kc; k++) {
        const float *s = src + (size_t)k * ld;
        for (int i = 0; i < rows; i++) /* a few floats: a loop beats a memcpy call */
            dst[i] = s[i];
        for (int i = rows; i < w; i++)
            dst[i] = 0.0f;
        dst += w;
    }
}

/* op(A)[i0..i0+mc) x [p0..p0+kc) into MR-row slivers, k-major, zero-padded to MR rows. */
static void pack_a(float *dst, const float *A, int lda, bool trans, int i0, int mc, int p0, int kc, int mr)
{
    for (int ir = 0; ir < mc; ir += mr) {
        int rows = mc - ir < mr ? mc - ir : mr;
        if (trans)
            pack_copying(dst, A + (size_t)p0 * lda + i0 + ir, lda, rows, kc, mr);
        else
            pack_transposing(dst, A + (size_t)(i0 + ir) * lda + p0, lda, rows, kc, mr);
        dst += (size_t)kc * mr;
    }
}

/* op(B)[p0..p0+kc) x [j0..j0+nc) into NR-column slivers, k-major, zero-padded to NR. */
static void pack_b(float *dst, const float *B, int ldb, bool trans, int p0, int kc, int j0, int nc, int nr)
{
    for (int jr = 0; jr < nc; jr += nr) {
        int cols = nc - jr < nr ? nc - jr : nr;
        if (trans)
            pack_transposing(dst, B + (size_t)(j0 + jr) * ldb + p0, ldb, cols, kc, nr);
        else
            pack_copying(dst, B + (size_t)p0 * ldb + j0 + jr, ldb, cols, kc, nr);
        dst += (size_t)kc * nr;
    }
}

/* ---- the blocked product over one block of C ---- */

typedef struct {
    Gemm *g;
    bool ta, tb, accumulate;
    int M, N, K, lda, ldb, ldc;
    const float *A, *B;
    float *C;
    int tm, tn;          /* task grid: tm blocks of rows x tn blocks of columns */
    int mstep, nstep;    /* rows / columns per block (multiples of MR / NR) */
} Job;

static void run_block(const Job *j, int thread, int m0, int m1, int n0, int n1)
{
    const KernelInfo *ki = &j->g->k;
    int mr = ki->mr, nr = ki->nr;
    float *ap = j->g->apack[thread], *bp = j->g->bpack[thread];
    float tile[MR_MAX * NR_MAX];
    bool timed = j->g->stats_on && thread == 0;
    for (int jc = n0; jc < n1; jc += NC) {
        int nc = n1 - jc < NC ? n1 - jc : NC;
        for (int pc = 0; pc < j->K; pc += KC) {
            int kc = j->K - pc < KC ? j->K - pc : KC;
            int load = j->accumulate || pc > 0;
            double t0 = timed ? util_now() : 0;
            pack_b(bp, j->B, j->ldb, j->tb, pc, kc, jc, nc, nr);
            if (timed)
                j->g->stats.pack_seconds += util_now() - t0;
            for (int ic = m0; ic < m1; ic += MC) {
                int mc = m1 - ic < MC ? m1 - ic : MC;
                t0 = timed ? util_now() : 0;
                pack_a(ap, j->A, j->lda, j->ta, ic, mc, pc, kc, mr);
                if (timed)
                    j->g->stats.pack_seconds += util_now() - t0;
                for (int jr = 0; jr < nc; jr += nr) {
                    int cols = nc - jr < nr ? nc - jr : nr;
                    for (int ir = 0; ir < mc; ir += mr) {
                        int rows = mc - ir < mr ? mc - ir : mr;
                        float *c = j->C + (size_t)(ic + ir) * j->ldc + jc + jr;
                        const float *a = ap + (size_t)ir * kc, *b = bp + (size_t)jr * kc;
                        if (rows == mr && cols == nr) {
                            ki->kernel(kc, a, b, c, j->ldc, load);
                            continue;
                        }
                        /* Edge tile: run the full kernel on a copy, keep the valid part. */
                        for (int i = 0; i < mr; i++)
                            for (int q = 0; q < nr; q++)
                                tile[i * nr + q] =
                                    load && i < rows && q < cols ? c[(size_t)i * j->ldc + q] : 0.0f;
                        ki->kernel(kc, a, b, tile, nr, 1);
                        for (int i = 0; i < rows; i++)
                            memcpy(c + (size_t)i * j->ldc, tile + i * nr, sizeof(float) * (size_t)cols);
                    }
                }
            }
        }
    }
}

static void gemm_task(void *ctx, int task, int thread)
{
    const Job *j = ctx;
    int bm = task / j->tn, bn = task % j->tn;
    int m0 = bm * j->mstep, n0 = bn * j->nstep;
    int m1 = m0 + j->mstep < j->M ? m0 + j->mstep : j->M;
    int n1 = n0 + j->nstep < j->N ? n0 + j->nstep : j->N;
    if (m0 < m1 && n0 < n1)
        run_block(j, thread, m0, m1, n0, n1);
}

static int ceil_div(int a, int b)
{
    return (a + b - 1) / b;
}

static void product(Gemm *g, bool trans_a, bool trans_b, int M, int N, int K,
                    const float *A, int lda, const float *B, int ldb, float *C, int ldc, bool accumulate);

void gemm(Gemm *g, bool trans_a, bool trans_b, int M, int N, int K,
          const float *A, int lda, const float *B, int ldb, float *C, int ldc, bool accumulate)
{
    if (g && g->stats_on) {
        double t0 = util_now();
        product(g, trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
        g->stats.seconds += util_now() - t0;
        g->stats.flops += 2.0 * M * N * K;
        g->stats.calls++;
        return;
    }
    product(g, trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void gemm_stats_reset(Gemm *g)
{
    g->stats_on = true;
    memset(&g->stats, 0, sizeof g->stats);
}

GemmStats gemm_stats(const Gemm *g)
{
    return g->stats;
}

static void product(Gemm *g, bool trans_a, bool trans_b, int M, int N, int K,
                    const float *A, int lda, const float *B, int ldb, float *C, int ldc, bool accumulate)
{
    if (!g) {
        gemm_ref(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
        return;
    }
    if (M <= 0 || N <= 0)
        return;
    if (K <= 0) {
        if (!accumulate)
            for (int i = 0; i < M; i++)
                memset(C + (size_t)i * ldc, 0, sizeof(float) * (size_t)N);
        return;
    }
    Job j = {g, trans_a, trans_b, accumulate, M, N, K, lda, ldb, ldc, A, B, C, 1, 1, M, N};
    /* Threads this product pays for: each must get at least MIN_FLOPS_PER_THREAD. */
    int threads = pool_threads(g->pool);
    double flops = 2.0 * M * N * K;
    if (threads > flops / MIN_FLOPS_PER_THREAD)
        threads = (int)(flops / MIN_FLOPS_PER_THREAD);
    if (threads > 1) {
        /* Each block packs all of op(A) for a split along N, all of op(B) for a split along
         * M: split the dimension whose operand is larger, so less is packed twice. */
        int ntiles = ceil_div(N, g->k.nr), mtiles = ceil_div(M, g->k.mr);
        if (M > N && mtiles >= threads) {
            j.tm = threads;
            j.tn = 1;
        } else {
            j.tn = ntiles < threads ? ntiles : threads;
            j.tm = threads / j.tn;
            if (j.tm > mtiles)
                j.tm = mtiles;
        }
        j.nstep = ceil_div(ntiles, j.tn) * g->k.nr;
        j.mstep = ceil_div(mtiles, j.tm) * g->k.mr;
        j.tn = ceil_div(N, j.nstep);
        j.tm = ceil_div(M, j.mstep);
    }
    if (j.tm * j.tn == 1)
        run_block(&j, 0, 0, M, 0, N);
    else
        pool_run_threads(g->pool, j.tm * j.tn, j.tm * j.tn, gemm_task, &j);
}
