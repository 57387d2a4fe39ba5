/* sweep.c - see sweep.h. Listing a directory (readdir) is POSIX: ISO C has no way to. */
#define _POSIX_C_SOURCE 200809L
#include "sweep.h"

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "csv.h"
#include "rundir.h"

/* The largest result.csv read: a header and one row; anything far larger is not one. */
#define RESULT_MAX_BYTES (1L << 20)

/* The status result.csv at path holds in its "status" column (found by its name in the
 * header, wherever it stands), or RUN_INCOMPLETE when the file is missing or unreadable,
 * has no such column or row, or names no status a result may hold. */
static RunStatus result_status(const char *path)
{
    CsvTable t;
    Err e;
    if (csv_read(&t, path, RESULT_MAX_BYTES, &e) < 0)
        return RUN_INCOMPLETE;
    int col = csv_column(&t, train_result_columns[RESULT_COL_STATUS]);
    const char *text = col < 0 ? NULL : csv_cell(&t, 1, col);
    int s = text ? train_result_status(text) : -1;
    csv_table_free(&t);
    return s < 0 ? RUN_INCOMPLETE : (RunStatus)s;
}

RunStatus sweep_dir_status(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" RUNDIR_CONFIG, dir);
    if (util_file_size(path, NULL) < 0)
        return RUN_PENDING;
    snprintf(path, sizeof path, "%s/" RUNDIR_RESULT, dir);
    return result_status(path);
}

int sweep_finished(RunStatus s)
{
    return s == RUN_OK || s == RUN_DIVERGED;
}

/* The files of a run, and "NAME.tmp.PID" temporaries of them. */
static int run_file(const char *name)
{
    static const char *const files[] = {RUNDIR_RUN_FILES};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t n = strlen(files[i]);
        if (strncmp(name, files[i], n) == 0 &&
            (name[n] == '\0' ||
             strncmp(name + n, UTIL_ATOMIC_TMP, sizeof UTIL_ATOMIC_TMP - 1) == 0))
            return 1;
    }
    return 0;
}

int sweep_clear_dir(const char *dir, Err *e)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : err_set(e, "cannot read directory '%s': %s", dir,
                                             strerror(errno));
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!run_file(de->d_name))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (remove(path) != 0 && errno != ENOENT)
            rc = err_set(e, "cannot remove '%s': %s", path, strerror(errno));
    }
    closedir(d);
    return rc;
}

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
