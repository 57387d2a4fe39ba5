/* main.c - the command line: parses argv, wires config -> data -> model -> optim/sched ->
 * train -> result files in that order, frees in reverse, and maps outcomes to exit codes.
 * The only file that knows about argv and (through config.h) about INI text. */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dataset.h"
#include "gemm.h"
#include "model.h"
#include "optim.h"
#include "pool.h"
#include "rng.h"
#include "sched.h"
#include "train.h"
#include "util.h"

#define MLPTRAIN_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

typedef enum { MODE_TRAIN, MODE_SUMMARY, MODE_PRINT_CONFIG, MODE_PRINT_SCHEDULE } Mode;

typedef struct {
    Mode mode;
    const char *config_path;
    const char *run_dir;     /* -o */
    int quiet;
    int force;               /* --force: run even when the memory estimate exceeds what is free */
} Cli;

/* Set by the SIGINT/SIGTERM handler; the training loop finishes its batch and stops. */
static volatile sig_atomic_t stop_signal;

/* The first SIGINT/SIGTERM/SIGHUP asks the loop to stop after its batch; a second one ends
 * the process at once, as the user evidently wants. */
static void on_signal(int sig)
{
    if (stop_signal) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_signal = sig;
}

/* A closed terminal or ssh session (SIGHUP) stops a run as SIGTERM does, with its files
 * written; a closed pipe on stderr (SIGPIPE, `mlptrain ... 2>&1 | head`) does not stop it
 * at all: the lost log lines are the only loss. */
static void catch_signals(void)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
#ifdef SIGHUP
    signal(SIGHUP, on_signal);
#endif
}

static void print_help(FILE *f)
{
    fputs("usage: mlptrain CONFIG.ini [--set section.key=value]... [-o RUN_DIR] [-q] [--threads N]\n"
          "       mlptrain --summary CONFIG.ini [--set ...]\n"
          "       mlptrain --print-config [CONFIG.ini] [--set ...]\n"
          "       mlptrain --print-schedule CONFIG.ini [--set ...]\n"
          "       mlptrain --help | --help-config | --version\n"
          "\n"
          "Trains the MLP experiment described by CONFIG.ini and writes a run directory with\n"
          "epochs.csv, result.csv, config.ini and summary.txt.\n"
          "\n"
          "options:\n"
          "  --set section.key=value  override one config key (repeatable; same checks as the file)\n"
          "  -o, --output RUN_DIR     write the run here [output.dir/output.name, made unique\n"
          "                           with -2, -3, ... when it exists]\n"
          "  -q, --quiet              no per-epoch lines on stderr [off]\n"
          "  --threads N              same as --set train.threads=N (0 = all online CPUs) [0]\n"
          "  --force                  run even when the memory estimate exceeds the memory\n"
          "                           available (MemAvailable or the cgroup limit) [off]\n"
          "  --summary                print the model table (torchsummary style) and exit;\n"
          "                           loads no data\n"
          "  --print-config           print the fully resolved config as INI and exit\n"
          "  --print-schedule         print the learning rate of every epoch (or iteration) as\n"
          "                           CSV and exit; loads no data (sizes from data.train_limit\n"
          "                           or the full dataset)\n"
          "  --help                   this text\n"
          "  --help-config            every config key: type, default, range, help; and the\n"
          "                           schedule formulas\n"
          "  --version                print the version and the kernel paths this CPU runs\n"
          "\n"
          "environment:\n"
          "  MLPTRAIN_KERNEL          matrix kernels: auto | generic | avx2 | avx512 [auto: the\n"
          "                           fastest this CPU runs]; results differ between paths only\n"
          "                           by float32 rounding\n"
          "\n"
          "exit codes:\n"
          "  0    success, including a run that diverged (status 'diverged' in result.csv)\n"
          "  1    runtime or data error (missing or malformed data files, any output failure)\n"
          "  2    usage or config error, a run directory already in use, a run too large for\n"
          "       the memory available\n"
          "  129  interrupted by SIGHUP, 130 by SIGINT, 143 by SIGTERM (results of the partial\n"
          "       run are written)\n",
          f);
}

static int usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mlptrain: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see mlptrain --help)\n", stderr);
    va_end(ap);
    return EXIT_USAGE;
}

