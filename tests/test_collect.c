/* test_collect.c - collect over run directories written by hand into a scratch directory:
 * both summary files against golden text (the statistics computed independently), return
 * codes, the message for every kind of bad run, order independent of creation and argument
 * order, two swept keys (levels, mixed numeric and text values, a missing combination),
 * and files from the real writers (config_print, result_write). */
#define _XOPEN_SOURCE 700 /* mkdir, getpid, nftw for scratch files only */

#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect.h"
#include "config.h"
#include "csv.h"
#include "test.h"
#include "train.h"

/* ---- scratch files ---- */

static char scratch[256];

/* scratch + "/" + formatted name, in one of a few static buffers. */
static const char *at(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static const char *at(const char *fmt, ...)
{
    static char bufs[32][1024];
    static int next;
    char *b = bufs[next++ % 32];
    int n = snprintf(b, sizeof bufs[0], "%s/", scratch);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b + n, sizeof bufs[0] - (size_t)n, fmt, ap);
    va_end(ap);
    return b;
}

static void make_dir(const char *path)
{
    if (mkdir(path, 0700) != 0)
        fprintf(stderr, "cannot create %s\n", path);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        fprintf(stderr, "cannot write %s\n", path);
}

/* The whole file as a string (malloc'ed), or NULL when it cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
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

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- runs written by hand ---- */

typedef struct {
    const char *dir;
    int width;           /* for hidden, params, model_bytes */
    int seed, threads;
    const char *status, *acc, *loss, *val, *secs;
} Spec;

/* The study: 4 widths (16 has only a diverged run), seeds 1-3 and 10 (sorted as numbers,
 * not text), a diverged and an interrupted run, an empty best_val_acc, differing threads. */
static const Spec study[] = {
    {"w16-s1", 16, 1, 2, "diverged", "0.098", "nan", "", "0.51"},
    {"w32-s1", 32, 1, 2, "ok", "0.9", "0.31", "0.89", "1.5"},
    {"w32-s2", 32, 2, 4, "ok", "0.92", "0.28", "", "2.25"},
    {"w64-s1", 64, 1, 2, "ok", "0.93", "0.25", "0.925", "3"},
    {"w64-s2", 64, 2, 2, "ok", "0.94", "0.24", "0.93", "3.5"},
    {"w64-s3", 64, 3, 2, "diverged", "0.1", "nan", "0.11", "0.7"},
    {"w128-s1", 128, 1, 2, "ok", "0.95", "0.2", "0.94", "6"},
    {"w128-s2", 128, 2, 2, "ok", "0.96", "0.19", "0.95", "6.5"},
    {"w128-s10", 128, 10, 2, "interrupted", "0.5", "1.2", "0.6", "2"},
};
enum { N_STUDY = sizeof study / sizeof study[0] };

#define RESULT_HEADER                                                                      \
    "name,dataset,hidden,activation,batchnorm,dropout,optimizer,lr,batch_size,epochs,"   \
    "schedule,seed,params,test_acc,test_loss,best_val_acc,best_epoch,stopped_epoch,"      \
    "train_seconds,"                                                                     \
    "seconds_per_100_iterations,peak_rss_bytes,model_bytes,threads,status"

static void write_config(const char *dir, const char *hidden, const char *lr, int seed,
                         int threads, const char *name)
{
    char text[1024];
    snprintf(text, sizeof text,
             "; mlptrain configuration, resolved: every key; loads back as it is\n"
             "\n[data]\ndataset = mnist\npath = data/mnist\n"
             "\n[model]\nhidden = %s\nactivation = relu\n"
             "\n[optim]\nlr = %s\n"
             "\n[train]\nepochs = 2\nseed = %d\nthreads = %d\n"
             "\n[output]\ndir = runs\nname = %s\n",
             hidden, lr, seed, threads, name);
    char path[1200];
    snprintf(path, sizeof path, "%s/config.ini", dir);
    write_file(path, text);
}

static void write_result_row(const char *dir, const Spec *s)
{
    long params = 784L * s->width + s->width + s->width * 10L + 10;
    char text[2048];
    snprintf(text, sizeof text,
             RESULT_HEADER "\r\n"
             "study-%s,mnist,%d,relu,false,0,sgd,0.1,64,2,constant,%d,%ld,%s,%s,%s,%s,,%s,1.25,"
             "1000000,%ld,%d,%s\r\n",
             s->dir, s->width, s->seed, params, s->acc, s->loss, s->val, s->val[0] ? "2" : "",
             s->secs, params * 4, s->threads, s->status);
    char path[1200];
    snprintf(path, sizeof path, "%s/result.csv", dir);
    write_file(path, text);
}

