/* test_report.c - the study page (report.html) of a small study written by hand: one row
 * per point with the best point marked, every run with its status (diverged, interrupted,
 * incomplete, not started), user text (a value '<script>...', a run directory named with
 * < & ") escaped, the plots copied in, the swept keys marked in the config, numbers with a
 * '.' under a comma-decimal locale, and a page that cannot be written naming the file.
 * `test_report --page DIR` instead writes the study and its page into DIR, for
 * tests/report_test.sh to validate and load in a browser. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw for scratch files only */

#include <ftw.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect.h"
#include "report.h"
#include "rundir.h"
#include "test.h"

/* ---- a study written by hand ---- */

#define HOSTILE_VALUE "<script>alert(1)</script>"
#define HOSTILE_RUN "act-x_seed=2_run<b>&\"x" /* a directory name with < & " */

typedef struct {
    const char *dir;
    const char *hidden, *activation;
    int seed;
    const char *status, *acc, *loss, *val, *secs;
    int epochs_csv;      /* write an epochs.csv (and so curves.svg) */
} Run;

/* Points (32, HOSTILE_VALUE), (32, relu), (64, relu); the last has the best mean test
 * accuracy (0.95 from its one ok run; its other run diverged). */
static const Run runs[] = {
    {"act-x_seed=1", "32", HOSTILE_VALUE, 1, "ok", "0.5", "1.5", "0.55", "0.25", 1},
    {HOSTILE_RUN, "32", HOSTILE_VALUE, 2, "interrupted", "0.4", "1.7", "0.45", "0.125", 0},
    {"h32_seed=1", "32", "relu", 1, "ok", "0.9", "0.31", "0.89", "1.5", 1},
    {"h32_seed=2", "32", "relu", 2, "ok", "0.92", "0.28", "", "2.25", 0},
    {"h64_seed=1", "64", "relu", 1, "ok", "0.95", "0.2", "0.94", "3", 1},
    {"h64_seed=2", "64", "relu", 2, "diverged", "0.098", "nan", "0.1", "0.5", 1},
};
enum { N_RUNS = sizeof runs / sizeof runs[0], N_POINTS = 3 };

#define RESULT_HEADER                                                                      \
    "name,dataset,hidden,activation,batchnorm,dropout,optimizer,lr,batch_size,epochs,"   \
    "schedule,seed,params,test_acc,test_loss,best_val_acc,best_epoch,stopped_epoch,"      \
    "train_seconds,seconds_per_100_iterations,peak_rss_bytes,model_bytes,threads,status"

static int write_file(const char *dir, const char *name, const char *text)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static int write_config(const char *dir, const Run *r)
{
    char text[2048];
    snprintf(text, sizeof text,
             "; mlptrain configuration, resolved: every key; loads back as it is\n"
             "\n[data]\ndataset = mnist\npath = data/mnist\n"
             "\n[model]\nhidden = %s\nactivation = %s\n"
             "\n[optim]\nlr = 0.1\n"
             "\n[train]\nepochs = 2\nseed = %d\nthreads = 1\n"
             "\n[output]\ndir = runs\nname = %s\n",
             r->hidden, r->activation, r->seed, r->dir);
    return write_file(dir, RUNDIR_CONFIG, text);
}

/* s as a quoted CSV field into buf. */
static const char *csv_quoted(char *buf, size_t n, const char *s)
{
    size_t k = 0;
    buf[k++] = '"';
    for (; *s && k + 3 < n; s++) {
        if (*s == '"')
            buf[k++] = '"';
        buf[k++] = *s;
    }
    buf[k++] = '"';
    buf[k] = '\0';
    return buf;
}

