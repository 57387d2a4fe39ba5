/* report.c - see report.h. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "ini.h"
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

/* ---- the study page ---- */

/* The largest SVG copied into the page; a bigger one (an overlay of thousands of runs) is
 * linked beside it instead, so the page stays quick to open. */
#define PAGE_INLINE_MAX (8L << 20)
/* Distinct values of a key the config listing shows before "...". */
#define PAGE_VALUES_SHOWN 8

/* s as HTML text or attribute value: & < > " ' as entities, control characters and
 * invalid UTF-8 as U+FFFD (plot_xml_escape), so no name or value from a user becomes
 * markup. */
static void put_text(FILE *f, const char *s)
{
    char buf[1024];
    if (!s)
        s = "";
    size_t need = plot_xml_escape(buf, sizeof buf, s);
    if (need < sizeof buf) {
        fputs(buf, f);
        return;
    }
    char *big = xmalloc(need + 1);
    plot_xml_escape(big, need + 1, s);
    fputs(big, f);
    free(big);
}

/* path as the URL of an href or src: every byte but A-Z a-z 0-9 - . _ ~ / = , + @ is
 * percent-encoded (':' would start a scheme, '#', '?' and '%' would change the path), so
 * the result needs no escaping inside an attribute. */
static void put_url(FILE *f, const char *path)
{
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~/=,+@", *p);
        if (plain)
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
    }
}

/* Text of several lines, escaped for HTML, its line ends kept (for a <pre>). */
static void put_lines(FILE *f, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, "\n");
        char *line = xmalloc(n + 1);
        memcpy(line, s, n);
        line[n] = '\0';
        put_text(f, line);
        free(line);
        if (s[n] == '\n')
            fputc('\n', f);
        s += n + (s[n] == '\n');
    }
}

/* s as one word of a shell command, escaped for HTML. */
static void put_shell_word(FILE *f, const char *s)
{
    char *w = util_shell_word(s);
    put_text(f, w);
    free(w);
}

static void put_fixed(FILE *f, double v, int decimals)
{
    char buf[64];
    plot_format_fixed(buf, sizeof buf, v, decimals);
    fputs(buf, f);
}

/* A number for data-v (what the inline script sorts by): %g-like, C locale. */
static void put_sort_value(FILE *f, double v)
{
    char buf[64];
    plot_format_number(buf, sizeof buf, v, 0);
    fprintf(f, " data-v=\"%s\"", buf);
}

/* Decimals shown for metric m of value v: accuracies and losses to 4; seconds to 3
 * significant digits (0.0612, 1.53, 245). */
static int metric_decimals(int m, double v)
{
    if (m != COLLECT_TRAIN_SECONDS)
        return 4;
    if (!(fabs(v) > 0) || !isfinite(v))
        return 2;
    int d = 2 - (int)floor(log10(fabs(v)));
    return d < 0 ? 0 : d > 6 ? 6 : d;
}

/* dir as the page in out_real (a resolved path, or NULL) links to it: relative when it
 * lies under out_real ("." for out_real itself), else absolute (a file:// page resolves
 * both), else as given when it cannot be resolved. Caller frees. */
static char *page_link(const char *dir, const char *out_real)
{
    char *real = realpath(dir, NULL);
    if (!real)
        return xstrdup(dir);
    if (out_real) {
        size_t n = strlen(out_real);
        if (n == 1 && out_real[0] == '/')
            n = 0;
        if (strncmp(real, out_real, n) == 0 && (real[n] == '/' || real[n] == '\0')) {
            char *rel = xstrdup(real[n] == '\0' ? "." : real + n + 1);
            free(real);
            return rel;
        }
    }
    return real;
}

/* ---- the config the runs share ---- */

/* A key of the first run's config.ini and the distinct values the runs give it. */
typedef struct {
    char *name;          /* "section.key" */
    int line;            /* its line in the first run's config.ini */
    int n_values;        /* distinct values kept (the first run's first) */
    char *values[PAGE_VALUES_SHOWN];
    int more;            /* some run has a value beyond those kept */
} ConfKey;

typedef struct {
    ConfKey *k;
    int n, cap;
    int next;            /* where a later file's next key is looked for first */
    int first;           /* reading the first run's file: every key is added */
} ConfScan;

