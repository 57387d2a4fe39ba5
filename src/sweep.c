/* sweep.c - see sweep.h. */
#include "sweep.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

/* ---- the syntax: [sweep] lines and --sweep options ---- */

void sweep_free(Sweep *sw)
{
    for (int i = 0; i < sw->n_axes; i++) {
        for (int v = 0; v < sw->axes[i].n_values; v++)
            free(sw->axes[i].values[v]);
        free(sw->axes[i].values);
    }
    for (int i = 0; i < sw->n_cli; i++)
        free(sw->cli[i]);
    memset(sw, 0, sizeof *sw);
}

bool sweep_has(const Sweep *sw)
{
    return sw->n_axes > 0 || sw->n_seeds > 0;
}

/* Splits "section.key" (in buf, modified) into its parts and finds the key's row; what
 * prefixes messages. -1 with e. */
static int sweep_key(const SweepKeys *k, char *buf, const char *what, Err *e)
{
    char *dot = strchr(buf, '.');
    const char *section = NULL, *key = buf;
    if (dot) {
        *dot = '\0';
        section = util_trim(buf);
        key = util_trim(dot + 1);
    }
    return k->find(k->ctx, what, section, key, e);
}

static int axis_of(const Sweep *sw, int key)
{
    for (int a = 0; a < sw->n_axes; a++)
        if (sw->axes[a].key == key)
            return a;
    return -1;
}

/* One swept key: "section.key" = "v1 | v2 | v3"; line > 0 for a line of the source, else
 * -n for the n-th --sweep option. */
static int add_axis(Sweep *sw, const SweepKeys *k, const char *what, const char *name,
                    const char *list, int line, Err *e)
{
    char *buf = xstrdup(name);
    int row = sweep_key(k, buf, what, e);
    free(buf);
    if (row < 0)
        return -1;
    char full[64];
    k->name(k->ctx, row, full, sizeof full);
    int prev = axis_of(sw, row);
    if (prev >= 0) {
        if (sw->axes[prev].line > 0)
            return err_set(e, "%s: sweep %s: swept twice (first on line %d)", what, full,
                           sw->axes[prev].line);
        return err_set(e, "%s: sweep %s: swept twice (first by --sweep %s)", what, full,
                       sw->cli[-sw->axes[prev].line - 1]);
    }
    if (sw->n_axes == SWEEP_MAX_AXES)
        return err_set(e, "%s: sweep %s: more than %d swept keys", what, full, SWEEP_MAX_AXES);
    SweepAxis ax = {.key = row, .line = line, .zip = -1};
    util_strlcpy(ax.name, full, sizeof ax.name);
    char *copy = xstrdup(list);
    int count = 1, rc = 0;
    for (const char *p = copy; *p; p++)
        count += *p == '|';
    ax.values = xcalloc((size_t)count, sizeof *ax.values);
    /* Values are compared as the run's config will hold them: "08" after "8" would train
     * the same run twice under two names. */
    char **canon = xcalloc((size_t)count, sizeof *canon);
    char *cursor = copy;
    if (*util_trim(copy) == '\0')
        rc = err_set(e, "%s: sweep %s: empty value list (expected v1 | v2 | ...)", what, full);
    for (int v = 0; rc == 0 && v < count; v++) {
        const char *item = util_next_item(&cursor, '|');
        char msg[1024];
        if (*item == '\0')
            rc = err_set(e, "%s: sweep %s: value %d of %d is empty (expected v1 | v2 | ...)", what,
                         full, v + 1, count);
        else if (k->check(k->ctx, row, item, msg, sizeof msg))
            rc = err_set(e, "%s: sweep %s: value %d: %s", what, full, v + 1, msg);
        char text[SWEEP_VALUE_MAX];
        if (rc == 0)
            k->canon(k->ctx, row, item, text, sizeof text);
        for (int u = 0; rc == 0 && u < ax.n_values; u++) {
            if (strcmp(ax.values[u], item) == 0)
                rc = err_set(e, "%s: sweep %s: '%s' is listed twice", what, full, item);
            else if (strcmp(canon[u], text) == 0)
                rc = err_set(e, "%s: sweep %s: '%s' is the same value as '%s' (listed twice)",
                             what, full, item, ax.values[u]);
        }
        if (rc == 0) {
            canon[ax.n_values] = xstrdup(text);
            ax.values[ax.n_values++] = xstrdup(item);
        }
    }
    for (int v = 0; v < ax.n_values; v++)
        free(canon[v]);
    free(canon);
    free(copy);
    if (rc) {
        for (int v = 0; v < ax.n_values; v++)
            free(ax.values[v]);
        free(ax.values);
        return -1;
    }
    sw->axes[sw->n_axes++] = ax;
    return 0;
}

