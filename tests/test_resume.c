/* test_resume.c - a run stopped at any step and continued from its checkpoint is the
 * uninterrupted run, bit for bit: every non-time column of epochs.csv and result.csv,
 * model.bin (the final parameters), the confusion matrix. Every part is a run of run.c,
 * the one the command line and a sweep start (run_train), on the bundled MNIST and
 * CIFAR-10 subsets, with the states that are easy to forget: SGD
 * momentum, Adam moments, batch-norm running statistics, dropout's random stream, a
 * step, a warm-restarts and a plateau schedule, eval_every rows owed at the stop, early
 * stopping with the best weights, training records in file order and Caffe's test passes
 * that read on where the last stopped. The stop is the one a signal sets, raised after step k
 * from the on_step hook; a kill -9 is a forked child killing itself after step k. The
 * thread count changes between the parts. Then the loader's refusals: another config,
 * changed data, a changed epochs.csv, an order that is not a permutation. fork, waitpid
 * and mkdtemp are POSIX. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ckpt.h"
#include "config.h"
#include "csv.h"
#include "run.h"
#include "test.h"

static char scratch[] = "/tmp/test_resume_XXXXXX";

/* What the hook does after step `at`. */
typedef struct {
    volatile sig_atomic_t stop;
    long stop_at, kill_at;
} Hook;

static void on_step(void *ctx, long iteration)
{
    Hook *h = ctx;
    if (iteration == h->kill_at)
        raise(SIGKILL);
    if (iteration == h->stop_at)
        h->stop = SIGTERM;
}

/* What a finished part leaves to compare besides its files. */
typedef struct {
    RunResult r;
} Outcome;

static void path_in(char *buf, size_t n, const char *dir, const char *file)
{
    snprintf(buf, n, "%s/%s", dir, file);
}

/* Trains config text ini in dir (made by the caller) through run_train, as a run or a
 * sweep's rerun does: afresh, or continued from its checkpoint; stopped after step stop_at
 * (0 = never) as a signal stops it, or killed after kill_at. Returns 0 with out filled
 * (ok, diverged or interrupted), else run_train's exit code with e: EXIT_USAGE when
 * continuing is refused as another config's or other data's, EXIT_RUNTIME when the
 * checkpoint or epochs.csv is damaged. */
static int part(const char *ini, const char *dir, int threads, bool resume, long stop_at,
                long kill_at, Outcome *out, Err *e)
{
    Config c;
    config_init(&c);
    int code = config_load_string(&c, "test.ini", ini, e) < 0 || config_finish(&c, e) < 0
                   ? EXIT_USAGE : -1;
    RunPlan plan;
    if (code < 0)
        code = run_plan(&c, true, true, threads, &plan, e);
    if (code < 0) {
        Hook h = {0, stop_at, kill_at};
        RunOpts o = {.run_dir = dir, .resume = resume, .stop = &h.stop, .on_step = on_step,
                     .step_ctx = &h};
        RunOutcome ro;
        code = run_train(&o, &c, &plan, &ro, e);
        if (code == EXIT_OK || code > 128) {
            out->r = ro.result;
            code = 0;
        }
    }
    config_free(&c);
    return code;
}

/* A CSV file's rows without the columns named in drop (NULL-ended), as text. */
static char *columns(const char *path, const char *const *drop)
{
    CsvTable t;
    Err e;
    if (csv_read(&t, path, 1 << 24, &e) < 0)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *s = malloc(cap);
    s[0] = '\0';
    for (int row = 0; row < t.n_rows; row++) {
        for (int col = 0; col < t.n_cols; col++) {
            bool skip = false;
            for (int k = 0; drop[k]; k++)
                skip |= strcmp(csv_cell(&t, 0, col), drop[k]) == 0;
            if (skip)
                continue;
            const char *cell = csv_cell(&t, row, col);
            size_t n = strlen(cell) + 2;
            if (len + n + 1 > cap) {
                cap = (len + n + 1) * 2;
                s = realloc(s, cap);
            }
            len += (size_t)snprintf(s + len, cap - len, "%s,", cell);
        }
        len += (size_t)snprintf(s + len, cap - len, "\n");
    }
    csv_table_free(&t);
    return s;
}

