/* bench_train.c - `make bench`: whole training steps (batch assembly from uint8 pixels,
 * forward, loss, backward, optimizer) through the real training loop on synthetic data of
 * the benchmark shapes, for a fixed number of iterations; prints s/epoch scaled to the full
 * training set, samples/s, GFLOP/s and % of this machine's FP32 peak (measured here with an
 * FMA loop), and where the time goes: inside the products (and the packing part of that)
 * and everything else in the step (optimizer, batch norm, activations, bias sums, loss,
 * batch assembly). Each figure is the best of 3 runs.
 * FLOPs per sample: 2*F forward + 2*F weight gradients + 2*(F - first) input gradients,
 * F = sum over Linear layers of in*out (the first layer needs no input gradient).
 *
 * Usage: bench_train [--threads 1,2,4] [--split] [--runs N] [--seconds S] [--quiet] [ID...]
 *   --threads  one row per thread count (default: 1, 2, 4, ... up to the CPUs available),
 *              with the speed-up over the first; a count above the CPUs runs as mlptrain
 *              runs it, on as many threads as CPUs (pool_create) (--quiet: the CPUs
 *              available only)
 *   --split    also times the parts of a step one by one (forward and backward outside the
 *              products, loss, optimizer, batch assembly)
 *   --seconds  instead of best-of-N, one run of about S seconds as mlptrain runs it (on
 *              fewer threads while timing steps shows that faster; see train_run), its
 *              mean s/epoch (bench-load runs several of these at once)
 *   --quiet    no peak measurement or header; one line "ID threads s/epoch cut GFLOP/s" per
 *              row (cut: the share of pool jobs run on fewer threads because threads kept
 *              the caller waiting; see pool.h)
 *   --cpus     prints the CPUs available (the default thread count) and exits
 *   --peak     prints the FP32 peak of those CPUs (GFLOP/s, FMA loop) and exits */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_peak.h"
#include "dataset.h"
#include "gemm.h"
#include "layers.h"
#include "model.h"
#include "optim.h"
#include "pool.h"
#include "sched.h"
#include "train.h"

typedef struct {
    const char *id, *desc;
    int n_in, h, layers;
    Activation act;
    bool bn;
    OptimKind opt;
    double lr;
    int batch;
    long n_full;        /* training records of the real dataset */
    long iters;         /* iterations measured */
} BenchConfig;

static const BenchConfig configs[] = {
    {"A1", "784-32-32-10 sigmoid, SGD, batch 64", 784, 32, 2, ACT_SIGMOID, false, OPTIM_SGD, 0.1, 64, 60000, 938},
    {"A2", "784-256-256-10 relu, Adam, batch 64", 784, 256, 2, ACT_RELU, false, OPTIM_ADAM, 1e-3, 64, 60000, 400},
    {"A3", "784-256-256-10 relu, Adam, batch 512", 784, 256, 2, ACT_RELU, false, OPTIM_ADAM, 1e-3, 512, 60000, 60},
    {"A4", "784-1024-1024-10 relu, Adam, batch 512", 784, 1024, 2, ACT_RELU, false, OPTIM_ADAM, 1e-3, 512, 60000, 20},
    {"A5", "784-2048-2048-10 relu+bn, Adam, batch 512", 784, 2048, 2, ACT_RELU, true, OPTIM_ADAM, 1e-3, 512, 60000, 8},
    {"D1", "3072-256-256-10 relu, Adam, batch 512", 3072, 256, 2, ACT_RELU, false, OPTIM_ADAM, 1e-3, 512, 50000, 40},
    {"D2", "3072-2048-2048-10 relu+bn, Adam, batch 512", 3072, 2048, 2, ACT_RELU, true, OPTIM_ADAM, 1e-3, 512, 50000, 6},
};

static double flops_per_sample(const BenchConfig *c)
{
    double F = 0, first = (double)c->n_in * c->h;
    int in = c->n_in;
    for (int l = 0; l <= c->layers; l++) {
        int out = l < c->layers ? c->h : 10;
        F += (double)in * out;
        in = out;
    }
    return 2 * F + 2 * F + 2 * (F - first);
}

/* Everything one config trains with, built once per (config, thread count). */
typedef struct {
    const BenchConfig *c;
    Gemm *g;
    Pool *pool; /* g's, and the other layers' and the optimizer's */
    Rng rng;
    Dataset train, test;
    Normalizer nz;
    DataSplit split;
    Model m;
    Optim o;
    long n_train;
} Setup;

static void die(const char *what, const Err *e)
{
    fprintf(stderr, "bench: %s: %s\n", what, e->msg);
    exit(1);
}