static int add_zip(Sweep *sw, const SweepKeys *k, const char *what, const char *list, int line,
                   Err *e)
{
    if (sw->n_zips == SWEEP_MAX_ZIPS)
        return err_set(e, "%s: sweep zip: more than %d zip lines", what, SWEEP_MAX_ZIPS);
    int z = sw->n_zips;
    char *copy = xstrdup(list), *cursor = copy, *item;
    int rc = 0;
    sw->zip_n[z] = 0;
    while (rc == 0 && (item = util_next_item(&cursor, ',')) != NULL) {
        if (*item == '\0')
            rc = err_set(e, "%s: sweep zip: empty key in '%s' (expected zip = section.key, "
                         "section.key, ...)", what, list);
        else if (sw->zip_n[z] == SWEEP_MAX_AXES)
            rc = err_set(e, "%s: sweep zip: more than %d keys", what, SWEEP_MAX_AXES);
        else {
            int row = sweep_key(k, item, what, e);
            if (row < 0) {
                rc = -1;
            } else {
                k->name(k->ctx, row, sw->zip_names[z][sw->zip_n[z]], sizeof sw->zip_names[z][0]);
                sw->zip_keys[z][sw->zip_n[z]++] = row;
            }
        }
    }
    free(copy);
    if (rc)
        return -1;
    if (sw->zip_n[z] < 2)
        return err_set(e, "%s: sweep zip: '%s' names one key (expected two or more keys to pair)",
                       what, list);
    sw->zip_line[z] = line;
    sw->n_zips++;
    return 0;
}

static int add_seeds(Sweep *sw, const char *what, const char *list, int line, Err *e)
{
    if (sw->seeds_line)
        return err_set(e, "%s: sweep seeds: given twice (first on line %d)", what, sw->seeds_line);
    char *copy = xstrdup(list), *cursor = copy;
    const char *item;
    int rc = 0;
    sw->n_seeds = 0;
    while (rc == 0 && (item = util_next_item(&cursor, ',')) != NULL) {
        unsigned long long v;
        int prc = util_parse_ullong(item, &v);
        if (*item == '\0')
            rc = err_set(e, "%s: sweep seeds: empty item in '%s' (expected seeds = 1, 2, 3)", what,
                         list);
        else if (prc)
            rc = err_set(e, "%s: sweep seeds: '%s' is not a seed (expected integers in [0, %llu])",
                         what, item, ULLONG_MAX);
        else if (sw->n_seeds == SWEEP_MAX_SEEDS)
            rc = err_set(e, "%s: sweep seeds: more than %d seeds", what, SWEEP_MAX_SEEDS);
        for (int i = 0; rc == 0 && i < sw->n_seeds; i++)
            if (sw->seeds[i] == v)
                rc = err_set(e, "%s: sweep seeds: %llu is listed twice", what, v);
        if (rc == 0)
            sw->seeds[sw->n_seeds++] = v;
    }
    free(copy);
    if (rc) {
        sw->n_seeds = 0;
        return -1;
    }
    sw->seeds_line = line;
    return 0;
}

int sweep_line(Sweep *sw, const SweepKeys *k, const char *what, const char *key,
               const char *value, int line, Err *e)
{
    if (strcmp(key, "seeds") == 0)
        return add_seeds(sw, what, value, line, e);
    if (strcmp(key, "zip") == 0)
        return add_zip(sw, k, what, value, line, e);
    return add_axis(sw, k, what, key, value, line, e);
}

int sweep_option(Sweep *sw, const SweepKeys *k, const char *assignment, Err *e)
{
    char what[1200];
    snprintf(what, sizeof what, "--sweep %.1100s", assignment);
    const char *eq = strchr(assignment, '=');
    if (!eq)
        return err_set(e, "%s: missing '=' (expected section.key=v1|v2|...)", what);
    if (sw->n_cli == SWEEP_MAX_AXES)
        return err_set(e, "%s: more than %d --sweep options", what, SWEEP_MAX_AXES);
    char *name = xstrdup(assignment);
    name[eq - assignment] = '\0';
    sw->cli[sw->n_cli] = xstrdup(assignment);
    int rc = add_axis(sw, k, what, name, eq + 1, -(sw->n_cli + 1), e);
    free(name);
    if (rc < 0) {
        free(sw->cli[sw->n_cli]);
        return -1;
    }
    sw->n_cli++;
    return 0;
}

void sweep_axis_where(const Sweep *sw, const SweepAxis *ax, const char *source, char *buf,
                      size_t n)
{
    if (ax->line > 0)
        snprintf(buf, n, "%s:%d", source, ax->line);
    else
        snprintf(buf, n, "--sweep %s", sw->cli[-ax->line - 1]);
}

/* ---- the runs ---- */

/* Groups of axes that advance together: a zip, or one crossed axis; *values per group. */
static int sweep_groups(const Sweep *sw, int *first_axis, long *values)
{
    int n = 0;
    for (int a = 0; a < sw->n_axes; a++) {
        const SweepAxis *ax = &sw->axes[a];
        int seen = 0;
        for (int b = 0; b < a; b++)
            seen |= ax->zip >= 0 && sw->axes[b].zip == ax->zip;
        if (seen)
            continue;
        first_axis[n] = a;
        values[n++] = ax->n_values;
    }
    return n;
}