static const char *const time_epochs[] = {"epoch_seconds", "elapsed_seconds", NULL};
/* and the name, which is the run directory's */
static const char *const time_result[] = {"name", "train_seconds", "seconds_per_100_iterations",
                                          "peak_rss_bytes", "threads", NULL};

/* Whether files a and b hold the same bytes. */
static bool same_bytes(const char *a, const char *b)
{
    FILE *x = fopen(a, "rb"), *y = fopen(b, "rb");
    bool same = x && y;
    while (same) {
        int cx = getc(x), cy = getc(y);
        same = cx == cy;
        if (cx == EOF || cy == EOF)
            break;
    }
    if (x)
        fclose(x);
    if (y)
        fclose(y);
    return same;
}

/* dir's epochs.csv and result.csv equal ref's apart from the time columns; its final
 * parameters (model.bin) and confusion matrix byte for byte. */
static bool same_files(const char *dir, const char *ref)
{
    bool same = true;
    const char *exact[] = {"model.bin", "confusion.csv", "per_class.csv"};
    for (int i = 0; i < 3; i++) {
        char a[512], b[512];
        path_in(a, sizeof a, dir, exact[i]);
        path_in(b, sizeof b, ref, exact[i]);
        if (!same_bytes(a, b)) {
            fprintf(stderr, "%s differs from %s\n", a, b);
            same = false;
        }
    }
    const char *files[] = {"epochs.csv", "result.csv"};
    const char *const *drops[] = {time_epochs, time_result};
    for (int i = 0; i < 2; i++) {
        char a[512], b[512];
        path_in(a, sizeof a, dir, files[i]);
        path_in(b, sizeof b, ref, files[i]);
        char *x = columns(a, drops[i]), *y = columns(b, drops[i]);
        if (!x || !y || strcmp(x, y) != 0) {
            fprintf(stderr, "%s differs from %s:\n--- resumed\n%s--- uninterrupted\n%s", a, b,
                    x ? x : "(unreadable)\n", y ? y : "(unreadable)\n");
            same = false;
        }
        free(x);
        free(y);
    }
    return same;
}

static bool same_outcome(const Outcome *a, const Outcome *b)
{
    return a->r.status == b->r.status && a->r.epochs == b->r.epochs &&
           a->r.iterations == b->r.iterations && a->r.best_epoch == b->r.best_epoch &&
           a->r.stopped_epoch == b->r.stopped_epoch &&
           memcmp(&a->r.test_loss, &b->r.test_loss, sizeof(double)) == 0 &&
           memcmp(&a->r.test_acc, &b->r.test_acc, sizeof(double)) == 0;
}

static void new_dir(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", scratch, name);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", buf, buf);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot make %s\n", buf);
}

/* The uninterrupted run of ini into dir "<name>-ref" with 1 thread. */
static void reference(const char *ini, const char *name, Outcome *ref, char *dir, size_t n)
{
    Err e;
    char sub[128];
    snprintf(sub, sizeof sub, "%s-ref", name);
    new_dir(dir, n, sub);
    CHECK(part(ini, dir, 1, false, 0, 0, ref, &e) == 0);
    CHECK(ref->r.status == RUN_OK);
}

/* Stopped after each step in stops (0-ended), continued each time, alternating 2 and 1
 * threads: the final files and outcome must be the reference's. */
static void stop_and_resume(const char *ini, const char *name, const long *stops,
                            const Outcome *ref, const char *ref_dir)
{
    char dir[512], sub[128];
    for (int i = 0; stops[i]; i++) {
        snprintf(sub, sizeof sub, "%s-stop%ld", name, stops[i]);
        new_dir(dir, sizeof dir, sub);
        Err e;
        Outcome first = {0}, last = {0};
        CHECK(part(ini, dir, 2, false, stops[i], 0, &first, &e) == 0);
        CHECK(first.r.status == RUN_INTERRUPTED && first.r.iterations == stops[i]);
        CHECK(part(ini, dir, 1, true, 0, 0, &last, &e) == 0);
        if (!same_files(dir, ref_dir) || !same_outcome(&last, ref))
            fprintf(stderr, "%s: stopped after step %ld, continued: not the uninterrupted run\n",
                    name, stops[i]), test_cur_failed = 1;
    }
}