/* A whole run under parent. */
static void make_run(const char *parent, const Spec *s)
{
    char dir[1024], hidden[32], name[64];
    snprintf(dir, sizeof dir, "%s/%s", parent, s->dir);
    snprintf(hidden, sizeof hidden, "%d", s->width);
    snprintf(name, sizeof name, "study-%s", s->dir);
    make_dir(dir);
    write_config(dir, hidden, "0.1", s->seed, s->threads, name);
    write_result_row(dir, s);
}

/* The bad runs of the study and what each is skipped for. */
static void make_bad_runs(const char *parent)
{
    const Spec w = {"x", 256, 1, 2, "ok", "0.9", "0.3", "0.9", "1"};
    char dir[1024];
    /* config.ini but no result.csv: unfinished or killed */
    snprintf(dir, sizeof dir, "%s/w256-s1", parent);
    make_dir(dir);
    write_config(dir, "256", "0.1", 1, 2, "study-w256-s1");
    /* an unterminated quote */
    snprintf(dir, sizeof dir, "%s/w512-s1", parent);
    make_dir(dir);
    write_config(dir, "512", "0.1", 1, 2, "study-w512-s1");
    write_result_row(dir, &w);
    snprintf(dir, sizeof dir, "%s/w512-s1/result.csv", parent);
    write_file(dir, RESULT_HEADER "\r\n\"study-w512-s1,mnist,512\r\n");
    /* a different header */
    snprintf(dir, sizeof dir, "%s/w1024-s1", parent);
    make_dir(dir);
    write_config(dir, "1024", "0.1", 1, 2, "study-w1024-s1");
    snprintf(dir, sizeof dir, "%s/w1024-s1/result.csv", parent);
    write_file(dir, "name,dataset,hidden_units\r\nx,mnist,1024\r\n");
    /* result.csv but no config.ini */
    snprintf(dir, sizeof dir, "%s/w2048-s1", parent);
    make_dir(dir);
    write_result_row(dir, &w);
    /* Not runs, passed over in silence: a directory without either file, a file, and a
     * hidden directory even though it holds a run. */
    snprintf(dir, sizeof dir, "%s/plots", parent);
    make_dir(dir);
    snprintf(dir, sizeof dir, "%s/sweep.csv", parent);
    write_file(dir, "point,seed\r\n");
    snprintf(dir, sizeof dir, "%s/.w999-s1", parent);
    make_dir(dir);
    write_config(dir, "999", "0.1", 1, 2, "study-w999-s1");
    write_result_row(dir, &w);
}

static const char golden_summary[] =
    RESULT_HEADER ",model.hidden,run_dir\r\n"
    "study-w16-s1,mnist,16,relu,false,0,sgd,0.1,64,2,constant,1,12730,0.098,nan,,,,0.51,"
    "1.25,1000000,50920,2,diverged,16,w16-s1\r\n"
    "study-w32-s1,mnist,32,relu,false,0,sgd,0.1,64,2,constant,1,25450,0.9,0.31,0.89,2,,"
    "1.5,1.25,1000000,101800,2,ok,32,w32-s1\r\n"
    "study-w32-s2,mnist,32,relu,false,0,sgd,0.1,64,2,constant,2,25450,0.92,0.28,,,,2.25,"
    "1.25,1000000,101800,4,ok,32,w32-s2\r\n"
    "study-w64-s1,mnist,64,relu,false,0,sgd,0.1,64,2,constant,1,50890,0.93,0.25,0.925,2,,"
    "3,1.25,1000000,203560,2,ok,64,w64-s1\r\n"
    "study-w64-s2,mnist,64,relu,false,0,sgd,0.1,64,2,constant,2,50890,0.94,0.24,0.93,2,,"
    "3.5,1.25,1000000,203560,2,ok,64,w64-s2\r\n"
    "study-w64-s3,mnist,64,relu,false,0,sgd,0.1,64,2,constant,3,50890,0.1,nan,0.11,2,,0.7,"
    "1.25,1000000,203560,2,diverged,64,w64-s3\r\n"
    "study-w128-s1,mnist,128,relu,false,0,sgd,0.1,64,2,constant,1,101770,0.95,0.2,0.94,2,,"
    "6,1.25,1000000,407080,2,ok,128,w128-s1\r\n"
    "study-w128-s2,mnist,128,relu,false,0,sgd,0.1,64,2,constant,2,101770,0.96,0.19,0.95,2,"
    ",6.5,1.25,1000000,407080,2,ok,128,w128-s2\r\n"
    "study-w128-s10,mnist,128,relu,false,0,sgd,0.1,64,2,constant,10,101770,0.5,1.2,0.6,2,,"
    "2,1.25,1000000,407080,2,interrupted,128,w128-s10\r\n";