static int fail(int code, const Err *e)
{
    fprintf(stderr, "mlptrain: %s\n", e->msg);
    return code;
}

typedef enum {
    OPT_HELP, OPT_HELP_CONFIG, OPT_VERSION, OPT_SUMMARY, OPT_PRINT_CONFIG, OPT_PRINT_SCHEDULE,
    OPT_QUIET, OPT_SET, OPT_THREADS, OPT_OUTPUT, OPT_FORCE
} OptId;

static const struct {
    const char *name, *alias;
    bool has_value;
    OptId id;
} options[] = {
    {"--help", "-h", false, OPT_HELP},
    {"--help-config", NULL, false, OPT_HELP_CONFIG},
    {"--version", NULL, false, OPT_VERSION},
    {"--summary", NULL, false, OPT_SUMMARY},
    {"--print-config", NULL, false, OPT_PRINT_CONFIG},
    {"--print-schedule", NULL, false, OPT_PRINT_SCHEDULE},
    {"--quiet", "-q", false, OPT_QUIET},
    {"--set", NULL, true, OPT_SET},
    {"--threads", NULL, true, OPT_THREADS},
    {"--output", "-o", true, OPT_OUTPUT},
    {"--force", NULL, false, OPT_FORCE},
};

/* Finds the option a names ("--name", its alias, or "--name=value"); -1 if none. */
static int find_option(const char *a, const char **inline_value)
{
    *inline_value = NULL;
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        size_t n = strlen(options[i].name);
        if (strcmp(a, options[i].name) == 0 || (options[i].alias && strcmp(a, options[i].alias) == 0))
            return (int)i;
        if (options[i].has_value && strncmp(a, options[i].name, n) == 0 && a[n] == '=') {
            *inline_value = a + n + 1;
            return (int)i;
        }
    }
    return -1;
}

/* Parses argv into cli and applies the config file, --set and --threads to c (in that
 * order, then config_finish). Returns -1 to go on, else the exit code (help, version, or
 * an error already printed). */
static int parse_args(int argc, char **argv, Cli *cli, Config *c)
{
    Err e;
    const char *sets[CONFIG_MAX_OVERRIDES];
    char thread_sets[CONFIG_MAX_OVERRIDES][64];
    int n_sets = 0;
    int mode_given = 0;
    memset(cli, 0, sizeof *cli);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value;
        int k = find_option(a, &value);
        if (k < 0) {
            if (a[0] == '-' && a[1] != '\0')
                return usage_error("unknown option '%s'", a);
            if (cli->config_path)
                return usage_error("more than one config file given ('%s' and '%s')", cli->config_path, a);
            cli->config_path = a;
            continue;
        }
        if (options[k].has_value && !value) {
            if (i + 1 >= argc)
                return usage_error("option '%s' needs a value", a);
            value = argv[++i];
        }
        if ((options[k].id == OPT_SET || options[k].id == OPT_THREADS) && n_sets == CONFIG_MAX_OVERRIDES)
            return usage_error("too many --set options (at most %d)", CONFIG_MAX_OVERRIDES);
        switch (options[k].id) {
        case OPT_HELP:
            print_help(stdout);
            return EXIT_OK;
        case OPT_HELP_CONFIG:
            config_print_help(stdout);
            return EXIT_OK;
        case OPT_VERSION: {
            GemmPath kernels;
            if (gemm_path_from_env(&kernels, &e) < 0)
                return fail(EXIT_USAGE, &e);
            printf("mlptrain %s\nkernels:", MLPTRAIN_VERSION);
            for (int p = GEMM_GENERIC; gemm_path_names[p]; p++)
                if (gemm_path_supported((GemmPath)p))
                    printf(" %s", gemm_path_names[p]);
            Gemm *g = gemm_create(NULL, kernels, &e);
            printf(" (in use: %s)\n", gemm_path_names[gemm_path(g)]);
            gemm_free(g);
            return EXIT_OK;
        }
        case OPT_SUMMARY:
        case OPT_PRINT_CONFIG:
        case OPT_PRINT_SCHEDULE:
            if (mode_given++)
                return usage_error("choose one of --summary, --print-config and --print-schedule");
            cli->mode = options[k].id == OPT_SUMMARY ? MODE_SUMMARY
                        : options[k].id == OPT_PRINT_CONFIG ? MODE_PRINT_CONFIG : MODE_PRINT_SCHEDULE;
            break;
        case OPT_QUIET:
            cli->quiet = 1;
            break;
        case OPT_SET:
            sets[n_sets++] = value;
            break;
        case OPT_THREADS:
            /* Through the config table, so the same range check and error text apply. */
            if (snprintf(thread_sets[n_sets], sizeof thread_sets[n_sets], "train.threads=%s", value) >=
                (int)sizeof thread_sets[n_sets])
                return usage_error("--threads: '%s' is not a thread count", value);
            sets[n_sets] = thread_sets[n_sets];
            n_sets++;
            break;
        case OPT_OUTPUT:
            if (!*value)
                return usage_error("option '%s' needs a directory", a);
            cli->run_dir = value;
            break;
        case OPT_FORCE:
            cli->force = 1;
            break;
        }
    }
    if (!cli->config_path && cli->mode != MODE_PRINT_CONFIG)
        return usage_error("no config file given");
    if (cli->config_path && config_load_file(c, cli->config_path, &e) < 0)
        return fail(EXIT_USAGE, &e);
    for (int i = 0; i < n_sets; i++)
        if (config_set(c, sets[i], &e) < 0)
            return fail(EXIT_USAGE, &e);
    if (config_finish(c, &e) < 0)
        return fail(EXIT_USAGE, &e);
    return -1;
}

