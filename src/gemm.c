/* gemm.c - matrix products: the plain reference, and a packed, cache-blocked GEMM in the
 * BLIS style with three micro-kernels (portable C, AVX2+FMA, AVX-512F) picked at run time.
 *
 * Blocking, per path (Layout): K is cut into nearly equal blocks of at most kc; for each,
 * op(A) is packed into MR-row slivers (k-major, MR values per k) for up to mc rows, and
 * op(B) into NR-column slivers for up to nc columns. The micro-kernel computes one MR x NR
 * tile of C over a k block from one A sliver, which stays in L1, and one B sliver, streamed
 * from the L2-sized packed B block. Edge tiles are stored through masks (AVX-512) or bounds
 * (C), or through a copy in L1 (AVX2, whose registers are all taken). Packing uses SIMD
 * transposes where the source runs along k.
 *
 * Threads: a product takes as many threads as pay for themselves (choose_grid); each task
 * owns one block of C and packs its own operands, so tasks are independent and a product
 * costs one pool dispatch. Every micro-kernel starts each element from C (or 0)
 * and adds the k terms in order, and the k blocks depend on K only, so an element's value
 * does not depend on the thread count. The C kernel adds after rounding each product, like
 * gemm_ref, and is bit-identical to it. Not here: alpha/beta scaling, other types. */
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

#define MR_MAX 12
#define NR_MAX 32

/* c (MR,NR, row stride ldc) = (init ? init : 0) + a . b over kc, a packed (kc, MR)
 * k-major, b packed (kc, NR) k-major; init has row stride init_ld (c itself with ldc, or
 * with 0 one row for every row: a bias); only rows x cols of the tile are read and
 * written. c_next is the tile the next call will write (prefetched). */
typedef void (*MicroKernel)(int kc, const float *a, const float *b, float *c, int ldc,
                            const float *init, int init_ld, int rows, int cols, const float *c_next);
/* ceil(n / w) slivers of kc x w values (k-major, zero past n) at dst from n source rows of
 * length kc with stride ld (transposing), or from kc source rows of length n (copying). */
typedef void (*PackFn)(float *dst, const float *src, int ld, int n, int kc, int w);

typedef struct {
    GemmPath path;
    int mr, nr;          /* register tile */
    int kc, mc, nc;      /* cache blocks: k depth, rows of A and columns of B packed at once */
    MicroKernel kernel;
    PackFn transposing, copying;
} Layout;

