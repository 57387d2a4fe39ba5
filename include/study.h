/* study.h - the sweep and collect commands: every run of a config's [sweep] section (and
 * --sweep options) into its own directory inside one sweep directory, validated before the
 * first starts, skipped when already finished, continued from its checkpoint when
 * interrupted, several at once with --jobs; --list, --status and --index, which let Slurm
 * job arrays and GNU parallel do the scheduling; and the tables and plots across runs.
 * Each run is run.c's; these print their own progress and errors on stderr. */
#ifndef MLPTRAIN_STUDY_H
#define MLPTRAIN_STUDY_H

#include <signal.h>
#include <stdbool.h>

#include "config.h"

/* What `mlptrain sweep` was asked. */
typedef struct {
    const char *config_path;
    const ConfigOverride *overrides;   /* --set, --threads and --sweep, in order */
    int n_overrides;
    const char *dir;                   /* -o: the sweep directory; NULL = output.dir/<name> */
    bool quiet, force;
    long jobs;                         /* runs at once */
    bool list, status;                 /* --list, --status */
    long index;                        /* --index, -1 = none ($SLURM_ARRAY_TASK_ID then) */
    long max_points;                   /* most runs allowed */
    volatile sig_atomic_t *stop;       /* set by the caller's signal handlers: no new run
                                        * starts, running ones stop after their batch */
    void (*catch_signals)(void);       /* arms those handlers; called before the first run */
    int argc;                          /* the command as typed, recorded in sweep.ini */
    char *const *argv;
} StudyOpts;

/* Runs the sweep. Returns the exit code: the worst of its runs', or 1 when collecting
 * skipped runs; errors are printed. */
int study_sweep(const StudyOpts *o);

/* collect: summary.csv, summary_by_point.csv and the sweep plots of the runs under
 * dirs[0..n) into out (NULL: the one directory given). Returns the exit code: 0, 1 when
 * runs were skipped or none found, 2 for several directories and no out. */
int study_collect(const char *const *dirs, int n, const char *out, bool quiet);

#endif