/* Means, sample stds, mins and maxes computed apart (Python, the same summation order). */
static const char golden_by_point[] =
    "model.hidden,runs,n_ok,n_diverged,n_interrupted,"
    "test_acc_n,test_acc_mean,test_acc_std,test_acc_min,test_acc_max,"
    "test_loss_n,test_loss_mean,test_loss_std,test_loss_min,test_loss_max,"
    "best_val_acc_n,best_val_acc_mean,best_val_acc_std,best_val_acc_min,best_val_acc_max,"
    "train_seconds_n,train_seconds_mean,train_seconds_std,train_seconds_min,"
    "train_seconds_max\r\n"
    "16,1,0,1,0,0,,,,,0,,,,,0,,,,,0,,,,\r\n"
    "32,2,2,0,0,2,0.91,0.0141421356,0.9,0.92,2,0.295,0.0212132034,0.28,0.31,"
    "1,0.89,,0.89,0.89,2,1.875,0.530330086,1.5,2.25\r\n"
    "64,3,2,1,0,2,0.935,0.00707106781,0.93,0.94,2,0.245,0.00707106781,0.24,0.25,"
    "2,0.9275,0.00353553391,0.925,0.93,2,3.25,0.353553391,3,3.5\r\n"
    "128,3,2,0,1,2,0.955,0.00707106781,0.95,0.96,2,0.195,0.00707106781,0.19,0.2,"
    "2,0.945,0.00707106781,0.94,0.95,2,6.25,0.353553391,6,6.5\r\n";

static const char *const ignored[] = {"train.seed", "train.threads", "output.dir", "output.name"};

static CollectParams params_for(const char *const *dirs, int n_dirs, FILE *log)
{
    return (CollectParams){.dirs = dirs, .n_dirs = n_dirs, .ignore = ignored, .n_ignore = 4,
                           .seed_key = "train.seed", .log = log};
}

/* The text written to a tmpfile so far. */
static char *log_text(FILE *f)
{
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    return s;
}

/* Checks that dir's two files hold the golden texts. */
static void check_golden(const char *dir)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    char *s = slurp(path);
    CHECK_STR(golden_summary, s);
    free(s);
    snprintf(path, sizeof path, "%s/summary_by_point.csv", dir);
    s = slurp(path);
    CHECK_STR(golden_by_point, s);
    free(s);
}

/* ---- tests ---- */

static void test_study(void)
{
    const char *dir = at("study");
    make_dir(dir);
    for (int i = 0; i < N_STUDY; i++)
        make_run(dir, &study[i]);
    make_bad_runs(dir);

    FILE *log = tmpfile();
    const char *dirs[] = {dir};
    CollectParams p = params_for(dirs, 1, log);
    CollectResult r;
    Err e = {0};
    CHECK(collect_summarize(&r, &p, dir, &e) == 1);
    check_golden(dir);

    /* Every skipped run named by path with its reason, in name order. */
    char want[4096];
    snprintf(want, sizeof want,
             "mlptrain: %s/w1024-s1/result.csv:1: wrong header: column 3 is 'hidden_units' "
             "(expected 'hidden', as mlptrain writes result.csv); skipped\n"
             "mlptrain: %s/w2048-s1/config.ini: missing (expected the run's resolved config "
             "beside its result.csv); skipped\n"
             "mlptrain: %s/w256-s1/result.csv: missing (the run has not finished, or it stopped "
             "before writing it); skipped\n"
             "mlptrain: %s/w512-s1/result.csv:2: field 1: unterminated quoted field (expected a "
             "closing '\"'); skipped\n",
             dir, dir, dir, dir);
    char *got = log_text(log);
    CHECK_STR(want, got);
    free(got);
    fclose(log);
    CHECK(r.n_skipped == 4);
    if (r.n_skipped == 4) {
        snprintf(want, sizeof want, "%s/w2048-s1", dir);
        CHECK_STR(want, r.skipped[1].path);
        snprintf(want, sizeof want,
                 "%s/w256-s1/result.csv: missing (the run has not finished, or it stopped "
                 "before writing it)", dir);
        CHECK_STR(want, r.skipped[2].reason);
    }

    /* The struct: one swept key, its levels as numbers, points and runs in order. */
    CHECK(r.n_keys == 1 && r.n_runs == N_STUDY && r.n_points == 4);
    if (r.n_keys == 1 && r.n_points == 4 && r.n_runs == N_STUDY) {
        const CollectKey *k = &r.keys[0];
        CHECK_STR("model.hidden", k->name);
        CHECK(k->n_levels == 4 && k->numeric);
        CHECK_STR("16", k->levels[0]);
        CHECK_STR("128", k->levels[3]);
        CHECK(k->level_value[2] == 64);
        const CollectPoint *pt = &r.points[3];
        CHECK(pt->level[0] == 3 && pt->n_runs == 3);
        CHECK_STR("128", collect_value(&r, 3, 0));
        CHECK(pt->n_status[RUN_OK] == 2 && pt->n_status[RUN_INTERRUPTED] == 1);
        CHECK(pt->runs[0] == 6 && pt->runs[2] == 8);
        const CollectRun *run = &r.runs[pt->runs[2]];
        snprintf(want, sizeof want, "%s/w128-s10", dir);
        CHECK_STR(want, run->dir);
        CHECK(run->point == 3 && run->status == RUN_INTERRUPTED);
        CHECK_STR("10", run->seed);
        CHECK(run->seed_value == 10);
        CHECK(run->metric[COLLECT_TEST_LOSS] == 1.2);
        CHECK_STR("interrupted", run->cell[RESULT_COL_STATUS]);
        CHECK(isnan(r.runs[2].metric[COLLECT_BEST_VAL_ACC])); /* w32-s2: empty cell */
        CHECK(isnan(r.runs[0].metric[COLLECT_TEST_LOSS]));    /* w16-s1: "nan" */
        const CollectStat *st = &r.points[1].stat[COLLECT_TEST_ACC];
        CHECK(st->n == 2);
        CHECK_NEAR(0.91, st->mean, 1e-15, 0);
        CHECK_NEAR(0.0141421356237309, st->std, 1e-15, 0);
        CHECK(r.points[1].stat[COLLECT_BEST_VAL_ACC].n == 1);
        CHECK(isnan(r.points[1].stat[COLLECT_BEST_VAL_ACC].std));
        CHECK(r.points[0].stat[COLLECT_TEST_ACC].n == 0);
        CHECK(isnan(r.points[0].stat[COLLECT_TEST_ACC].mean));
        int lv = 2;
        CHECK(collect_point_at(&r, &lv) == 2);
    }
    collect_free(&r);
    collect_free(&r);
    CHECK(r.n_runs == 0 && r.runs == NULL);
}

