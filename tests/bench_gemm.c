/* bench_gemm.c - `make bench-gemm`: GFLOP/s of the three training products (X.W^T,
 * dY^T.X, dY.W) at the benchmark shapes, for every kernel path this CPU runs, on each
 * thread count of a list, as a share of the FMA peak measured here for that many threads.
 * Usage: bench_gemm [--threads 1,2,4] [--path generic|avx2|avx512] [--small | --large]
 *                   [--time SECONDS] [--cpu]
 * Thread counts default to 1, 2, 4, ... up to the CPUs available; a count above the CPUs
 * runs as mlptrain runs it, on as many threads as CPUs (pool_create). Each figure is the best of 3 timings. --cpu times
 * with the process's CPU time (one thread only): steadier on a busy machine, since time
 * the process spends descheduled does not count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_peak.h"
#include "gemm.h"
#include "pool.h"
#include "rng.h"
#include "util.h"

typedef struct {
    const char *name;
    int batch, in, out;
    bool small;
} Shape;

static const Shape shapes[] = {
    {"64x784 . 256", 64, 784, 256, true},      {"64x256 . 256", 64, 256, 256, true},
    {"64x784 . 32", 64, 784, 32, true},        {"512x784 . 256", 512, 784, 256, false},
    {"512x784 . 1024", 512, 784, 1024, false}, {"512x1024 . 1024", 512, 1024, 1024, false},
    {"512x2048 . 2048", 512, 2048, 2048, false}, {"512x3072 . 2048", 512, 3072, 2048, false},
};

static double seconds = 0.2;
static bool cpu_time; /* --cpu: process CPU time instead of wall time (one thread only) */

static double now(void)
{
    return cpu_time ? (double)clock() / CLOCKS_PER_SEC : util_now();
}

/* GFLOP/s of one product repeated for `seconds`, best of 3. */
static double measure(Gemm *g, int which, const Shape *s, float *X, float *W, float *Y, float *dW, float *dX)
{
    int N = s->batch, in = s->in, out = s->out;
    double flops = 2.0 * N * in * out, best = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now(), t;
        long reps = 0;
        do {
            if (which == 0)
                gemm(g, false, true, N, out, in, X, in, W, in, Y, out, false);
            else if (which == 1)
                gemm(g, true, false, out, in, N, Y, out, X, in, dW, in, false);
            else
                gemm(g, false, false, N, in, out, Y, out, W, in, dX, in, false);
            reps++;
            t = now() - t0;
        } while (t < seconds / 3);
        if (flops * reps / t / 1e9 > best)
            best = flops * reps / t / 1e9;
    }
    return best;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_gemm [--threads 1,2,...] [--path generic|avx2|avx512] "
                    "[--small | --large] [--time SECONDS] [--cpu]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int avail = pool_available_cpus();
    int threads[16], n_threads = bench_default_threads(avail, threads, 16);
    int only_path = -1, only_small = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            if (!(n_threads = bench_thread_list(argv[++i], threads, 16)))
                usage();
        } else if (strcmp(argv[i], "--path") == 0 && i + 1 < argc) {
            i++;
            for (int p = GEMM_GENERIC; p <= GEMM_AVX512; p++)
                if (strcmp(argv[i], gemm_path_names[p]) == 0)
                    only_path = p;
            if (only_path < 0)
                usage();
        } else if (strcmp(argv[i], "--cpu") == 0) {
            cpu_time = true;
        } else if (strcmp(argv[i], "--small") == 0) {
            only_small = 1;
        } else if (strcmp(argv[i], "--large") == 0) {
            only_small = 0;
        } else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
            seconds = atof(argv[++i]);
            if (!(seconds > 0))
                usage();
        } else {
            usage();
        }
    }
    for (int t = 0; t < n_threads; t++)
        if (cpu_time && threads[t] > 1)
            usage();
    bench_print_load("at start");
    if (cpu_time)
        peak_clock = now;
    Pool *peak_pool = avail > 1 ? pool_create(avail) : NULL;
    Peak peak = bench_peak(peak_pool);
    pool_free(peak_pool);
    peak_print(&peak);
    printf("CPUs available: %d. %% = share of the peak of min(threads, CPUs) cores. cut: share\n"
           "of the products run on fewer threads because threads kept the caller waiting (other\n"
           "processes on the cores; pool.h). threads above the CPUs: run as mlptrain runs them, on\n"
           "as many threads as CPUs.\n\n", avail);
    printf("%-8s %-7s %-16s %15s %15s %15s %5s\n", "path", "threads", "N x in . out", "X.W^T",
           "dY^T.X", "dY.W", "cut");
    Rng r;
    rng_seed(&r, 1, 0);
    for (int path = GEMM_GENERIC; path <= GEMM_AVX512; path++) {
        if (!gemm_path_supported((GemmPath)path) || (only_path >= 0 && path != only_path))
            continue;
        for (int ti = 0; ti < n_threads; ti++) {
            int t = threads[ti];
            Pool *p = t > 1 ? pool_create(t) : NULL;
            if (t > 1 && !p) {
                fprintf(stderr, "bench_gemm: cannot start %d threads\n", t);
                return 1;
            }
            Err e;
            Gemm *g = gemm_create(p, (GemmPath)path, &e);
            if (!g) {
                fprintf(stderr, "bench_gemm: %s\n", e.msg);
                return 1;
            }
            int cores = t < avail ? t : avail;
            double ref = peak.peak_one * cores; /* per-core peak x the cores in use */
            for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
                const Shape *s = &shapes[i];
                if (only_small >= 0 && s->small != (only_small == 1))
                    continue;
                if (path == GEMM_GENERIC && s->in * s->out > 1024 * 1024)
                    continue; /* the portable path is for correctness; keep the bench short */
                size_t nx = (size_t)s->batch * s->in, nw = (size_t)s->in * s->out, ny = (size_t)s->batch * s->out;
                float *X = xmalloc(nx * 4), *W = xmalloc(nw * 4), *Y = xmalloc(ny * 4);
                float *dW = xmalloc(nw * 4), *dX = xmalloc(nx * 4);
                for (size_t k = 0; k < nx; k++)
                    X[k] = (float)rng_uniform(&r);
                for (size_t k = 0; k < nw; k++)
                    W[k] = (float)rng_uniform(&r);
                for (size_t k = 0; k < ny; k++)
                    Y[k] = (float)rng_uniform(&r);
                printf("%-8s %-7d %-16s", gemm_path_names[path], t, s->name);
                PoolStats p0 = pool_stats(p);
                for (int w = 0; w < 3; w++) {
                    double gf = measure(g, w, s, X, W, Y, dW, dX);
                    printf(" %7.1f (%3.0f%%)", gf, 100 * gf / ref);
                }
                PoolStats p1 = pool_stats(p);
                long jobs = p1.jobs - p0.jobs + p1.limited_jobs - p0.limited_jobs;
                if (jobs > 0)
                    printf(" %4.0f%%", 100.0 * (p1.limited_jobs - p0.limited_jobs) / jobs);
                printf("\n");
                fflush(stdout);
                free(X);
                free(W);
                free(Y);
                free(dW);
                free(dX);
            }
            gemm_free(g);
            pool_free(p);
        }
    }
    bench_print_load("at end");
    return 0;
}