/* Prints e once: "mlptrain: WHERE: section.key: message" when e names a key (WHERE is the
 * line or --set that gave the key its value), else "mlptrain: message". */
static int fail_at(const Config *c, int code, const Err *e)
{
    if (e->key[0]) {
        char w[PARAMS_PATH_MAX + 64];
        config_locate(c, e->key, w, sizeof w);
        if (strncmp(w, "--set ", 6) == 0) /* the override names the key already */
            fprintf(stderr, "mlptrain: %s: %s\n", w, e->msg);
        else
            fprintf(stderr, "mlptrain: %s: %s: %s\n", w, e->key, e->msg);
    } else {
        fprintf(stderr, "mlptrain: %s\n", e->msg);
    }
    return code;
}

/* What a run will be, decided from the config and the data files' headers before anything
 * is loaded or allocated. */
typedef struct {
    DataShape shape;     /* records after the limits, features, classes */
    bool data_known;     /* shape from the files' headers, not the dataset's standard sizes */
    long n_val, n_fit;   /* held out for validation, left for training */
    int threads;
    Sched sched;         /* initialized and checked for n_fit training records */
    MemPlan mem;
} Plan;

static int resolve_threads(const TrainParams *tp)
{
    return tp->threads > 0 ? (int)tp->threads : pool_online_cpus();
}

/* Checks everything that the config and the data files' sizes decide, with the key and
 * the place it was set in every message: the hold-out, the run length, the schedule over
 * the whole run, the model's sizes, and (for a training run) the memory it needs. Without
 * readable data files (--summary, --print-*), the dataset's standard sizes stand in.
 * Returns -1 to go on, else the exit code (the error already printed). */
