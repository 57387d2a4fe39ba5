/* run.h - one run as a library: plan it (everything the config and the data files'
 * headers decide, before anything is loaded), claim and lock its directory, load its data,
 * build its model, train it afresh or continue it from its checkpoint, and write its
 * files; evaluate a saved model. Every function returns an exit code with an Err and
 * writes only to the streams its caller hands it. Not the command line (main.c) and not a
 * sweep (study.c): both call it, as the tests and the benchmark do. */
#ifndef MLPTRAIN_RUN_H
#define MLPTRAIN_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "dataset.h"
#include "progress.h"
#include "sched.h"
#include "train.h"
#include "util.h"

/* The exit codes every command returns; -1 means "go on" where a function says so. */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* Prints e about c on stderr once, as "mlptrain: " and config_error_text, and returns
 * code: the one way the commands report an error. */
int run_fail(const Config *c, int code, const Err *e, const char *context);

/* What a run will be, decided from the config and the data files' headers before anything
 * is loaded or allocated. */
typedef struct {
    DataShape shape;     /* records after the limits, features, classes */
    bool data_known;     /* shape from the files' headers, not the dataset's standard sizes */
    long n_val, n_fit;   /* held out for validation, left for training */
    int threads;
    Sched sched;         /* initialized and checked for n_fit training records */
    MemPlan mem;
} RunPlan;

/* Checks what the config (finished) and the data files' sizes decide: the hold-out, the
 * run length, the schedule over the whole run, the model's sizes and, for training
 * (train = true, unless force), the memory it needs. Without readable data files when not
 * training, the dataset's standard sizes stand in. threads > 0 replaces the config's
 * automatic thread count. Returns -1 to go on, else an exit code with e set. */
int run_plan(const Config *c, bool train, bool force, int threads, RunPlan *pl, Err *e);

/* --summary: the model table (from the layout alone: nothing is allocated for parameters,
 * so a model too large to train can still be described) and the memory estimate.
 * --print-schedule: the learning rate of every epoch (or iteration) as CSV. Both return
 * EXIT_OK, or an exit code with e. */
int run_print_summary(FILE *f, const Config *c, const RunPlan *pl, Err *e);
int run_print_schedule(FILE *f, const Config *c, const RunPlan *pl, Err *e);

/* How to run one training run. */
typedef struct {
    const char *run_dir;     /* this directory; NULL = output.dir/output.name(-k) */
    bool resume;             /* continue the run in run_dir from its checkpoint.bin */
    bool restart;            /* with resume: when the checkpoint cannot be used, say why on
                              * log, clear the run's files and start it again (a sweep's
                              * rerun) */
    FILE *log;               /* header and result lines; NULL = quiet */
    bool epoch_lines;        /* a line per evaluation row on log too */
    const char *prefix;      /* before each log line */
    Progress *progress;      /* live line (NULL = none), in slot progress_slot */
    int progress_slot;
    const char *label;       /* before the live line */
    volatile sig_atomic_t *stop; /* non-zero (a signal's number): finish the batch,
                              * evaluate, write the files, return 128 + it; NULL = never */
    void (*on_claimed)(void); /* called once the run directory is held, before training
                              * (the command line arms its signal handlers there, so a
                              * signal before it ends the process at once); NULL = none */
    void (*on_step)(void *ctx, long iteration); /* after every optimizer step; NULL = none */
    void *step_ctx;
} RunOpts;

/* What a run gave. */
typedef struct {
    RunResult result;
    char dir[PARAMS_PATH_MAX + 16]; /* its directory */
} RunOutcome;

/* Trains c (finished, planned by run_plan) and writes its run directory, or continues the
 * run there (o->resume). Returns the exit code: EXIT_OK (ok or diverged), EXIT_RUNTIME (a
 * runtime failure or a damaged checkpoint), EXIT_USAGE (a config error, a directory
 * already holding a run, a checkpoint of another config), 128 + *o->stop when
 * interrupted; e is set for every code but EXIT_OK and 128 + signal. out (may be NULL)
 * receives the result and the directory whenever the run trained. */
int run_train(const RunOpts *o, const Config *c, RunPlan *pl, RunOutcome *out, Err *e);

/* Loads dir/config.ini (finished) into c (initialized by the caller, who frees it) with
 * the overrides ov[0..n), each of which must name a key allowed(key) accepts; a refused
 * one gets why and the list of the accepted keys. Returns -1 to go on, else the exit code
 * with e. */
int run_dir_config(const char *dir, const ConfigOverride *ov, int n,
                   bool (*allowed)(const char *key), const char *why, Config *c, Err *e);

/* --resume DIR: continues the run in dir from its checkpoint with its own config.ini,
 * which the overrides may change only where no result changes (output.*, train.threads,
 * train.checkpoint_every). c (initialized by the caller, who frees it) receives the
 * config, for placing errors. Returns as run_train. */
int run_resume(const char *dir, const ConfigOverride *ov, int n, bool force, const RunOpts *o,
               Config *c, RunOutcome *out, Err *e);

/* What an evaluation gave. */
typedef struct {
    int records;
    double loss, acc;
    char out[PARAMS_PATH_MAX + 16];  /* where its files went */
} RunEval;

/* eval DIR: dir's model.bin on its test set, or the one the overrides name (data.path,
 * data.dataset, data.test_limit; train.threads), into out_dir (NULL = dir/eval):
 * confusion.csv, per_class.csv and eval.csv. A line on log (NULL = none) says what was
 * evaluated. c (initialized by the caller, who frees it) receives the config. Returns
 * EXIT_OK with res filled, else an exit code with e. */
int run_eval(const char *dir, const ConfigOverride *ov, int n, const char *out_dir, FILE *log,
             Config *c, RunEval *res, Err *e);

#endif
