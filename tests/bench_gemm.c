/* bench_gemm.c - `make bench-gemm`: GFLOP/s of the three training products (X.W^T,
 * dY^T.X, dY.W) at the benchmark shapes, for every kernel path this CPU runs, on one
 * thread and on all online CPUs. */
#include <stdio.h>
#include <stdlib.h>

#include "bench_peak.h"
#include "gemm.h"
#include "pool.h"
#include "rng.h"
#include "util.h"

typedef struct {
    const char *name;
    int batch, in, out;
} Shape;

static const Shape shapes[] = {
    {"64x784 . 256", 64, 784, 256},      {"512x784 . 256", 512, 784, 256},
    {"512x784 . 1024", 512, 784, 1024},  {"512x1024 . 1024", 512, 1024, 1024},
    {"512x2048 . 2048", 512, 2048, 2048}, {"512x3072 . 2048", 512, 3072, 2048},
};

/* GFLOP/s of one product repeated until ~0.2 s have passed. */
static double measure(Gemm *g, int which, const Shape *s, float *X, float *W, float *Y, float *dW, float *dX)
{
    int N = s->batch, in = s->in, out = s->out;
    double flops = 2.0 * N * in * out, t0 = util_now(), t;
    long reps = 0;
    do {
        if (which == 0)
            gemm(g, false, true, N, out, in, X, in, W, in, Y, out, false);
        else if (which == 1)
            gemm(g, true, false, out, in, N, Y, out, X, in, dW, in, false);
        else
            gemm(g, false, false, N, in, out, Y, out, W, in, dX, in, false);
        reps++;
        t = util_now() - t0;
    } while (t < 0.2);
    return flops * reps / t / 1e9;
}

int main(void)
{
    int threads = pool_online_cpus();
    Pool *pool = threads > 1 ? pool_create(threads) : NULL;
    Peak peak = bench_peak(pool);
    printf("FP32 peak measured here (%s FMA loop): %.0f GFLOP/s on 1 core, %.0f on %d threads\n\n",
           peak.isa, peak.one, peak.all, threads);
    printf("%-8s %-7s %-18s %10s %10s %10s\n", "path", "threads", "shape (N x in . out)", "X.W^T",
           "dY^T.X", "dY.W");
    Rng r;
    rng_seed(&r, 1, 0);
    for (int path = GEMM_GENERIC; path <= GEMM_AVX512; path++) {
        if (!gemm_path_supported((GemmPath)path))
            continue;
        for (int t = 0; t < 2; t++) {
            Pool *p = t ? pool : NULL;
            if (t && !pool)
                continue;
            Gemm *g = gemm_create(p, (GemmPath)path, NULL);
            for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
                const Shape *s = &shapes[i];
                if (path == GEMM_GENERIC && s->in * s->out > 1024 * 1024)
                    continue; /* the portable path is for correctness; keep the bench short */
                size_t nx = (size_t)s->batch * s->in, nw = (size_t)s->in * s->out, ny = (size_t)s->batch * s->out;
                float *X = malloc(nx * 4), *W = malloc(nw * 4), *Y = malloc(ny * 4);
                float *dW = malloc(nw * 4), *dX = malloc(nx * 4);
                for (size_t k = 0; k < nx; k++)
                    X[k] = (float)rng_uniform(&r);
                for (size_t k = 0; k < nw; k++)
                    W[k] = (float)rng_uniform(&r);
                for (size_t k = 0; k < ny; k++)
                    Y[k] = (float)rng_uniform(&r);
                printf("%-8s %-7d %-18s", gemm_path_names[path], pool_threads(p), s->name);
                for (int w = 0; w < 3; w++)
                    printf(" %10.1f", measure(g, w, s, X, W, Y, dW, dX));
                printf("\n");
                fflush(stdout);
                free(X);
                free(W);
                free(Y);
                free(dW);
                free(dX);
            }
            gemm_free(g);
        }
    }
    pool_free(pool);
    return 0;
}
