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
} Cli;

/* Set by the SIGINT/SIGTERM handler; the training loop finishes its batch and stops. */
static volatile sig_atomic_t stop_signal;

/* The first SIGINT/SIGTERM asks the loop to stop after its batch; a second one ends the
 * process at once, as the user evidently wants. */
static void on_signal(int sig)
{
    if (stop_signal) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_signal = sig;
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
          "  1    runtime or data error (missing or malformed data files, I/O failure)\n"
          "  2    usage or config error\n"
          "  130  interrupted by SIGINT, 143 by SIGTERM (results of the partial run are written)\n",
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
    OPT_QUIET, OPT_SET, OPT_THREADS, OPT_OUTPUT
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

/* Training records a run would see, computed without loading data. */
static long planned_train_records(const RunParams *rp)
{
    long n = dataset_standard_train_size(rp->data.dataset);
    if (rp->data.train_limit > 0 && rp->data.train_limit < n)
        n = rp->data.train_limit;
    return n - dataset_val_count(n, rp->data.val_split);
}

static int print_schedule(const RunParams *rp)
{
    Err e;
    long n_train = planned_train_records(rp);
    if (n_train < 1)
        return fail(EXIT_USAGE, &(Err){"no training records left after data.val_split"});
    if (sched_write_table(stdout, &rp->sched, rp->optim.lr, train_epochs(&rp->train, n_train),
                          train_steps_per_epoch(&rp->train, n_train), rp->train.max_iterations, &e) < 0)
        return fail(EXIT_USAGE, &e);
    return EXIT_OK;
}

static int print_summary(const RunParams *rp)
{
    Err e;
    Model m;
    Rng rng;
    rng_seed(&rng, rp->train.seed, RNG_STREAM_INIT);
    if (model_init(&m, &rp->model, params_input_dim(rp->data.dataset),
                   params_datasets[rp->data.dataset].classes, 2, NULL, NULL, &rng, &e) < 0)
        return fail(EXIT_USAGE, &e);
    model_summary(&m, stdout);
    model_free(&m);
    return EXIT_OK;
}

/* Chooses and creates the run directory: -o as given (refusing one that already holds a
 * run), else output.dir/output.name with -2, -3, ... appended until the name is new. */
static int make_run_dir(const Cli *cli, const RunParams *rp, char *dir, size_t size, Err *e)
{
    if (cli->run_dir) {
        if (util_strlcpy(dir, cli->run_dir, size) < 0)
            return err_set(e, "-o: path too long");
        if (util_mkdirs(dir, e) < 0)
            return -1;
        char probe[PARAMS_PATH_MAX + 32];
        snprintf(probe, sizeof probe, "%s/result.csv", dir);
        int taken = util_exists(probe);
        snprintf(probe, sizeof probe, "%s/epochs.csv", dir);
        if (taken || util_exists(probe))
            return err_set(e, "-o %s: the directory already holds a run (epochs.csv/result.csv); "
                              "remove it or choose another directory", dir);
        return 0;
    }
    if (util_mkdirs(rp->output.dir, e) < 0)
        return -1;
    for (int k = 1; k < 100000; k++) {
        int n = k == 1 ? snprintf(dir, size, "%s/%s", rp->output.dir, rp->output.name)
                       : snprintf(dir, size, "%s/%s-%d", rp->output.dir, rp->output.name, k);
        if (n < 0 || (size_t)n >= size)
            return err_set(e, "output.dir/output.name: path too long");
        int rc = util_mkdir_new(dir, e);
        if (rc <= 0)
            return rc;
    }
    return err_set(e, "output.name: too many runs named '%s' in '%s'", rp->output.name, rp->output.dir);
}

static int write_text_files(const char *dir, const Config *c, const Model *m, Err *e)
{
    char path[PARAMS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/config.ini", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return err_set(e, "cannot create '%s'", path);
    config_print(c, f);
    if (fclose(f) != 0)
        return err_set(e, "cannot write '%s'", path);
    snprintf(path, sizeof path, "%s/summary.txt", dir);
    f = fopen(path, "w");
    if (!f)
        return err_set(e, "cannot create '%s'", path);
    model_summary(m, f);
    if (fclose(f) != 0)
        return err_set(e, "cannot write '%s'", path);
    return 0;
}

static int run(const Cli *cli, const Config *c)
{
    const RunParams *rp = &c->run;
    FILE *log = cli->quiet ? NULL : stderr;
    Err e;
    int code = EXIT_RUNTIME;
    Dataset train = {0}, test = {0};
    DataSplit split = {0};
    Model m = {0};
    Optim o = {0};
    Sched s;
    Pool *pool = NULL;
    Gemm *gemm = NULL;
    char dir[PARAMS_PATH_MAX + 16];
    char path[PARAMS_PATH_MAX + 32];

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
    if (train_check(&rp->train, &rp->model, split.n_train, &e) < 0) {
        code = EXIT_USAGE;
        goto out_err;
    }
    Normalizer nz;
    dataset_normalizer(&nz, &train, &rp->data);

    int threads = rp->train.threads > 0 ? (int)rp->train.threads : pool_online_cpus();
    if (threads > 1 && !(pool = pool_create(threads))) {
        err_set(&e, "cannot start %d threads", threads);
        goto out_err;
    }
    GemmPath kernels;
    if (gemm_path_from_env(&kernels, &e) < 0 || !(gemm = gemm_create(pool, kernels, &e))) {
        code = EXIT_USAGE;
        goto out_err;
    }
    long max_batch = rp->train.batch_size > rp->train.eval_batch_size ? rp->train.batch_size
                                                                      : rp->train.eval_batch_size;
    rng_seed(&init_rng, rp->train.seed, RNG_STREAM_INIT);
    if (model_init(&m, &rp->model, train.dim, train.n_classes, (int)max_batch, gemm, pool, &init_rng, &e) < 0) {
        code = EXIT_USAGE;
        goto out_err;
    }
    optim_init(&o, &rp->optim, m.n_params, pool);
    if (sched_init(&s, &rp->sched, rp->optim.lr, train_epochs(&rp->train, split.n_train),
                   train_steps_per_epoch(&rp->train, split.n_train), rp->train.max_iterations, &e) < 0) {
        code = EXIT_USAGE;
        goto out_err;
    }
    if (make_run_dir(cli, rp, dir, sizeof dir, &e) < 0) {
        code = cli->run_dir ? EXIT_USAGE : EXIT_RUNTIME;
        goto out_err;
    }
    if (write_text_files(dir, c, &m, &e) < 0)
        goto out_err;
    if (log)
        fprintf(log, "mlptrain: %s: %d train / %d val / %d test records, %zu params, %d thread%s, "
                "%s kernels -> %s\n", params_dataset_names[rp->data.dataset], split.n_train, split.n_val,
                test.n, m.n_params, threads, threads == 1 ? "" : "s", gemm_path_names[gemm_path(gemm)], dir);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    TrainData td = {&train, &test, &split, &nz};
    snprintf(path, sizeof path, "%s/epochs.csv", dir);
    TrainIO io = {log, &stop_signal, path};
    TrainResult r;
    if (train_run(&rp->train, &td, &m, &o, &s, &io, &r, &e) < 0)
        goto out_err;
    snprintf(path, sizeof path, "%s/result.csv", dir);
    if (train_write_result(path, rp, &m, &r, &e) < 0)
        goto out_err;
    if (log)
        fprintf(log, "mlptrain: %s: test acc %.4f loss %.4f, %.2fs training -> %s\n",
                train_status_names[r.status], r.test_acc, r.test_loss, r.train_seconds, dir);
    code = r.status == RUN_INTERRUPTED ? 128 + (int)stop_signal : EXIT_OK;
    goto out;
out_err:
    fprintf(stderr, "mlptrain: %s\n", e.msg);
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
    config_init(&c);
    int code = parse_args(argc, argv, &cli, &c);
    if (code < 0) {
        switch (cli.mode) {
        case MODE_PRINT_CONFIG: config_print(&c, stdout); code = EXIT_OK; break;
        case MODE_SUMMARY: code = print_summary(&c.run); break;
        case MODE_PRINT_SCHEDULE: code = print_schedule(&c.run); break;
        case MODE_TRAIN: code = run(&cli, &c); break;
        }
    }
    config_free(&c);
    return code;
}