/* Stopped at a, continued and stopped again at b, continued to the end. */
static void stop_twice(const char *ini, const char *name, long a, long b, const Outcome *ref,
                       const char *ref_dir)
{
    char dir[512], sub[128];
    snprintf(sub, sizeof sub, "%s-twice", name);
    new_dir(dir, sizeof dir, sub);
    Err e;
    Outcome o1 = {0}, o2 = {0}, o3 = {0};
    CHECK(part(ini, dir, 1, false, a, 0, &o1, &e) == 0 && o1.r.status == RUN_INTERRUPTED);
    CHECK(part(ini, dir, 2, true, b, 0, &o2, &e) == 0 && o2.r.status == RUN_INTERRUPTED);
    CHECK(o2.r.iterations == b);
    CHECK(part(ini, dir, 1, true, 0, 0, &o3, &e) == 0);
    CHECK(same_files(dir, ref_dir));
    CHECK(same_outcome(&o3, ref));
}

/* A child process killed (SIGKILL) after step k, rows written after its last periodic
 * checkpoint included; continued in this process. */
static void kill_and_resume(const char *ini, const char *name, long k, const Outcome *ref,
                            const char *ref_dir)
{
    char dir[512], sub[128];
    snprintf(sub, sizeof sub, "%s-kill%ld", name, k);
    new_dir(dir, sizeof dir, sub);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        Err e;
        Outcome o = {0};
        part(ini, dir, 2, false, 0, k, &o, &e);
        _exit(0); /* not reached: the hook kills the process first */
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    char path[600];
    path_in(path, sizeof path, dir, "result.csv");
    CHECK(!util_exists(path));
    Err e;
    Outcome last = {0};
    CHECK(part(ini, dir, 1, true, 0, 0, &last, &e) == 0);
    CHECK(same_files(dir, ref_dir));
    CHECK(same_outcome(&last, ref));
}

/* Killed after its final checkpoint but before result.csv (the state a kill between the
 * final row and result.csv leaves): continuing writes the final row again, and the rest. */
static void resume_finished(const char *ini, const char *name, const Outcome *ref,
                            const char *ref_dir)
{
    char dir[512], sub[128], cmd[1400];
    snprintf(sub, sizeof sub, "%s-end", name);
    new_dir(dir, sizeof dir, sub);
    snprintf(cmd, sizeof cmd, "cp '%s'/* '%s' && rm '%s/result.csv'", ref_dir, dir, dir);
    CHECK(system(cmd) == 0);
    Err e;
    Outcome last = {0};
    CHECK(part(ini, dir, 2, true, 0, 0, &last, &e) == 0);
    CHECK(same_files(dir, ref_dir));
    CHECK(same_outcome(&last, ref));
}

/* MNIST subset, SGD with momentum, a step schedule, eval_every rows (some owed at the
 * stop), a checkpoint every epoch. 480 training records in batches of 64: 8 steps an
 * epoch, 32 in all. */
static const char ini_sgd[] =
    "[data]\ndataset = mnist\npath = data/mnist\nval_split = 0.2\ntrain_limit = 600\n"
    "test_limit = 200\n"
    "[model]\nhidden = 24\n"
    "[optim]\noptimizer = sgd\nlr = 0.05\nmomentum = 0.9\n"
    "[schedule]\ntype = step\nstep_size = 1\ngamma = 0.8\n"
    "[train]\nepochs = 4\nbatch_size = 64\neval_every = 5\neval_test_every_epoch = false\n"
    "checkpoint_every = 1\nseed = 11\n";

/* CIFAR-10 subset, Adam, batch norm, dropout, cosine warm restarts stepped per
 * iteration, a checkpoint every 2 epochs. 400 records in batches of 50: 8 steps an epoch,
 * 24 in all. */
static const char ini_adam[] =
    "[data]\ndataset = cifar10\npath = data/cifar10\nval_split = 0.2\ntest_limit = 100\n"
    "[model]\nhidden = 32, 16\nbatchnorm = true\ndropout = 0.25\n"
    "[optim]\noptimizer = adam\nlr = 0.003\n"
    "[schedule]\ntype = cosine_warm_restarts\nT_0 = 1\nT_mult = 2\nstep_unit = iteration\n"
    "[train]\nepochs = 3\nbatch_size = 50\ncheckpoint_every = 2\nseed = 5\n";

