/* pool.c - see pool.h. A dispatch publishes the job and bumps an atomic generation
 * counter; workers spin on it for a short while before sleeping on a condition variable,
 * and the caller spins the same way for the last worker to finish. Training issues
 * thousands of small jobs per second, so the spin saves a futex wake-up per job while
 * the sleep keeps an idle pool from burning CPU. */
#include "pool.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>

#include "util.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

#define SPIN_LIMIT 20000

struct Pool {
    int n_threads;
    thrd_t *workers;
    mtx_t mu;
    cnd_t start, done;
    atomic_ulong generation;
    atomic_int pending;          /* workers still running the current job */
    atomic_bool quit;
    int sleepers;                /* workers waiting on start (under mu) */
    bool caller_sleeping;        /* pool_run waiting on done (under mu) */
    PoolTask fn;
    void *ctx;
    int n_tasks;
};

typedef struct {
    Pool *pool;
    int id;
} WorkerArg;

static void run_share(Pool *p, int id)
{
    for (int t = id; t < p->n_tasks; t += p->n_threads)
        p->fn(p->ctx, t);
}

/* Waits until the generation differs from seen (or quit); returns the new generation. */
static unsigned long wait_for_job(Pool *p, unsigned long seen)
{
    for (int i = 0; i < SPIN_LIMIT; i++) {
        unsigned long g = atomic_load_explicit(&p->generation, memory_order_acquire);
        if (g != seen || atomic_load(&p->quit))
            return g;
        cpu_relax();
    }
    mtx_lock(&p->mu);
    p->sleepers++;
    while (atomic_load(&p->generation) == seen && !atomic_load(&p->quit))
        cnd_wait(&p->start, &p->mu);
    p->sleepers--;
    mtx_unlock(&p->mu);
    return atomic_load_explicit(&p->generation, memory_order_acquire);
}

static int worker_main(void *arg)
{
    WorkerArg *wa = arg;
    Pool *p = wa->pool;
    int id = wa->id;
    free(wa);
    unsigned long seen = 0;
    for (;;) {
        seen = wait_for_job(p, seen);
        if (atomic_load(&p->quit))
            return 0;
        run_share(p, id);
        if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
            mtx_lock(&p->mu);
            if (p->caller_sleeping)
                cnd_signal(&p->done);
            mtx_unlock(&p->mu);
        }
    }
}

Pool *pool_create(int n_threads)
{
    if (n_threads < 1)
        n_threads = 1;
    Pool *p = xcalloc(1, sizeof *p);
    p->n_threads = n_threads;
    atomic_init(&p->generation, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->quit, false);
    if (mtx_init(&p->mu, mtx_plain) != thrd_success || cnd_init(&p->start) != thrd_success ||
        cnd_init(&p->done) != thrd_success) {
        free(p);
        return NULL;
    }
    p->workers = xcalloc((size_t)n_threads, sizeof *p->workers);
    for (int i = 1; i < n_threads; i++) {
        WorkerArg *wa = xmalloc(sizeof *wa);
        wa->pool = p;
        wa->id = i;
        if (thrd_create(&p->workers[i], worker_main, wa) != thrd_success) {
            free(wa);
            p->n_threads = i; /* join those that started */
            pool_free(p);
            return NULL;
        }
    }
    return p;
}

void pool_free(Pool *p)
{
    if (!p)
        return;
    mtx_lock(&p->mu);
    atomic_store(&p->quit, true);
    cnd_broadcast(&p->start);
    mtx_unlock(&p->mu);
    for (int i = 1; i < p->n_threads; i++)
        thrd_join(p->workers[i], NULL);
    cnd_destroy(&p->start);
    cnd_destroy(&p->done);
    mtx_destroy(&p->mu);
    free(p->workers);
    free(p);
}

void pool_run(Pool *p, int n_tasks, PoolTask fn, void *ctx)
{
    if (!p || p->n_threads == 1 || n_tasks <= 1) {
        for (int t = 0; t < n_tasks; t++)
            fn(ctx, t);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    atomic_store_explicit(&p->pending, p->n_threads - 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    mtx_lock(&p->mu);
    if (p->sleepers > 0)
        cnd_broadcast(&p->start);
    mtx_unlock(&p->mu);
    run_share(p, 0);
    for (int i = 0; i < SPIN_LIMIT; i++) {
        if (atomic_load_explicit(&p->pending, memory_order_acquire) == 0)
            return;
        cpu_relax();
    }
    mtx_lock(&p->mu);
    p->caller_sleeping = true;
    while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0)
        cnd_wait(&p->done, &p->mu);
    p->caller_sleeping = false;
    mtx_unlock(&p->mu);
}

typedef struct {
    PoolRange fn;
    void *ctx;
    int n, per_task;
} ForJob;

static void for_task(void *ctx, int task)
{
    const ForJob *j = ctx;
    int b = task * j->per_task;
    int e = b + j->per_task < j->n ? b + j->per_task : j->n;
    if (b < e)
        j->fn(j->ctx, b, e);
}

void pool_for(Pool *p, int n, int grain, PoolRange fn, void *ctx)
{
    int threads = pool_threads(p);
    int tasks = grain > 0 ? n / grain : threads;
    if (tasks > threads)
        tasks = threads;
    if (tasks <= 1) {
        if (n > 0)
            fn(ctx, 0, n);
        return;
    }
    ForJob j = {fn, ctx, n, (n + tasks - 1) / tasks};
    pool_run(p, tasks, for_task, &j);
}

int pool_threads(const Pool *p)
{
    return p ? p->n_threads : 1;
}

/* The file lists ranges such as "0-3,5"; count the CPUs in them. */
int pool_online_cpus(void)
{
    FILE *f = fopen("/sys/devices/system/cpu/online", "r");
    if (!f)
        return 1;
    int count = 0, a, b;
    char sep;
    while (fscanf(f, "%d", &a) == 1) {
        b = a;
        if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
            if (fscanf(f, "%d", &b) != 1)
                break;
            if (fscanf(f, "%c", &sep) != 1)
                sep = '\n';
        }
        if (b >= a)
            count += b - a + 1;
        if (sep != ',')
            break;
    }
    fclose(f);
    return count > 0 ? count : 1;
}