static int on_conf_key(void *user, const char *section, const char *key, const char *value,
                       int line)
{
    ConfScan *c = user;
    if (!key)
        return 0;
    char name[512];
    snprintf(name, sizeof name, "%s.%s", section, key);
    if (c->first) {
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 128;
            c->k = xrealloc(c->k, (size_t)c->cap * sizeof *c->k);
        }
        c->k[c->n++] = (ConfKey){.name = xstrdup(name), .line = line, .n_values = 1,
                                 .values = {xstrdup(value)}};
        return 0;
    }
    /* Runs write their keys in one order, so the key after the last one found is tried
     * first. */
    int i = -1;
    for (int t = 0; t < c->n && i < 0; t++) {
        int j = (c->next + t) % c->n;
        if (strcmp(c->k[j].name, name) == 0)
            i = j;
    }
    if (i < 0)
        return 0;
    c->next = i + 1;
    ConfKey *k = &c->k[i];
    for (int v = 0; v < k->n_values; v++)
        if (strcmp(k->values[v], value) == 0)
            return 0;
    if (k->n_values < PAGE_VALUES_SHOWN)
        k->values[k->n_values++] = xstrdup(value);
    else
        k->more = 1;
    return 0;
}

static void conf_free(ConfScan *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->k[i].name);
        for (int v = 0; v < c->k[i].n_values; v++)
            free(c->k[i].values[v]);
    }
    free(c->k);
    memset(c, 0, sizeof *c);
}

/* Reads the first run's config.ini into *text and every run's keys into c. 0, or -1 with
 * e (the first run's file unreadable; a later run's is passed over: collect read it). */
static int conf_scan(const CollectResult *r, ConfScan *c, char **text, Err *e)
{
    memset(c, 0, sizeof *c);
    *text = NULL;
    if (r->n_runs == 0)
        return err_set(e, "no run was collected");
    for (int i = 0; i < r->n_runs; i++) {
        char path[4200], *s;
        size_t len;
        snprintf(path, sizeof path, "%s/" RUNDIR_CONFIG, r->runs[i].dir);
        if (util_read_file(path, COLLECT_MAX_FILE_BYTES, &s, &len, e) < 0) {
            if (i == 0)
                return -1;
            continue;
        }
        c->first = i == 0;
        IniError ie;
        if (ini_parse_string(s, on_conf_key, c, &ie) != 0 && i == 0) {
            free(s);
            conf_free(c);
            return err_set(e, "%s:%d: %s", path, ie.line, ie.msg);
        }
        if (i == 0)
            *text = s;
        else
            free(s);
    }
    return 0;
}

/* The swept key named name, or -1. */
static int swept_index(const CollectResult *r, const char *name)
{
    for (int k = 0; k < r->n_keys; k++)
        if (strcmp(r->keys[k].name, name) == 0)
            return k;
    return -1;
}

/* The first run's config.ini, each key whose value differs between runs shown with all
 * its values: swept keys marked as such, the others (seed, output, threads) as varying. */
static void put_config(FILE *f, const CollectResult *r, const char *text, const ConfScan *c)
{
    fputs("<pre class=\"config\">", f);
    int line = 1, j = 0;
    for (const char *p = text; *p; line++) {
        size_t n = strcspn(p, "\n");
        char *ln = xmalloc(n + 1);
        memcpy(ln, p, n);
        ln[n] = '\0';
        if (n && ln[n - 1] == '\r')
            ln[n - 1] = '\0';
        p += n + (p[n] == '\n');
        while (j < c->n && c->k[j].line < line)
            j++;
        const ConfKey *k = j < c->n && c->k[j].line == line ? &c->k[j] : NULL;
        char *eq = strchr(ln, '=');
        if (!k || !eq || (k->n_values < 2 && !k->more)) {
            put_text(f, ln);
            fputc('\n', f);
            free(ln);
            continue;
        }
        eq[1] = '\0';
        put_text(f, ln);
        int s = swept_index(r, k->name);
        fprintf(f, " <span class=\"%s\">", s >= 0 ? "swept" : "varies");
        if (s >= 0) {
            for (int v = 0; v < r->keys[s].n_levels; v++) {
                fputs(v ? " | " : "", f);
                put_text(f, r->keys[s].levels[v]);
            }
        } else {
            /* A value per run (output.name) would make a line as long as the sweep:
             * the values stop at about 100 characters. */
            size_t shown = 0;
            int v = 0;
            for (; v < k->n_values && (v == 0 || shown + strlen(k->values[v]) < 100); v++) {
                fputs(v ? " | " : "", f);
                put_text(f, k->values[v]);
                shown += strlen(k->values[v]) + 3;
            }
            if (k->more || v < k->n_values)
                fputs(" | ...", f);
        }
        fprintf(f, "</span>   <span class=\"note\">; %s</span>\n",
                s >= 0 ? "swept" : "differs between runs, not a swept key");
        free(ln);
    }
    fputs("</pre>\n", f);
}