static void setup_init(Setup *s, const BenchConfig *c, Gemm *g, Pool *pool)
{
    memset(s, 0, sizeof *s);
    s->c = c;
    s->g = g;
    s->pool = pool;
    rng_seed(&s->rng, 42, 0);
    Err e;
    s->n_train = c->iters * c->batch < c->n_full ? c->iters * c->batch : c->n_full;
    Dataset *d = &s->train;
    d->n = (int)s->n_train;
    d->dim = c->n_in;
    d->channels = c->n_in == 3072 ? 3 : 1;
    d->n_classes = 10;
    d->pixels = xmalloc((size_t)d->n * d->dim);
    d->labels = xmalloc((size_t)d->n);
    for (size_t i = 0; i < (size_t)d->n * d->dim; i++)
        d->pixels[i] = (uint8_t)(rng_next(&s->rng) >> 56);
    for (int i = 0; i < d->n; i++)
        d->labels[i] = (uint8_t)rng_below(&s->rng, 10);
    s->test = *d;
    s->test.n = 10; /* the final evaluation is not timed; keep it short */

    DataParams dp = {0};
    dp.dataset = c->n_in == 3072 ? DATASET_CIFAR10 : DATASET_MNIST;
    dp.normalize = NORM_STANDARD;
    params_default_stats(dp.dataset, dp.mean, dp.std);
    dataset_normalizer(&s->nz, d, &dp);
    if (dataset_split(&s->split, d->n, 0.0, &s->rng, &e) < 0)
        die("split", &e);

    ModelParams mp = {0};
    mp.n_hidden = c->layers;
    for (int l = 0; l < c->layers; l++)
        mp.hidden[l] = c->h;
    mp.activation = c->act;
    mp.batchnorm = c->bn;
    mp.bias_init = BIAS_INIT_DEFAULT;
    if (model_init(&s->m, &mp, c->n_in, 10, c->batch, g, pool, &s->rng, &e) < 0)
        die("model", &e);
    OptimParams op = {0};
    op.optimizer = c->opt;
    op.lr = c->lr;
    op.bias_lr_mult = op.bias_decay_mult = 1;
    op.beta1 = 0.9;
    op.beta2 = 0.999;
    op.eps = 1e-8;
    optim_init(&s->o, &op, s->m.n_params, pool);
}

static void setup_free(Setup *s)
{
    optim_free(&s->o);
    model_free(&s->m);
    dataset_split_free(&s->split);
    free(s->train.pixels);
    free(s->train.labels);
}

/* Stops a run once its steps have taken the bench's seconds. */
typedef struct {
    double until;
    volatile sig_atomic_t stop;
} Timer;

static void timer_step(void *ctx, long iteration)
{
    (void)iteration;
    Timer *t = ctx;
    if (util_now() >= t->until)
        t->stop = 1;
}

/* Trains iters steps through train_run, all on the pool's threads (a row of a fixed thread
 * count), or with seconds > 0 as one run of about that long as mlptrain runs it (threads
 * chosen by timing steps); returns seconds of training (evaluation excluded). */
static double train_steps(Setup *s, long iters, double seconds, long *done)
{
    const BenchConfig *c = s->c;
    Err e;
    SchedParams sp = {0};
    sp.type = SCHED_CONSTANT;
    Sched sc;
    TrainParams tp = {0};
    tp.epochs = 1;
    tp.max_iterations = seconds > 0 ? 1000000 : iters;
    tp.batch_size = c->batch;
    tp.eval_batch_size = c->batch;
    tp.seed = 1;
    tp.shuffle = true;
    if (train_sched_init(&sc, &tp, &sp, c->lr, s->n_train, &e) < 0)
        die("schedule", &e);
    TrainData td = {&s->train, &s->test, &s->split, &s->nz};
    Timer timer = {util_now() + seconds, 0};
    TrainThreads all;
    train_threads_init(&all, s->pool, INFINITY, 0);
    TrainIO io = {.epochs_csv = "/dev/null", .threads = seconds > 0 ? NULL : &all};
    if (seconds > 0) {
        io.on_step = timer_step;
        io.step_ctx = &timer;
        io.stop = &timer.stop;
    }
    RunResult r;
    if (train_run(&tp, &td, &s->m, &s->o, &sc, &io, &r, &e) < 0)
        die("train", &e);
    *done = r.iterations;
    return r.train_seconds;
}

typedef struct {
    double seconds;     /* per iteration */
    double gemm, pack;  /* shares of the step */
    double cut;         /* share of the pool's jobs run on fewer threads (contention) */
} Timing;

