/* sweep.h - the parts of running a study that know nothing of configs: the state of a
 * run directory as its files tell it, clearing an unfinished run for a rerun, Slurm's
 * array syntax for a list of indices, and a few worker threads that take runs one after
 * another. The study itself (which runs, their configs) is the command line's business. */
#ifndef MLPTRAIN_SWEEP_H
#define MLPTRAIN_SWEEP_H

#include <signal.h>
#include <stddef.h>

#include "util.h"

/* What a run directory holds, from its files alone. */
typedef enum {
    SWEEP_PENDING,      /* no run there yet (no directory, or no config.ini) */
    SWEEP_INCOMPLETE,   /* config.ini but no result.csv: killed, failed or still running */
    SWEEP_OK,           /* result.csv, status ok */
    SWEEP_DIVERGED,     /* result.csv, status diverged */
    SWEEP_INTERRUPTED,  /* result.csv, status interrupted */
    SWEEP_FAILED,       /* the run ended in an error (known to the process that ran it) */
    SWEEP_STATUS_COUNT
} SweepStatus;
extern const char *const sweep_status_names[]; /* "pending", "incomplete", "ok", ... */

/* Reads the state of run directory dir. A result.csv whose status cannot be read counts as
 * incomplete. */
SweepStatus sweep_dir_status(const char *dir);

/* Whether a run in this state is finished for good: ok or diverged. */
int sweep_finished(SweepStatus s);

/* Removes the files a run writes (config.ini, epochs.csv, result.csv, summary.txt,
 * curves.svg, checkpoint.bin, model.bin, confusion.csv, per_class.csv, and their
 * temporaries) from dir so the run can start again there; anything else in dir (an eval
 * directory, say) is left alone. 0, or -1 with e. */
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