/* ---- plots ---- */

static const char base64_digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(FILE *f, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char out[4] = {base64_digits[v >> 18 & 63], base64_digits[v >> 12 & 63],
                       i + 1 < n ? base64_digits[v >> 6 & 63] : '=',
                       i + 2 < n ? base64_digits[v & 63] : '='};
        fwrite(out, 1, 4, f);
    }
}

/* The width="W" height="H" of an SVG's root element, for the img's size before it loads;
 * 0 when absent. */
static void svg_size(const char *svg, long *w, long *h)
{
    *w = *h = 0;
    const char *root = strstr(svg, "<svg");
    const char *end = root ? strchr(root, '>') : NULL;
    if (!end)
        return;
    const char *a = strstr(root, " width=\""), *b = strstr(root, " height=\"");
    if (a && a < end)
        *w = strtol(a + 8, NULL, 10);
    if (b && b < end)
        *h = strtol(b + 9, NULL, 10);
}

/* One sweep plot: the SVG file out_dir/file copied into the page as a data: URL (a page
 * copied alone keeps its plots, and each SVG keeps its own ids), linked to the file. A file
 * too big is linked as it is; one that cannot be read is said so. */
static void put_plot(FILE *f, const char *out_dir, const char *file, const char *caption)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", out_dir, file);
    char *svg = NULL;
    size_t len = 0;
    Err e;
    fputs("<div class=\"plot\">\n<p class=\"caption\">", f);
    put_text(f, caption);
    fputs(" (<a href=\"", f);
    put_url(f, file);
    fputs("\">", f);
    put_text(f, file);
    fputs("</a>)</p>\n", f);
    long long size = util_file_size(path, &e);
    if (size > PAGE_INLINE_MAX) {
        fputs("<img src=\"", f);
        put_url(f, file);
        fputs("\" alt=\"", f);
        put_text(f, caption);
        fputs("\">\n</div>\n", f);
        return;
    }
    if (size < 0 || util_read_file(path, PAGE_INLINE_MAX, &svg, &len, &e) < 0) {
        fputs("<p class=\"missing\">", f);
        put_text(f, e.msg);
        fputs("</p>\n</div>\n", f);
        return;
    }
    long w, h;
    svg_size(svg, &w, &h);
    fputs("<a href=\"", f);
    put_url(f, file);
    fputs("\"><img src=\"data:image/svg+xml;base64,", f);
    put_base64(f, (const unsigned char *)svg, len);
    fputs("\" alt=\"", f);
    put_text(f, caption);
    fputc('"', f);
    if (w > 0 && h > 0)
        fprintf(f, " width=\"%ld\" height=\"%ld\"", w, h);
    fputs("></a>\n</div>\n", f);
    free(svg);
}

/* ---- the page ---- */

/* The point with the highest mean test accuracy over its ok runs (the first of equals),
 * or -1 when no point has one. */
static int best_point(const CollectResult *r)
{
    int best = -1;
    for (int p = 0; p < r->n_points; p++) {
        const CollectStat *st = &r->points[p].stat[COLLECT_TEST_ACC];
        if (st->n > 0 && isfinite(st->mean) &&
            (best < 0 || st->mean > r->points[best].stat[COLLECT_TEST_ACC].mean))
            best = p;
    }
    return best;
}

/* A points-table cell: mean ± std of metric m over the point's ok runs, min and max as
 * its title, the mean as its sort value. */
