/* main.c - the command line and nothing else: an option table, argv parsed into a Cli,
 * help, version, and one command table whose handlers call run.c (a run, --resume, eval)
 * and study.c (sweep, collect). It owns the process's signal handlers: the first
 * SIGINT/SIGTERM/SIGHUP sets the stop flag it hands to runs and sweeps. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "csv.h"
#include "gemm.h"
#include "progress.h"
#include "run.h"
#include "study.h"
#include "util.h"

#define MLPTRAIN_VERSION "0.1.0"

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
 * at all: the lost log lines are the only loss. Armed once a run holds its directory (or a
 * sweep starts its runs): before that a signal ends the process at once. */
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

typedef enum { MODE_TRAIN, MODE_SUMMARY, MODE_PRINT_CONFIG, MODE_PRINT_SCHEDULE } Mode;

#define CLI_MAX_PATHS 4096

/* What argv asked. */
typedef struct {
    int cmd;                           /* row of commands[] */
    Mode mode;
    const char *config_path;
    int n_paths;                       /* collect: the directories; eval: the run directory */
    const char *paths[CLI_MAX_PATHS];
    int n_overrides;                   /* --set, --threads and --sweep, in order */
    ConfigOverride overrides[CONFIG_MAX_OVERRIDES + SWEEP_MAX_AXES];
    int n_sets, n_sweeps;              /* of them, counted against their limits */
    const char *run_dir;               /* -o: the run (or sweep, collect or eval output)
                                        * directory */
    const char *resume_dir;            /* --resume: the run to continue */
    bool quiet;
    bool force;                        /* run even when the memory estimate exceeds what is free */
    long jobs;                         /* sweep: runs at once */
    bool list, status;                 /* sweep --list, --status */
    long index;                        /* sweep --index, -1 = none */
    long max_points;                   /* sweep: most runs allowed */
    int argc;                          /* the command as typed (sweep records it) */
    char *const *argv;
} Cli;

static int run_command(const Cli *cli);
static int sweep_command(const Cli *cli);
static int collect_command(const Cli *cli);
static int eval_command(const Cli *cli);

/* What the words after "mlptrain [COMMAND]" are. */
typedef enum { ARGS_CONFIG, ARGS_DIRS, ARGS_ONE_DIR } Positional;

/* The commands: the first word of argv names one (a run has none). An option's `commands`
 * mask has bit i for row i. */
