/* cli.h - private to the command line (main.c: options, single runs; study.c: the sweep
 * and collect commands). The only files that include config.h: below them every module
 * takes the plain structs of params.h. */
#ifndef MLPTRAIN_CLI_H
#define MLPTRAIN_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "dataset.h"
#include "progress.h"
#include "sched.h"
#include "train.h"
#include "util.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

typedef enum { CMD_RUN, CMD_SWEEP, CMD_COLLECT, CMD_EVAL } Command;
typedef enum { MODE_TRAIN, MODE_SUMMARY, MODE_PRINT_CONFIG, MODE_PRINT_SCHEDULE } Mode;

#define CLI_MAX_PATHS 4096

typedef struct {
    Command cmd;
    Mode mode;
    const char *config_path;
    int n_paths;                       /* collect: the directories; eval: the run directory */
    const char *paths[CLI_MAX_PATHS];
    int n_sets;                        /* --set and --threads, in order */
    const char *sets[CONFIG_MAX_OVERRIDES];
    bool is_threads[CONFIG_MAX_OVERRIDES]; /* sets[i] is a --threads value */
    int n_sweeps;
    const char *sweeps[CONFIG_MAX_AXES];
    const char *run_dir;               /* -o: the run (or sweep, collect or eval output)
                                        * directory */
    const char *resume_dir;            /* --resume: the run to continue */
    int quiet;
    int force;                         /* run even when the memory estimate exceeds what is free */
    long jobs;                         /* sweep: runs at once */
    int list, status;                  /* sweep --list, --status */
    long index;                        /* sweep --index, -1 = none */
    long max_points;                   /* sweep: most runs allowed */
} Cli;

/* Set by the SIGINT/SIGTERM/SIGHUP handler; training loops finish their batch and stop. */
extern volatile sig_atomic_t cli_stop_signal;
void cli_catch_signals(void);

/* Prints e once: "mlptrain: WHERE: section.key: message" when e names a key (WHERE is the
 * line or option that gave the key its value), else "mlptrain: message"; context, when not
 * NULL, is added in parentheses. Returns code. */
int cli_fail(const Config *c, int code, const Err *e, const char *context);

/* Loads cli->config_path into c (initialized) and applies --set, and --sweep when sweep is
 * true. Errors are printed; returns -1 to go on, else the exit code. */
int cli_load(const Cli *cli, Config *c, bool sweep);

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

/* Checks what the config (finished) and the data files' sizes decide: the hold-out, the
 * run length, the schedule over the whole run, the model's sizes and, for training
 * (train = true, unless force), the memory it needs. Without readable data files when not
 * training, the dataset's standard sizes stand in. threads > 0 replaces the config's
 * automatic thread count. Returns -1 to go on, else an exit code with e set (print it
 * with cli_fail). */
int cli_plan(const Config *c, bool train, bool force, int threads, Plan *pl, Err *e);

/* How to run one training run. */
typedef struct {
    const char *run_dir;     /* -o: this directory; NULL = output.dir/output.name(-k) */
    bool resume;             /* continue the run in run_dir from its checkpoint.bin */
    bool restart;            /* with resume: when the checkpoint cannot be used, say why,
                              * clear the run's files and start it again (a sweep's rerun) */
    FILE *log;               /* header and result lines; NULL = quiet */
    bool epoch_lines;        /* a line per evaluation row on log too */
    const char *prefix;      /* before each log line */
    Progress *progress;      /* live line (NULL = none), in slot progress_slot */
    int progress_slot;
    const char *label;       /* before the live line */
    const char *context;     /* added to error messages, e.g. "run 3 of 12: ..." */
} RunOpts;

/* Trains c (finished, planned) and writes its run directory, or continues the run there
 * (o->resume). Returns the exit code: 0 (ok or diverged), 1 runtime failure or a damaged
 * checkpoint, 2 config error or a checkpoint of another config, 128 + signal when
 * interrupted; errors are printed. */
int cli_run(const RunOpts *o, const Config *c, Plan *pl);

/* A run directory's checkpoint, which --resume and a sweep's rerun continue from. */
#define CLI_CHECKPOINT "checkpoint.bin"

/* The sweep and collect commands (study.c). */
int study_sweep(const Cli *cli);
int study_collect(const Cli *cli);

#endif