struct Gemm {
    Layout k;
    Pool *pool;
    int n_ws;
    float **apack, **bpack;   /* per thread: mc x kc and kc x nc, padded to the tile */
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

/* ---- portable C: micro-kernel and packing ---- */

#define GENERIC_MR 4
#define GENERIC_NR 8

static void kernel_generic(int kc, const float *a, const float *b, float *c, int ldc,
                           const float *init, int init_ld, int rows, int cols, const float *c_next)
{
    (void)c_next;
    float acc[GENERIC_MR][GENERIC_NR];
    for (int i = 0; i < GENERIC_MR; i++)
        for (int j = 0; j < GENERIC_NR; j++)
            acc[i][j] = init && i < rows && j < cols ? init[(size_t)i * init_ld + j] : 0.0f;
    for (int k = 0; k < kc; k++) {
        const float *ak = a + k * GENERIC_MR, *bk = b + k * GENERIC_NR;
        for (int i = 0; i < GENERIC_MR; i++)
            for (int j = 0; j < GENERIC_NR; j++)
                acc[i][j] += ak[i] * bk[j];
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            c[(size_t)i * ldc + j] = acc[i][j];
}

/* Packing a block: n rows (transposing: each row runs along k, stride ld) or n columns
 * (copying: kc rows of n values, stride ld) into ceil(n / w) slivers of kc x w, k-major,
 * the last zero-padded to w. Copying walks each source row once across all slivers, so
 * reads stay sequential; transposing reads rows in runs of PACK_K so the scattered writes
 * stay within a few cache lines. */
#define PACK_K 8

static void pack_transposing_c(float *dst, const float *src, int ld, int n, int kc, int w)
{
    for (int s0 = 0; s0 < n; s0 += w, dst += (size_t)kc * w) {
        int rows = n - s0 < w ? n - s0 : w;
        for (int k0 = 0; k0 < kc; k0 += PACK_K) {
            int kb = kc - k0 < PACK_K ? kc - k0 : PACK_K;
            for (int i = 0; i < rows; i++) {
                const float *r = src + (size_t)(s0 + i) * ld + k0;
                for (int kk = 0; kk < kb; kk++)
                    dst[(size_t)(k0 + kk) * w + i] = r[kk];
            }
            for (int kk = 0; kk < kb; kk++)
                for (int i = rows; i < w; i++)
                    dst[(size_t)(k0 + kk) * w + i] = 0.0f;
        }
    }
}

static void pack_copying_c(float *dst, const float *src, int ld, int n, int kc, int w)
{
    for (int k = 0; k < kc; k++) {
        const float *r = src + (size_t)k * ld;
        for (int s0 = 0; s0 < n; s0 += w) {
            float *d = dst + (size_t)(s0 / w) * kc * w + (size_t)k * w;
            int cols = n - s0 < w ? n - s0 : w;
            for (int i = 0; i < cols; i++)
                d[i] = r[s0 + i];
            for (int i = cols; i < w; i++)
                d[i] = 0.0f;
        }
    }
}

#if GEMM_X86
/* ---- x86: packing with AVX transposes (every CPU with AVX-512F has AVX2) ---- */

/* r[i] = row i (8 values along k) -> r[k] = column k (8 rows). */
__attribute__((target("avx2"))) static inline void transpose8(__m256 r[8])
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* 8 rows x 8 k of src (row stride ld) into d (k-major, row stride w). */
__attribute__((target("avx2"), always_inline)) static inline void
transpose_block8(float *d, int w, const float *src, int ld)
{
    __m256 r[8];
    for (int q = 0; q < 8; q++)
        r[q] = _mm256_loadu_ps(src + (size_t)q * ld);
    transpose8(r);
    for (int q = 0; q < 8; q++)
        _mm256_storeu_ps(d + (size_t)q * w, r[q]);
}

/* 4 rows x 8 k. */
__attribute__((target("avx2"), always_inline)) static inline void
transpose_block4(float *d, int w, const float *src, int ld)
{
    __m128 lo[4], hi[4];
    for (int q = 0; q < 4; q++) {
        lo[q] = _mm_loadu_ps(src + (size_t)q * ld);
        hi[q] = _mm_loadu_ps(src + (size_t)q * ld + 4);
    }
    _MM_TRANSPOSE4_PS(lo[0], lo[1], lo[2], lo[3]);
    _MM_TRANSPOSE4_PS(hi[0], hi[1], hi[2], hi[3]);
    for (int q = 0; q < 4; q++) {
        _mm_storeu_ps(d + (size_t)q * w, lo[q]);
        _mm_storeu_ps(d + (size_t)(q + 4) * w, hi[q]);
    }
}

/* Rows in groups of 8 (8x8 transposes) then 4 (4x4); each group is read along all of kc
 * before the next, so only 8 (or 4) source streams are open at a time and the hardware
 * prefetchers follow them; the rest (a few rows at an edge, kc % 8) element by element. */
__attribute__((target("avx2"))) static void pack_transposing_avx(float *dst, const float *src, int ld,
                                                                   int n, int kc, int w)
{
    int k8 = kc & ~7;
    for (int s0 = 0; s0 < n; s0 += w, dst += (size_t)kc * w) {
        int rows = n - s0 < w ? n - s0 : w;
        const float *sv = src + (size_t)s0 * ld;
        int i = 0;
        for (; i + 8 <= rows; i += 8)
            for (int k0 = 0; k0 < k8; k0 += 8)
                transpose_block8(dst + (size_t)k0 * w + i, w, sv + (size_t)i * ld + k0, ld);
        for (; i + 4 <= rows; i += 4)
            for (int k0 = 0; k0 < k8; k0 += 8)
                transpose_block4(dst + (size_t)k0 * w + i, w, sv + (size_t)i * ld + k0, ld);
        for (; i < rows; i++)
            for (int k = 0; k < k8; k++)
                dst[(size_t)k * w + i] = sv[(size_t)i * ld + k];
        for (int k = 0; k < k8; k++)
            for (int z = rows; z < w; z++)
                dst[(size_t)k * w + z] = 0.0f;
        if (k8 < kc)
            pack_transposing_c(dst + (size_t)k8 * w, sv + k8, ld, rows, kc - k8, w);
    }
}

/* Full slivers with vector copies, 8 source rows at a time: each sliver then receives 8
 * consecutive rows (contiguous writes; slivers lie kc x w x 4 bytes apart, which would put
 * one row's writes to every sliver in the same L1 set). An edge sliver (and slivers of 6)
 * in C. */
__attribute__((target("avx2"))) static void pack_copying_avx(float *dst, const float *src, int ld,
                                                               int n, int kc, int w)
{
    int full = w % 4 == 0 ? n / w * w : 0;
    for (int k0 = 0; k0 < kc && full > 0; k0 += 8) {
        int kb = kc - k0 < 8 ? kc - k0 : 8;
        for (int s0 = 0; s0 < full; s0 += w) {
            float *d = dst + (size_t)(s0 / w) * kc * w + (size_t)k0 * w;
            for (int k = 0; k < kb; k++, d += w) {
                const float *r = src + (size_t)(k0 + k) * ld + s0;
                int i = 0;
                for (; i + 8 <= w; i += 8)
                    _mm256_storeu_ps(d + i, _mm256_loadu_ps(r + i));
                if (i < w)
                    _mm_storeu_ps(d + i, _mm_loadu_ps(r + i));
            }
        }
    }
    if (full < n)
        pack_copying_c(dst + (size_t)(full / w) * kc * w, src + full, ld, n - full, kc, w);
}

/* ---- x86 micro-kernels ---- */

/* 6 x 16: 12 ymm accumulators, 2 ymm of B, one broadcast of A per row. The body is
 * written for a whole tile only: 12 accumulators + 3 operands leave no register for edge
 * masks, so an edge tile runs through a copy in L1 (and is rare: at most one row and one
 * column of tiles per product). */
#define AVX2_MR 6
#define AVX2_NR 16

__attribute__((target("avx2,fma"), always_inline)) static inline void
avx2_tile(int kc, const float *a, const float *b, float *c, int ldc, const float *init, int init_ld,
          int tile_rows, const float *c_next)
{
    __m256 c0[AVX2_MR], c1[AVX2_MR];
    if (init) {
        #pragma GCC unroll 6
        for (int i = 0; i < tile_rows; i++) {
            c0[i] = _mm256_loadu_ps(init + (size_t)i * init_ld);
            c1[i] = _mm256_loadu_ps(init + (size_t)i * init_ld + 8);
        }
    } else {
        #pragma GCC unroll 6
        for (int i = 0; i < tile_rows; i++)
            c0[i] = c1[i] = _mm256_setzero_ps();
    }
    #pragma GCC unroll 6
    for (int i = 0; i < tile_rows; i++)
        _mm_prefetch((const char *)(c_next + (size_t)i * ldc), _MM_HINT_T0);
#pragma GCC unroll 4
    for (int k = 0; k < kc; k++) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        #pragma GCC unroll 6
        for (int i = 0; i < tile_rows; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i);
            c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
        }
        a += AVX2_MR;
        b += AVX2_NR;
    }
    #pragma GCC unroll 6
    for (int i = 0; i < tile_rows; i++) {
        _mm256_storeu_ps(c + (size_t)i * ldc, c0[i]);
        _mm256_storeu_ps(c + (size_t)i * ldc + 8, c1[i]);
    }
}

