/* sweep.c - see sweep.h. */
#include "sweep.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>


int sweep_array_syntax(const long *idx, long n, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (long i = 0; i < n;) {
        long j = i;
        while (j + 1 < n && idx[j + 1] == idx[j] + 1)
            j++;
        int w = j > i ? snprintf(buf + len, size - len, "%s%ld-%ld", len ? "," : "", idx[i], idx[j])
                      : snprintf(buf + len, size - len, "%s%ld", len ? "," : "", idx[i]);
        if (w < 0 || (size_t)w >= size - len)
            return -1;
        len += (size_t)w;
        i = j + 1;
    }
    return 0;
}

typedef struct {
    SweepJob fn;
    void *ctx;
    long n_items;
    atomic_long next;
    volatile sig_atomic_t *stop;
} Jobs;

typedef struct {
    Jobs *jobs;
    int slot;
} Worker;

static void work(Jobs *j, int slot)
{
    for (;;) {
        if (j->stop && *j->stop)
            return;
        long item = atomic_fetch_add(&j->next, 1);
        if (item >= j->n_items)
            return;
        j->fn(j->ctx, item, slot);
    }
}

static int worker_main(void *arg)
{
    Worker *w = arg;
    work(w->jobs, w->slot);
    return 0;
}

int sweep_run_jobs(int n_jobs, long n_items, SweepJob fn, void *ctx, volatile sig_atomic_t *stop)
{
    Jobs j = {.fn = fn, .ctx = ctx, .n_items = n_items, .stop = stop};
    atomic_init(&j.next, 0);
    if (n_jobs < 1)
        n_jobs = 1;
    thrd_t *t = xcalloc((size_t)n_jobs, sizeof *t);
    Worker *w = xcalloc((size_t)n_jobs, sizeof *w);
    int started = 1, rc = 0;
    for (int s = 1; s < n_jobs; s++) {
        w[s] = (Worker){&j, s};
        if (thrd_create(&t[s], worker_main, &w[s]) != thrd_success) {
            rc = -1;
            break;
        }
        started++;
    }
    work(&j, 0);
    for (int s = 1; s < started; s++)
        thrd_join(t[s], NULL);
    free(t);
    free(w);
    return rc;
}