/* The same runs created in the opposite order, or named one by one in any order, give the
 * same bytes; the clean set returns 0. */
static void test_order(void)
{
    const char *dir = at("reversed");
    make_dir(dir);
    for (int i = N_STUDY - 1; i >= 0; i--)
        make_run(dir, &study[i]);
    const char *dirs[] = {dir};
    CollectParams p = params_for(dirs, 1, NULL);
    CollectResult r;
    Err e = {0};
    CHECK(collect_summarize(&r, &p, dir, &e) == 0);
    CHECK(r.n_skipped == 0);
    collect_free(&r);
    check_golden(dir);

    /* Run directories given one by one, shuffled, written into their sweep directory. */
    char run_dirs[N_STUDY][1100];
    const char *list[N_STUDY];
    for (int i = 0; i < N_STUDY; i++) {
        snprintf(run_dirs[i], sizeof run_dirs[i], "%s/%s/", dir, study[(i * 4 + 3) % N_STUDY].dir);
        list[i] = run_dirs[i];
    }
    remove(at("reversed/summary.csv"));
    remove(at("reversed/summary_by_point.csv"));
    p = params_for(list, N_STUDY, NULL);
    CHECK(collect_summarize(&r, &p, dir, &e) == 0);
    collect_free(&r);
    check_golden(dir);

    /* The sweep directory and a run inside it again: each run is read once. */
    const char *twice[] = {dir, run_dirs[0]};
    p = params_for(twice, 2, NULL);
    CHECK(collect_load(&r, &p, &e) == 0);
    CHECK(r.n_runs == N_STUDY && r.n_skipped == 0);
    collect_free(&r);
}