static void put_stat_cell(FILE *f, const CollectPoint *pt, int m)
{
    const CollectStat *st = &pt->stat[m];
    if (st->n == 0) {
        fputs("<td class=\"n\" data-v=\"\" title=\"no ok run with a value\">-</td>", f);
        return;
    }
    int d = metric_decimals(m, st->mean);
    fputs("<td class=\"n\"", f);
    put_sort_value(f, st->mean);
    fprintf(f, " title=\"n %d, min ", st->n);
    put_fixed(f, st->min, d);
    fputs(", max ", f);
    put_fixed(f, st->max, d);
    fputs("\">", f);
    put_fixed(f, st->mean, d);
    if (st->n > 1) {
        fputs(" &#177; ", f);
        put_fixed(f, st->std, d);
    }
    if (st->n < pt->n_runs)
        fprintf(f, " <span class=\"note\">(n=%d)</span>", st->n);
    fputs("</td>", f);
}

/* A runs-table cell: the run's metric m, or its result.csv text (nan, inf) when that is
 * not a finite number, or "-" when empty. */
static void put_run_metric(FILE *f, const CollectRun *run, int m)
{
    double v = run->metric[m];
    if (isfinite(v)) {
        fputs("<td class=\"n\"", f);
        put_sort_value(f, v);
        fputc('>', f);
        put_fixed(f, v, metric_decimals(m, v));
    } else {
        const char *text = run->cell[collect_metric_columns[m]];
        fputs("<td class=\"n\" data-v=\"\">", f);
        put_text(f, text && *text ? text : "-");
    }
    fputs("</td>", f);
}

static void put_key_headers(FILE *f, const CollectResult *r)
{
    for (int k = 0; k < r->n_keys; k++) {
        fputs("<th>", f);
        put_text(f, r->keys[k].name);
        fputs("</th>", f);
    }
}

static void put_key_cells(FILE *f, const CollectResult *r, int p)
{
    for (int k = 0; k < r->n_keys; k++) {
        const CollectKey *key = &r->keys[k];
        double x = key->level_value[r->points[p].level[k]];
        fputs("<td", f);
        if (key->numeric && isfinite(x))
            put_sort_value(f, x);
        fputc('>', f);
        put_text(f, collect_value(r, p, k));
        fputs("</td>", f);
    }
}

static const char page_style[] =
    "body{font-family:sans-serif;color:#1a1a1a;background:#fff;margin:1.5em auto;"
    "max-width:84em;padding:0 1em;line-height:1.4}\n"
    "h1{font-size:1.6em;margin:0 0 .3em}h2{font-size:1.25em;margin:1.6em 0 .4em;"
    "border-bottom:1px solid #ccc}\n"
    "code,pre{font-family:monospace;font-size:.92em}\n"
    "pre{background:#f6f6f6;border:1px solid #e0e0e0;padding:.6em .8em;overflow-x:auto}\n"
    ".wide{overflow-x:auto;margin:.5em 0}\n"
    "table{border-collapse:collapse;font-size:.82em}\n"
    "th,td{border:1px solid #d0d0d0;padding:.2em .35em;text-align:left;vertical-align:top}\n"
    "thead th{background:#efefef}\n"
    "td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
    "tr.best{background:#d9f0e6}tr.best td:first-child{font-weight:bold}\n"
    ".badge{display:inline-block;font-size:.8em;font-weight:bold;padding:0 .4em;"
    "border-radius:.3em;background:#009E73;color:#fff}\n"
    ".status{font-weight:bold}.s-ok .status{color:#006b4e}.s-diverged .status{color:#b24a00}\n"
    ".s-interrupted .status{color:#8a5d00}.s-incomplete .status,.s-pending .status,"
    ".s-failed .status{color:#7a3a68}\n"
    "tr.s-diverged,tr.s-interrupted,tr.s-incomplete,tr.s-pending,tr.s-failed"
    "{background:#fbf1e6}\n"
    ".swept{background:#fff0b3;font-weight:bold}.varies{background:#e8eefb}\n"
    ".note{color:#666;font-weight:normal}\n"
    ".plot{margin:1em 0}.plot img{max-width:100%;height:auto;border:1px solid #e0e0e0}\n"
    ".caption{margin:.2em 0;font-weight:bold}.missing{color:#b24a00}\n"
    "th.sort{cursor:pointer}\n"
    "th[aria-sort=ascending]:after{content:' \\2191';color:#333}\n"
    "th[aria-sort=descending]:after{content:' \\2193';color:#333}\n";

/* Sorting by a click on a column's heading (numbers by data-v, then text), and a console
 * error for a plot that cannot be shown. The page reads the same without it. */
