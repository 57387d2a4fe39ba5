/* bench_peak.h - measures this machine's FP32 peak with a loop of independent FMAs (12
 * accumulators per thread: enough to cover FMA latency x throughput), once per instruction
 * set the CPU runs (AVX-512 and AVX2 can differ: some CPUs split a 512-bit FMA into two
 * 256-bit halves), on 1 thread and on every thread of a pool. The machine's peak is the
 * best of them. Also the small helpers the benchmarks share: thread lists and loads.
 * For the benchmarks only. */
#ifndef MLPTRAIN_BENCH_PEAK_H
#define MLPTRAIN_BENCH_PEAK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "pool.h"
#include "util.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

enum { PEAK_SCALAR, PEAK_AVX2, PEAK_AVX512, PEAK_ISAS };
static const char *const peak_isa_names[PEAK_ISAS] = {"scalar", "AVX2", "AVX-512"};

typedef struct {
    double one[PEAK_ISAS], all[PEAK_ISAS]; /* GFLOP/s per instruction set; 0 = not run */
    int threads;                           /* threads of "all" */
    int best;                              /* the instruction set of the peak */
    double peak_one, peak_all;             /* the machine's peak: the best of each */
} Peak;

#define PEAK_ITERS 20000000L

static volatile float peak_sink;
/* The clock of the one-core figure: wall time, or process CPU time (bench_gemm --cpu). */
static double (*peak_clock)(void) = util_now;

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

typedef struct {
    double (*loop)(void);
    double flops[1024];
} PeakJob;

static void peak_task(void *ctx, int task)
{
    PeakJob *j = ctx;
    j->flops[task] = j->loop();
}

/* Best of 3 for each instruction set: on a shared machine noise only ever lowers it. */
static Peak bench_peak(Pool *pool)
{
    static PeakJob job;
    Peak p;
    memset(&p, 0, sizeof p);
    p.threads = pool_threads(pool);
    if (p.threads > 1024)
        p.threads = 1024;
    for (int isa = 0; isa < PEAK_ISAS; isa++) {
        job.loop = peak_loop_scalar;
#if defined(__x86_64__) && defined(__GNUC__)
        if (isa == PEAK_AVX2 && gemm_path_supported(GEMM_AVX2))
            job.loop = peak_loop_avx2;
        else if (isa == PEAK_AVX512 && gemm_path_supported(GEMM_AVX512))
            job.loop = peak_loop_avx512;
        else if (isa != PEAK_SCALAR)
            continue;
#else
        if (isa != PEAK_SCALAR)
            continue;
#endif
        for (int rep = 0; rep < 3; rep++) {
            double t0 = peak_clock();
            double one = job.loop() / (peak_clock() - t0) / 1e9;
            if (one > p.one[isa])
                p.one[isa] = one;
            t0 = util_now();
            pool_run(pool, p.threads, peak_task, &job);
            double t = util_now() - t0, total = 0;
            for (int i = 0; i < p.threads; i++)
                total += job.flops[i];
            if (total / t / 1e9 > p.all[isa])
                p.all[isa] = total / t / 1e9;
        }
        if (p.one[isa] > p.peak_one) {
            p.best = isa;
            p.peak_one = p.one[isa];
        }
        if (p.all[isa] > p.peak_all)
            p.peak_all = p.all[isa];
    }
    return p;
}

static void peak_print(const Peak *p)
{
    printf("FP32 peak measured here (FMA loop, GFLOP/s, best of 3):");
    for (int isa = PEAK_ISAS - 1; isa > PEAK_SCALAR; isa--)
        if (p->one[isa] > 0)
            printf(" %s %.0f on 1 core, %.0f on %d threads;", peak_isa_names[isa], p->one[isa],
                   p->all[isa], p->threads);
    printf(" peak %.0f / %.0f\n", p->peak_one, p->peak_all);
}

/* "1,2,4" -> threads[], returns the count (at most max); 0 when malformed. */
static int bench_thread_list(const char *s, int *threads, int max)
{
    int n = 0;
    while (*s && n < max) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 1024 || (*end != ',' && *end != '\0'))
            return 0;
        threads[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
    }
    return *s ? 0 : n;
}

/* The default thread list: 1, 2, 4, ... below avail, then avail. Returns the count. */
static int bench_default_threads(int avail, int *threads, int max)
{
    int n = 0;
    for (int t = 1; t < avail && n < max - 1; t *= 2)
        threads[n++] = t;
    threads[n++] = avail;
    return n;
}

/* The load when a benchmark starts (1-minute average of runnable processes). */
static void bench_print_load(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    char buf[128] = "";
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = '\0';
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
    printf("load average %s: %s\n", when, buf[0] ? buf : "unknown");
}

#endif