/* Written elsewhere, run_dir is the path as found; the output directory is created. */
static void test_run_dir_outside(void)
{
    const char *dir = at("reversed");
    const char *out = at("out/deeper");
    const char *dirs[] = {dir};
    CollectParams p = params_for(dirs, 1, NULL);
    CollectResult r;
    Err e = {0};
    CHECK(collect_summarize(&r, &p, out, &e) == 0);
    collect_free(&r);
    CsvTable t;
    CHECK(csv_read(&t, at("out/deeper/summary.csv"), CSV_READ_MAX_DEFAULT, &e) == 0);
    char want[1100];
    snprintf(want, sizeof want, "%s/w16-s1", dir);
    CHECK(t.n_rows == N_STUDY + 1);
    CHECK_STR("run_dir", csv_cell(&t, 0, t.n_cols - 1));
    CHECK_STR(want, csv_cell(&t, 1, t.n_cols - 1));
    csv_table_free(&t);

    /* A run given as the output directory itself is ".". */
    const char *one[] = {at("reversed/w32-s1")};
    p = params_for(one, 1, NULL);
    CHECK(collect_summarize(&r, &p, one[0], &e) == 0);
    CHECK(r.n_runs == 1 && r.n_keys == 0 && r.n_points == 1);
    collect_free(&r);
    CHECK(csv_read(&t, at("reversed/w32-s1/summary.csv"), CSV_READ_MAX_DEFAULT, &e) == 0);
    CHECK(t.n_rows == 2 && t.n_cols == RESULT_COL_COUNT + 1);
    CHECK_STR(".", csv_cell(&t, 1, t.n_cols - 1));
    csv_table_free(&t);
    char *s = slurp(at("reversed/w32-s1/summary_by_point.csv"));
    CHECK(s && strncmp(s, "runs,n_ok,n_diverged,n_interrupted,test_acc_n,", 46) == 0);
    CHECK(s && strstr(s, "\r\n1,1,0,0,1,0.9,,0.9,0.9,1,0.31,,0.31,0.31,1,0.89,,0.89,0.89,1,1.5,,"
                         "1.5,1.5\r\n") != NULL);
    free(s);
}

/* Each malformed run: its exact reason. */
static void test_messages(void)
{
    const char *dir = at("bad");
    make_dir(dir);
#define ROW "r,mnist,8,relu,false,0,sgd,0.1,64,2,constant,1,100,"
    const struct {
        const char *name, *result, *reason;
    } cases[] = {
        {"a-empty", "", "result.csv: empty (expected the result.csv header and one row)"},
        {"b-header-only", RESULT_HEADER "\r\n",
         "result.csv: no data row (expected one row after the header)"},
        {"c-ragged", RESULT_HEADER "\r\n" "r,1\r\n",
         "result.csv:2: 2 fields (expected 24, as on line 1)"},
        {"d-short-header", "name,dataset\r\nr,mnist\r\n",
         "result.csv:1: wrong header: 2 columns (expected 24, as mlptrain writes result.csv)"},
        {"e-status", RESULT_HEADER "\r\n" ROW "0.9,0.3,,,,1,1,1,1,2,done\r\n",
         "result.csv:2: status: 'done' is not a run status (expected ok, diverged or "
         "interrupted)"},
        {"f-number", RESULT_HEADER "\r\n" ROW "0.9,0.3x,,,,1,1,1,1,2,ok\r\n",
         "result.csv:2: test_loss: '0.3x' is not a number (expected a number, nan, inf or an "
         "empty cell)"},
        {"g-second-row",
         RESULT_HEADER "\r\n" ROW "0.9,0.3,,,,1,1,1,1,2,ok\r\n" ROW "0.9,0.3,,,,1,1,1,1,2,ok\r\n",
         "result.csv:3: a second data row (expected one)"},
        {"h-binary", "\x7f" "ELF\x02\x01\x01\0\0\0",
         "result.csv:1: NUL byte in the text (is this a binary file?)"},
        {"i-bad-ini", RESULT_HEADER "\r\n" ROW "0.9,0.3,,,,1,1,1,1,2,ok\r\n",
         "config.ini:2: 'junk' is neither '[section]' nor 'key = value' (missing '=')"},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    for (int i = 0; i < N; i++) {
        char path[1100], text[2048];
        snprintf(path, sizeof path, "%s/%s", dir, cases[i].name);
        make_dir(path);
        snprintf(path, sizeof path, "%s/%s/result.csv", dir, cases[i].name);
        /* h-binary holds NUL bytes: 10 bytes, not a string */
        size_t n = strcmp(cases[i].name, "h-binary") == 0 ? 10 : strlen(cases[i].result);
        memcpy(text, cases[i].result, n);
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(text, 1, n, f);
            fclose(f);
        }
        snprintf(path, sizeof path, "%s/%s", dir, cases[i].name);
        if (strcmp(cases[i].name, "i-bad-ini") == 0) {
            snprintf(path, sizeof path, "%s/%s/config.ini", dir, cases[i].name);
            write_file(path, "[train]\njunk\n");
        } else {
            write_config(path, "8", "0.1", 1, 1, "r");
        }
    }
    /* config.ini that is a directory; and one good run */
    make_dir(at("bad/j-config-dir"));
    make_dir(at("bad/j-config-dir/config.ini"));
    write_result_row(at("bad/j-config-dir"), &study[1]);
    make_run(dir, &(Spec){"k-good", 8, 1, 1, "ok", "1", "0", "", "1"});

    FILE *log = tmpfile();
    const char *dirs[] = {dir};
    CollectParams p = params_for(dirs, 1, log);
    CollectResult r;
    Err e = {0};
    CHECK(collect_load(&r, &p, &e) == 1);
    CHECK(r.n_runs == 1 && r.n_skipped == N + 1);
    for (int i = 0; i < N && i < r.n_skipped; i++) {
        char want[2048];
        snprintf(want, sizeof want, "%s/%s/%s", dir, cases[i].name, cases[i].reason);
        CHECK_STR(want, r.skipped[i].reason);
    }
    if (r.n_skipped == N + 1) {
        char want[2048];
        snprintf(want, sizeof want, "%s/j-config-dir/config.ini: is a directory (expected a "
                 "regular file)", dir);
        CHECK_STR(want, r.skipped[N].reason);
    }
    char *text = log_text(log);
    int lines = 0;
    for (char *s = text; (s = strstr(s, "; skipped\n")) != NULL; s++)
        lines++;
    CHECK(lines == N + 1);
    free(text);
    fclose(log);
    collect_free(&r);
}

