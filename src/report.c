/* report.c - see report.h. */
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "plot.h"
#include "rundir.h"

/* The columns of epochs.csv a plot uses, as numbers (NaN for empty cells). */
typedef struct {
    int n;
    double *x;                   /* epoch, or iteration when rows are not one per epoch */
    int per_iteration;
    double *col[7];              /* lr, train_loss, train_acc, val_loss, val_acc, test_loss,
                                    test_acc */
} Curves;

enum { C_LR, C_TRAIN_LOSS, C_TRAIN_ACC, C_VAL_LOSS, C_VAL_ACC, C_TEST_LOSS, C_TEST_ACC };
static const char *const curve_columns[] = {"lr", "train_loss", "train_acc", "val_loss",
                                            "val_acc", "test_loss", "test_acc"};

static void curves_free(Curves *c)
{
    free(c->x);
    for (int k = 0; k < 7; k++)
        free(c->col[k]);
    memset(c, 0, sizeof *c);
}

static double cell_number(const char *s)
{
    if (!s || !*s)
        return NAN;
    char *end;
    double v = strtod(s, &end);
    return *end == '\0' ? v : NAN;
}

static int read_curves(const char *run_dir, Curves *c, Err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" RUNDIR_EPOCHS, run_dir);
    CsvTable t;
    memset(c, 0, sizeof *c);
    if (csv_read(&t, path, CSV_READ_MAX_DEFAULT, e) < 0)
        return -1;
    int ce = csv_column(&t, "epoch"), ci = csv_column(&t, "iteration"), cols[7];
    int rc = 0;
    for (int k = 0; k < 7; k++)
        if ((cols[k] = csv_column(&t, curve_columns[k])) < 0)
            rc = -1;
    if (ce < 0 || ci < 0 || rc < 0 || t.n_rows < 2) {
        csv_table_free(&t);
        return err_set(e, "%s: not an " RUNDIR_EPOCHS " with rows (expected the columns epoch, "
                       "iteration, lr, train_loss, ...)", path);
    }
    c->n = t.n_rows - 1;
    c->x = xcalloc((size_t)c->n, sizeof *c->x);
    for (int k = 0; k < 7; k++)
        c->col[k] = xcalloc((size_t)c->n, sizeof *c->col[k]);
    for (int r = 1; r < t.n_rows; r++) {
        double ep = cell_number(csv_cell(&t, r, ce));
        if (r > 1 && !(ep > c->x[r - 2]))
            c->per_iteration = 1;
        c->x[r - 1] = ep;
        for (int k = 0; k < 7; k++)
            c->col[k][r - 1] = cell_number(csv_cell(&t, r, cols[k]));
    }
    if (c->per_iteration)
        for (int r = 1; r < t.n_rows; r++)
            c->x[r - 1] = cell_number(csv_cell(&t, r, ci));
    csv_table_free(&t);
    return 0;
}

/* Writes path from a figure or heatmap, whole or absent. */
static int write_svg(const char *path, const PlotFigure *fig, const PlotHeatmap *hm, Err *e)
{
    AtomicFile af;
    if (util_atomic_open(&af, path, e) < 0)
        return -1;
    /* The plot fails only by a failed write, whose errno is the last one set (drawing
     * sets none); cleared first so that an older one is not taken for the reason. */
    errno = 0;
    int rc = fig ? plot_figure_svg(af.f, fig) : plot_heatmap_svg(af.f, hm);
    if (rc < 0) {
        int err = errno;
        util_atomic_abort(&af);
        return err_set(e, "cannot write '%s': %s", path, err ? strerror(err) : "write error");
    }
    return util_atomic_commit(&af, e);
}

static int has_values(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            return 1;
    return 0;
}

int report_run_curves(const char *run_dir, const char *title, Err *e)
{
    Curves c;
    if (read_curves(run_dir, &c, e) < 0)
        return -1;
    const char *xl = c.per_iteration ? "iteration" : "epoch";
    PlotSeries loss[2] = {
        {.label = "train", .x = c.x, .y = c.col[C_TRAIN_LOSS], .n = c.n, .color = 0},
        {.label = "validation", .x = c.x, .y = c.col[C_VAL_LOSS], .n = c.n, .color = 1,
         .dashed = true}};
    PlotSeries acc[3] = {
        {.label = "train", .x = c.x, .y = c.col[C_TRAIN_ACC], .n = c.n, .color = 0},
        {.label = "validation", .x = c.x, .y = c.col[C_VAL_ACC], .n = c.n, .color = 1,
         .dashed = true},
        {.label = "test", .x = c.x, .y = c.col[C_TEST_ACC], .n = c.n, .color = 2,
         .markers = !has_values(c.col[C_TEST_ACC], c.n - 1)}};
    PlotSeries lr = {.label = "learning rate", .x = c.x, .y = c.col[C_LR], .n = c.n, .color = 6};
    int n_loss = has_values(c.col[C_VAL_LOSS], c.n) ? 2 : 1;
    int n_acc = has_values(c.col[C_VAL_ACC], c.n) ? 3 : 2;
    if (n_acc == 2)
        acc[1] = acc[2];
    PlotPanel panels[3] = {
        {.title = "Loss", .xlabel = xl, .ylabel = "cross-entropy", .series = loss,
         .n_series = n_loss},
        {.title = "Accuracy", .xlabel = xl, .ylabel = "accuracy", .series = acc,
         .n_series = n_acc},
        {.title = "Learning rate", .xlabel = xl, .ylabel = "lr", .yscale = PLOT_SCALE_AUTO,
         .series = &lr, .n_series = 1}};
    PlotFigure fig = {.title = title, .panels = panels, .n_panels = 3, .cols = 3};
    char path[4200];
    snprintf(path, sizeof path, "%s/" RUNDIR_CURVES, run_dir);
    int rc = write_svg(path, &fig, NULL, e);
    curves_free(&c);
    return rc;
}

