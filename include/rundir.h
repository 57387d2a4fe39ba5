/* rundir.h - a run's directory as files: the names of the files mlptrain leaves in a
 * run's directory, in an eval directory and in a sweep's directory (one place for each
 * name); the state of a run directory as its files tell it; clearing an unfinished run
 * for a rerun; the lock a run holds on its directory; and the rule for eval's output
 * directory. What each file holds is its writer's business (README "What a run writes");
 * nothing here knows configs or training. */
#ifndef MLPTRAIN_RUNDIR_H
#define MLPTRAIN_RUNDIR_H

#include <stdbool.h>
#include <stdio.h>

#include "result.h"
#include "util.h"

/* ---- a run's directory ---- */
#define RUNDIR_CONFIG "config.ini"          /* the resolved config; repeats the run */
#define RUNDIR_EPOCHS "epochs.csv"          /* one row per evaluation, appended as they happen */
#define RUNDIR_RESULT "result.csv"          /* the header and the run's one result row */
#define RUNDIR_SUMMARY "summary.txt"        /* the model table and the memory estimate */
#define RUNDIR_CURVES "curves.svg"          /* the run's loss, accuracy and LR curves */
#define RUNDIR_CHECKPOINT "checkpoint.bin"  /* the state --resume and a rerun continue from */
#define RUNDIR_MODEL "model.bin"            /* the weights result.csv's test row used */
#define RUNDIR_CONFUSION "confusion.csv"    /* the final test evaluation's confusion matrix */
#define RUNDIR_PER_CLASS "per_class.csv"    /* per class: records, recall, precision */

/* Every file a run writes into its directory (each may also stand as a NAME.tmp.PID
 * temporary), for an initializer: { RUNDIR_RUN_FILES }. Clearing a run removes these and
 * nothing else, so a file a run starts to write belongs here. */
#define RUNDIR_RUN_FILES                                                                   \
    RUNDIR_CONFIG, RUNDIR_EPOCHS, RUNDIR_RESULT, RUNDIR_SUMMARY, RUNDIR_CURVES,            \
        RUNDIR_CHECKPOINT, RUNDIR_MODEL, RUNDIR_CONFUSION, RUNDIR_PER_CLASS

/* ---- an eval directory (`mlptrain eval`: RUN/eval, or -o DIR) ---- */
/* It also holds RUNDIR_CONFUSION and RUNDIR_PER_CLASS, of the evaluation. */
#define RUNDIR_EVAL "eval.csv"              /* which weights were evaluated on what, and how */
#define RUNDIR_EVAL_DIR "eval"              /* eval's output inside the run, without -o */

/* ---- a sweep's directory (and collect's output directory) ---- */
#define RUNDIR_SWEEP "sweep.csv"            /* the sweep's runs: point, seed, overrides, status */
#define RUNDIR_SWEEP_RECORD "sweep.ini"     /* the last command and the config it read */
#define RUNDIR_SWEEP_LOCK "sweep.lock"      /* empty; byte i locked while run i is being run */
#define RUNDIR_SWEEP_SUMMARY "summary.csv"  /* one row per run: result.csv and the swept keys */
#define RUNDIR_SWEEP_BY_POINT "summary_by_point.csv" /* one row per point, over its seeds */
#define RUNDIR_SWEEP_CURVES "sweep_curves.svg"       /* every run's curves overlaid */
#define RUNDIR_SWEEP_BY_KEY_FMT "test_acc_by_%s.svg" /* test accuracy per swept key (%s) */
#define RUNDIR_SWEEP_HEATMAP "test_acc_heatmap.svg"  /* test accuracy over two swept keys */
#define RUNDIR_SWEEP_REPORT "report.html"            /* tables, plots, runs and config: one page */

/* sweep.ini: these comment lines, each ending in a newline, then the config file's bytes
 * as the sweep read them. The command's words are shell-quoted where they need it. */
#define RUNDIR_RECORD_COMMAND "; command: "
#define RUNDIR_RECORD_WHERE "; in directory: "

/* The exit codes these functions return (run.h's EXIT_RUNTIME and EXIT_USAGE). */
enum { RUNDIR_RUNTIME = 1, RUNDIR_USAGE = 2 };

/* The state of run directory dir, from its files alone: RUN_PENDING (no directory, or no
 * config.ini), RUN_INCOMPLETE (config.ini but no result.csv, or one whose status cannot be
 * read), or the status result.csv holds (its "status" column). */
RunStatus rundir_status(const char *dir);

/* Whether a run in this state is finished for good: ok or diverged. */
bool rundir_finished(RunStatus s);

/* Removes the files a run writes (RUNDIR_RUN_FILES, and their temporaries) from dir so
 * the run can start again there; anything else in dir (an eval directory, say) is left
 * alone. 0, or -1 with e. */
int rundir_clear(const char *dir, Err *e);

/* Removes the temporaries of a run's files (NAME.tmp.PID) that a killed process left in
 * dir: those whose PID is no live process on this host (a run claiming the directory may
 * be writing its config.ini's). Call it holding the run's lock. 0, or -1 with e. */
int rundir_clear_temporaries(const char *dir, Err *e);

/* Write-locks dir/config.ini for as long as *held stays open (the process's life at
 * most), so a second process never writes into a run directory in use. A POSIX record
 * lock: the system releases it when the process dies, even by kill -9, and drops it when
 * the process closes any descriptor of the file, so nothing else opens config.ini while a
 * run holds it. Returns 0 (held, or the file system has no locks), RUNDIR_USAGE with e
 * when another process holds the run, RUNDIR_RUNTIME with e when config.ini cannot be
 * opened. */
int rundir_lock(const char *dir, FILE **held, Err *e);

/* A sweep directory's lock file (RUNDIR_SWEEP_LOCK), opened (created when missing) for
 * the process's whole life: closing any descriptor of it would drop the process's locks.
 * NULL with e when it cannot be made. */
FILE *rundir_sweep_lock_open(const char *sweep_dir, Err *e);

/* Takes the lock of run index of the sweep (byte index of its lock file) without waiting,
 * for this process (all its threads): returns 0 when taken (or when the file system has
 * no locks: then nothing guards the run), else the process id of the process that holds
 * it (-1 when unknown). Two processes never run one run of a sweep at once: the other
 * waits or skips it. Released by rundir_sweep_unlock_run, or when the process ends. */
long rundir_sweep_lock_run(FILE *lock, long index);
void rundir_sweep_unlock_run(FILE *lock, long index);

/* The name of one of a run's outputs (epochs.csv, result.csv) that dir holds, or NULL:
 * such a directory holds a run, which a new run or a sweep never takes over. */
const char *rundir_holds_run(const char *dir);

/* Whether paths a and b name the same directory. */
bool rundir_same(const char *a, const char *b);

/* Makes out (eval's output directory) or takes it when it is empty or holds only what an
 * earlier eval of the run in run_dir wrote (its eval.csv names that run); a run's
 * directory, another run's evaluation, or a file eval never writes is refused: eval never
 * replaces a file it does not own. -1 to go on, else RUNDIR_USAGE or RUNDIR_RUNTIME with
 * e. */
int rundir_claim_eval(const char *out, const char *run_dir, Err *e);

#endif