static void test_no_runs(void)
{
    char empty[1024];
    snprintf(empty, sizeof empty, "%s", at("empty"));
    make_dir(empty);
    make_dir(at("empty/not-a-run"));
    const char *dirs[] = {empty};
    FILE *log = tmpfile();
    CollectParams p = params_for(dirs, 1, log);
    CollectResult r;
    Err e = {0};
    char want[2048];
    CHECK(collect_summarize(&r, &p, empty, &e) == -1);
    snprintf(want, sizeof want,
             "%s: no runs found (expected run directories holding config.ini and result.csv)",
             empty);
    CHECK_STR(want, e.msg);
    CHECK(ftell(log) == 0); /* said once, by the error */
    CHECK(r.n_runs == 0 && r.n_points == 0);
    collect_free(&r);
    /* Nothing written. */
    CHECK(slurp(at("empty/summary.csv")) == NULL);
    CHECK(slurp(at("empty/summary_by_point.csv")) == NULL);

    /* A missing directory and a file: logged, and no runs at all. */
    const char *two[] = {at("missing"), at("study/sweep.csv")};
    p = params_for(two, 2, log);
    CHECK(collect_load(&r, &p, &e) == -1);
    snprintf(want, sizeof want,
             "%s, %s: no runs found (2 skipped; expected run directories holding config.ini "
             "and result.csv)", two[0], two[1]);
    CHECK_STR(want, e.msg);
    snprintf(want, sizeof want,
             "mlptrain: %s: cannot open: No such file or directory; skipped\n"
             "mlptrain: %s: not a directory (expected a run directory or a directory of "
             "runs); skipped\n", two[0], two[1]);
    char *got = log_text(log);
    CHECK_STR(want, got);
    free(got);
    CHECK(r.n_skipped == 2);
    collect_free(&r);
    fclose(log);

    /* Beside a directory with runs, an empty one is reported and makes the result 1. */
    const char *mixed[] = {at("reversed"), empty};
    p = params_for(mixed, 2, NULL);
    CHECK(collect_load(&r, &p, &e) == 1);
    CHECK(r.n_runs == N_STUDY && r.n_skipped == 1);
    if (r.n_skipped == 1) {
        snprintf(want, sizeof want,
                 "%s: no runs found (expected run directories holding config.ini and "
                 "result.csv)", empty);
        CHECK_STR(want, r.skipped[0].reason);
    }
    collect_free(&r);

    /* No directory at all. */
    p = params_for(NULL, 0, NULL);
    CHECK(collect_load(&r, &p, &e) == -1);
    CHECK(strstr(e.msg, "no runs found") != NULL);
    collect_free(&r);
}

/* The same point and seed twice (a rerun into a new directory): both counted, with a note;
 * the result is still 0. */
static void test_repeat(void)
{
    const char *dir = at("repeat");
    make_dir(dir);
    make_run(dir, &study[1]);
    make_run(dir, &study[2]);
    Spec again = study[1];
    again.dir = "w32-s1-2";
    make_run(dir, &again);
    FILE *log = tmpfile();
    const char *dirs[] = {dir};
    CollectParams p = params_for(dirs, 1, log);
    CollectResult r;
    Err e = {0};
    CHECK(collect_load(&r, &p, &e) == 0);
    CHECK(r.n_runs == 3 && r.n_points == 1 && r.n_keys == 0);
    if (r.n_points == 1)
        CHECK(r.points[0].stat[COLLECT_TEST_ACC].n == 3);
    char want[4096];
    snprintf(want, sizeof want,
             "mlptrain: note: %s/w32-s1-2: the same settings and train.seed as %s/w32-s1 (both "
             "counted)\n", dir, dir);
    char *got = log_text(log);
    CHECK_STR(want, got);
    free(got);
    fclose(log);
    collect_free(&r);
}