static const char page_script[] =
    "(function () {\n"
    "  function key(row, i) {\n"
    "    var c = row.cells[i], v = c ? c.getAttribute('data-v') : '';\n"
    "    return v === null ? c.textContent.trim() : v;\n"
    "  }\n"
    "  function num(s) { return s === '' ? NaN : Number(s); }\n"
    "  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (t) {\n"
    "    var heads = t.tHead.rows[0].cells;\n"
    "    Array.prototype.forEach.call(heads, function (th, i) {\n"
    "      th.className += ' sort';\n"
    "      th.title = 'sort by this column';\n"
    "      th.tabIndex = 0;\n"
    "      function sort() {\n"
    "        var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;\n"
    "        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });\n"
    "        th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');\n"
    "        var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);\n"
    "        rows.sort(function (a, b) {\n"
    "          var x = key(a, i), y = key(b, i), nx = num(x), ny = num(y), c;\n"
    "          if (!isNaN(nx) && !isNaN(ny)) c = nx - ny;\n"
    "          else if (isNaN(nx) !== isNaN(ny)) return isNaN(nx) ? 1 : -1;\n"
    "          else c = x < y ? -1 : x > y ? 1 : 0;\n"
    "          return c * dir || a.getAttribute('data-i') - b.getAttribute('data-i');\n"
    "        });\n"
    "        rows.forEach(function (row) { body.appendChild(row); });\n"
    "      }\n"
    "      th.addEventListener('click', sort);\n"
    "      th.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') sort(); });\n"
    "    });\n"
    "  });\n"
    "  window.addEventListener('load', function () {\n"
    "    Array.prototype.forEach.call(document.images, function (im) {\n"
    "      if (!im.complete || im.naturalWidth === 0)\n"
    "        console.error('report.html: cannot show ' + im.alt);\n"
    "    });\n"
    "  });\n"
    "})();\n";

/* The runs of the sweep's list (out_dir/sweep.csv) whose directory does not exist: never
 * started. Their rows of *t (which the caller frees) into rows; returns how many. */
static int pending_runs(const char *out_dir, CsvTable *t, int **rows, int *col_dir,
                        int *col_overrides)
{
    char path[4200];
    Err e;
    *rows = NULL;
    memset(t, 0, sizeof *t);
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP, out_dir);
    if (!util_exists(path) || csv_read(t, path, CSV_READ_MAX_DEFAULT, &e) < 0)
        return 0;
    *col_dir = csv_column(t, "run_dir");
    *col_overrides = csv_column(t, "overrides");
    if (*col_dir < 0 || t->n_rows < 2)
        return 0;
    int n = 0;
    *rows = xcalloc((size_t)t->n_rows, sizeof **rows);
    for (int i = 1; i < t->n_rows; i++) {
        snprintf(path, sizeof path, "%s/%s", out_dir, csv_cell(t, i, *col_dir));
        if (util_is_dir(path) != 1)
            (*rows)[n++] = i;
    }
    return n;
}

/* out_dir's sweep.ini (rundir.h), when the sweep wrote one: text holds the file (caller
 * frees), cut into its command line, the directory it ran in and the config file's bytes. */
typedef struct {
    char *text;
    const char *command, *where, *config;
} SweepRecord;

static bool read_record(const char *out_dir, SweepRecord *rec)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP_RECORD, out_dir);
    size_t len;
    Err e;
    memset(rec, 0, sizeof *rec);
    if (util_read_file(path, COLLECT_MAX_FILE_BYTES, &rec->text, &len, &e) < 0)
        return false;
    const char *heads[2] = {RUNDIR_RECORD_COMMAND, RUNDIR_RECORD_WHERE};
    const char **lines[2] = {&rec->command, &rec->where};
    char *p = rec->text;
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(heads[i]);
        char *end = strncmp(p, heads[i], n) == 0 ? strchr(p, '\n') : NULL;
        if (!end) {
            free(rec->text);
            rec->text = NULL;
            return false;
        }
        *end = '\0';
        *lines[i] = p + n;
        p = end + 1;
    }
    rec->config = p;
    return true;
}

