/* sweep.h - the parts of running a sweep that know nothing of configs or runs: Slurm's
 * array syntax for a list of indices, and a few worker threads that take runs one after
 * another. The study itself (which runs, their configs) is study.c's; a run directory's
 * state is rundir.c's. */
#ifndef MLPTRAIN_SWEEP_H
#define MLPTRAIN_SWEEP_H

#include <signal.h>
#include <stddef.h>

#include "util.h"

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