/* MNIST subset, AdamW with amsgrad, batch norm, dropout, a plateau schedule that cuts
 * often, early stopping on val_acc with the best weights restored, a checkpoint every 3
 * epochs. 300 records in batches of 32: 10 steps an epoch (the last of 12 rows). */
static const char ini_plateau[] =
    "[data]\ndataset = mnist\npath = data/mnist\nval_split = 0.25\ntrain_limit = 400\n"
    "test_limit = 150\n"
    "[model]\nhidden = 16\nbatchnorm = true\ndropout = 0.1\n"
    "[optim]\noptimizer = adamw\namsgrad = true\nlr = 0.02\n"
    "[schedule]\ntype = plateau\npatience = 0\nthreshold = 0.05\nfactor = 0.5\n"
    "[train]\nepochs = 14\nbatch_size = 32\ncheckpoint_every = 3\nearly_stop_patience = 2\n"
    "early_stop_metric = val_acc\nrestore_best = true\nseed = 3\n";

/* MNIST subset trained with Caffe's conventions: records in file order as one stream
 * (600 in batches of 64: a batch runs on across the end of the set), input * 1/256,
 * Caffe's xavier and a constant bias, SGD with Caffe's momentum and LeNet's bias lr_mult
 * 2 under an inv schedule that moves every step, and test passes of 3 batches of 50 of
 * the 200 test records, each starting where the last stopped (rows at 7, 14, 21, 28 and
 * the last at 30 move it round the set). A checkpoint at every epoch's end (10 steps). */
static const char ini_caffe[] =
    "[data]\ndataset = mnist\npath = data/mnist\ntrain_limit = 600\ntest_limit = 200\n"
    "normalize = scale\nscale = 0.00390625\n"
    "[model]\nhidden = 24\ninit = caffe_xavier\nbias_init = constant\nbias_value = 0.1\n"
    "[optim]\noptimizer = sgd\nlr = 0.05\nmomentum = 0.9\nmomentum_form = caffe\n"
    "weight_decay = 0.0005\nbias_lr_mult = 2\n"
    "[schedule]\ntype = inv\ngamma = 0.05\npower = 0.75\n"
    "[train]\nepochs = 0\nmax_iterations = 30\nbatch_size = 64\neval_batch_size = 50\n"
    "test_iter = 3\nshuffle = false\neval_every = 7\ncheckpoint_every = 1\nseed = 13\n";

/* A run in file order, with Caffe's test passes, continued is the uninterrupted run. */
static void test_caffe_file_order(void)
{
    Outcome ref = {0};
    char ref_dir[512];
    reference(ini_caffe, "caffe", &ref, ref_dir, sizeof ref_dir);
    CHECK(ref.r.iterations == 30 && ref.r.epochs == 3);
    /* 1: the first step; 7: a row (and a test pass) owed; 10: an epoch's last step; 15:
     * mid-epoch, 5 steps after a checkpoint; 29, 30: the end. */
    const long stops[] = {1, 7, 10, 15, 29, 30, 0};
    stop_and_resume(ini_caffe, "caffe", stops, &ref, ref_dir);
    stop_twice(ini_caffe, "caffe", 4, 22, &ref, ref_dir);
    /* killed after step 23: the checkpoint is step 20's, with the test cursor of the rows
     * at 7 and 14; the row at 21 (and its pass) is done again */
    kill_and_resume(ini_caffe, "caffe", 23, &ref, ref_dir);
    resume_finished(ini_caffe, "caffe", &ref, ref_dir);
}