static int plan_run(const Cli *cli, const Config *c, Plan *pl)
{
    const RunParams *rp = &c->run;
    Err e;
    memset(pl, 0, sizeof *pl);
    if (dataset_peek(&rp->data, &pl->shape, &e) == 0) {
        pl->data_known = true;
    } else if (cli->mode == MODE_TRAIN) {
        return fail(EXIT_RUNTIME, &e);
    } else {
        dataset_standard_shape(&rp->data, &pl->shape);
    }
    long n = pl->shape.n_train;
    pl->n_val = dataset_val_count(n, rp->data.val_split);
    pl->n_fit = n - pl->n_val;
    if (rp->data.val_split > 0 && pl->n_val == 0) {
        err_set_key(&e, "data.val_split", "holds out no record of %ld%s (expected a fraction of "
                    "at least 1/%ld, or 0 for no validation)", n,
                    pl->data_known ? "" : " (the dataset's standard size)", n);
        return fail_at(c, EXIT_USAGE, &e);
    }
    if (train_check(&rp->train, &rp->model, pl->n_fit, &e) < 0)
        return fail_at(c, EXIT_USAGE, &e);
    if (sched_init(&pl->sched, &rp->sched, rp->optim.lr, train_epochs(&rp->train, pl->n_fit),
                   train_steps_per_epoch(&rp->train, pl->n_fit), rp->train.max_iterations, &e) < 0)
        return fail_at(c, EXIT_USAGE, &e);
    pl->threads = resolve_threads(&rp->train);
    if (train_plan_memory(rp, &pl->shape, pl->n_val, pl->threads, &pl->mem, &e) < 0)
        return fail_at(c, EXIT_USAGE, &e);
    if (cli->mode != MODE_TRAIN || cli->force)
        return -1;
    const char *what;
    long long avail = util_memory_available(&what);
    if (avail >= 0 && pl->mem.total > (double)avail) {
        char need[32], have[32], pb[32], gb[32], ob[32], ab[32], wb[32], db[32];
        util_format_bytes(need, sizeof need, pl->mem.total);
        util_format_bytes(have, sizeof have, (double)avail);
        util_format_bytes(pb, sizeof pb, pl->mem.params);
        util_format_bytes(gb, sizeof gb, pl->mem.grads);
        util_format_bytes(ob, sizeof ob, pl->mem.optim);
        util_format_bytes(ab, sizeof ab, pl->mem.activations);
        util_format_bytes(wb, sizeof wb, pl->mem.workspace);
        util_format_bytes(db, sizeof db, pl->mem.data);
        fprintf(stderr, "mlptrain: %s: the run needs about %s (parameters %s, gradients %s, "
                "optimizer %s, activations %s, workspace %s, data %s) but %s is available (%s); "
                "expected a smaller model.hidden or train.batch_size, or --force to try anyway\n",
                c->source[0] ? c->source : "config", need, pb, gb, ob, ab, wb, db, have, what);
        return EXIT_USAGE;
    }
    return -1;
}

static void print_memory(FILE *f, const Plan *pl, const TrainParams *tp)
{
    const struct {
        const char *name;
        double bytes;
    } rows[] = {{"parameters", pl->mem.params}, {"gradients", pl->mem.grads},
                {"optimizer state", pl->mem.optim}, {"activations", pl->mem.activations},
                {"workspace", pl->mem.workspace}, {"data", pl->mem.data},
                {"total", pl->mem.total}};
    fprintf(f, "Memory estimate (batch %ld, eval batch %ld, %d thread%s, %ld + %ld records%s):\n",
            tp->batch_size, tp->eval_batch_size, pl->threads, pl->threads == 1 ? "" : "s",
            pl->shape.n_train, pl->shape.n_test,
            pl->data_known ? "" : " (the dataset's standard sizes)");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char b[32];
        util_format_bytes(b, sizeof b, rows[i].bytes);
        fprintf(f, "  %-16s %12s\n", rows[i].name, b);
    }
}

static int print_schedule(const Config *c, const Plan *pl)
{
    const RunParams *rp = &c->run;
    Err e;
    if (sched_write_table(stdout, &rp->sched, rp->optim.lr, train_epochs(&rp->train, pl->n_fit),
                          train_steps_per_epoch(&rp->train, pl->n_fit), rp->train.max_iterations,
                          &e) < 0)
        return fail_at(c, EXIT_USAGE, &e);
    return EXIT_OK;
}

/* The model table and the memory estimate, from the layout alone: nothing is allocated
 * for parameters, so a model too large to train can still be described. */
static int print_summary(const Config *c, const Plan *pl)
{
    const RunParams *rp = &c->run;
    Err e;
    Model m;
    if (model_layout(&m, &rp->model, pl->shape.dim, pl->shape.n_classes, 1, NULL, &e) < 0)
        return fail_at(c, EXIT_USAGE, &e);
    model_summary(&m, stdout);
    model_free(&m);
    print_memory(stdout, pl, &rp->train);
    return EXIT_OK;
}

/* Writes config.ini into dir if it has none: 0 when written, 1 when dir already holds a
 * run, -1 with e on failure. The file is written whole and claims the directory in one
 * step (util_atomic_commit_new), so of several runs started into one directory exactly
 * one proceeds. */