/* "model.hidden=64, optim.lr=0.1": the label of point p. */
static void point_label(const CollectResult *r, int p, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < r->n_keys && len < n; k++) {
        const char *name = strchr(r->keys[k].name, '.');
        len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", k ? ", " : "",
                                name ? name + 1 : r->keys[k].name, collect_value(r, p, k));
    }
    if (r->n_keys == 0)
        snprintf(buf, n, "all runs");
}

/* The overlay: train loss, validation (or test) accuracy and LR of every run, one colour
 * per point. */
static int sweep_curves(const CollectResult *r, const char *out_dir, FILE *log, Err *e)
{
    Curves *cv = xcalloc((size_t)r->n_runs, sizeof *cv);
    char (*labels)[256] = xcalloc((size_t)r->n_points, sizeof *labels);
    PlotSeries *s[3];
    for (int k = 0; k < 3; k++)
        s[k] = xcalloc((size_t)r->n_runs, sizeof *s[k]);
    for (int p = 0; p < r->n_points; p++)
        point_label(r, p, labels[p], sizeof labels[p]);
    int n = 0, any_val = 0, per_iteration = 0;
    for (int i = 0; i < r->n_runs; i++) {
        Err re;
        if (read_curves(r->runs[i].dir, &cv[i], &re) < 0) {
            if (log)
                fprintf(log, "mlptrain: %s; left out of the sweep curves\n", re.msg);
            continue;
        }
        any_val |= has_values(cv[i].col[C_VAL_ACC], cv[i].n);
        per_iteration |= cv[i].per_iteration;
    }
    for (int i = 0; i < r->n_runs; i++) {
        if (cv[i].n == 0)
            continue;
        int p = r->runs[i].point;
        const double *accs = any_val ? cv[i].col[C_VAL_ACC] : cv[i].col[C_TEST_ACC];
        const double *ys[3] = {cv[i].col[C_TRAIN_LOSS], accs, cv[i].col[C_LR]};
        for (int k = 0; k < 3; k++)
            s[k][n] = (PlotSeries){.label = labels[p], .x = cv[i].x, .y = ys[k], .n = cv[i].n,
                                   .color = p};
        n++;
    }
    const char *xl = per_iteration ? "iteration" : "epoch";
    PlotPanel panels[3] = {
        {.title = "Training loss", .xlabel = xl, .ylabel = "cross-entropy", .series = s[0],
         .n_series = n},
        {.title = any_val ? "Validation accuracy" : "Test accuracy", .xlabel = xl,
         .ylabel = "accuracy", .series = s[1], .n_series = n},
        {.title = "Learning rate", .xlabel = xl, .ylabel = "lr", .yscale = PLOT_SCALE_AUTO,
         .series = s[2], .n_series = n}};
    PlotFigure fig = {.title = "Every run of the sweep, one colour per point", .panels = panels,
                      .n_panels = 3, .cols = 3};
    char path[4200];
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP_CURVES, out_dir);
    int rc = write_svg(path, &fig, NULL, e);
    for (int i = 0; i < r->n_runs; i++)
        curves_free(&cv[i]);
    for (int k = 0; k < 3; k++)
        free(s[k]);
    free(cv);
    free(labels);
    return rc;
}