/* Best of runs (or, with seconds > 0, the one run of about that long). */
static Timing time_config(Setup *s, int runs, double seconds)
{
    const BenchConfig *c = s->c;
    long done;
    /* Warm-up: first-touch page faults of the optimizer state and packing buffers would
     * otherwise weigh on short measurements. */
    train_steps(s, 2, 0, &done);
    Timing best = {INFINITY, 0, 0, 0};
    PoolStats p0 = pool_stats(s->pool);
    for (int rep = 0; rep < (seconds > 0 ? 1 : runs); rep++) {
        gemm_stats_reset(s->g);
        double t = train_steps(s, c->iters, seconds, &done);
        GemmStats gs = gemm_stats(s->g);
        if (t / done < best.seconds) {
            best.seconds = t / done;
            best.gemm = gs.seconds / t;
            best.pack = gs.pack_seconds / t;
        }
    }
    PoolStats p1 = pool_stats(s->pool);
    long jobs = p1.jobs - p0.jobs + p1.limited_jobs - p0.limited_jobs;
    best.cut = jobs > 0 ? (double)(p1.limited_jobs - p0.limited_jobs) / jobs : 0;
    return best;
}

/* ---- --split: the parts of a step, one by one ---- */

enum { PART_BATCH, PART_FWD, PART_LOSS, PART_BWD, PART_OPTIM, PART_GEMM, PART_PACK, N_PARTS };
static const char *const part_names[N_PARTS] = {
    "batch assembly", "forward outside products", "loss", "backward outside products",
    "optimizer", "products (kernel)", "products (packing)"};