static void test_write_failure(void)
{
    write_file(at("a-file"), "x");
    const char *dirs[] = {at("reversed")};
    CollectParams p = params_for(dirs, 1, NULL);
    CollectResult r;
    Err e = {0};
    CHECK(collect_summarize(&r, &p, at("a-file"), &e) == -1);
    char want[1100];
    snprintf(want, sizeof want, "%s: is a regular file (expected a directory)", at("a-file"));
    CHECK_STR(want, e.msg);
    CHECK(r.n_runs == N_STUDY); /* what was read is still there */
    collect_free(&r);
}

/* A run directory in dir per row: named name, with hidden and lr in its config.ini and an
 * ok result row. */
typedef struct {
    const char *name, *hidden, *lr;
} GridRun;

static void make_grid(const char *dir, const GridRun *g, int n)
{
    make_dir(dir);
    for (int i = 0; i < n; i++) {
        char path[1100];
        snprintf(path, sizeof path, "%s/%s", dir, g[i].name);
        make_dir(path);
        write_config(path, g[i].hidden, g[i].lr, 1, 1, g[i].name);
        write_result_row(path, &(Spec){g[i].name, 8, 1, 1, "ok", "0.5", "1", "", "1"});
    }
}

/* Two swept keys: levels per key, a point per combination that has runs, none for the
 * missing one, keys in config.ini order whatever the run order. lr compares as numbers
 * (as text "0.01" < "0.1" < "1e-3"); in hidden, numbers come before other text (as text
 * "32, 32" < "64"). */
static void test_two_keys(void)
{
    const char *dir = at("grid");
    static const GridRun g[] = {{"c", "32, 32", "0.1"}, {"a", "64", "0.1"}, {"e", "64", "1e-3"},
                                {"b", "64", "0.01"}, {"d", "32, 32", "0.01"}};
    make_grid(dir, g, 5);
    const char *dirs[] = {dir};
    CollectParams p = params_for(dirs, 1, NULL);
    CollectResult r;
    Err e = {0};
    CHECK(collect_load(&r, &p, &e) == 0);
    CHECK(r.n_keys == 2 && r.n_points == 5 && r.n_runs == 5);
    if (r.n_keys == 2 && r.n_points == 5) {
        CHECK_STR("model.hidden", r.keys[0].name);
        CHECK_STR("optim.lr", r.keys[1].name);
        CHECK(r.keys[0].n_levels == 2 && !r.keys[0].numeric);
        CHECK_STR("64", r.keys[0].levels[0]);
        CHECK_STR("32, 32", r.keys[0].levels[1]);
        CHECK(r.keys[0].level_value[0] == 64 && isnan(r.keys[0].level_value[1]));
        CHECK(r.keys[1].n_levels == 3 && r.keys[1].numeric);
        CHECK_STR("1e-3", r.keys[1].levels[0]);
        CHECK_STR("0.01", r.keys[1].levels[1]);
        CHECK_STR("0.1", r.keys[1].levels[2]);
        CHECK(r.keys[1].level_value[0] == 1e-3);
        /* Points in order: (64, 1e-3) (64, 0.01) (64, 0.1) (32 32, 0.01) (32 32, 0.1). */
        const char *order = "ebadc";
        for (int i = 0; i < 5; i++) {
            char want[1100];
            snprintf(want, sizeof want, "%s/%c", dir, order[i]);
            CHECK_STR(want, r.runs[r.points[i].runs[0]].dir);
            CHECK(r.points[i].n_runs == 1 && r.runs[i].point == i);
        }
        int missing[] = {1, 0}, present[] = {1, 2}, first[] = {0, 0};
        CHECK(collect_point_at(&r, missing) == -1);
        CHECK(collect_point_at(&r, present) == 4);
        CHECK(collect_point_at(&r, first) == 0);
        CHECK_STR("32, 32", collect_value(&r, 4, 0));
        CHECK_STR("0.1", collect_value(&r, 4, 1));
    }
    /* Both key columns, the text value quoted. */
    CHECK(collect_write(&r, dir, &e) == 0);
    char *s = slurp(at("grid/summary_by_point.csv"));
    CHECK(s && strncmp(s, "model.hidden,optim.lr,runs,n_ok,", 32) == 0);
    CHECK(s && strstr(s, "\r\n64,1e-3,1,1,0,0,1,0.5,,0.5,0.5,1,1,,1,1,0,,,,,1,1,,1,1\r\n64,0.01,"));
    CHECK(s && strstr(s, "\r\n\"32, 32\",0.1,1,1,0,0,1,0.5,,0.5,0.5,") != NULL);
    free(s);
    s = slurp(at("grid/summary.csv"));
    CHECK(s && strstr(s, ",1,ok,\"32, 32\",0.01,d\r\n") != NULL);
    free(s);
    collect_free(&r);
}