/* The tile body out of line, so the edge masks are not live across its loop; a tile of at
 * most 2 or 4 rows computes only those (the last rows of a batch of 64: 4 of 6). */
__attribute__((target("avx2,fma"), noinline)) static void
avx2_tile_copy(int kc, const float *a, const float *b, float *tile, int rows, const float *c_next)
{
    if (rows <= 2)
        avx2_tile(kc, a, b, tile, AVX2_NR, tile, AVX2_NR, 2, c_next);
    else if (rows <= 4)
        avx2_tile(kc, a, b, tile, AVX2_NR, tile, AVX2_NR, 4, c_next);
    else
        avx2_tile(kc, a, b, tile, AVX2_NR, tile, AVX2_NR, AVX2_MR, c_next);
}

__attribute__((target("avx2,fma"))) static void kernel_avx2(int kc, const float *a, const float *b,
                                                             float *c, int ldc, const float *init,
                                                             int init_ld, int rows, int cols,
                                                             const float *c_next)
{
    if (rows == AVX2_MR && cols == AVX2_NR) {
        avx2_tile(kc, a, b, c, ldc, init, init_ld, AVX2_MR, c_next);
        return;
    }
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lane);
    __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - 8), lane);
    _Alignas(32) float tile[AVX2_MR * AVX2_NR];
    for (int i = 0; i < AVX2_MR; i++) {
        __m256 v0 = _mm256_setzero_ps(), v1 = _mm256_setzero_ps();
        if (init && i < rows) {
            v0 = _mm256_maskload_ps(init + (size_t)i * init_ld, m0);
            v1 = _mm256_maskload_ps(init + (size_t)i * init_ld + 8, m1);
        }
        _mm256_store_ps(tile + i * AVX2_NR, v0);
        _mm256_store_ps(tile + i * AVX2_NR + 8, v1);
    }
    avx2_tile_copy(kc, a, b, tile, rows, c_next);
    for (int i = 0; i < rows; i++) {
        _mm256_maskstore_ps(c + (size_t)i * ldc, m0, _mm256_load_ps(tile + i * AVX2_NR));
        _mm256_maskstore_ps(c + (size_t)i * ldc + 8, m1, _mm256_load_ps(tile + i * AVX2_NR + 8));
    }
}

