/* main.c - the command line: parses argv, wires config -> data -> model -> optim/sched ->
 * train -> result files in that order for one run (or continues one from its checkpoint,
 * or evaluates its saved model), frees in reverse, and maps outcomes to exit codes. The
 * sweep and collect commands are in study.c; both files, and only they, know about argv
 * and (through config.h) about INI text. A run holds a POSIX record lock (fcntl) on its
 * config.ini while it writes the directory; stat compares directories. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt.h"
#include "cli.h"
#include "csv.h"
#include "dataset.h"
#include "gemm.h"
#include "model.h"
#include "optim.h"
#include "pool.h"
#include "report.h"
#include "rng.h"
#include "sched.h"
#include "sweep.h"
#include "train.h"
#include "util.h"

#define MLPTRAIN_VERSION "0.1.0"

volatile sig_atomic_t cli_stop_signal;

/* The first SIGINT/SIGTERM/SIGHUP asks the loop to stop after its batch; a second one ends
 * the process at once, as the user evidently wants. */
static void on_signal(int sig)
{
    if (cli_stop_signal) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    cli_stop_signal = sig;
}

/* A closed terminal or ssh session (SIGHUP) stops a run as SIGTERM does, with its files
 * written; a closed pipe on stderr (SIGPIPE, `mlptrain ... 2>&1 | head`) does not stop it
 * at all: the lost log lines are the only loss. */
void cli_catch_signals(void)
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
          "       mlptrain --resume RUN_DIR [-q] [--threads N]\n"
          "       mlptrain eval RUN_DIR [--set data.path=DIR] [--set data.dataset=NAME] [-o DIR]\n"
          "       mlptrain --summary CONFIG.ini [--set ...]\n"
          "       mlptrain --print-config [CONFIG.ini] [--set ...]\n"
          "       mlptrain --print-schedule CONFIG.ini [--set ...]\n"
          "       mlptrain sweep CONFIG.ini [--sweep section.key=v1|v2]... [--set ...] [--jobs N]\n"
          "                      [-o SWEEP_DIR] [--list | --status | --index I] [--max-points N]\n"
          "       mlptrain collect DIR... [-o OUT_DIR]\n"
          "       mlptrain --help | --help-config | --version\n"
          "\n"
          "Trains the MLP experiment described by CONFIG.ini and writes a run directory with\n"
          "epochs.csv, result.csv, config.ini, summary.txt, curves.svg, model.bin,\n"
          "confusion.csv, per_class.csv and checkpoint.bin. --resume continues an interrupted\n"
          "run from its checkpoint to the results the uninterrupted run would have given; `eval`\n"
          "evaluates a run's model.bin on its test set or another one. `sweep` runs every\n"
          "point of the config's [sweep] section (one run directory each, inside the sweep\n"
          "directory), then collects them; `collect` writes summary.csv and\n"
          "summary_by_point.csv (and the sweep plots) from run directories.\n"
          "\n"
          "options:\n"
          "  --set section.key=value  override one config key (repeatable; same checks as the file)\n"
          "  -o, --output RUN_DIR     write the run here [output.dir/output.name, made unique\n"
          "                           with -2, -3, ... when it exists]\n"
          "  -q, --quiet              nothing on stderr but errors [off]; on a terminal a live\n"
          "                           progress line replaces the per-epoch lines\n"
          "  --threads N              same as --set train.threads=N (0 or more than the CPUs this process may use: those CPUs) [0]\n"
          "  --resume RUN_DIR         continue the run in RUN_DIR from its checkpoint.bin, with\n"
          "                           its config.ini; --set may change only keys that change no\n"
          "                           result (output.*, train.threads, train.checkpoint_every)\n"
          "  --force                  run even when the memory estimate exceeds the memory\n"
          "                           available (MemAvailable or the cgroup limit) [off]\n"
          "  --summary                print the model table (torchsummary style) and exit;\n"
          "                           loads no data\n"
          "  --print-config           print the fully resolved config as INI and exit\n"
          "  --print-schedule         print the learning rate of every epoch (or iteration) as\n"
          "                           CSV and exit; loads no data (sizes from data.train_limit\n"
          "                           or the full dataset)\n"
          "\n"
          "sweep options:\n"
          "  --sweep section.key=v1|v2  sweep a key, as a [sweep] line does (repeatable)\n"
          "  --jobs N                 runs at once, the CPUs divided between them [1]\n"
          "  -o SWEEP_DIR             the sweep directory [output.dir/<config name>]\n"
          "  --list                   print index, overrides and run directory of every run\n"
          "  --status                 print the unfinished runs' indices in Slurm --array\n"
          "                           syntax (e.g. 3,7-9) and rewrite sweep.csv\n"
          "  --index I                run only run I [$SLURM_ARRAY_TASK_ID when set]\n"
          "  --max-points N           most runs a sweep may have [10000]\n"
          "  Re-running a sweep skips finished runs (ok or diverged), continues interrupted ones\n"
          "  from their checkpoints and reruns the others.\n"
          "\n"
          "eval options:\n"
          "  --set data.KEY=VALUE     the test set to use: data.path, data.dataset,\n"
          "                           data.test_limit (and train.threads) [the run's own]\n"
          "  -o DIR                   where confusion.csv, per_class.csv and eval.csv go\n"
          "                           [RUN_DIR/eval]\n"
          "\n"
          "collect options:\n"
          "  -o OUT_DIR               where summary.csv and summary_by_point.csv go [the one\n"
          "                           DIR given]\n"
          "\n"
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
          "  129  interrupted by SIGHUP, 130 by SIGINT, 143 by SIGTERM (a checkpoint and the\n"
          "       results of the partial run are written; --resume RUN_DIR continues it)\n",
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
    OPT_QUIET, OPT_SET, OPT_THREADS, OPT_OUTPUT, OPT_FORCE, OPT_SWEEP, OPT_JOBS, OPT_LIST,
    OPT_STATUS, OPT_INDEX, OPT_MAX_POINTS, OPT_RESUME
} OptId;