int sweep_check(Sweep *sw, const char *source, long max_runs, long *n_runs, Err *e)
{
    char w[PARAMS_PATH_MAX + 1200];
    for (int z = 0; z < sw->n_zips; z++) {
        snprintf(w, sizeof w, "%s:%d", source, sw->zip_line[z]);
        int first = -1;
        for (int i = 0; i < sw->zip_n[z]; i++) {
            const char *name = sw->zip_names[z][i];
            int a = axis_of(sw, sw->zip_keys[z][i]);
            if (a < 0)
                return err_set(e, "%s: sweep zip: %s is not swept (expected keys with a "
                               "'section.key = v1 | v2' line)", w, name);
            if (sw->axes[a].zip >= 0 && sw->axes[a].zip != z)
                return err_set(e, "%s: sweep zip: %s is already zipped on line %d", w, name,
                               sw->zip_line[sw->axes[a].zip]);
            if (first >= 0 && sw->axes[a].n_values != sw->axes[first].n_values)
                return err_set(e, "%s: sweep zip: %s has %d values but %s has %d (expected "
                               "lists of the same length)", w, sw->axes[first].name,
                               sw->axes[first].n_values, name, sw->axes[a].n_values);
            sw->axes[a].zip = z;
            if (first < 0)
                first = a;
        }
    }
    int first_axis[SWEEP_MAX_AXES];
    long values[SWEEP_MAX_AXES];
    int groups = sweep_groups(sw, first_axis, values);
    double total = sw->n_seeds > 0 ? sw->n_seeds : 1;
    char product[512] = "";
    size_t len = 0;
    for (int g = 0; g < groups; g++) {
        total *= (double)values[g];
        len += (size_t)snprintf(product + len, len < sizeof product ? sizeof product - len : 0,
                                "%s%ld", g ? " x " : "", values[g]);
    }
    if (sw->n_seeds > 0 && len < sizeof product)
        snprintf(product + len, sizeof product - len, "%s%d seeds", groups ? " x " : "",
                 sw->n_seeds);
    if (total > (double)max_runs)
        return err_set(e, "%s: the sweep has %.0f runs (%s), more than %ld (expected fewer values, "
                       "or --max-points to raise the limit)", source, total, product, max_runs);
    *n_runs = (long)total;
    return 0;
}

void sweep_point(const Sweep *sw, long index, SweepPoint *pt)
{
    long n_seeds = sw->n_seeds > 0 ? sw->n_seeds : 1;
    memset(pt, 0, sizeof *pt);
    pt->index = index;
    pt->point = index / n_seeds;
    pt->seed = index % n_seeds;
    int first_axis[SWEEP_MAX_AXES];
    long values[SWEEP_MAX_AXES], pick[SWEEP_MAX_AXES];
    int groups = sweep_groups(sw, first_axis, values);
    long rest = pt->point;
    for (int g = groups - 1; g >= 0; g--) { /* the first group varies slowest */
        pick[g] = rest % values[g];
        rest /= values[g];
    }
    for (int a = 0; a < sw->n_axes; a++) {
        const SweepAxis *ax = &sw->axes[a];
        int g = 0;
        while (g < groups && !(first_axis[g] == a ||
                               (ax->zip >= 0 && sw->axes[first_axis[g]].zip == ax->zip)))
            g++;
        snprintf(pt->assignment[pt->n], sizeof pt->assignment[pt->n], "%s=%s", ax->name,
                 ax->values[pick[g]]);
        pt->line[pt->n++] = ax->line;
    }
    if (sw->n_seeds > 0) {
        snprintf(pt->assignment[pt->n], sizeof pt->assignment[pt->n], "train.seed=%llu",
                 sw->seeds[pt->seed]);
        pt->line[pt->n++] = sw->seeds_line;
    }
}

void sweep_point_text(const SweepPoint *pt, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < pt->n && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", pt->assignment[i]);
}

void sweep_print(const Sweep *sw, FILE *f)
{
    if (!sweep_has(sw))
        return;
    fputs("\n[sweep]\n", f);
    for (int a = 0; a < sw->n_axes; a++) {
        const SweepAxis *ax = &sw->axes[a];
        fprintf(f, "%s =", ax->name);
        for (int v = 0; v < ax->n_values; v++)
            fprintf(f, "%s%s", v ? " | " : " ", ax->values[v]);
        fputc('\n', f);
    }
    for (int z = 0; z < sw->n_zips; z++) {
        fputs("zip =", f);
        for (int i = 0; i < sw->zip_n[z]; i++)
            fprintf(f, "%s%s", i ? ", " : " ", sw->zip_names[z][i]);
        fputc('\n', f);
    }
    if (sw->n_seeds > 0) {
        fputs("seeds =", f);
        for (int i = 0; i < sw->n_seeds; i++)
            fprintf(f, "%s%llu", i ? ", " : " ", sw->seeds[i]);
        fputc('\n', f);
    }
}

/* ---- running: Slurm's array syntax, the job threads ---- */


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