static int claim_dir(const char *dir, const Config *c, Err *e)
{
    char path[PARAMS_PATH_MAX + 32];
    const char *const taken[] = {"epochs.csv", "result.csv"};
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, taken[i]);
        if (util_exists(path))
            return 1;
    }
    snprintf(path, sizeof path, "%s/config.ini", dir);
    AtomicFile af;
    if (util_atomic_open(&af, path, e) < 0)
        return -1;
    config_print(c, af.f);
    return util_atomic_commit_new(&af, e);
}

/* Chooses, creates and claims the run directory: -o as given (refused, exit 2, when it
 * already holds a run), else output.dir/output.name with -2, -3, ... appended until a new
 * directory is made. Returns -1 when claimed, else the exit code with e set. */
static int make_run_dir(const Cli *cli, const Config *c, char *dir, size_t size, Err *e)
{
    const RunParams *rp = &c->run;
    if (cli->run_dir) {
        if (util_strlcpy(dir, cli->run_dir, size) < 0)
            return err_set(e, "-o: path too long"), EXIT_USAGE;
        if (util_mkdirs(dir, e) < 0)
            return EXIT_RUNTIME;
        int rc = claim_dir(dir, c, e);
        if (rc == 1)
            return err_set(e, "-o %s: the directory already holds a run (config.ini, epochs.csv "
                           "or result.csv); remove it or choose another directory", dir),
                   EXIT_USAGE;
        return rc < 0 ? EXIT_RUNTIME : -1;
    }
    if (util_mkdirs(rp->output.dir, e) < 0)
        return EXIT_RUNTIME;
    for (int k = 1; k < 100000; k++) {
        int n = k == 1 ? snprintf(dir, size, "%s/%s", rp->output.dir, rp->output.name)
                       : snprintf(dir, size, "%s/%s-%d", rp->output.dir, rp->output.name, k);
        if (n < 0 || (size_t)n >= size)
            return err_set(e, "output.dir/output.name: path too long"), EXIT_USAGE;
        int made = util_mkdir_new(dir, e);
        if (made < 0)
            return EXIT_RUNTIME;
        if (made == 1)
            continue;
        int rc = claim_dir(dir, c, e);
        if (rc == 0)
            return -1;
        remove(dir); /* ours and empty: leave nothing behind */
        if (rc < 0)
            return EXIT_RUNTIME;
    }
    return err_set(e, "output.name: too many runs named '%s' in '%s'", rp->output.name,
                   rp->output.dir), EXIT_USAGE;
}