enum {
    FOR_RUN = 1 << CMD_RUN, FOR_SWEEP = 1 << CMD_SWEEP, FOR_COLLECT = 1 << CMD_COLLECT,
    FOR_EVAL = 1 << CMD_EVAL, FOR_ALL = FOR_RUN | FOR_SWEEP | FOR_COLLECT | FOR_EVAL
};

static const struct {
    const char *name, *alias;
    bool has_value;
    OptId id;
    unsigned commands;       /* FOR_* where the option means something */
} options[] = {
    {"--help", "-h", false, OPT_HELP, FOR_ALL},
    {"--help-config", NULL, false, OPT_HELP_CONFIG, FOR_ALL},
    {"--version", NULL, false, OPT_VERSION, FOR_ALL},
    {"--summary", NULL, false, OPT_SUMMARY, FOR_RUN},
    {"--print-config", NULL, false, OPT_PRINT_CONFIG, FOR_RUN},
    {"--print-schedule", NULL, false, OPT_PRINT_SCHEDULE, FOR_RUN},
    {"--quiet", "-q", false, OPT_QUIET, FOR_ALL},
    {"--set", NULL, true, OPT_SET, FOR_RUN | FOR_SWEEP | FOR_EVAL},
    {"--threads", NULL, true, OPT_THREADS, FOR_RUN | FOR_SWEEP | FOR_EVAL},
    {"--output", "-o", true, OPT_OUTPUT, FOR_ALL},
    {"--force", NULL, false, OPT_FORCE, FOR_RUN | FOR_SWEEP},
    {"--sweep", NULL, true, OPT_SWEEP, FOR_SWEEP},
    {"--jobs", "-j", true, OPT_JOBS, FOR_SWEEP},
    {"--list", NULL, false, OPT_LIST, FOR_SWEEP},
    {"--status", NULL, false, OPT_STATUS, FOR_SWEEP},
    {"--index", NULL, true, OPT_INDEX, FOR_SWEEP},
    {"--max-points", NULL, true, OPT_MAX_POINTS, FOR_SWEEP},
    {"--resume", NULL, true, OPT_RESUME, FOR_RUN},
};

static const char *const command_names[] = {"a run", "mlptrain sweep", "mlptrain collect",
                                             "mlptrain eval"};

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

/* A count given on the command line: 1 <= v <= max. */
static int count_option(const char *opt, const char *text, long max, long *out)
{
    long v;
    if (util_parse_long(text, &v) != 0 || v < 1 || v > max)
        return usage_error("%s: '%s' is not a count (expected an integer in [1, %ld])", opt, text,
                           max);
    *out = v;
    return -1;
}