/* One run's directory under parent; its curves.svg too when it has an epochs.csv. */
static int make_run(const char *parent, const Run *r)
{
    char dir[1024], text[2048], name[256], act[256];
    snprintf(dir, sizeof dir, "%s/%s", parent, r->dir);
    if (mkdir(dir, 0700) != 0 || write_config(dir, r) < 0)
        return -1;
    snprintf(text, sizeof text,
             RESULT_HEADER "\r\n%s,mnist,%s,%s,false,0,sgd,0.1,64,2,constant,%d,25450,"
             "%s,%s,%s,2,,%s,1.25,1000000,101800,1,%s\r\n",
             csv_quoted(name, sizeof name, r->dir), r->hidden,
             csv_quoted(act, sizeof act, r->activation), r->seed, r->acc, r->loss, r->val,
             r->secs, r->status);
    if (write_file(dir, RUNDIR_RESULT, text) < 0)
        return -1;
    if (!r->epochs_csv)
        return 0;
    if (write_file(dir, RUNDIR_EPOCHS,
                   "epoch,iteration,lr,train_loss,train_acc,val_loss,val_acc,test_loss,test_acc,"
                   "epoch_seconds,elapsed_seconds\r\n"
                   "1,8,0.1,2.1,0.3,2.0,0.33,2.0,0.35,0.1,0.1\r\n"
                   "2,16,0.1,1.5,0.5,1.4,0.52,1.4,0.55,0.1,0.2\r\n") < 0)
        return -1;
    Err e;
    if (report_run_curves(dir, r->dir, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return 0;
}

/* The study in dir: the runs, one that failed (config.ini, no result.csv), and a
 * sweep.csv that also lists a run never started. */
static int make_study(const char *dir)
{
    for (int i = 0; i < N_RUNS; i++)
        if (make_run(dir, &runs[i]) < 0)
            return -1;
    char failed[1024];
    snprintf(failed, sizeof failed, "%s/h128_seed=1", dir);
    const Run f = {"h128_seed=1", "128", "relu", 1, "", "", "", "", "", 0};
    if (mkdir(failed, 0700) != 0 || write_config(failed, &f) < 0)
        return -1;
    return write_file(dir, RUNDIR_SWEEP,
                      "index,point,seed,overrides,run_dir,status\r\n"
                      "0,0,1,\"model.hidden=128, train.seed=1\",h128_seed=1,failed\r\n"
                      "1,0,2,\"model.hidden=128, train.seed=2\",h128_seed=2,pending\r\n");
}

/* collect, the sweep plots and the page of the study in dir, as summarize() does. 0, or
 * -1 with the message printed. */
static int write_page(const char *dir, CollectResult *r)
{
    const char *dirs[] = {dir};
    const char *ignore[] = {"output.dir", "output.name", "train.threads"};
    CollectParams p = {.dirs = dirs, .n_dirs = 1, .ignore = ignore, .n_ignore = 3,
                       .seed_key = "train.seed"};
    Err e;
    int rc = collect_summarize(r, &p, dir, &e);
    if (rc >= 0 && report_sweep_plots(r, dir, NULL, &e) < 0)
        rc = -1;
    if (rc >= 0 && report_sweep_page(r, dir, &e) < 0)
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "%s\n", e.msg);
    return rc < 0 ? -1 : 0;
}

/* ---- helpers ---- */

static char scratch[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static int make_scratch(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/test_report.XXXXXX");
    return mkdtemp(scratch) ? 0 : -1;
}

static void remove_scratch(void)
{
    nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    for (size_t got; (got = fread(s + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (cap - n < 2)
            s = realloc(s, cap *= 2);
    }
    fclose(f);
    s[n] = '\0';
    return s;
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* The text of the table row starting with start (up to its "</tr>"), malloc'ed; NULL
 * when there is none. */
static char *row(const char *page, const char *start)
{
    const char *a = strstr(page, start);
    const char *b = a ? strstr(a, "</tr>") : NULL;
    if (!b)
        return NULL;
    size_t n = (size_t)(b - a);
    char *s = malloc(n + 1);
    memcpy(s, a, n);
    s[n] = '\0';
    return s;
}

/* The study's page, written into a fresh scratch directory (NULL on failure). */
static char *study_page(CollectResult *r)
{
    if (make_scratch() < 0)
        return NULL;
    char path[256];
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP_REPORT, scratch);
    if (make_study(scratch) < 0 || write_page(scratch, r) < 0)
        return NULL;
    return slurp(path);
}

/* ---- tests ---- */

static void test_points_and_best(void)
{
    CollectResult r = {0};
    char *page = study_page(&r);
    CHECK(page != NULL);
    if (!page) {
        collect_free(&r);
        remove_scratch();
        return;
    }
    CHECK(r.n_points == N_POINTS);
    CHECK(count(page, "<tr class=\"point") == N_POINTS);
    CHECK(count(page, "<tr class=\"point best\"") == 1);
    /* points in order: (32, <script>...), (32, relu), (64, relu): the third is best */
    char *best = row(page, "<tr class=\"point best\"");
    CHECK(best && strstr(best, "id=\"point-3\""));
    CHECK(best && strstr(best, "<td data-v=\"64\">64</td>"));
    CHECK(best && strstr(best, ">0.9500 <span class=\"note\">(n=1)</span></td>"));
    char *first = row(page, "<tr class=\"point\" id=\"point-1\"");
    CHECK(first && strstr(first, "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
    /* runs, ok, diverged, interrupted */
    CHECK(first && strstr(first, "<td class=\"n\">2</td><td class=\"n\">1</td>"
                                 "<td class=\"n\">0</td><td class=\"n\">1</td>"));
    char *second = row(page, "<tr class=\"point\" id=\"point-2\"");
    /* mean +- std of 0.9 and 0.92: 0.91 +- 0.0141 */
    CHECK(second && strstr(second, ">0.9100 &#177; 0.0141</td>"));
    CHECK(strstr(page, "point 3</a>: hidden=64, activation=relu, test accuracy 0.9500"));
    CHECK(strstr(page, "6 runs in 3 points over 2 swept keys: 4 ok, 1 diverged, 1 interrupted"));
    free(best);
    free(first);
    free(second);
    free(page);
    collect_free(&r);
    remove_scratch();
}

static void test_run_statuses(void)
{
    CollectResult r = {0};
    char *page = study_page(&r);
    CHECK(page != NULL);
    if (!page) {
        collect_free(&r);
        remove_scratch();
        return;
    }
    CHECK(count(page, "<tr class=\"run s-") == N_RUNS + 2);
    CHECK(count(page, "<tr class=\"run s-ok\"") == 4);
    char *div = row(page, "<tr class=\"run s-diverged\"");
    CHECK(div && strstr(div, "<td class=\"status\">diverged</td>"));
    CHECK(div && strstr(div, ">h64_seed=2</a>"));
    CHECK(div && strstr(div, "<td class=\"n\" data-v=\"\">nan</td>")); /* its test_loss */
    CHECK(div && strstr(div, "href=\"h64_seed=2/curves.svg\">curves</a>"));
    char *intr = row(page, "<tr class=\"run s-interrupted\"");
    CHECK(intr && strstr(intr, "<td class=\"status\">interrupted</td>"));
    CHECK(intr && strstr(intr, "<td>none</td>")); /* no curves.svg */
    char *failed = row(page, "<tr class=\"run s-incomplete\"");
    CHECK(failed && strstr(failed, "<td>h128_seed=1</td>"));
    CHECK(failed && strstr(failed, "result.csv: missing"));
    char *pending = row(page, "<tr class=\"run s-pending\"");
    CHECK(pending && strstr(pending, "<td>h128_seed=2</td>"));
    CHECK(pending && strstr(pending, "model.hidden=128, train.seed=2"));
    CHECK(strstr(page, "1 not collected</a>"));
    CHECK(strstr(page, "1 not started</a>"));
    free(div);
    free(intr);
    free(failed);
    free(pending);
    free(page);
    collect_free(&r);
    remove_scratch();
}

static void test_escaping(void)
{
    CollectResult r = {0};
    char *page = study_page(&r);
    CHECK(page != NULL);
    if (!page) {
        collect_free(&r);
        remove_scratch();
        return;
    }
    CHECK(!strstr(page, HOSTILE_VALUE));
    CHECK(count(page, "<script") == 1); /* the page's own */
    CHECK(count(page, "&lt;script&gt;alert(1)&lt;/script&gt;") >= 3); /* keys, points, runs */
    CHECK(!strstr(page, "<b>"));
    /* the run directory: escaped as text, percent-encoded as a link */
    CHECK(strstr(page, ">act-x_seed=2_run&lt;b&gt;&amp;&quot;x</a>"));
    CHECK(strstr(page, "href=\"act-x_seed=2_run%3Cb%3E%26%22x/\""));
    free(page);
    collect_free(&r);
    remove_scratch();
}

static void test_plots_and_config(void)
{
    CollectResult r = {0};
    char *page = study_page(&r);
    CHECK(page != NULL);
    if (!page) {
        collect_free(&r);
        remove_scratch();
        return;
    }
    /* sweep_curves, one per swept key, the heatmap of two keys */
    CHECK(count(page, "<img src=\"data:image/svg+xml;base64,") == 4);
    CHECK(strstr(page, "<a href=\"test_acc_by_activation.svg\">"));
    CHECK(strstr(page, "<a href=\"test_acc_heatmap.svg\">"));
    CHECK(strstr(page, "hidden = <span class=\"swept\">32 | 64</span>"));
    CHECK(strstr(page, "activation = <span class=\"swept\">&lt;script&gt;alert(1)&lt;/script&gt; "
                       "| relu</span>"));
    CHECK(strstr(page, "seed = <span class=\"varies\">1 | 2</span>"));
    CHECK(strstr(page, "lr = 0.1\n"));
    CHECK(strstr(page, "<pre>mlptrain collect /tmp/test_report."));
    free(page);
    collect_free(&r);
    remove_scratch();
}

/* Numbers stay in the C locale whatever LC_NUMERIC says. */
static void test_comma_locale(void)
{
    const char *names[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "nl_NL.UTF-8"};
    const char *got = NULL;
    for (int i = 0; i < 3 && !got; i++)
        got = setlocale(LC_ALL, names[i]) ? names[i] : NULL;
    if (!got)
        SKIP_TEST("no de_DE, fr_FR or nl_NL locale installed (Debian: apt-get install "
                  "locales-all)");
    setlocale(LC_ALL, "C");
    CollectResult r = {0};
    char *page = study_page(&r); /* collect reads the files in the C locale */
    free(page);
    page = NULL;
    char path[256];
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP_REPORT, scratch);
    setlocale(LC_ALL, got);
    Err e;
    int rc = report_sweep_page(&r, scratch, &e);
    setlocale(LC_ALL, "C");
    CHECK(rc == 0);
    page = slurp(path);
    CHECK(page != NULL);
    if (page) {
        CHECK(strstr(page, ">0.9100 &#177; 0.0141</td>"));
        CHECK(strstr(page, "data-v=\"0.95\""));
        CHECK(!strstr(page, "data-v=\"0,"));
        CHECK(!strstr(page, "0,9100"));
    }
    free(page);
    collect_free(&r);
    remove_scratch();
}

/* No point with an ok run: no best point, said so. */
static void test_no_best(void)
{
    CHECK(make_scratch() == 0);
    CollectResult r = {0};
    const Run only = {"h8_seed=1", "8", "relu", 1, "diverged", "0.1", "nan", "", "0.5", 0};
    CHECK(make_run(scratch, &only) == 0);
    CHECK(write_page(scratch, &r) == 0);
    char path[256];
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP_REPORT, scratch);
    char *page = slurp(path);
    CHECK(page && strstr(page, "no best point"));
    CHECK(page && !strstr(page, "class=\"point best\""));
    CHECK(page && count(page, "<tr class=\"point") == 1);
    CHECK(page && strstr(page, "No key differs between the runs"));
    free(page);
    collect_free(&r);
    remove_scratch();
}

/* A page that cannot be written: -1, the message names the file; nothing is left. */
static void test_write_error(void)
{
    CollectResult r = {0};
    char *page = study_page(&r);
    CHECK(page != NULL);
    char missing[128];
    snprintf(missing, sizeof missing, "%s/no/such/dir", scratch);
    Err e = {0};
    CHECK(report_sweep_page(&r, missing, &e) == -1);
    CHECK(strstr(e.msg, "no/such/dir/report.html") != NULL);
    free(page);
    collect_free(&r);
    remove_scratch();
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--page") == 0) {
        CollectResult r = {0};
        int rc = make_study(argv[2]) < 0 || write_page(argv[2], &r) < 0;
        collect_free(&r);
        return rc;
    }
    RUN(test_points_and_best);
    RUN(test_run_statuses);
    RUN(test_escaping);
    RUN(test_plots_and_config);
    RUN(test_comma_locale);
    RUN(test_no_best);
    RUN(test_write_error);
    return test_finish(argv[0]);
}