/* 12 x 32: 24 zmm accumulators, 2 zmm of B, one broadcast of A per row; edge tiles load
 * and store through lane masks (k registers, so the body stays the same), and an edge
 * tile of at most 4 or 8 rows computes only those (the last rows of a batch of 64: 4 of
 * 12). */
#define AVX512_MR 12
#define AVX512_NR 32

__attribute__((target("avx512f"), always_inline)) static inline void
avx512_tile(int kc, const float *a, const float *b, float *c, int ldc, const float *init,
            int init_ld, int rows, __mmask16 m0, __mmask16 m1, bool edge, int tile_rows,
            const float *c_next)
{
    __m512 c0[AVX512_MR], c1[AVX512_MR];
    if (!init) {
        #pragma GCC unroll 12
        for (int i = 0; i < tile_rows; i++)
            c0[i] = c1[i] = _mm512_setzero_ps();
    } else if (!edge) {
        #pragma GCC unroll 12
        for (int i = 0; i < tile_rows; i++) {
            c0[i] = _mm512_loadu_ps(init + (size_t)i * init_ld);
            c1[i] = _mm512_loadu_ps(init + (size_t)i * init_ld + 16);
        }
    } else {
        #pragma GCC unroll 12
        for (int i = 0; i < tile_rows; i++) {
            __mmask16 r0 = i < rows ? m0 : 0, r1 = i < rows ? m1 : 0;
            c0[i] = _mm512_maskz_loadu_ps(r0, init + (size_t)i * init_ld);
            c1[i] = _mm512_maskz_loadu_ps(r1, init + (size_t)i * init_ld + 16);
        }
    }
    #pragma GCC unroll 12
    for (int i = 0; i < tile_rows; i++) {
        _mm_prefetch((const char *)(c_next + (size_t)i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c_next + (size_t)i * ldc + 16), _MM_HINT_T0);
    }
#pragma GCC unroll 4
    for (int k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        #pragma GCC unroll 12
        for (int i = 0; i < tile_rows; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
        }
        a += AVX512_MR;
        b += AVX512_NR;
    }
    if (!edge) {
        #pragma GCC unroll 12
        for (int i = 0; i < tile_rows; i++) {
            _mm512_storeu_ps(c + (size_t)i * ldc, c0[i]);
            _mm512_storeu_ps(c + (size_t)i * ldc + 16, c1[i]);
        }
    } else {
        #pragma GCC unroll 12
        for (int i = 0; i < tile_rows; i++) {
            __mmask16 r0 = i < rows ? m0 : 0, r1 = i < rows ? m1 : 0;
            _mm512_mask_storeu_ps(c + (size_t)i * ldc, r0, c0[i]);
            _mm512_mask_storeu_ps(c + (size_t)i * ldc + 16, r1, c1[i]);
        }
    }
}