static const struct {
    const char *name;        /* NULL: a run, no word */
    const char *what;        /* in messages: "option '--jobs' is not for a run" */
    Positional args;
    int (*handler)(const Cli *cli);
} commands[] = {
    {NULL, "a run", ARGS_CONFIG, run_command},
    {"sweep", "mlptrain sweep", ARGS_CONFIG, sweep_command},
    {"collect", "mlptrain collect", ARGS_DIRS, collect_command},
    {"eval", "mlptrain eval", ARGS_ONE_DIR, eval_command},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

typedef enum {
    OPT_HELP, OPT_HELP_CONFIG, OPT_VERSION, OPT_SUMMARY, OPT_PRINT_CONFIG, OPT_PRINT_SCHEDULE,
    OPT_QUIET, OPT_SET, OPT_THREADS, OPT_OUTPUT, OPT_FORCE, OPT_SWEEP, OPT_JOBS, OPT_LIST,
    OPT_STATUS, OPT_INDEX, OPT_MAX_POINTS, OPT_RESUME
} OptId;

enum { FOR_RUN = 1, FOR_SWEEP = 2, FOR_COLLECT = 4, FOR_EVAL = 8, FOR_ALL = 15 };

static const struct {
    const char *name, *alias;
    bool has_value;
    OptId id;
    unsigned commands;       /* FOR_*: bit i for commands[i], where the option means something */
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
    if (gemm_path_from_env(&kernels, &e) < 0) {
        fprintf(stderr, "mlptrain: %s\n", e.msg);
        return EXIT_USAGE;
    }
    printf("mlptrain %s\nkernels:", MLPTRAIN_VERSION);
    for (int p = GEMM_GENERIC; gemm_path_names[p]; p++)
        if (gemm_path_supported((GemmPath)p))
            printf(" %s", gemm_path_names[p]);
    Gemm *g = gemm_create(NULL, kernels, &e);
    printf(" (in use: %s)\n", gemm_path_names[gemm_path(g)]);
    gemm_free(g);
    return EXIT_OK;
}

/* A word that is not an option: the config file, or a directory, as the command takes. */
static int positional(Cli *cli, const char *a)
{
    switch (commands[cli->cmd].args) {
    case ARGS_DIRS:
        if (cli->n_paths == CLI_MAX_PATHS)
            return usage_error("more than %d directories given", CLI_MAX_PATHS);
        cli->paths[cli->n_paths++] = a;
        return -1;
    case ARGS_ONE_DIR:
        if (cli->n_paths == 1)
            return usage_error("eval: one run directory, not two ('%s' and '%s')", cli->paths[0],
                               a);
        cli->paths[cli->n_paths++] = a;
        return -1;
    case ARGS_CONFIG:
        if (cli->config_path)
            return usage_error("more than one config file given ('%s' and '%s')",
                               cli->config_path, a);
        cli->config_path = a;
        return -1;
    }
    return -1;
}

/* Adds an override of this kind; counted against its own limit. */
static int add_override(Cli *cli, ConfigOverrideKind kind, const char *value)
{
    if (kind == CONFIG_SWEEP) {
        if (cli->n_sweeps == SWEEP_MAX_AXES)
            return usage_error("too many --sweep options (at most %d)", SWEEP_MAX_AXES);
        cli->n_sweeps++;
    } else {
        if (cli->n_sets == CONFIG_MAX_OVERRIDES)
            return usage_error("too many --set options (at most %d)", CONFIG_MAX_OVERRIDES);
        cli->n_sets++;
    }
    cli->overrides[cli->n_overrides++] = (ConfigOverride){kind, value};
    return -1;
}

/* Parses argv into cli. Returns -1 to go on, else the exit code (help, version, or an
 * error already printed). */
static int parse_args(int argc, char **argv, Cli *cli)
{
    int mode_given = 0, first = 1;
    memset(cli, 0, sizeof *cli);
    cli->index = -1;
    cli->jobs = 1;
    cli->max_points = SWEEP_MAX_POINTS;
    cli->argc = argc;
    cli->argv = argv;
    for (int c = 0; argc > 1 && c < N_COMMANDS; c++)
        if (commands[c].name && strcmp(argv[1], commands[c].name) == 0) {
            cli->cmd = c;
            first = 2;
        }
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char *value;
        int k = find_option(a, &value);
        int rc = -1;
        if (k < 0) {
            if (a[0] == '-' && a[1] != '\0')
                return usage_error("unknown option '%s'", a);
            if ((rc = positional(cli, a)) >= 0)
                return rc;
            continue;
        }
        if (options[k].has_value && !value) {
            if (i + 1 >= argc)
                return usage_error("option '%s' needs a value", a);
            value = argv[++i];
        }
        if (!(options[k].commands & (1u << cli->cmd)))
            return usage_error("option '%s' is not for %s", a, commands[cli->cmd].what);
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
            cli->quiet = true;
            break;
        case OPT_SET:
            rc = add_override(cli, CONFIG_SET, value);
            break;
        case OPT_THREADS:
            /* Through the config table, so the same range check applies. */
            rc = add_override(cli, CONFIG_THREADS, value);
            break;
        case OPT_SWEEP:
            rc = add_override(cli, CONFIG_SWEEP, value);
            break;
        case OPT_OUTPUT:
            if (!*value)
                return usage_error("option '%s' needs a directory", a);
            cli->run_dir = value;
            break;
        case OPT_FORCE:
            cli->force = true;
            break;
        case OPT_JOBS:
            rc = count_option(a, value, 1024, &cli->jobs);
            break;
        case OPT_LIST:
            cli->list = true;
            break;
        case OPT_STATUS:
            cli->status = true;
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
    if (commands[cli->cmd].args != ARGS_CONFIG && cli->n_paths == 0)
        return usage_error(commands[cli->cmd].args == ARGS_DIRS ? "collect: no directory given"
                                                                : "eval: no run directory given");
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
    if (commands[cli->cmd].args == ARGS_CONFIG && !cli->config_path &&
        cli->mode != MODE_PRINT_CONFIG)
        return usage_error("no config file given");
    return -1;
}

/* How a run reports: quiet, a live line on a terminal, or a line per evaluation row. */
static RunOpts run_opts(const Cli *cli, Progress **pr)
{
    bool live = !cli->quiet && progress_is_terminal(stderr);
    *pr = live ? progress_create(stderr, 1, 0, 1) : NULL;
    return (RunOpts){.log = cli->quiet ? NULL : stderr, .epoch_lines = !live, .progress = *pr,
                     .stop = &stop_signal, .on_claimed = catch_signals};
}

/* --resume RUN_DIR: the run continues in place from its checkpoint. */
static int resume_command(const Cli *cli)
{
    Config c;
    config_init(&c);
    Err e;
    Progress *pr;
    RunOpts o = run_opts(cli, &pr);
    int code = run_resume(cli->resume_dir, cli->overrides, cli->n_overrides, cli->force, &o, &c,
                          NULL, &e);
    if (code != EXIT_OK && code <= 128)
        run_fail(&c, code, &e, NULL);
    progress_free(pr);
    config_free(&c);
    return code;
}

/* One run, or --summary / --print-config / --print-schedule of it. */
static int run_command(const Cli *cli)
{
    if (cli->resume_dir)
        return resume_command(cli);
    Config c;
    config_init(&c);
    Err e;
    int code = -1;
    if (config_load(&c, cli->config_path, cli->overrides, cli->n_overrides, false, &e) < 0)
        code = run_fail(&c, EXIT_USAGE, &e, NULL);
    if (code < 0 && sweep_has(&c.sweep)) {
        fprintf(stderr, "mlptrain: %s: the config has a [sweep] section; run it with 'mlptrain "
                "sweep %s' (or one of its runs with --index I)\n", c.source, c.source);
        code = EXIT_USAGE;
    }
    if (code < 0 && config_finish(&c, &e) < 0)
        code = run_fail(&c, EXIT_USAGE, &e, NULL);
    RunPlan plan;
    if (code < 0 && (code = run_plan(&c, cli->mode == MODE_TRAIN, cli->force, 0, &plan, &e)) >= 0)
        run_fail(&c, code, &e, NULL);
    if (code < 0) {
        Progress *pr = NULL;
        RunOpts o;
        switch (cli->mode) {
        case MODE_PRINT_CONFIG:
            config_print(&c, stdout);
            code = EXIT_OK;
            break;
        case MODE_SUMMARY:
            code = run_print_summary(stdout, &c, &plan, &e);
            break;
        case MODE_PRINT_SCHEDULE:
            code = run_print_schedule(stdout, &c, &plan, &e);
            break;
        case MODE_TRAIN:
            o = run_opts(cli, &pr);
            o.run_dir = cli->run_dir;
            code = run_train(&o, &c, &plan, NULL, &e);
            progress_free(pr);
            break;
        }
        if (code != EXIT_OK && code <= 128)
            run_fail(&c, code, &e, NULL);
    }
    config_free(&c);
    return code;
}

/* eval RUN_DIR: the run's model.bin on its test set (or the one --set names). */
static int eval_command(const Cli *cli)
{
    Config c;
    config_init(&c);
    Err e;
    RunEval res;
    int code = run_eval(cli->paths[0], cli->overrides, cli->n_overrides, cli->run_dir,
                        cli->quiet ? NULL : stderr, &c, &res, &e);
    if (code == EXIT_OK) {
        char lt[32], at[32];
        csv_number_text(lt, sizeof lt, res.loss, 9); /* as result.csv spells it */
        csv_number_text(at, sizeof at, res.acc, 9);
        printf("records %d\ntest_loss %s\ntest_acc %s\n", res.records, lt, at);
    } else {
        run_fail(&c, code, &e, NULL);
    }
    config_free(&c);
    return code;
}

static int sweep_command(const Cli *cli)
{
    StudyOpts o = {.config_path = cli->config_path, .overrides = cli->overrides,
                   .n_overrides = cli->n_overrides, .dir = cli->run_dir, .quiet = cli->quiet,
                   .force = cli->force, .jobs = cli->jobs, .list = cli->list,
                   .status = cli->status, .index = cli->index, .max_points = cli->max_points,
                   .stop = &stop_signal, .catch_signals = catch_signals,
                   .argc = cli->argc, .argv = cli->argv};
    return study_sweep(&o);
}

static int collect_command(const Cli *cli)
{
    return study_collect(cli->paths, cli->n_paths, cli->run_dir, cli->quiet);
}

int main(int argc, char **argv)
{
    static Cli cli;
#ifdef SIGPIPE
    signal(SIGPIPE, SIG_IGN);
#endif
#ifdef SIGXFSZ
    signal(SIGXFSZ, SIG_IGN); /* a file-size limit is a failed write, like a full disk */
#endif
    int code = parse_args(argc, argv, &cli);
    if (code < 0)
        code = commands[cli.cmd].handler(&cli);
    /* What went to stdout (--print-config, --list, eval's numbers) is a result too. */
    errno = 0;
    if ((fflush(stdout) != 0 || ferror(stdout)) && code == EXIT_OK) {
        fprintf(stderr, "mlptrain: cannot write to standard output: %s\n",
                errno ? strerror(errno) : "write error");
        code = EXIT_RUNTIME;
    }
    return code;
}