static int print_version(void)
{
    Err e;
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

/* Parses argv into cli. Returns -1 to go on, else the exit code (help, version, or an
 * error already printed). */
static int parse_args(int argc, char **argv, Cli *cli)
{
    int mode_given = 0, first = 1;
    memset(cli, 0, sizeof *cli);
    cli->index = -1;
    cli->jobs = 1;
    cli->max_points = CONFIG_MAX_POINTS;
    if (argc > 1 && strcmp(argv[1], "sweep") == 0) {
        cli->cmd = CMD_SWEEP;
        first = 2;
    } else if (argc > 1 && strcmp(argv[1], "collect") == 0) {
        cli->cmd = CMD_COLLECT;
        first = 2;
    } else if (argc > 1 && strcmp(argv[1], "eval") == 0) {
        cli->cmd = CMD_EVAL;
        first = 2;
    }
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char *value;
        int k = find_option(a, &value);
        if (k < 0) {
            if (a[0] == '-' && a[1] != '\0')
                return usage_error("unknown option '%s'", a);
            if (cli->cmd == CMD_COLLECT) {
                if (cli->n_paths == CLI_MAX_PATHS)
                    return usage_error("more than %d directories given", CLI_MAX_PATHS);
                cli->paths[cli->n_paths++] = a;
                continue;
            }
            if (cli->cmd == CMD_EVAL) {
                if (cli->n_paths == 1)
                    return usage_error("eval: one run directory, not two ('%s' and '%s')",
                                       cli->paths[0], a);
                cli->paths[cli->n_paths++] = a;
                continue;
            }
            if (cli->config_path)
                return usage_error("more than one config file given ('%s' and '%s')",
                                   cli->config_path, a);
            cli->config_path = a;
            continue;
        }
        if (options[k].has_value && !value) {
            if (i + 1 >= argc)
                return usage_error("option '%s' needs a value", a);
            value = argv[++i];
        }
        if (!(options[k].commands & (1u << cli->cmd)))
            return usage_error("option '%s' is not for %s", a, command_names[cli->cmd]);
        if ((options[k].id == OPT_SET || options[k].id == OPT_THREADS) &&
            cli->n_sets == CONFIG_MAX_OVERRIDES)
            return usage_error("too many --set options (at most %d)", CONFIG_MAX_OVERRIDES);
        int rc = -1;
        switch (options[k].id) {
        case OPT_HELP:
            print_help(stdout);
            return EXIT_OK;
        case OPT_HELP_CONFIG:
            config_print_help(stdout);
            return EXIT_OK;
        case OPT_VERSION:
            return print_version();
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
            cli->sets[cli->n_sets++] = value;
            break;
        case OPT_THREADS:
            /* Through the config table, so the same range check applies. */
            cli->is_threads[cli->n_sets] = true;
            cli->sets[cli->n_sets++] = value;
            break;
        case OPT_OUTPUT:
            if (!*value)
                return usage_error("option '%s' needs a directory", a);
            cli->run_dir = value;
            break;
        case OPT_FORCE:
            cli->force = 1;
            break;
        case OPT_SWEEP:
            if (cli->n_sweeps == CONFIG_MAX_AXES)
                return usage_error("too many --sweep options (at most %d)", CONFIG_MAX_AXES);
            cli->sweeps[cli->n_sweeps++] = value;
            break;
        case OPT_JOBS:
            rc = count_option(a, value, 1024, &cli->jobs);
            break;
        case OPT_LIST:
            cli->list = 1;
            break;
        case OPT_STATUS:
            cli->status = 1;
            break;
        case OPT_INDEX: {
            long v;
            if (util_parse_long(value, &v) != 0 || v < 0)
                return usage_error("--index: '%s' is not a run index (expected an integer >= 0)",
                                   value);
            cli->index = v;
            break;
        }
        case OPT_MAX_POINTS:
            rc = count_option(a, value, 100000000L, &cli->max_points);
            break;
        case OPT_RESUME:
            if (!*value)
                return usage_error("option '%s' needs a run directory", a);
            cli->resume_dir = value;
            break;
        }
        if (rc >= 0)
            return rc;
    }
    if (cli->list + cli->status + (cli->index >= 0) > 1)
        return usage_error("choose one of --list, --status and --index");
    if (cli->cmd == CMD_COLLECT && cli->n_paths == 0)
        return usage_error("collect: no directory given");
    if (cli->cmd == CMD_EVAL && cli->n_paths == 0)
        return usage_error("eval: no run directory given");
    if (cli->resume_dir) {
        if (cli->config_path)
            return usage_error("--resume %s takes no config file (it continues with %s/config.ini)",
                               cli->resume_dir, cli->resume_dir);
        if (mode_given)
            return usage_error("--resume trains; it does not go with --summary, --print-config "
                               "or --print-schedule");
        if (cli->run_dir)
            return usage_error("--resume continues the run in its own directory; -o does not go "
                               "with it");
        return -1;
    }
    if (cli->cmd != CMD_COLLECT && cli->cmd != CMD_EVAL && !cli->config_path &&
        cli->mode != MODE_PRINT_CONFIG)
        return usage_error("no config file given");
    return -1;
}

/* The i-th --set or --threads onto c. */
static int cli_set(const Cli *cli, int i, Config *c, Err *e)
{
    return cli->is_threads[i] ? config_set_threads(c, cli->sets[i], e)
                              : config_set(c, cli->sets[i], e);
}

int cli_load(const Cli *cli, Config *c, bool sweep)
{
    Err e;
    if (cli->config_path && config_load_file(c, cli->config_path, &e) < 0)
        return fail(EXIT_USAGE, &e);
    for (int i = 0; i < cli->n_sets; i++)
        if (cli_set(cli, i, c, &e) < 0)
            return fail(EXIT_USAGE, &e);
    for (int i = 0; sweep && i < cli->n_sweeps; i++)
        if (config_sweep_add(c, cli->sweeps[i], &e) < 0)
            return fail(EXIT_USAGE, &e);
    return -1;
}

int cli_fail(const Config *c, int code, const Err *e, const char *context)
{
    char w[PARAMS_PATH_MAX + 1200] = "";
    if (e->key[0]) {
        config_locate(c, e->key, w, sizeof w);
        size_t n = strlen(w);
        /* An option names the key already; a file's line does not. */
        if (strncmp(w, "--", 2) != 0)
            snprintf(w + n, sizeof w - n, ": %s", e->key);
        n = strlen(w);
        snprintf(w + n, sizeof w - n, ": ");
    }
    char line[sizeof w + sizeof e->msg + 2400], shown[sizeof line];
    if (context)
        snprintf(line, sizeof line, "%s%s (%s)", w, e->msg, context);
    else
        snprintf(line, sizeof line, "%s%s", w, e->msg);
    util_escape_controls(shown, sizeof shown, line); /* --set text is quoted as given */
    fprintf(stderr, "mlptrain: %s\n", shown);
    return code;
}

static int resolve_threads(const TrainParams *tp)
{
    int cpus = pool_available_cpus();
    /* More threads than CPUs would only wait for each other. */
    return tp->threads > 0 && tp->threads < cpus ? (int)tp->threads : cpus;
}

static void memory_text(char *buf, size_t n, const MemPlan *m)
{
    char need[32], pb[32], gb[32], ob[32], ab[32], wb[32], db[32];
    util_format_bytes(need, sizeof need, m->total);
    util_format_bytes(pb, sizeof pb, m->params);
    util_format_bytes(gb, sizeof gb, m->grads);
    util_format_bytes(ob, sizeof ob, m->optim);
    util_format_bytes(ab, sizeof ab, m->activations);
    util_format_bytes(wb, sizeof wb, m->workspace);
    util_format_bytes(db, sizeof db, m->data);
    snprintf(buf, n, "%s (parameters %s, gradients %s, optimizer %s, activations %s, "
             "workspace %s, data %s)", need, pb, gb, ob, ab, wb, db);
}