/* A key name as a file name part: "model.hidden" -> "hidden". */
static void file_part(const char *key, char *buf, size_t n)
{
    const char *dot = strchr(key, '.');
    util_strlcpy(buf, dot ? dot + 1 : key, n);
    for (char *p = buf; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            *p = '_';
}

/* Test accuracy (mean +- std over seeds) against key k: one series per combination of
 * the other keys' values. */
static int accuracy_by_key(const CollectResult *r, int k, const char *out_dir, Err *e)
{
    const CollectKey *key = &r->keys[k];
    int nl = key->n_levels;
    /* A series is a point's values on the other keys: the first point with them names it. */
    int *series_of = xcalloc((size_t)r->n_points, sizeof *series_of);
    int n_series = 0;
    int *first = xcalloc((size_t)r->n_points, sizeof *first);
    for (int p = 0; p < r->n_points; p++) {
        int found = -1;
        for (int q = 0; q < n_series && found < 0; q++) {
            int same = 1;
            for (int j = 0; j < r->n_keys; j++)
                if (j != k && r->points[first[q]].level[j] != r->points[p].level[j])
                    same = 0;
            if (same)
                found = q;
        }
        if (found < 0) {
            first[n_series] = p;
            found = n_series++;
        }
        series_of[p] = found;
    }
    double *x = xcalloc((size_t)nl, sizeof *x);
    double *y = xcalloc((size_t)n_series * nl, sizeof *y);
    double *err = xcalloc((size_t)n_series * nl, sizeof *err);
    char (*labels)[256] = xcalloc((size_t)n_series, sizeof *labels);
    PlotSeries *s = xcalloc((size_t)n_series, sizeof *s);
    for (int l = 0; l < nl; l++)
        x[l] = key->numeric ? key->level_value[l] : l;
    for (int i = 0; i < n_series * nl; i++)
        y[i] = err[i] = NAN;
    for (int p = 0; p < r->n_points; p++) {
        const CollectStat *st = &r->points[p].stat[COLLECT_TEST_ACC];
        int q = series_of[p], l = r->points[p].level[k];
        y[q * nl + l] = st->n > 0 ? st->mean : NAN;
        err[q * nl + l] = st->n > 1 ? st->std : NAN;
    }
    for (int q = 0; q < n_series; q++) {
        size_t len = 0;
        labels[q][0] = '\0';
        for (int j = 0; j < r->n_keys && len < sizeof labels[q]; j++) {
            if (j == k)
                continue;
            const char *name = strchr(r->keys[j].name, '.');
            len += (size_t)snprintf(labels[q] + len, sizeof labels[q] - len, "%s%s=%s",
                                    len ? ", " : "", name ? name + 1 : r->keys[j].name,
                                    collect_value(r, first[q], j));
        }
        s[q] = (PlotSeries){.label = n_series > 1 ? labels[q] : "mean ± std over seeds",
                            .x = x, .y = y + q * nl, .err = err + q * nl, .n = nl, .color = q,
                            .markers = true};
    }
    char title[300];
    snprintf(title, sizeof title, "Final test accuracy by %s (mean ± std over seeds)", key->name);
    PlotPanel panel = {.xlabel = key->name, .ylabel = "test accuracy", .series = s,
                       .n_series = n_series};
    if (key->numeric)
        panel.xscale = PLOT_SCALE_AUTO;
    else {
        panel.xcats = (const char *const *)key->levels;
        panel.n_xcats = nl;
    }
    PlotFigure fig = {.title = title, .panels = &panel, .n_panels = 1, .cols = 1,
                      .panel_w = 560, .panel_h = 400};
    char part[128], path[4400];
    file_part(key->name, part, sizeof part);
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP_BY_KEY_FMT, out_dir, part);
    int rc = write_svg(path, &fig, NULL, e);
    free(series_of);
    free(first);
    free(x);
    free(y);
    free(err);
    free(labels);
    free(s);
    return rc;
}

static int heatmap(const CollectResult *r, const char *out_dir, Err *e)
{
    const CollectKey *row = &r->keys[0], *col = &r->keys[1];
    double *v = xcalloc((size_t)row->n_levels * col->n_levels, sizeof *v);
    for (int i = 0; i < row->n_levels; i++)
        for (int j = 0; j < col->n_levels; j++) {
            int level[2] = {i, j};
            int p = collect_point_at(r, level);
            const CollectStat *st = p >= 0 ? &r->points[p].stat[COLLECT_TEST_ACC] : NULL;
            v[i * col->n_levels + j] = st && st->n > 0 ? st->mean : NAN;
        }
    PlotHeatmap hm = {.title = "Final test accuracy (mean over seeds)", .xlabel = col->name,
                      .ylabel = row->name, .xcats = (const char *const *)col->levels,
                      .nx = col->n_levels, .ycats = (const char *const *)row->levels,
                      .ny = row->n_levels, .values = v, .scale_label = "test accuracy",
                      .decimals = 4};
    char path[4200];
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP_HEATMAP, out_dir);
    int rc = write_svg(path, NULL, &hm, e);
    free(v);
    return rc;
}

int report_sweep_plots(const CollectResult *r, const char *out_dir, FILE *log, Err *e)
{
    if (sweep_curves(r, out_dir, log, e) < 0)
        return -1;
    for (int k = 0; k < r->n_keys; k++)
        if (accuracy_by_key(r, k, out_dir, e) < 0)
            return -1;
    if (r->n_keys == 2 && heatmap(r, out_dir, e) < 0)
        return -1;
    return 0;
}
