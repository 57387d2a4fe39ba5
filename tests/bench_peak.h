/* bench_peak.h - measures this machine's FP32 peak with a loop of independent FMAs (12
 * accumulators per thread: enough to cover FMA latency x throughput), in the widest
 * instruction set the CPU runs; on 1 thread and on every thread of pool. For the
 * benchmarks only. */
#ifndef MLPTRAIN_BENCH_PEAK_H
#define MLPTRAIN_BENCH_PEAK_H

#include <stdio.h>

#include "gemm.h"
#include "pool.h"
#include "util.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

typedef struct {
    const char *isa;
    double one, all;  /* GFLOP/s */
} Peak;

#define PEAK_ITERS 20000000L

static volatile float peak_sink;

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) static double peak_loop_avx512(void)
{
    __m512 a[12], m = _mm512_set1_ps(0.999999f), x = _mm512_set1_ps(1e-7f);
    #pragma GCC unroll 12
    for (int i = 0; i < 12; i++)
        a[i] = _mm512_set1_ps((float)i);
    for (long n = 0; n < PEAK_ITERS; n++)
        #pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            a[i] = _mm512_fmadd_ps(a[i], m, x);
    __m512 s = a[0];
    #pragma GCC unroll 12
    for (int i = 1; i < 12; i++)
        s = _mm512_add_ps(s, a[i]);
    peak_sink = _mm512_reduce_add_ps(s);
    return 12.0 * 16 * 2 * PEAK_ITERS;
}

__attribute__((target("avx2,fma"))) static double peak_loop_avx2(void)
{
    __m256 a[12], m = _mm256_set1_ps(0.999999f), x = _mm256_set1_ps(1e-7f);
    #pragma GCC unroll 12
    for (int i = 0; i < 12; i++)
        a[i] = _mm256_set1_ps((float)i);
    for (long n = 0; n < PEAK_ITERS; n++)
        #pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            a[i] = _mm256_fmadd_ps(a[i], m, x);
    __m256 s = a[0];
    #pragma GCC unroll 12
    for (int i = 1; i < 12; i++)
        s = _mm256_add_ps(s, a[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    peak_sink = out[0];
    return 12.0 * 8 * 2 * PEAK_ITERS;
}
#endif

static double peak_loop_scalar(void)
{
    float a[12];
    #pragma GCC unroll 12
    for (int i = 0; i < 12; i++)
        a[i] = (float)i;
    for (long n = 0; n < PEAK_ITERS / 8; n++)
        #pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            a[i] = a[i] * 0.999999f + 1e-7f;
    peak_sink = a[0] + a[11];
    return 12.0 * 2 * (PEAK_ITERS / 8);
}

static double (*peak_loop)(void);

static void peak_task(void *ctx, int task)
{
    (void)task;
    double *flops = ctx;
    flops[task] = peak_loop();
}

static Peak bench_peak(Pool *pool)
{
    Peak p = {"scalar", 0, 0};
    peak_loop = peak_loop_scalar;
#if defined(__x86_64__) && defined(__GNUC__)
    if (gemm_path_supported(GEMM_AVX512)) {
        peak_loop = peak_loop_avx512;
        p.isa = "AVX-512";
    } else if (gemm_path_supported(GEMM_AVX2)) {
        peak_loop = peak_loop_avx2;
        p.isa = "AVX2";
    }
#endif
    /* Best of 3 each: on a shared machine noise only ever lowers the figure. */
    for (int rep = 0; rep < 3; rep++) {
        double t0 = util_now();
        double f = peak_loop();
        double one = f / (util_now() - t0) / 1e9;
        if (one > p.one)
            p.one = one;
        int threads = pool_threads(pool);
        double flops[256] = {0};
        t0 = util_now();
        pool_run(pool, threads, peak_task, flops);
        double t = util_now() - t0, total = 0;
        for (int i = 0; i < threads; i++)
            total += flops[i];
        if (total / t / 1e9 > p.all)
            p.all = total / t / 1e9;
    }
    return p;
}

#endif