__attribute__((target("avx512f"))) static void kernel_avx512(int kc, const float *a, const float *b,
                                                              float *c, int ldc, const float *init,
                                                              int init_ld, int rows, int cols,
                                                              const float *c_next)
{
    if (rows == AVX512_MR && cols == AVX512_NR) {
        avx512_tile(kc, a, b, c, ldc, init, init_ld, rows, 0xffff, 0xffff, false, AVX512_MR,
                    c_next);
        return;
    }
    __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
    __mmask16 m1 = cols >= 32 ? 0xffff : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
    if (rows <= 4)
        avx512_tile(kc, a, b, c, ldc, init, init_ld, rows, m0, m1, true, 4, c_next);
    else if (rows <= 8)
        avx512_tile(kc, a, b, c, ldc, init, init_ld, rows, m0, m1, true, 8, c_next);
    else
        avx512_tile(kc, a, b, c, ldc, init, init_ld, rows, m0, m1, true, AVX512_MR, c_next);
}
#endif

/* ---- paths ---- */

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
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2");
#else
    default:
        return false;
#endif
    }
    return false;
}

/* Block sizes, measured with make bench-gemm on an AMD EPYC Zen 4 (32 KB L1d, 1 MB L2 per
 * core): an A sliver of MR x kc (15 KB at 12 x 320) stays in L1, the packed B block of
 * kc x nc (960 KB at 320 x 768) in L2, the packed A block of mc x kc in L3 (mc 2048, so a
 * weight gradient of a 2048-wide layer packs its B once). BLIS uses the same order on
 * Zen 4 (its A and B are our B and A). The AVX2 and AVX-512 paths share kc, so they add
 * the same terms in the same order and give bit-identical products. */
#define SIMD_KC 320
#define SIMD_MC 2048
#define SIMD_NC 768

