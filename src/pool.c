/* pool.c - see pool.h. One mutex and two condition variables: workers sleep until the
 * generation counter moves, run their share of tasks, and the last one to finish wakes
 * the caller. */
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <threads.h>

#include "util.h"

struct Pool {
    int n_threads;
    thrd_t *workers;
    mtx_t mu;
    cnd_t start, done;
    unsigned long generation;
    int pending;                 /* workers still running the current job */
    int quit;
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

static int worker_main(void *arg)
{
    WorkerArg *wa = arg;
    Pool *p = wa->pool;
    int id = wa->id;
    free(wa);
    unsigned long seen = 0;
    for (;;) {
        mtx_lock(&p->mu);
        while (p->generation == seen && !p->quit)
            cnd_wait(&p->start, &p->mu);
        if (p->quit) {
            mtx_unlock(&p->mu);
            return 0;
        }
        seen = p->generation;
        mtx_unlock(&p->mu);
        run_share(p, id);
        mtx_lock(&p->mu);
        if (--p->pending == 0)
            cnd_signal(&p->done);
        mtx_unlock(&p->mu);
    }
}

Pool *pool_create(int n_threads)
{
    if (n_threads < 1)
        n_threads = 1;
    Pool *p = xcalloc(1, sizeof *p);
    p->n_threads = n_threads;
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
    p->quit = 1;
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
    mtx_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    p->pending = p->n_threads - 1;
    p->generation++;
    cnd_broadcast(&p->start);
    mtx_unlock(&p->mu);
    run_share(p, 0);
    mtx_lock(&p->mu);
    while (p->pending > 0)
        cnd_wait(&p->done, &p->mu);
    mtx_unlock(&p->mu);
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