static int write_summary(const char *dir, const Model *m, const Plan *pl, const TrainParams *tp,
                         Err *e)
{
    char path[PARAMS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/summary.txt", dir);
    AtomicFile af;
    if (util_atomic_open(&af, path, e) < 0)
        return -1;
    model_summary(m, af.f);
    print_memory(af.f, pl, tp);
    return util_atomic_commit(&af, e);
}

static const char *base_name(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    const char *p = path + n;
    while (p > path && p[-1] != '/')
        p--;
    return p;
}

static int run(const Cli *cli, const Config *c, Plan *pl)
{
    const RunParams *rp = &c->run;
    FILE *log = cli->quiet ? NULL : stderr;
    Err e;
    int code = EXIT_RUNTIME;
    Dataset train = {0}, test = {0};
    DataSplit split = {0};
    Model m = {0};
    Optim o = {0};
    Pool *pool = NULL;
    Gemm *gemm = NULL;
    char dir[PARAMS_PATH_MAX + 16];
    char path[PARAMS_PATH_MAX + 32];
    char name[PARAMS_PATH_MAX + 16];

    if (dataset_load(&train, &test, &rp->data, &e) < 0)
        goto out_err;
    if (test.n < 1) {
        err_set(&e, "%s: the test set is empty", rp->data.path);
        goto out_err;
    }
    Rng split_rng, init_rng;
    rng_seed(&split_rng, rp->train.seed, RNG_STREAM_SPLIT);
    if (dataset_split(&split, train.n, rp->data.val_split, &split_rng, &e) < 0) {
        code = EXIT_USAGE;
        goto out_err;
    }
    /* The files may have changed since they were planned for: decide again on what loaded. */
    if (split.n_train != pl->n_fit &&
        (train_check(&rp->train, &rp->model, split.n_train, &e) < 0 ||
         sched_init(&pl->sched, &rp->sched, rp->optim.lr, train_epochs(&rp->train, split.n_train),
                    train_steps_per_epoch(&rp->train, split.n_train), rp->train.max_iterations,
                    &e) < 0)) {
        code = EXIT_USAGE;
        goto out_err;
    }
    Normalizer nz;
    dataset_normalizer(&nz, &train, &rp->data);

    int threads = pl->threads;
    if (threads > 1 && !(pool = pool_create(threads))) {
        err_set(&e, "cannot start %d threads", threads);
        goto out_err;
    }
    GemmPath kernels;
    if (gemm_path_from_env(&kernels, &e) < 0 || !(gemm = gemm_create(pool, kernels, &e))) {
        code = EXIT_USAGE;
        goto out_err;
    }
    long n_eval = split.n_val > test.n ? split.n_val : test.n;
    int max_rows = train_max_rows(&rp->train, split.n_train, n_eval);
    rng_seed(&init_rng, rp->train.seed, RNG_STREAM_INIT);
    if (model_init(&m, &rp->model, train.dim, train.n_classes, max_rows, gemm, pool,
                   &init_rng, &e) < 0) {
        code = EXIT_USAGE;
        goto out_err;
    }
    optim_init(&o, &rp->optim, m.n_params, pool);
    if ((code = make_run_dir(cli, c, dir, sizeof dir, &e)) >= 0)
        goto out_err;
    code = EXIT_RUNTIME;
    catch_signals();
    util_strlcpy(name, base_name(dir), sizeof name);
    if (write_summary(dir, &m, pl, &rp->train, &e) < 0)
        goto out_err;
    if (log) {
        char mem[32];
        util_format_bytes(mem, sizeof mem, pl->mem.total);
        fprintf(log, "mlptrain: %s: %d train / %d val / %d test records, %zu params, about %s of "
                "memory, %d thread%s, %s kernels -> %s\n", params_dataset_names[rp->data.dataset],
                split.n_train, split.n_val, test.n, m.n_params, mem, threads,
                threads == 1 ? "" : "s", gemm_path_names[gemm_path(gemm)], dir);
    }

    TrainData td = {&train, &test, &split, &nz};
    snprintf(path, sizeof path, "%s/epochs.csv", dir);
    TrainIO io = {log, &stop_signal, path};
    TrainResult r;
    if (train_run(&rp->train, &td, &m, &o, &pl->sched, &io, &r, &e) < 0)
        goto out_err;
    snprintf(path, sizeof path, "%s/result.csv", dir);
    if (train_write_result(path, rp, name, threads, &m, &r, &e) < 0)
        goto out_err;
    if (log)
        fprintf(log, "mlptrain: %s: test acc %.4f loss %.4f, %.2fs training -> %s\n",
                train_status_names[r.status], r.test_acc, r.test_loss, r.train_seconds, dir);
    code = r.status == RUN_INTERRUPTED ? 128 + (int)stop_signal : EXIT_OK;
    goto out;
out_err:
    fail_at(c, code, &e);
out:
    optim_free(&o);
    model_free(&m);
    gemm_free(gemm);
    pool_free(pool);
    dataset_split_free(&split);
    dataset_free(&test);
    dataset_free(&train);
    return code;
}

int main(int argc, char **argv)
{
    Config c;
    Cli cli;
#ifdef SIGPIPE
    signal(SIGPIPE, SIG_IGN);
#endif
#ifdef SIGXFSZ
    signal(SIGXFSZ, SIG_IGN); /* a file-size limit is a failed write, like a full disk */
#endif
    config_init(&c);
    int code = parse_args(argc, argv, &cli, &c);
    Plan plan;
    if (code < 0)
        code = plan_run(&cli, &c, &plan);
    if (code < 0) {
        switch (cli.mode) {
        case MODE_PRINT_CONFIG: config_print(&c, stdout); code = EXIT_OK; break;
        case MODE_SUMMARY: code = print_summary(&c, &plan); break;
        case MODE_PRINT_SCHEDULE: code = print_schedule(&c, &plan); break;
        case MODE_TRAIN: code = run(&cli, &c, &plan); break;
        }
    }
    config_free(&c);
    return code;
}