static void test_sgd_momentum_mnist(void)
{
    Outcome ref = {0};
    char ref_dir[512];
    reference(ini_sgd, "sgd", &ref, ref_dir, sizeof ref_dir);
    CHECK(ref.r.iterations == 32 && ref.r.epochs == 4);
    /* 1: first step; 5, 20: an eval_every row owed; 8: an epoch's last step, before its
     * end; 13: mid-epoch; 31, 32: the last steps of the run. */
    const long stops[] = {1, 5, 8, 13, 20, 31, 32, 0};
    stop_and_resume(ini_sgd, "sgd", stops, &ref, ref_dir);
    stop_twice(ini_sgd, "sgd", 6, 19, &ref, ref_dir);
    /* killed after step 23: the checkpoint is epoch 2's (step 16); the row at step 20 is
     * in epochs.csv and must go */
    kill_and_resume(ini_sgd, "sgd", 23, &ref, ref_dir);
    resume_finished(ini_sgd, "sgd", &ref, ref_dir);

    /* rows every 12 steps: a row's window spans epochs */
    char ini[sizeof ini_sgd + 8];
    const char *at = strstr(ini_sgd, "eval_every = 5\n");
    CHECK(at != NULL);
    if (!at)
        return;
    snprintf(ini, sizeof ini, "%.*seval_every = 12\n%s", (int)(at - ini_sgd), ini_sgd,
             at + strlen("eval_every = 5\n"));
    Outcome ref12 = {0};
    reference(ini, "sgd12", &ref12, ref_dir, sizeof ref_dir);
    const long stops12[] = {10, 12, 18, 0};
    stop_and_resume(ini, "sgd12", stops12, &ref12, ref_dir);
}

static void test_adam_batchnorm_dropout_cifar(void)
{
    Outcome ref = {0};
    char ref_dir[512];
    reference(ini_adam, "adam", &ref, ref_dir, sizeof ref_dir);
    CHECK(ref.r.iterations == 24);
    const long stops[] = {3, 8, 12, 17, 24, 0};
    stop_and_resume(ini_adam, "adam", stops, &ref, ref_dir);
    kill_and_resume(ini_adam, "adam", 21, &ref, ref_dir);
}

static void test_plateau_early_stopping(void)
{
    Outcome ref = {0};
    char ref_dir[512];
    reference(ini_plateau, "plateau", &ref, ref_dir, sizeof ref_dir);
    /* The config is chosen so that early stopping ends the run before its 14 epochs, with
     * the best epoch before the last. */
    CHECK(ref.r.stopped_epoch > 0 && ref.r.stopped_epoch < 14);
    CHECK(ref.r.epochs == ref.r.stopped_epoch && ref.r.iterations == 10 * ref.r.stopped_epoch);
    CHECK(ref.r.best_epoch > 0 && ref.r.best_epoch < ref.r.stopped_epoch);
    CHECK(ref.r.restored && ref.r.weights_epoch == ref.r.best_epoch);
    long n = ref.r.iterations;
    const long stops[] = {4, 10, 25, 30, n - 9, n - 1, n, 0};
    stop_and_resume(ini_plateau, "plateau", stops, &ref, ref_dir);
    kill_and_resume(ini_plateau, "plateau", n - 3, &ref, ref_dir);
    resume_finished(ini_plateau, "plateau", &ref, ref_dir);
}

/* The test numbers of result.csv come from the weights the model holds at the end (the
 * best epoch's with restore_best), and eval gives them again exactly from model.bin, with
 * the same confusion matrix; with eval_test_every_epoch they are also the best epoch's
 * row. */