static Layout layout_for(GemmPath p)
{
    Layout k = {GEMM_GENERIC, GENERIC_MR, GENERIC_NR, 256, 256, 1024, kernel_generic,
                pack_transposing_c, pack_copying_c};
#if GEMM_X86
    if (p == GEMM_AVX2)
        k = (Layout){GEMM_AVX2, AVX2_MR, AVX2_NR, SIMD_KC, SIMD_MC, SIMD_NC, kernel_avx2,
                     pack_transposing_avx, pack_copying_avx};
    else if (p == GEMM_AVX512)
        k = (Layout){GEMM_AVX512, AVX512_MR, AVX512_NR, SIMD_KC, SIMD_MC, SIMD_NC, kernel_avx512,
                     pack_transposing_avx, pack_copying_avx};
#else
    (void)p;
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

static size_t round_up(size_t n, size_t m)
{
    return (n + m - 1) / m * m;
}

/* Floats of one thread's packed A block and packed B block. */
static size_t a_pack_size(const Layout *k)
{
    return round_up((size_t)k->mc, (size_t)k->mr) * (size_t)k->kc;
}

static size_t b_pack_size(const Layout *k)
{
    return (size_t)k->kc * round_up((size_t)k->nc, (size_t)k->nr);
}

double gemm_workspace_bytes(int threads)
{
    size_t most = 0;
    for (GemmPath p = GEMM_GENERIC; p <= GEMM_AVX512; p++) {
        Layout k = layout_for(p);
        size_t n = a_pack_size(&k) + b_pack_size(&k);
        most = n > most ? n : most;
    }
    return (double)threads * sizeof(float) * (double)most;
}

static Gemm *gemm_alloc(Pool *pool, GemmPath p)
{
    Gemm *g = xcalloc(1, sizeof *g);
    g->k = layout_for(p);
    g->pool = pool;
    g->n_ws = pool_threads(pool);
    g->apack = xcalloc((size_t)g->n_ws, sizeof *g->apack);
    g->bpack = xcalloc((size_t)g->n_ws, sizeof *g->bpack);
    size_t a_size = a_pack_size(&g->k), b_size = b_pack_size(&g->k);
    for (int t = 0; t < g->n_ws; t++) {
        g->apack[t] = xmalloc(sizeof(float) * a_size);
        g->bpack[t] = xmalloc(sizeof(float) * b_size);
    }
    return g;
}

/* A product with full and edge tiles in both dimensions, two k blocks and every transpose,
 * compared with gemm_ref: a SIMD kernel is checked on the CPU that runs it, which may not be
 * one its tests ran on. Values are small integers, so every path must agree exactly. */
static bool self_check(Gemm *g)
{
    const Layout *k = &g->k;
    int M = 2 * k->mr + 5, N = 2 * k->nr + 7, K = k->kc + 37;
    size_t n_a = (size_t)M * K, n_b = (size_t)K * N, n_c = (size_t)M * N;
    float *A = xmalloc(sizeof(float) * n_a), *B = xmalloc(sizeof(float) * n_b);
    float *C = xmalloc(sizeof(float) * n_c), *R = xmalloc(sizeof(float) * n_c);
    for (size_t i = 0; i < n_a; i++)
        A[i] = (float)((int)(i % 7) - 3);
    for (size_t i = 0; i < n_b; i++)
        B[i] = (float)((int)(i % 5) - 2);
    bool ok = true;
    for (int t = 0; t < 4 && ok; t++) {
        bool ta = t & 1, tb = t & 2;
        int lda = ta ? M : K, ldb = tb ? K : N;
        for (size_t i = 0; i < n_c; i++)
            C[i] = R[i] = (float)(i % 3);
        gemm_ref(ta, tb, M, N, K, A, lda, B, ldb, R, N, true);
        gemm(g, ta, tb, M, N, K, A, lda, B, ldb, C, N, true);
        ok = memcmp(C, R, sizeof(float) * n_c) == 0;
    }
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

/* ---- packing a block ---- */

/* op(A)[i0..i0+mc) x [p0..p0+kc) into MR-row slivers, zero-padded to MR rows. */
static void pack_a(const Layout *L, float *dst, const float *A, int lda, bool trans, int i0, int mc,
                   int p0, int kc)
{
    if (trans)
        L->copying(dst, A + (size_t)p0 * lda + i0, lda, mc, kc, L->mr);
    else
        L->transposing(dst, A + (size_t)i0 * lda + p0, lda, mc, kc, L->mr);
}

/* op(B)[p0..p0+kc) x [j0..j0+nc) into NR-column slivers, zero-padded to NR columns. */
static void pack_b(const Layout *L, float *dst, const float *B, int ldb, bool trans, int p0, int kc,
                   int j0, int nc)
{
    if (trans)
        L->transposing(dst, B + (size_t)j0 * ldb + p0, ldb, nc, kc, L->nr);
    else
        L->copying(dst, B + (size_t)p0 * ldb + j0, ldb, nc, kc, L->nr);
}

/* ---- the blocked product over one block of C ---- */

typedef struct {
    Gemm *g;
    bool ta, tb, accumulate;
    int M, N, K, lda, ldb, ldc;
    const float *A, *B, *bias;   /* bias: NULL, or the row C starts from */
    float *C;
    int kc;              /* k block: K cut into nearly equal blocks of at most layout kc */
    int tm, tn;          /* task grid: tm blocks of rows x tn blocks of columns */
    int mstep, nstep;    /* rows / columns per block (multiples of MR / NR) */
} Job;

/* The tiles of one packed A block (mc rows) x packed B block (nc columns): each A sliver
 * stays in L1 while the B slivers stream past it from L2. Tiles start from C after the
 * first k block; on the first, from C (accumulate), the bias row, or zero. */
static void run_tiles(const Job *j, const float *ap, const float *bp, int ic, int mc, int jc,
                      int nc, int kc, bool first)
{
    const Layout *L = &j->g->k;
    int mr = L->mr, nr = L->nr, ldc = j->ldc;
    float *c0 = j->C + (size_t)ic * ldc + jc;
    for (int ir = 0; ir < mc; ir += mr) {
        int rows = mc - ir < mr ? mc - ir : mr;
        const float *a = ap + (size_t)ir * kc;
        for (int jr = 0; jr < nc; jr += nr) {
            int cols = nc - jr < nr ? nc - jr : nr;
            float *c = c0 + (size_t)ir * ldc + jr;
            const float *next = jr + nr < nc ? c + nr : ir + mr < mc ? c0 + (size_t)(ir + mr) * ldc : c;
            const float *init = c;
            int init_ld = ldc;
            if (first && !j->accumulate) {
                init = j->bias ? j->bias + jc + jr : NULL;
                init_ld = 0;
            }
            L->kernel(kc, a, bp + (size_t)jr * kc, c, ldc, init, init_ld, rows, cols, next);
        }
    }
}

static void run_block(const Job *j, int thread, int m0, int m1, int n0, int n1)
{
    const Layout *L = &j->g->k;
    float *ap = j->g->apack[thread], *bp = j->g->bpack[thread];
    bool timed = j->g->stats_on && thread == 0;
    for (int pc = 0; pc < j->K; pc += j->kc) {
        int kc = j->K - pc < j->kc ? j->K - pc : j->kc;
        for (int ic = m0; ic < m1; ic += L->mc) {
            int mc = m1 - ic < L->mc ? m1 - ic : L->mc;
            double t0 = timed ? util_now() : 0;
            pack_a(L, ap, j->A, j->lda, j->ta, ic, mc, pc, kc);
            if (timed)
                j->g->stats.pack_seconds += util_now() - t0;
            for (int jc = n0; jc < n1; jc += L->nc) {
                int nc = n1 - jc < L->nc ? n1 - jc : L->nc;
                t0 = timed ? util_now() : 0;
                pack_b(L, bp, j->B, j->ldb, j->tb, pc, kc, jc, nc);
                if (timed)
                    j->g->stats.pack_seconds += util_now() - t0;
                run_tiles(j, ap, bp, ic, mc, jc, nc, kc, pc == 0);
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

/* Splits C into a grid of tm x tn blocks, one task each, for at most `threads` threads:
 * the grid whose slowest block is expected to finish first. A block of r rows and c
 * columns multiplies 2 r c K FLOPs and packs (r + c) K values (its share of op(A) and
 * op(B): both are packed again by every block that needs them), and every thread beyond
 * the first costs a wake-up; so a small product stays on one thread, and on many cores a
 * product is cut both ways (a 512 x 2048 output on 64 threads into 4 x 16 blocks, not
 * 1 x 64 blocks that would each pack all of op(A)). Rates measured on an AMD EPYC Zen 4
 * (make bench-gemm); only their ratios matter. */
#define GRID_FLOP_S 1.0e-11       /* seconds per FLOP in the kernel (100 GFLOP/s) */
#define GRID_PACK_S 3.0e-10       /* seconds per value packed */
#define GRID_THREAD_S 2.0e-6      /* seconds per extra thread: wake-up and hand-over */

/* Expected seconds of the slowest block when the grid has blocks of mstep x nstep. */
static double grid_time(const Job *j, int mstep, int nstep)
{
    int r = mstep < j->M ? mstep : j->M, c = nstep < j->N ? nstep : j->N;
    int used = ceil_div(j->M, mstep) * ceil_div(j->N, nstep);
    return (GRID_FLOP_S * 2.0 * r * c + GRID_PACK_S * (r + c)) * j->K + GRID_THREAD_S * (used - 1);
}

static void choose_grid(Job *j, int threads)
{
    const Layout *L = &j->g->k;
    int mtiles = ceil_div(j->M, L->mr), ntiles = ceil_div(j->N, L->nr);
    j->tm = j->tn = 1;
    j->mstep = j->M;
    j->nstep = j->N;
    double best = grid_time(j, j->M, j->N);
    if (best < 2 * GRID_THREAD_S)
        return; /* too small for any second thread */
    for (int tm = 1; tm <= threads && tm <= mtiles; tm++)
        for (int tn = 1; tm * tn <= threads && tn <= ntiles; tn++) {
            /* Whole tiles per block. */
            int mstep = ceil_div(mtiles, tm) * L->mr, nstep = ceil_div(ntiles, tn) * L->nr;
            double t = grid_time(j, mstep, nstep);
            if (t < best) {
                best = t;
                j->mstep = mstep;
                j->nstep = nstep;
                j->tm = ceil_div(j->M, mstep);
                j->tn = ceil_div(j->N, nstep);
            }
        }
}

static void product(Gemm *g, bool trans_a, bool trans_b, int M, int N, int K, const float *A,
                    int lda, const float *B, int ldb, const float *bias, float *C, int ldc,
                    bool accumulate)
{
    if (M <= 0 || N <= 0)
        return;
    if (!g || K <= 0) {
        /* The bias rows first, then the terms added onto them: the same bits as a tile
         * that starts from the bias. */
        if (bias)
            for (int i = 0; i < M; i++)
                memcpy(C + (size_t)i * ldc, bias, sizeof(float) * (size_t)N);
        if (!g)
            gemm_ref(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, accumulate || bias);
        else if (!accumulate && !bias)
            for (int i = 0; i < M; i++)
                memset(C + (size_t)i * ldc, 0, sizeof(float) * (size_t)N);
        return;
    }
    const Layout *L = &g->k;
    Job j = {g, trans_a, trans_b, accumulate, M, N, K, lda, ldb, ldc, A, B, bias, C, 0, 1, 1, M, N};
    j.kc = ceil_div(K, ceil_div(K, L->kc));
    choose_grid(&j, pool_threads_now(g->pool));
    if (j.tm * j.tn == 1)
        run_block(&j, 0, 0, M, 0, N);
    else
        pool_run_threads(g->pool, j.tm * j.tn, j.tm * j.tn, gemm_task, &j);
}

static void timed_product(Gemm *g, bool trans_a, bool trans_b, int M, int N, int K,
                          const float *A, int lda, const float *B, int ldb, const float *bias,
                          float *C, int ldc, bool accumulate)
{
    if (g && g->stats_on) {
        double t0 = util_now();
        product(g, trans_a, trans_b, M, N, K, A, lda, B, ldb, bias, C, ldc, accumulate);
        g->stats.seconds += util_now() - t0;
        g->stats.flops += 2.0 * M * N * K;
        g->stats.calls++;
        return;
    }
    product(g, trans_a, trans_b, M, N, K, A, lda, B, ldb, bias, C, ldc, accumulate);
}

void gemm(Gemm *g, bool trans_a, bool trans_b, int M, int N, int K,
          const float *A, int lda, const float *B, int ldb, float *C, int ldc, bool accumulate)
{
    timed_product(g, trans_a, trans_b, M, N, K, A, lda, B, ldb, NULL, C, ldc, accumulate);
}

void gemm_bias(Gemm *g, bool trans_a, bool trans_b, int M, int N, int K, const float *A, int lda,
               const float *B, int ldb, const float *bias, float *C, int ldc)
{
    timed_product(g, trans_a, trans_b, M, N, K, A, lda, B, ldb, bias, C, ldc, false);
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