/* Text values in natural order: the numbers in them by value (widths as lists, variant
 * names with numbers and decimals in them), as a reader counts them; bytewise, "1024, 1024"
 * would come before "128, 128" and "h2048" before "h32". */
static void test_natural_order(void)
{
    const char *dir = at("natural");
    static const GridRun g[] = {{"a", "1024, 1024", "h2048_bn"}, {"b", "128, 128", "h128"},
                                {"c", "32, 32", "h2048"}, {"d", "2048, 2048", "h32"},
                                {"e", "128, 128", "lr0.5"}, {"f", "128, 128", "lr0.25"},
                                {"g", "128, 128", "lr1"}};
    make_grid(dir, g, 7);
    const char *dirs[] = {dir};
    CollectParams p = params_for(dirs, 1, NULL);
    CollectResult r;
    Err e = {0};
    CHECK(collect_load(&r, &p, &e) == 0);
    CHECK(r.n_keys == 2);
    if (r.n_keys == 2 && r.keys[0].n_levels == 4 && r.keys[1].n_levels == 7) {
        const char *hidden[] = {"32, 32", "128, 128", "1024, 1024", "2048, 2048"};
        const char *names[] = {"h32", "h128", "h2048", "h2048_bn", "lr0.25", "lr0.5", "lr1"};
        for (int i = 0; i < 4; i++)
            CHECK_STR(hidden[i], r.keys[0].levels[i]);
        for (int i = 0; i < 7; i++)
            CHECK_STR(names[i], r.keys[1].levels[i]);
    } else {
        CHECK(!"4 and 7 levels");
    }
    collect_free(&r);
}

/* Files from the real writers (config_print, result_write) are collected, and of
 * their ~70 keys only the one that differs is swept. */
static void test_real_writers(void)
{
    const char *dir = at("real");
    make_dir(dir);
    const char *sets[][3] = {{"model.hidden=32", "train.seed=1", "train.threads=1"},
                             {"model.hidden=32", "train.seed=2", "train.threads=2"},
                             {"model.hidden=64, 64", "train.seed=1", "train.threads=1"}};
    for (int i = 0; i < 3; i++) {
        Config c;
        Err e = {0};
        config_init(&c);
        for (int j = 0; j < 3; j++)
            CHECK(config_set(&c, sets[i][j], &e) == 0);
        CHECK(config_finish(&c, &e) == 0);
        char path[1100];
        snprintf(path, sizeof path, "%s/run%d", dir, i);
        make_dir(path);
        snprintf(path, sizeof path, "%s/run%d/config.ini", dir, i);
        FILE *f = fopen(path, "wb");
        if (f) {
            config_print(&c, f);
            fclose(f);
        }
        Model m = {0};
        m.n_params = 1000;
        RunResult tr = {.status = RUN_OK, .epochs = 2, .iterations = 58, .test_loss = 0.4,
                          .test_acc = 0.875, .best_val_acc = NAN, .train_seconds = 1.5};
        snprintf(path, sizeof path, "%s/run%d/result.csv", dir, i);
        CHECK(result_write(path, &c.run, "run", i + 1, m.n_params,
                           (m.n_params + m.n_buffers) * sizeof(float), &tr, &e) == 0);
        config_free(&c);
    }
    const char *dirs[] = {dir};
    CollectParams p = params_for(dirs, 1, NULL);
    CollectResult r;
    Err e = {0};
    CHECK(collect_load(&r, &p, &e) == 0);
    CHECK(r.n_runs == 3 && r.n_keys == 1 && r.n_points == 2);
    if (r.n_keys == 1 && r.n_points == 2) {
        CHECK_STR("model.hidden", r.keys[0].name);
        CHECK_STR("64, 64", collect_value(&r, 1, 0));
        CHECK(r.points[0].n_runs == 2 && r.points[0].stat[COLLECT_TEST_ACC].n == 2);
        CHECK_NEAR(0.875, r.points[0].stat[COLLECT_TEST_ACC].mean, 0, 0);
        CHECK(r.points[0].stat[COLLECT_BEST_VAL_ACC].n == 0);
    }
    collect_free(&r);
}

int main(int argc, char **argv)
{
    (void)argc;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/mlptrain-test-collect-%ld",
             tmp && *tmp ? tmp : "/tmp", (long)getpid());
    make_dir(scratch);

    RUN(test_study);
    RUN(test_order);
    RUN(test_run_dir_outside);
    RUN(test_messages);
    RUN(test_no_runs);
    RUN(test_repeat);
    RUN(test_write_failure);
    RUN(test_two_keys);
    RUN(test_natural_order);
    RUN(test_real_writers);

    remove_tree(scratch);
    return test_finish(argv[0]);
}