/* Seconds per step of each part, best of runs. The same calls as train_run's step. */
static void time_parts(Setup *s, int runs, double *best)
{
    const BenchConfig *c = s->c;
    int B = c->batch;
    float *x = xmalloc(sizeof(float) * (size_t)B * c->n_in), *dl = xmalloc(sizeof(float) * (size_t)B * 10);
    int *y = xmalloc(sizeof(int) * (size_t)B);
    double *row_loss = xmalloc(sizeof(double) * (size_t)B);
    int *row_pred = xmalloc(sizeof(int) * (size_t)B);
    Rng drop;
    rng_seed(&drop, 1, 4);
    Pool *pool = s->pool;
    for (int p = 0; p < N_PARTS; p++)
        best[p] = INFINITY;
    for (int rep = 0; rep < runs + 1; rep++) { /* the first is a warm-up */
        double t[N_PARTS] = {0};
        gemm_stats_reset(s->g);
        double gemm_before = 0, pack_before = 0;
        long iters = c->iters;
        for (long it = 0; it < iters; it++) {
            int start = (int)((it * B) % (s->n_train - B + 1));
            double t0 = util_now();
            train_assemble(pool, &s->train, &s->nz, s->split.train_idx + start, B, x, y);
            double t1 = util_now();
            const float *logits = model_forward(&s->m, x, B, true, &drop);
            double t2 = util_now();
            GemmStats g2 = gemm_stats(s->g);
            long correct;
            train_loss(pool, logits, y, B, 10, 0.0f, dl, row_loss, row_pred, &correct);
            double t3 = util_now();
            model_backward(&s->m, x, dl, B);
            double t4 = util_now();
            GemmStats g4 = gemm_stats(s->g);
            optim_step(&s->o, s->m.params, s->m.grads, c->lr);
            double t5 = util_now();
            t[PART_BATCH] += t1 - t0;
            t[PART_FWD] += (t2 - t1) - (g2.seconds - gemm_before);
            t[PART_LOSS] += t3 - t2;
            t[PART_BWD] += (t4 - t3) - (g4.seconds - g2.seconds);
            t[PART_OPTIM] += t5 - t4;
            gemm_before = g4.seconds;
            pack_before = g4.pack_seconds;
        }
        t[PART_GEMM] = gemm_before - pack_before;
        t[PART_PACK] = pack_before;
        if (rep > 0)
            for (int p = 0; p < N_PARTS; p++)
                if (t[p] / iters < best[p])
                    best[p] = t[p] / iters;
    }
    free(x);
    free(dl);
    free(y);
    free(row_loss);
    free(row_pred);
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_train [--threads 1,2,...] [--split] [--runs N] [--seconds S] "
                    "[--quiet] [--cpus | --peak] [ID...]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int avail = pool_available_cpus();
    int threads[16], n_threads = bench_default_threads(avail, threads, 16), runs = 3;
    double seconds = 0;
    bool split = false, quiet = false, threads_given = false;
    const char *only[16];
    int n_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            if (!(n_threads = bench_thread_list(argv[++i], threads, 16)))
                usage();
            threads_given = true;
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            if ((runs = atoi(argv[++i])) < 1)
                usage();
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            if (!((seconds = atof(argv[++i])) > 0))
                usage();
        } else if (strcmp(argv[i], "--split") == 0) {
            split = true;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
            if (!threads_given) {
                threads[0] = avail;
                n_threads = 1;
            }
        } else if (strcmp(argv[i], "--cpus") == 0) {
            printf("%d\n", avail);
            return 0;
        } else if (strcmp(argv[i], "--peak") == 0) {
            Pool *pp = avail > 1 ? pool_create(avail) : NULL;
            Peak pk = bench_peak(pp);
            pool_free(pp);
            printf("%.1f\n", pk.peak_all);
            return 0;
        } else if (argv[i][0] != '-' && n_only < 16) {
            only[n_only++] = argv[i];
        } else {
            usage();
        }
    }
    Err e;
    GemmPath path;
    if (gemm_path_from_env(&path, &e) < 0)
        die("MLPTRAIN_KERNEL", &e);
    Peak peak = {0};
    if (!quiet) {
        bench_print_load("at start");
        Pool *pp = avail > 1 ? pool_create(avail) : NULL;
        peak = bench_peak(pp);
        pool_free(pp);
        peak_print(&peak);
        printf("CPUs available: %d. %%peak: of the peak of min(threads, CPUs) cores. prod: share of\n"
               "the step inside gemm(); pack: the packing part of it (calling thread); other: all\n"
               "but the micro-kernels (packing, optimizer, batch norm, activations, bias sums, loss,\n"
               "batch assembly). cut: share of pool jobs run on fewer threads (on 2: the caller\n"
               "alone) because its threads kept it waiting (other processes on the cores). x:\n"
               "speed-up over the first thread count. thr above the CPUs: run as mlptrain runs\n"
               "it, on as many threads as CPUs.\n\n", avail);
        printf("%-3s %-42s %3s %8s %9s %7s %6s %5s %5s %5s %5s %5s\n", "id", "config", "thr",
               "s/epoch", "samples/s", "GFLOP/s", "%peak", "prod", "pack", "other", "cut", "x");
    }
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        const BenchConfig *c = &configs[i];
        bool wanted = n_only == 0;
        for (int k = 0; k < n_only; k++)
            wanted = wanted || strcmp(only[k], c->id) == 0;
        if (!wanted)
            continue;
        double first = 0;
        for (int ti = 0; ti < n_threads; ti++) {
            int t = threads[ti];
            Pool *pool = t > 1 ? pool_create(t) : NULL;
            Gemm *g = NULL;
            if ((t > 1 && !pool) || !(g = gemm_create(pool, path, &e))) {
                fprintf(stderr, "bench: cannot start %d threads or the kernels\n", t);
                return 1;
            }
            Setup s;
            setup_init(&s, c, g, pool);
            Timing tm = time_config(&s, runs, seconds);
            double per_epoch = tm.seconds * ceil((double)c->n_full / c->batch);
            double gflops = flops_per_sample(c) * c->batch / tm.seconds / 1e9;
            if (quiet) {
                printf("%s %d %.4f %.2f %.1f\n", c->id, t, per_epoch, tm.cut, gflops);
            } else {
                int cores = t < avail ? t : avail;
                if (ti == 0)
                    first = per_epoch;
                printf("%-3s %-42s %3d %8.3f %9.0f %7.1f %5.0f%% %4.0f%% %4.0f%% %4.0f%% %4.0f%% %5.2f\n",
                       c->id, c->desc, t, per_epoch, c->batch / tm.seconds, gflops,
                       100 * gflops / (peak.peak_one * cores), 100 * tm.gemm, 100 * tm.pack,
                       100 * (1 - tm.gemm + tm.pack), 100 * tm.cut, first / per_epoch);
                if (split) {
                    double part[N_PARTS], sum = 0;
                    time_parts(&s, runs, part);
                    for (int p = 0; p < N_PARTS; p++)
                        sum += part[p];
                    printf("    step parts, ms (share):");
                    for (int p = 0; p < N_PARTS; p++)
                        printf("%s %s %.3f (%.1f%%)", p ? "," : "", part_names[p], 1e3 * part[p],
                               100 * part[p] / sum);
                    printf("\n");
                }
            }
            fflush(stdout);
            setup_free(&s);
            gemm_free(g);
            pool_free(pool);
        }
    }
    if (!quiet)
        bench_print_load("at end");
    return 0;
}