int report_sweep_page(const CollectResult *r, const char *out_dir, Err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP_REPORT, out_dir);
    AtomicFile af;
    if (util_atomic_open(&af, path, e) < 0)
        return -1;
    FILE *f = af.f;
    char *out_real = realpath(out_dir, NULL);
    const char *name = out_real ? out_real : out_dir;
    const char *slash = strrchr(name, '/');
    if (slash && slash[1])
        name = slash + 1;
    CsvTable sweep;
    int *pending, col_dir = -1, col_overrides = -1;
    int n_pending = pending_runs(out_dir, &sweep, &pending, &col_dir, &col_overrides);
    int n_status[RUN_STATUS_COUNT] = {0};
    for (int i = 0; i < r->n_runs; i++)
        n_status[r->runs[i].status]++;
    int best = best_point(r);
    char label[1024];

    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"mlptrain\">\n<title>", f);
    put_text(f, name);
    fprintf(f, " - mlptrain sweep report</title>\n<style>\n%s</style>\n</head>\n<body>\n",
            page_style);

    /* the title and what the study holds */
    fputs("<h1>Sweep report: ", f);
    put_text(f, name);
    fputs("</h1>\n<p>", f);
    fprintf(f, "%d run%s in %d point%s", r->n_runs, r->n_runs == 1 ? "" : "s", r->n_points,
            r->n_points == 1 ? "" : "s");
    fprintf(f, " over %d swept key%s: %d ok, %d diverged, %d interrupted", r->n_keys,
            r->n_keys == 1 ? "" : "s", n_status[RUN_OK], n_status[RUN_DIVERGED],
            n_status[RUN_INTERRUPTED]);
    if (r->n_skipped)
        fprintf(f, "; <a href=\"#not-collected\">%d not collected</a>", r->n_skipped);
    if (n_pending)
        fprintf(f, "; <a href=\"#not-collected\">%d not started</a>", n_pending);
    fputs(".</p>\n", f);
    if (best >= 0) {
        const CollectStat *st = &r->points[best].stat[COLLECT_TEST_ACC];
        point_label(r, best, label, sizeof label);
        fprintf(f, "<p><span class=\"badge\">best</span> <a href=\"#point-%d\">point %d</a>: ",
                best + 1, best + 1);
        put_text(f, label);
        fputs(", test accuracy ", f);
        put_fixed(f, st->mean, 4);
        if (st->n > 1) {
            fputs(" &#177; ", f);
            put_fixed(f, st->std, 4);
        }
        fprintf(f, " (%d ok run%s).</p>\n", st->n, st->n == 1 ? "" : "s");
    } else {
        fputs("<p>No point has an ok run with a test accuracy: no best point.</p>\n", f);
    }
    fputs("<p><a href=\"#points\">Points</a> | <a href=\"#plots\">Plots</a> | "
          "<a href=\"#runs\">Runs</a> | <a href=\"#config\">Config</a> | "
          "<a href=\"" RUNDIR_SWEEP_SUMMARY "\">" RUNDIR_SWEEP_SUMMARY "</a> | "
          "<a href=\"" RUNDIR_SWEEP_BY_POINT "\">" RUNDIR_SWEEP_BY_POINT "</a></p>\n", f);

    /* how it was made */
    SweepRecord rec;
    bool recorded = read_record(out_dir, &rec);
    fputs("<h2 id=\"commands\">Commands</h2>\n", f);
    if (recorded) {
        fputs("<p>The runs were made by:</p>\n<pre>", f);
        put_text(f, rec.command);
        fputs("</pre>\n<p>in <code>", f);
        put_text(f, rec.where);
        fputs("</code> (<a href=\"" RUNDIR_SWEEP_RECORD "\">" RUNDIR_SWEEP_RECORD "</a> keeps "
              "that command and the config file as it read it: <a href=\"#config\">below</a>). "
              "It writes this page, " RUNDIR_SWEEP_SUMMARY ", " RUNDIR_SWEEP_BY_POINT " and the "
              "plots when its runs end; they are written again from the runs by:</p>\n<pre>", f);
    } else {
        fputs("<p>This page, " RUNDIR_SWEEP_SUMMARY ", " RUNDIR_SWEEP_BY_POINT " and the plots "
              "are written by <code>mlptrain sweep CONFIG</code> when its runs end, and again "
              "from the runs by:</p>\n<pre>", f);
    }
    fputs("mlptrain collect ", f);
    put_shell_word(f, out_dir);
    fputs("</pre>\n<p>Each run repeats alone from its resolved config: <code>mlptrain "
          "RUN/" RUNDIR_CONFIG "</code>.</p>\n", f);
    if (r->n_keys) {
        fputs("<table>\n<thead><tr><th>swept key</th><th>values</th></tr></thead>\n<tbody>\n",
              f);
        for (int k = 0; k < r->n_keys; k++) {
            fputs("<tr><td>", f);
            put_text(f, r->keys[k].name);
            fputs("</td><td>", f);
            for (int l = 0; l < r->keys[k].n_levels; l++) {
                fputs(l ? " | " : "", f);
                put_text(f, r->keys[k].levels[l]);
            }
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody>\n</table>\n", f);
    } else {
        fputs("<p>No key differs between the runs: they form one point.</p>\n", f);
    }

    /* the points */
    fputs("<h2 id=\"points\">Points</h2>\n<p>Mean &#177; sample standard deviation "
          "(n - 1) over each point's <em>ok</em> runs; diverged and interrupted runs are "
          "counted, never averaged (hover a cell for n, min and max). The best point is the "
          "one with the highest mean test_acc (the first of equals); points without an ok "
          "run are not ranked. A click on a heading sorts the table.</p>\n"
          "<div class=\"wide\"><table class=\"sortable\" id=\"points-table\">\n<thead><tr><th>point</th>", f);
    put_key_headers(f, r);
    fputs("<th>runs</th><th>ok</th><th>diverged</th><th>interrupted</th>", f);
    for (int m = 0; m < COLLECT_N_METRICS; m++)
        fprintf(f, "<th>%s</th>", result_columns[collect_metric_columns[m]]);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (int p = 0; p < r->n_points; p++) {
        const CollectPoint *pt = &r->points[p];
        fprintf(f, "<tr class=\"point%s\" id=\"point-%d\" data-i=\"%d\"><td class=\"n\" "
                "data-v=\"%d\">%d%s</td>", p == best ? " best" : "", p + 1, p, p + 1, p + 1,
                p == best ? " <span class=\"badge\">best</span>" : "");
        put_key_cells(f, r, p);
        fprintf(f, "<td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
                "<td class=\"n\">%d</td>", pt->n_runs, pt->n_status[RUN_OK],
                pt->n_status[RUN_DIVERGED], pt->n_status[RUN_INTERRUPTED]);
        for (int m = 0; m < COLLECT_N_METRICS; m++)
            put_stat_cell(f, pt, m);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table></div>\n", f);

    /* the plots report_sweep_plots writes */
    fputs("<h2 id=\"plots\">Plots</h2>\n", f);
    put_plot(f, out_dir, RUNDIR_SWEEP_CURVES, "Every run's curves, one colour per point");
    for (int k = 0; k < r->n_keys; k++) {
        char part[128], file[256], caption[600];
        file_part(r->keys[k].name, part, sizeof part);
        snprintf(file, sizeof file, RUNDIR_SWEEP_BY_KEY_FMT, part);
        snprintf(caption, sizeof caption, "Test accuracy by %s", r->keys[k].name);
        put_plot(f, out_dir, file, caption);
    }
    if (r->n_keys == 2)
        put_plot(f, out_dir, RUNDIR_SWEEP_HEATMAP, "Test accuracy over both swept keys");

    /* the runs */
    fputs("<h2 id=\"runs\">Runs</h2>\n<p>Every run collected, its status and its numbers "
          "from its " RUNDIR_RESULT "; <em>curves</em> opens the run's " RUNDIR_CURVES
          ".</p>\n<div class=\"wide\"><table class=\"sortable\" id=\"runs-table\">\n<thead><tr><th>run</th>"
          "<th>point</th>", f);
    put_key_headers(f, r);
    fputs("<th>seed</th><th>status</th>", f);
    for (int m = 0; m < COLLECT_N_METRICS; m++)
        fprintf(f, "<th>%s</th>", result_columns[collect_metric_columns[m]]);
    fputs("<th>curves</th></tr></thead>\n<tbody>\n", f);
    for (int i = 0; i < r->n_runs; i++) {
        const CollectRun *run = &r->runs[i];
        const char *status = result_status_names[run->status];
        char *link = page_link(run->dir, out_real);
        fprintf(f, "<tr class=\"run s-%s\" data-i=\"%d\"><td><a href=\"", status, i);
        put_url(f, link);
        fputs("/\">", f);
        put_text(f, link);
        fprintf(f, "</a></td><td class=\"n\" data-v=\"%d\"><a href=\"#point-%d\">%d</a></td>",
                run->point + 1, run->point + 1, run->point + 1);
        put_key_cells(f, r, run->point);
        fputs("<td class=\"n\"", f);
        if (isfinite(run->seed_value))
            put_sort_value(f, run->seed_value);
        fputc('>', f);
        put_text(f, run->seed);
        fprintf(f, "</td><td class=\"status\">%s</td>", status);
        for (int m = 0; m < COLLECT_N_METRICS; m++)
            put_run_metric(f, run, m);
        snprintf(path, sizeof path, "%s/" RUNDIR_CURVES, run->dir);
        if (util_exists(path)) {
            fputs("<td><a href=\"", f);
            put_url(f, link);
            fputs("/" RUNDIR_CURVES "\">curves</a></td>", f);
        } else {
            fputs("<td>none</td>", f);
        }
        fputs("</tr>\n", f);
        free(link);
    }
    fputs("</tbody>\n</table></div>\n", f);

    if (r->n_skipped || n_pending) {
        fputs("<h3 id=\"not-collected\">Not in the tables</h3>\n<p>Runs collect could not read "
              "(a run that failed, was killed or is still running has no " RUNDIR_RESULT
              ") and runs of the sweep's list not started.</p>\n<div class=\"wide\"><table>\n<thead><tr>"
              "<th>run</th><th>status</th><th>why</th><th>curves</th></tr></thead>\n<tbody>\n",
              f);
        for (int i = 0; i < r->n_skipped; i++) {
            const CollectSkip *s = &r->skipped[i];
            const char *status = result_status_names[rundir_status(s->path)];
            char *link = page_link(s->path, out_real);
            fprintf(f, "<tr class=\"run s-%s\"><td>", status);
            put_text(f, link);
            fprintf(f, "</td><td class=\"status\">%s</td><td>", status);
            put_text(f, s->reason);
            snprintf(path, sizeof path, "%s/" RUNDIR_CURVES, s->path);
            if (util_exists(path)) {
                fputs("</td><td><a href=\"", f);
                put_url(f, link);
                fputs("/" RUNDIR_CURVES "\">curves</a></td></tr>\n", f);
            } else {
                fputs("</td><td>none</td></tr>\n", f);
            }
            free(link);
        }
        for (int i = 0; i < n_pending; i++) {
            fputs("<tr class=\"run s-pending\"><td>", f);
            put_text(f, csv_cell(&sweep, pending[i], col_dir));
            fputs("</td><td class=\"status\">pending</td><td>not started (listed in "
                  RUNDIR_SWEEP, f);
            if (col_overrides >= 0) {
                fputs(": ", f);
                put_text(f, csv_cell(&sweep, pending[i], col_overrides));
            }
            fputs(")</td><td>none</td></tr>\n", f);
        }
        fputs("</tbody>\n</table></div>\n", f);
    }

    /* the config */
    fputs("<h2 id=\"config\">Config</h2>\n", f);
    if (recorded) {
        fputs("<p>The config file as the sweep read it, comments and all "
              "(<a href=\"" RUNDIR_SWEEP_RECORD "\">" RUNDIR_SWEEP_RECORD "</a>):</p>\n"
              "<pre class=\"config\">", f);
        put_lines(f, rec.config);
        fputs("</pre>\n", f);
        free(rec.text);
    }
    ConfScan conf;
    char *text;
    Err ce;
    if (conf_scan(r, &conf, &text, &ce) == 0) {
        char *link = page_link(r->runs[0].dir, out_real);
        fputs("<p>The resolved config of the runs, as <a href=\"", f);
        put_url(f, link);
        fputs("/" RUNDIR_CONFIG "\">", f);
        put_text(f, link);
        fputs("/" RUNDIR_CONFIG "</a> holds it, with every value a key takes across the "
              "runs: <span class=\"swept\">swept keys</span>, and <span class=\"varies\">"
              "keys that differ between runs without being swept</span> (the seed, where "
              "a run writes, its threads).</p>\n", f);
        put_config(f, r, text, &conf);
        free(link);
        free(text);
        conf_free(&conf);
    } else {
        fputs("<p class=\"missing\">", f);
        put_text(f, ce.msg);
        fputs("</p>\n", f);
    }

    fprintf(f, "<script>\n%s</script>\n</body>\n</html>\n", page_script);
    free(pending);
    csv_table_free(&sweep);
    free(out_real);
    return util_atomic_commit(&af, e);
}