int cli_plan(const Config *c, bool train, bool force, int threads, Plan *pl, Err *e)
{
    const RunParams *rp = &c->run;
    memset(pl, 0, sizeof *pl);
    if (dataset_peek(&rp->data, &pl->shape, e) == 0)
        pl->data_known = true;
    else if (train)
        return EXIT_RUNTIME;
    else
        dataset_standard_shape(&rp->data, &pl->shape);
    long n = pl->shape.n_train;
    pl->n_val = dataset_val_count(n, rp->data.val_split);
    pl->n_fit = n - pl->n_val;
    if (rp->data.val_split > 0 && pl->n_val == 0) {
        /* Say where n comes from when it is not the files' own count. */
        const char *from = pl->data_known ? ""
                           : rp->data.train_limit > 0 ? " (data.train_limit)"
                                                      : ", the dataset's standard size";
        if (n < 2)
            return err_set_key(e, "data.val_split", "%ld training record%s%s cannot be split "
                               "(expected at least 2 records, or val_split = 0)", n,
                               n == 1 ? "" : "s", from), EXIT_USAGE;
        return err_set_key(e, "data.val_split", "holds out no record of %ld%s (expected a "
                           "fraction of at least 1/%ld, or 0 for no validation)", n, from, n),
               EXIT_USAGE;
    }
    if (train_check(&rp->train, &rp->model, pl->n_fit, e) < 0 ||
        sched_init(&pl->sched, &rp->sched, rp->optim.lr, train_epochs(&rp->train, pl->n_fit),
                   train_steps_per_epoch(&rp->train, pl->n_fit), rp->train.max_iterations, e) < 0)
        return EXIT_USAGE;
    pl->threads = threads > 0 && rp->train.threads == 0 ? threads : resolve_threads(&rp->train);
    if (train_plan_memory(rp, &pl->shape, pl->n_val, pl->threads, &pl->mem, e) < 0)
        return EXIT_USAGE;
    if (!train || force)
        return -1;
    const char *what;
    long long avail = util_memory_available(&what);
    if (avail >= 0 && pl->mem.total > (double)avail) {
        char need[512], have[32];
        memory_text(need, sizeof need, &pl->mem);
        util_format_bytes(have, sizeof have, (double)avail);
        return err_set(e, "%s: the run needs about %s but %s is available (%s); expected a "
                       "smaller model.hidden or train.batch_size, or --force to try anyway",
                       c->source[0] ? c->source : "config", need, have, what),
               EXIT_USAGE;
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
        return cli_fail(c, EXIT_USAGE, &e, NULL);
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
        return cli_fail(c, EXIT_USAGE, &e, NULL);
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

/* Chooses, creates and claims the run directory: o->run_dir as given (refused, exit 2,
 * when it already holds a run), else output.dir/output.name with -2, -3, ... appended
 * until a new directory is made. Returns -1 when claimed, else the exit code with e. */
static int make_run_dir(const RunOpts *o, const Config *c, char *dir, size_t size, Err *e)
{
    const RunParams *rp = &c->run;
    if (o->run_dir) {
        if (util_strlcpy(dir, o->run_dir, size) < 0)
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
    if (util_mkdirs(rp->output.dir, e) < 0) {
        util_strlcpy(e->key, "output.dir", sizeof e->key); /* say where it was set */
        return EXIT_RUNTIME;
    }
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

/* The live line of a run: "LABEL epoch 3/10 iter 1234/4690 loss 0.3412 val 0.9123
 * 12345 samples/s ETA 1m02s". */
static void show_progress(void *ctx, const TrainProgress *p)
{
    const RunOpts *o = ctx;
    char line[512], eta[32], val[32] = "";
    progress_format_duration(eta, sizeof eta, p->eta);
    if (p->last_val_acc == p->last_val_acc)
        snprintf(val, sizeof val, " val acc %.4f", p->last_val_acc);
    snprintf(line, sizeof line, "%sepoch %ld/%ld iter %ld/%ld loss %.4f%s %.0f samples/s ETA %s",
             o->label ? o->label : "", p->epoch, p->n_epochs, p->iteration, p->total_iterations,
             p->loss, val, p->samples_per_second, eta);
    progress_slot(o->progress, o->progress_slot, line);
}

/* Write-locks dir/config.ini for as long as *held stays open (the process's life at
 * most), so a second process never writes into a run directory in use. A POSIX record
 * lock: the system releases it when the process dies, even by kill -9, and drops it when
 * the process closes any descriptor of the file, so nothing else opens config.ini while a
 * run holds it. Returns 0 (held, or the file system has no locks), or the exit code with
 * e when another process holds the run. */
static int lock_run(const char *dir, FILE **held, Err *e)
{
    char path[PARAMS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/config.ini", dir);
    *held = fopen(path, "r+b");
    if (!*held)
        return err_set(e, "cannot open '%s': %s", path, strerror(errno)), EXIT_RUNTIME;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fcntl(fileno(*held), F_SETLK, &fl) == 0)
        return 0;
    if (errno != EACCES && errno != EAGAIN)
        return 0; /* no locks here (some network file systems): go on unguarded */
    struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    char pid[48] = "another process";
    if (fcntl(fileno(*held), F_GETLK, &who) == 0 && who.l_type != F_UNLCK)
        snprintf(pid, sizeof pid, "process %ld", (long)who.l_pid);
    fclose(*held);
    *held = NULL;
    return err_set(e, "%s: %s is running this run now; wait for it to end (or stop it) before "
                   "continuing the run", dir, pid), EXIT_USAGE;
}

/* Builds the model and the optimizer of run c as a fresh run starts them. */
static int build_model(const Config *c, const Dataset *train, int max_rows, Gemm *gemm,
                       Pool *pool, Model *m, Optim *o, Err *e)
{
    const RunParams *rp = &c->run;
    Rng init_rng;
    rng_seed(&init_rng, rp->train.seed, RNG_STREAM_INIT);
    if (model_init(m, &rp->model, train->dim, train->n_classes, max_rows, gemm, pool, &init_rng,
                   e) < 0)
        return -1;
    optim_init(o, &rp->optim, m->n_params, pool);
    return 0;
}

int cli_run(const RunOpts *o, const Config *c, Plan *pl)
{
    const RunParams *rp = &c->run;
    FILE *log = o->log;
    const char *prefix = o->prefix ? o->prefix : "";
    Err e;
    int code = EXIT_RUNTIME;
    Dataset train = {0}, test = {0};
    DataSplit split = {0};
    Model m = {0};
    Optim o2 = {0};
    Pool *pool = NULL;
    Gemm *gemm = NULL;
    FILE *lock = NULL;
    TrainState resume = {0};
    long *confusion = NULL;
    char dir[PARAMS_PATH_MAX + 16];
    char path[PARAMS_PATH_MAX + 32];
    char rows_path[PARAMS_PATH_MAX + 32];
    char ckpt_path[PARAMS_PATH_MAX + 32];
    char name[PARAMS_PATH_MAX + 16];

    if (dataset_load(&train, &test, &rp->data, &e) < 0)
        goto out_err;
    if (test.n < 1) {
        err_set(&e, "%s: the test set is empty", rp->data.path);
        goto out_err;
    }
    ClassNames names;
    if (dataset_class_names(&names, &rp->data, &e) < 0)
        goto out_err;
    Rng split_rng;
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
    if (build_model(c, &train, max_rows, gemm, pool, &m, &o2, &e) < 0) {
        code = EXIT_USAGE;
        goto out_err;
    }
    TrainData td = {&train, &test, &split, &nz};
    uint64_t hash = config_result_hash(c);

    bool resumed = false;
    if (o->resume) {
        util_strlcpy(dir, o->run_dir, sizeof dir);
        if ((code = lock_run(dir, &lock, &e)) != 0)
            goto out_err;
        code = EXIT_RUNTIME;
        snprintf(ckpt_path, sizeof ckpt_path, "%s/%s", dir, CLI_CHECKPOINT);
        snprintf(rows_path, sizeof rows_path, "%s/epochs.csv", dir);
        Sched fresh = pl->sched;
        int rc = train_load_checkpoint(&resume, ckpt_path, hash, &rp->train, &td, &m, &o2,
                                       &pl->sched, rows_path, &e);
        if (rc < 0 && !o->restart) {
            code = rc == -2 ? EXIT_USAGE : EXIT_RUNTIME;
            goto out_err;
        }
        if (rc < 0) {
            /* Loading wrote into the model, optimizer and schedule: start them again. */
            if (log)
                fprintf(log, "%smlptrain: %s: cannot continue from the checkpoint (%s); "
                        "starting the run again\n", prefix, dir, e.msg);
            fclose(lock);
            lock = NULL;
            optim_free(&o2);
            model_free(&m);
            pl->sched = fresh;
            if (sweep_clear_dir(dir, &e) < 0 ||
                build_model(c, &train, max_rows, gemm, pool, &m, &o2, &e) < 0)
                goto out_err;
        } else {
            resumed = true;
            /* The run is under way again: its old result is no longer its result. */
            snprintf(path, sizeof path, "%s/result.csv", dir);
            if (remove(path) != 0 && errno != ENOENT) {
                err_set(&e, "cannot remove '%s': %s", path, strerror(errno));
                goto out_err;
            }
        }
    }
    if (!resumed) {
        if ((code = make_run_dir(o, c, dir, sizeof dir, &e)) >= 0)
            goto out_err;
        if ((code = lock_run(dir, &lock, &e)) != 0)
            goto out_err;
        code = EXIT_RUNTIME;
        snprintf(ckpt_path, sizeof ckpt_path, "%s/%s", dir, CLI_CHECKPOINT);
        snprintf(rows_path, sizeof rows_path, "%s/epochs.csv", dir);
    }
    cli_catch_signals();
    util_strlcpy(name, base_name(dir), sizeof name);
    if (!resumed && write_summary(dir, &m, pl, &rp->train, &e) < 0)
        goto out_err;
    if (log) {
        char mem[32];
        util_format_bytes(mem, sizeof mem, pl->mem.total);
        fprintf(log, "%smlptrain: %s: %d train / %d val / %d test records, %zu params, about %s "
                "of memory, %d thread%s, %s kernels -> %s\n", prefix,
                params_dataset_names[rp->data.dataset], split.n_train, split.n_val, test.n,
                m.n_params, mem, threads, threads == 1 ? "" : "s",
                gemm_path_names[gemm_path(gemm)], dir);
        if (resumed)
            fprintf(log, "%smlptrain: continuing %s from its checkpoint: epoch %ld, iteration "
                    "%ld of %ld\n", prefix, dir, resume.epoch, resume.iteration,
                    train_total_steps(&rp->train, split.n_train));
    }

    int n_classes = train.n_classes;
    confusion = xcalloc((size_t)n_classes * n_classes, sizeof *confusion);
    TrainIO io = {.log = o->epoch_lines ? log : NULL, .prefix = prefix, .stop = &cli_stop_signal,
                  .epochs_csv = rows_path, .progress = o->progress ? show_progress : NULL,
                  .progress_ctx = (void *)o, .checkpoint = ckpt_path, .config_hash = hash,
                  .resume = resumed ? &resume : NULL, .confusion = confusion};
    TrainResult r;
    int trc = train_run(&rp->train, &td, &m, &o2, &pl->sched, &io, &r, &e);
    progress_slot(o->progress, o->progress_slot, "");
    if (trc < 0)
        goto out_err;
    /* The model and its confusion matrix before result.csv: a run whose result.csv says
     * it finished has every file. */
    ModelOrigin origin = {.epoch = r.weights_epoch, .best = r.restored, .config_hash = hash};
    util_strlcpy(origin.dataset, params_dataset_names[rp->data.dataset], sizeof origin.dataset);
    snprintf(path, sizeof path, "%s/model.bin", dir);
    if (model_save(&m, &origin, path, &e) < 0)
        goto out_err;
    if (train_write_confusion(dir, confusion, &names, &e) < 0)
        goto out_err;
    snprintf(path, sizeof path, "%s/result.csv", dir);
    if (train_write_result(path, rp, name, threads, &m, &r, &e) < 0)
        goto out_err;
    char title[PARAMS_PATH_MAX + 256], hidden[PARAMS_MAX_HIDDEN * 12 + 1] = "";
    size_t len = 0;
    for (int i = 0; i < rp->model.n_hidden; i++)
        len += (size_t)snprintf(hidden + len, sizeof hidden - len, "%s%d", i ? "-" : "",
                                rp->model.hidden[i]);
    snprintf(title, sizeof title, "%s: %s, hidden %s, %s lr=%g, %s schedule (%s)", name,
             params_dataset_names[rp->data.dataset], rp->model.n_hidden ? hidden : "none",
             params_optim_names[rp->optim.optimizer], rp->optim.lr,
             params_sched_names[rp->sched.type], train_status_names[r.status]);
    if (report_run_curves(dir, title, &e) < 0)
        goto out_err;
    if (log) {
        char stop[96] = "";
        if (r.stopped_epoch > 0)
            snprintf(stop, sizeof stop, ", stopped early at epoch %ld", r.stopped_epoch);
        if (r.restored)
            snprintf(stop + strlen(stop), sizeof stop - strlen(stop), ", best epoch %ld's weights",
                     r.best_epoch);
        fprintf(log, "%smlptrain: %s: test acc %.4f loss %.4f%s, %.2fs training -> %s\n", prefix,
                train_status_names[r.status], r.test_acc, r.test_loss, stop, r.train_seconds, dir);
        if (r.status == RUN_INTERRUPTED)
            fprintf(log, "%smlptrain: continue it with: mlptrain --resume %s\n", prefix, dir);
    }
    code = r.status == RUN_INTERRUPTED ? 128 + (int)cli_stop_signal : EXIT_OK;
    goto out;
out_err:
    cli_fail(c, code, &e, o->context);
out:
    if (lock)
        fclose(lock);
    free(confusion);
    train_state_free(&resume);
    optim_free(&o2);
    model_free(&m);
    gemm_free(gemm);
    pool_free(pool);
    dataset_split_free(&split);
    dataset_free(&test);
    dataset_free(&train);
    return code;
}

/* One run, or --summary / --print-config / --print-schedule of it. */
static int single(const Cli *cli)
{
    Config c;
    config_init(&c);
    Err e;
    int code = cli_load(cli, &c, false);
    if (code < 0 && config_has_sweep(&c)) {
        fprintf(stderr, "mlptrain: %s: the config has a [sweep] section; run it with 'mlptrain "
                "sweep %s' (or one of its runs with --index I)\n", c.source, c.source);
        code = EXIT_USAGE;
    }
    if (code < 0 && config_finish(&c, &e) < 0)
        code = fail(EXIT_USAGE, &e);
    Plan plan;
    if (code < 0 && (code = cli_plan(&c, cli->mode == MODE_TRAIN, cli->force, 0, &plan, &e)) >= 0)
        cli_fail(&c, code, &e, NULL);
    if (code < 0) {
        Progress *pr = NULL;
        bool live = !cli->quiet && progress_is_terminal(stderr);
        RunOpts o = {.run_dir = cli->run_dir, .log = cli->quiet ? NULL : stderr,
                     .epoch_lines = !live};
        switch (cli->mode) {
        case MODE_PRINT_CONFIG: config_print(&c, stdout); code = EXIT_OK; break;
        case MODE_SUMMARY: code = print_summary(&c, &plan); break;
        case MODE_PRINT_SCHEDULE: code = print_schedule(&c, &plan); break;
        case MODE_TRAIN:
            if (live) {
                pr = progress_create(stderr, 1, 0, 1);
                o.progress = pr;
            }
            code = cli_run(&o, &c, &plan);
            progress_free(pr);
            break;
        }
    }
    config_free(&c);
    return code;
}

/* The key of a "section.key=value" assignment, into buf. */
static void assignment_key(const char *assignment, char *buf, size_t n)
{
    size_t len = strcspn(assignment, "=");
    if (len >= n)
        len = n - 1;
    memcpy(buf, assignment, len);
    buf[len] = '\0';
    while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
        buf[--len] = '\0';
}

static bool changes_no_result(const char *key)
{
    return !config_key_affects_results(key);
}

static bool names_test_set(const char *key)
{
    static const char *const keys[] = {"data.path", "data.dataset", "data.test_limit",
                                       "train.threads"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

/* Loads dir/config.ini (finished) with the --set options, each of which must name a key
 * allowed(key) accepts; a refused one gets why and the list of the accepted keys. Returns
 * -1 to go on, else the exit code (printed). */
static int load_run_config(const Cli *cli, const char *dir, Config *c, bool (*allowed)(const char *),
                           const char *why)
{
    Err e;
    char path[PARAMS_PATH_MAX + 32];
    if (util_is_dir(dir) != 1) {
        fprintf(stderr, "mlptrain: %s: not a run directory (expected the directory a run wrote)\n",
                dir);
        return EXIT_USAGE;
    }
    snprintf(path, sizeof path, "%s/config.ini", dir);
    if (util_file_size(path, NULL) < 0) {
        fprintf(stderr, "mlptrain: %s: not a run directory (it holds no config.ini)\n", dir);
        return EXIT_USAGE;
    }
    if (config_load_file(c, path, &e) < 0)
        return fail(EXIT_USAGE, &e);
    for (int i = 0; i < cli->n_sets; i++) {
        char key[128];
        if (cli->is_threads[i])
            snprintf(key, sizeof key, "train.threads");
        else
            assignment_key(cli->sets[i], key, sizeof key);
        if (config_locate(c, key, path, sizeof path) == 0 && !allowed(key)) {
            char list[1024] = "";
            const char *section, *name, *def;
            for (int k = 0; config_key_info(k, &section, &name, &def) == 0; k++) {
                char full[128];
                snprintf(full, sizeof full, "%s.%s", section, name);
                if (allowed(full))
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                             list[0] ? ", " : "", full);
            }
            fprintf(stderr, "mlptrain: --set %s: %s, so only %s may be set\n", cli->sets[i], why,
                    list);
            return EXIT_USAGE;
        }
        if (cli_set(cli, i, c, &e) < 0)
            return fail(EXIT_USAGE, &e);
    }
    if (config_has_sweep(c)) {
        fprintf(stderr, "mlptrain: %s/config.ini: has a [sweep] section; a run's config.ini has "
                "none\n", dir);
        return EXIT_USAGE;
    }
    if (config_finish(c, &e) < 0)
        return fail(EXIT_USAGE, &e);
    return -1;
}

/* --resume RUN_DIR: the run continues in place from its checkpoint. */
static int resume_command(const Cli *cli)
{
    const char *dir = cli->resume_dir;
    char why[PARAMS_PATH_MAX + 256];
    snprintf(why, sizeof why, "a continued run keeps the config it started with (%s/config.ini): "
             "its results must be those of the uninterrupted run", dir);
    Config c;
    config_init(&c);
    int code = load_run_config(cli, dir, &c, changes_no_result, why);
    if (code < 0) {
        SweepStatus st = sweep_dir_status(dir);
        char path[PARAMS_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/%s", dir, CLI_CHECKPOINT);
        if (sweep_finished(st)) {
            fprintf(stderr, "mlptrain: %s: the run is finished (status %s in result.csv); there "
                    "is nothing to continue\n", dir, sweep_status_names[st]);
            code = EXIT_USAGE;
        } else if (util_file_size(path, NULL) < 0) {
            fprintf(stderr, "mlptrain: %s: no %s to continue from (a run writes one when a "
                    "signal stops it, at its end, and every train.checkpoint_every epochs); "
                    "start the run again instead\n", dir, CLI_CHECKPOINT);
            code = EXIT_USAGE;
        }
    }
    Err e;
    Plan plan;
    if (code < 0 && (code = cli_plan(&c, true, cli->force, 0, &plan, &e)) >= 0)
        cli_fail(&c, code, &e, NULL);
    if (code < 0) {
        bool live = !cli->quiet && progress_is_terminal(stderr);
        RunOpts o = {.run_dir = dir, .resume = true, .log = cli->quiet ? NULL : stderr,
                     .epoch_lines = !live};
        Progress *pr = live ? progress_create(stderr, 1, 0, 1) : NULL;
        o.progress = pr;
        code = cli_run(&o, &c, &plan);
        progress_free(pr);
    }
    config_free(&c);
    return code;
}

/* A number as result.csv spells it (csv_double: %.9g, nan and inf by name). */
static void number_text(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "nan");
    else if (isinf(v))
        snprintf(buf, n, "%s", v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, n, "%.9g", v);
}

/* Whether paths a and b name the same directory. */
static bool same_dir(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* eval RUN_DIR: the run's model.bin on its test set (or the one --set names). */
static int eval_command(const Cli *cli)
{
    const char *dir = cli->paths[0];
    Err e;
    Config c, own;
    config_init(&c);
    config_init(&own);
    Dataset test = {0};
    Model m = {0};
    CkptFile f = {0};
    Pool *pool = NULL;
    Gemm *gemm = NULL;
    long *confusion = NULL;
    char path[PARAMS_PATH_MAX + 64], out[PARAMS_PATH_MAX + 16];
    Cli bare = *cli;
    bare.n_sets = 0;
    int code = load_run_config(cli, dir, &c,  names_test_set, "eval evaluates the saved model as "
                               "it was trained");
    if (code < 0)
        code = load_run_config(&bare, dir, &own, names_test_set, "");
    if (code >= 0)
        goto out;
    code = EXIT_RUNTIME;
    const RunParams *rp = &c.run;
    snprintf(path, sizeof path, "%s/model.bin", dir);
    ModelParams mp;
    ModelOrigin origin;
    int n_in, n_classes;
    if (ckpt_read(&f, path, CKPT_MODEL, &e) < 0 ||
        model_file_shape(&f, &mp, &n_in, &n_classes, &origin, &e) < 0)
        goto out_err;
    if (origin.config_hash != config_result_hash(&own)) {
        err_set(&e, "%s: written by a run of another config than %s/config.ini (the file or "
                "the directory was changed); expected a run directory as a run left it", path, dir);
        code = EXIT_USAGE;
        goto out_err;
    }
    if (dataset_load_test(&test, &rp->data, &e) < 0)
        goto out_err;
    if (test.n < 1) {
        err_set(&e, "%s: the test set is empty", rp->data.path);
        goto out_err;
    }
    if (test.dim != n_in || test.n_classes != n_classes) {
        err_set(&e, "%s: %s records have %d values in %d classes, but the model takes %d "
                "values in %d classes (expected a dataset like the one it was trained on, %s)",
                rp->data.path, params_dataset_names[rp->data.dataset], test.dim, test.n_classes,
                n_in, n_classes, origin.dataset);
        code = EXIT_USAGE;
        goto out_err;
    }
    ClassNames names;
    if (dataset_class_names(&names, &rp->data, &e) < 0)
        goto out_err;
    int threads = resolve_threads(&rp->train);
    GemmPath kernels;
    if (threads > 1 && !(pool = pool_create(threads))) {
        err_set(&e, "cannot start %d threads", threads);
        goto out_err;
    }
    if (gemm_path_from_env(&kernels, &e) < 0 || !(gemm = gemm_create(pool, kernels, &e))) {
        code = EXIT_USAGE;
        goto out_err;
    }
    int batch = rp->train.eval_batch_size < test.n ? (int)rp->train.eval_batch_size : test.n;
    Rng unused;
    rng_seed(&unused, 0, RNG_STREAM_INIT);
    if (model_init(&m, &mp, n_in, n_classes, batch, gemm, pool, &unused, &e) < 0 ||
        model_file_weights(&f, &m, &e) < 0)
        goto out_err;
    ckpt_file_free(&f);
    Normalizer nz;
    dataset_normalizer(&nz, &test, &rp->data);
    confusion = xcalloc((size_t)n_classes * n_classes, sizeof *confusion);
    double loss, acc;
    train_evaluate(&m, &test, &nz, batch, (float)rp->train.label_smoothing, confusion, &loss,
                   &acc);

    if (cli->run_dir)
        util_strlcpy(out, cli->run_dir, sizeof out);
    else
        snprintf(out, sizeof out, "%s/eval", dir);
    if (util_mkdirs(out, &e) < 0)
        goto out_err;
    if (same_dir(out, dir)) {
        err_set(&e, "-o %s: the run directory itself; eval never overwrites the run's own "
                "confusion.csv (expected another directory, or none for %s/eval)", out, dir);
        code = EXIT_USAGE;
        goto out_err;
    }
    if (train_write_confusion(out, confusion, &names, &e) < 0)
        goto out_err;
    static const char *const cols[] = {"run", "weights", "epoch", "dataset", "path", "records",
                                       "test_loss", "test_acc"};
    snprintf(path, sizeof path, "%s/eval.csv", out);
    AtomicFile af;
    if (util_atomic_open(&af, path, &e) < 0)
        goto out_err;
    CsvWriter w;
    csv_attach(&w, af.f, cols, (int)(sizeof cols / sizeof cols[0]));
    csv_str(&w, dir);
    csv_str(&w, origin.best ? "best" : "last");
    csv_long(&w, origin.epoch);
    csv_str(&w, params_dataset_names[rp->data.dataset]);
    csv_str(&w, rp->data.path);
    csv_long(&w, test.n);
    csv_double(&w, loss);
    csv_double(&w, acc);
    csv_end_row(&w, NULL);
    csv_close(&w, NULL);
    if (util_atomic_commit(&af, &e) < 0)
        goto out_err;
    char lt[32], at[32];
    number_text(lt, sizeof lt, loss);
    number_text(at, sizeof at, acc);
    printf("records %d\ntest_loss %s\ntest_acc %s\n", test.n, lt, at);
    if (!cli->quiet)
        fprintf(stderr, "mlptrain: eval: %s/model.bin (epoch %ld, %s weights) on %s in %s: %d "
                "records, test acc %.4f loss %.4f -> %s\n", dir, origin.epoch,
                origin.best ? "best" : "last", params_dataset_names[rp->data.dataset],
                rp->data.path, test.n, acc, loss, out);
    code = EXIT_OK;
    goto out;
out_err:
    cli_fail(&c, code, &e, NULL);
out:
    free(confusion);
    ckpt_file_free(&f);
    model_free(&m);
    gemm_free(gemm);
    pool_free(pool);
    dataset_free(&test);
    config_free(&own);
    config_free(&c);
    return code;
}

int main(int argc, char **argv)
{
    Cli cli;
#ifdef SIGPIPE
    signal(SIGPIPE, SIG_IGN);
#endif
#ifdef SIGXFSZ
    signal(SIGXFSZ, SIG_IGN); /* a file-size limit is a failed write, like a full disk */
#endif
    int code = parse_args(argc, argv, &cli);
    if (code >= 0)
        return code;
    switch (cli.cmd) {
    case CMD_RUN: return cli.resume_dir ? resume_command(&cli) : single(&cli);
    case CMD_EVAL: return eval_command(&cli);
    case CMD_SWEEP: return study_sweep(&cli);
    case CMD_COLLECT: return study_collect(&cli);
    }
    return EXIT_USAGE;
}
