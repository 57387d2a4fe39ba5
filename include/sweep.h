/* sweep.h - the parts of running a study that know nothing of configs: the state of a
 * run directory as its files tell it, clearing an unfinished run for a rerun, Slurm's
 * array syntax for a list of indices, and a few worker threads that take runs one after
 * another. The study itself (which runs, their configs) is the command line's business. */
#ifndef MLPTRAIN_SWEEP_H
#define MLPTRAIN_SWEEP_H

#include <signal.h>
#include <stddef.h>

#include "train.h"
#include "util.h"

/* Reads the state of run directory dir, from its files alone: RUN_PENDING (no directory,
 * or no config.ini), RUN_INCOMPLETE (config.ini but no result.csv, or one whose status
 * cannot be read), or the status result.csv holds (its "status" column). */
RunStatus sweep_dir_status(const char *dir);

/* Whether a run in this state is finished for good: ok or diverged. */
int sweep_finished(RunStatus s);

/* The names these had before sweep.c used RunStatus, kept only until study.c and main.c
 * use RunStatus's names: delete them then. */
typedef RunStatus SweepStatus;
#define SWEEP_PENDING RUN_PENDING
#define SWEEP_INCOMPLETE RUN_INCOMPLETE
#define SWEEP_OK RUN_OK
#define SWEEP_DIVERGED RUN_DIVERGED
#define SWEEP_INTERRUPTED RUN_INTERRUPTED
#define SWEEP_FAILED RUN_FAILED
#define SWEEP_STATUS_COUNT RUN_STATUS_COUNT
#define sweep_status_names train_status_names

/* Removes the files a run writes (RUNDIR_RUN_FILES in rundir.h, and their temporaries)
 * from dir so the run can start again there; anything else in dir (an eval directory,
 * say) is left alone. 0, or -1 with e. */
int sweep_clear_dir(const char *dir, Err *e);

/* Writes indices idx[0..n) (ascending) in Slurm --array syntax, e.g. "3,7-9", into buf;
 * "" for none. Returns -1 if buf is too small. */
int sweep_array_syntax(const long *idx, long n, char *buf, size_t size);

/* Runs fn(ctx, item, slot) for item = 0..n_items-1 on n_jobs threads (slot = 0..n_jobs-1
 * says which), each thread taking the next item when it finishes one, until all are done
 * or *stop becomes non-zero (no new item starts then). n_jobs = 1 runs on the caller.
 * Returns -1 if the threads cannot start. */
typedef void (*SweepJob)(void *ctx, long item, int slot);
int sweep_run_jobs(int n_jobs, long n_items, SweepJob fn, void *ctx,
                   volatile sig_atomic_t *stop);

#endif
