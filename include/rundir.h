/* rundir.h - the names of the files mlptrain leaves in a run's directory, in an eval
 * directory and in a sweep's directory: one place for each name, and the list of a run's
 * files that clearing a run for a rerun removes. Names only: what each file holds is its
 * writer's business (README "What a run writes"). */
#ifndef MLPTRAIN_RUNDIR_H
#define MLPTRAIN_RUNDIR_H

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

/* ---- a sweep's directory (and collect's output directory) ---- */
#define RUNDIR_SWEEP "sweep.csv"            /* the sweep's runs: point, seed, overrides, status */
#define RUNDIR_SWEEP_SUMMARY "summary.csv"  /* one row per run: result.csv and the swept keys */
#define RUNDIR_SWEEP_BY_POINT "summary_by_point.csv" /* one row per point, over its seeds */
#define RUNDIR_SWEEP_CURVES "sweep_curves.svg"       /* every run's curves overlaid */
#define RUNDIR_SWEEP_BY_KEY_FMT "test_acc_by_%s.svg" /* test accuracy per swept key (%s) */
#define RUNDIR_SWEEP_HEATMAP "test_acc_heatmap.svg"  /* test accuracy over two swept keys */

#endif