static void test_evaluate_reproduces_the_test_row(void)
{
    Err e;
    char dir[512], rows[600], a[600], b[PARAMS_PATH_MAX + 64];
    new_dir(dir, sizeof dir, "evaluate");
    path_in(rows, sizeof rows, dir, "epochs.csv");
    Outcome o = {0};
    CHECK(part(ini_plateau, dir, 2, false, 0, 0, &o, &e) == 0);
    Config c;
    config_init(&c);
    RunEval ev;
    CHECK(run_eval(dir, NULL, 0, NULL, NULL, &c, &ev, &e) == EXIT_OK);
    config_free(&c);
    CHECK(memcmp(&ev.loss, &o.r.test_loss, sizeof ev.loss) == 0);
    CHECK(memcmp(&ev.acc, &o.r.test_acc, sizeof ev.acc) == 0);
    path_in(a, sizeof a, dir, "confusion.csv");
    path_in(b, sizeof b, ev.out, "confusion.csv");
    CHECK(same_bytes(a, b));
    /* the confusion matrix's diagonal is the accuracy */
    CsvTable t;
    CHECK(csv_read(&t, a, 1 << 20, &e) == 0);
    long total = 0, diagonal = 0;
    for (int row = 1; row < t.n_rows; row++)
        for (int col = 1; col < t.n_cols; col++) {
            long n = atol(csv_cell(&t, row, col));
            total += n;
            diagonal += row == col ? n : 0;
        }
    CHECK(t.n_rows == 11 && t.n_cols == 11);
    CHECK(total == ev.records);
    CHECK_NEAR((double)diagonal / ev.records, ev.acc, 0, 0);
    csv_table_free(&t);
    /* the best epoch's row carries the same test numbers */
    CHECK(csv_read(&t, rows, 1 << 20, &e) == 0);
    char want_acc[32];
    snprintf(want_acc, sizeof want_acc, "%.9g", ev.acc);
    CHECK(o.r.best_epoch >= 1 && o.r.best_epoch < t.n_rows);
    CHECK_STR(want_acc, csv_cell(&t, (int)o.r.best_epoch, csv_column(&t, "test_acc")));
    csv_table_free(&t);
}

/* Rewrites section name of checkpoint path through edit(), keeping the file valid
 * (the CRC recomputed), so only the loader's own checks can refuse it. */
static void patch(const char *path, const char *name, void (*edit)(unsigned char *p, size_t n))
{
    Err e;
    CkptFile f;
    CHECK(ckpt_read(&f, path, CKPT_CHECKPOINT, &e) == 0);
    const CkptSection *s = ckpt_find(&f, name);
    CHECK(s != NULL);
    if (s) {
        edit(f.data + s->offset, (size_t)s->count);
        uint32_t crc = ckpt_crc32(0, f.data + 32, f.size - 32);
        for (int i = 0; i < 4; i++)
            f.data[24 + i] = (unsigned char)(crc >> (8 * i));
        FILE *out = fopen(path, "wb");
        fwrite(f.data, 1, f.size, out);
        fclose(out);
    }
    ckpt_file_free(&f);
}

static void duplicate_first_record(unsigned char *p, size_t n)
{
    (void)n;
    memcpy(p + 4, p, 4); /* order[1] = order[0]: a record twice */
}

static void record_out_of_range(unsigned char *p, size_t n)
{
    (void)n;
    p[3] = 0x7f; /* order[0] = a huge record index */
}

static void epoch_too_large(unsigned char *p, size_t n)
{
    (void)n;
    p[2] = 1; /* loop.counts[0], the epoch: 65536 + ... */
}

/* Value edit_at of an int64 or float64 section becomes edit_bits. */
static size_t edit_at;
static uint64_t edit_bits;

static void set_value(unsigned char *p, size_t n)
{
    if (edit_at < n)
        for (int i = 0; i < 8; i++)
            p[8 * edit_at + (size_t)i] = (unsigned char)(edit_bits >> (8 * i));
}

static uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* Each refusal: the loader's code and message, and the run's files untouched. */
static void test_refusals(void)
{
    char dir[512], ckpt[600], rows[600], saved[600];
    new_dir(dir, sizeof dir, "refuse");
    path_in(ckpt, sizeof ckpt, dir, "checkpoint.bin");
    path_in(rows, sizeof rows, dir, "epochs.csv");
    snprintf(saved, sizeof saved, "%s/saved.bin", scratch);
    Err e;
    Outcome o = {0};
    CHECK(part(ini_sgd, dir, 1, false, 12, 0, &o, &e) == 0);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", ckpt, saved);
    CHECK(system(cmd) == 0);

    /* another config: a different learning rate */
    char other[sizeof ini_sgd + 32];
    snprintf(other, sizeof other, "%s", ini_sgd);
    char *lr = strstr(other, "lr = 0.05");
    if (lr)
        memcpy(lr, "lr = 0.06", 9);
    Outcome x = {0};
    CHECK(part(other, dir, 1, true, 0, 0, &x, &e) == EXIT_USAGE);
    CHECK(strstr(e.msg, "written by a run of another config") != NULL);
    /* other data: a different train_limit is another config too; different files with
     * the same config are caught by the sizes */
    snprintf(other, sizeof other, "%s", ini_sgd);
    char *lim = strstr(other, "test_limit = 200");
    if (lim)
        memcpy(lim, "test_limit = 199", 16);
    CHECK(part(other, dir, 1, true, 0, 0, &x, &e) == EXIT_USAGE);

    /* epochs.csv with its line ends converted (CRLF -> LF, as a tool or a git checkout
     * may do): the message gives the file's size and says what changed. (The rows after
     * the checkpoint decide whether the file became shorter than the checkpoint's part.) */
    char crlf[600], want[1400], conv[2600];
    snprintf(crlf, sizeof crlf, "%s/epochs.crlf", scratch);
    snprintf(conv, sizeof conv, "cp '%s' '%s' && tr -d '\\r' <'%s' >'%s'", rows, crlf, crlf,
             rows);
    CHECK(system(conv) == 0);
    struct stat sb;
    CHECK(stat(rows, &sb) == 0);
    CHECK(part(ini_sgd, dir, 1, true, 0, 0, &x, &e) == EXIT_RUNTIME);
    char shorter[1400];
    snprintf(shorter, sizeof shorter, "%s: is %lld bytes, fewer than the ", rows,
             (long long)sb.st_size);
    snprintf(want, sizeof want, "; the file is %lld bytes): it was changed since",
             (long long)sb.st_size);
    CHECK(strncmp(e.msg, shorter, strlen(shorter)) == 0 || strstr(e.msg, want) != NULL);
    const char *lf = "it was changed since, so the run cannot continue it: its line ends are "
                     "LF, not the CRLF mlptrain writes (converted by a tool or a git "
                     "checkout?); restore them (e.g. unix2dos) to continue";
    CHECK(strlen(e.msg) >= strlen(lf) && strcmp(e.msg + strlen(e.msg) - strlen(lf), lf) == 0);
    snprintf(conv, sizeof conv, "cp '%s' '%s'", crlf, rows);
    CHECK(system(conv) == 0);
    /* epochs.csv changed since the checkpoint */
    FILE *f = fopen(rows, "r+b");
    if (f) {
        fseek(f, 60, SEEK_SET);
        fputc('X', f);
        fclose(f);
    }
    CHECK(part(ini_sgd, dir, 1, true, 0, 0, &x, &e) == EXIT_RUNTIME);
    CHECK(stat(rows, &sb) == 0);
    snprintf(want, sizeof want, "bytes differ from those the checkpoint recorded (CRC-32 ");
    CHECK(strstr(e.msg, want) != NULL);
    snprintf(want, sizeof want, "; the file is %lld bytes): it was changed since, so the run "
             "cannot continue it", (long long)sb.st_size);
    CHECK(strstr(e.msg, want) != NULL && strstr(e.msg, "CRLF") == NULL);
    /* epochs.csv shorter than the checkpoint says */
    CHECK(truncate(rows, 40) == 0);
    CHECK(part(ini_sgd, dir, 1, true, 0, 0, &x, &e) == EXIT_RUNTIME);
    snprintf(want, sizeof want, "%s: is 40 bytes, fewer than the ", rows);
    CHECK(strncmp(e.msg, want, strlen(want)) == 0 && strstr(e.msg, "CRLF") == NULL);

    /* valid files whose values are not: each caught before use */
    void (*edits[])(unsigned char *, size_t) = {duplicate_first_record, record_out_of_range};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", saved, ckpt);
        CHECK(system(cmd) == 0);
        patch(ckpt, "loop.order", edits[i]);
        CHECK(part(ini_sgd, dir, 1, true, 0, 0, &x, &e) == EXIT_RUNTIME);
        CHECK(strstr(e.msg, "loop.order") != NULL);
    }
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", saved, ckpt);
    CHECK(system(cmd) == 0);
    patch(ckpt, "loop.counts", epoch_too_large);
    CHECK(part(ini_sgd, dir, 1, true, 0, 0, &x, &e) == EXIT_RUNTIME);
    CHECK(strstr(e.msg, "loop.counts") != NULL);

    /* Values the continued run steps on from: bounded as the run bounds them, so that
     * stepping cannot overflow, found by fuzz_ckpt: model.bn_batches = LONG_MAX was
     * accepted and the next training step overflowed it; sched.counts' T_cur = LONG_MAX
     * the same in the schedule's next step. */
    const struct {
        const char *section;
        size_t at;
        uint64_t bits;
        const char *says;
    } bad[] = {
        {"model.bn_batches", 0, INT64_MAX, "section 'model.bn_batches' holds 9223372036854775807"},
        {"sched.counts", 0, INT64_MAX, "'sched.counts': t = 9223372036854775807 (expected 1:"},
        /* fuzz_ckpt: t one ahead of the loop was accepted; the continued run's next
         * checkpoint had t beyond the run's steps */
        {"sched.counts", 0, 2, "t = 2 (expected 1: 12 iterations and 1 epoch ends, stepped "
                               "per epoch)"},
        {"sched.counts", 0, 0, "t = 0 (expected 1:"},
        /* this run's step schedule keeps T_i = T_0 = 10 (the default), T_mult = 1 */
        {"sched.counts", 1, INT64_MAX, "T_cur = 9223372036854775807 (expected 0..9: below T_i = 10)"},
        {"sched.counts", 2, INT64_MAX, "T_i = 9223372036854775807 (expected 10..10)"},
        {"sched.counts", 2, 0, "T_i = 0 (expected 10..10)"},
        {"sched.counts", 3, 1, "caffe_step = 1 (expected 0..0"},
        {"sched.counts", 4, INT64_MAX, "num_bad = 9223372036854775807 (expected 0..10"},
        {"sched.counts", 5, 1, "cooldown_counter = 1 (expected 0..0"},
        {"sched.lr_best", 0, double_bits(NAN), "lr = nan (expected a finite learning rate >= 0)"},
        {"sched.lr_best", 0, double_bits(-0.5), "lr = -0.5"},
        /* counts that disagree (fuzz_ckpt: iteration 0 in epoch 3 was accepted, and the
         * continued run trained 7 epochs of a 5-epoch run); stopped after step 12: epoch 2,
         * batch 4 of 8, 1 epoch done */
        {"loop.counts", 4, 0, "holds epoch 2, batch 4 and iteration 0 (expected iteration = "
                              "(epoch - 1) x 8 + batch"},
        {"loop.counts", 1, 3, "holds epoch 2, batch 3 and iteration 12"},
        {"loop.counts", 0, 1, "holds epoch 1, batch 4 and iteration 12"},
        {"loop.counts", 2, 0, "holds epoch 2, batch 4 (not shuffled) and iteration 12"},
        {"optim.t", 0, 11, "section 'optim.t' holds 11 steps, section 'loop.counts' 12"},
        {"loop.counts", 3, 1, "holds a run finished at epoch 2, iteration 12, stopped at epoch 0 "
                              "(expected a finished run to end at iteration 32"},
        {"loop.counts", 9, 2, "holds a run not finished at epoch 2, iteration 12, stopped at "
                              "epoch 2"},
        {"loop.counts", 7, 2, "holds best epoch 2 and 0 epochs without improvement after 1 "
                              "epochs done"},
        {"loop.counts", 8, 2, "holds best epoch 1 and 2 epochs without improvement"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", saved, ckpt);
        CHECK(system(cmd) == 0);
        edit_at = bad[i].at;
        edit_bits = bad[i].bits;
        patch(ckpt, bad[i].section, set_value);
        CHECK(part(ini_sgd, dir, 1, true, 0, 0, &x, &e) == EXIT_RUNTIME);
        if (!strstr(e.msg, bad[i].says))
            fprintf(stderr, "%s[%zu]: '%s' does not say '%s'\n", bad[i].section, bad[i].at, e.msg,
                    bad[i].says), test_cur_failed = 1;
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!mkdtemp(scratch))
        return 1;
    RUN(test_sgd_momentum_mnist);
    RUN(test_adam_batchnorm_dropout_cifar);
    RUN(test_plateau_early_stopping);
    RUN(test_caffe_file_order);
    RUN(test_evaluate_reproduces_the_test_row);
    RUN(test_refusals);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (test_failed == 0 && system(cmd) != 0)
        return 1;
    return test_finish(argv[0]);
}
