/* collect.h - gathers finished runs into one table: reads each run directory's config.ini
 * and result.csv (nothing else, so runs written by many machines at once are safe),
 * finds the swept keys (those whose value differs between runs), groups runs into points,
 * aggregates over seeds, and writes summary.csv and summary_by_point.csv. It knows the
 * result.csv columns but nothing of what config keys mean: which keys are never swept (the
 * seed, thread count, output place) is the caller's to say. Not a plotter, not a runner.
 *
 * Files written (RFC 4180 via the CSV writer, CRLF, numbers as %.9g, each whole or absent):
 *
 *   summary.csv, one row per run:
 *     the 24 result.csv columns (result_columns), copied as the run wrote them;
 *     one column per swept key, header "section.key", the run's config.ini text;
 *     run_dir: the run's directory relative to the output directory when it lies under it
 *       ("." when it is the output directory), else the path as given or found.
 *
 *   summary_by_point.csv, one row per point:
 *     one column per swept key (the point's values);
 *     runs, n_ok, n_diverged, n_interrupted: counts of the point's runs by status;
 *     for m in test_acc, test_loss, best_val_acc, train_seconds: m_n, m_mean, m_std, m_min,
 *       m_max, over the point's runs whose status is ok and whose cell is not empty; mean,
 *       min and max empty when m_n = 0; std (sample, n - 1) empty when m_n < 2. A NaN or
 *       inf cell counts and makes the statistics it enters nan or inf.
 *
 * Order (never that of the file system, of the arguments within a point, or of finishing):
 * points by their swept values, key by key in config.ini order; a key's values compare as
 * numbers when both are numbers, numbers before other text, and other text bytewise.
 * Runs by point, then seed (the same comparison), then directory path. */
#ifndef MLPTRAIN_COLLECT_H
#define MLPTRAIN_COLLECT_H

#include <stdio.h>

#include "result.h"
#include "util.h"

/* The aggregated metrics, in the order summary_by_point.csv has them. */
typedef enum {
    COLLECT_TEST_ACC, COLLECT_TEST_LOSS, COLLECT_BEST_VAL_ACC, COLLECT_TRAIN_SECONDS,
    COLLECT_N_METRICS
} CollectMetric;
/* The result.csv column of each metric, which also names it (result_columns). */
extern const ResultColumn collect_metric_columns[];

typedef struct {
    int n;               /* ok runs with a value */
    double mean, std;    /* NaN when n = 0 (std: when n < 2) */
    double min, max;     /* NaN when n = 0 */
} CollectStat;

/* A swept key and the distinct values the runs gave it. */
typedef struct {
    char *name;          /* "section.key" */
    int n_levels;
    char **levels;       /* [n_levels] distinct config.ini texts, in sort order */
    double *level_value; /* [n_levels] each level as a number, NaN when it is not one */
    int numeric;         /* 1 when every level is a number (a numeric axis for plots) */
} CollectKey;

typedef struct {
    char *dir;           /* the run directory as given or found (DIR or DIR/NAME): open
                          * dir/epochs.csv with it from the caller's working directory */
    int point;           /* index into CollectResult.points */
    RunStatus status;    /* one result.csv may hold (result_status_in_file) */
    char *seed;          /* the seed key's config.ini text, "" when absent */
    double seed_value;   /* the seed as a number, NaN when it is not one */
    double metric[COLLECT_N_METRICS]; /* NaN when the cell is empty (or says nan) */
    char *cell[RESULT_COL_COUNT];     /* the result.csv row by ResultColumn, text as in the
                                       * file (one with another header is skipped) */
} CollectRun;

typedef struct {
    int *level;          /* [n_keys]: the point's value of key k is keys[k].levels[level[k]] */
    int n_runs;
    int *runs;           /* [n_runs] indices into CollectResult.runs, in run order */
    int n_status[RUN_STATUS_COUNT];   /* runs by status (those result.csv may hold) */
    CollectStat stat[COLLECT_N_METRICS];
} CollectPoint;

/* A run or directory that was not collected, and why. */
typedef struct {
    char *path;          /* the run or given directory */
    char *reason;        /* the message logged, "PATH[:LINE]: what is wrong (expected ...)" */
} CollectSkip;

/* Everything collected. Points are in point order and runs in run order (see the top),
 * so runs of a point are consecutive: points[p].runs is a range. With no swept key there
 * is one point holding every run. All memory is owned by the result: collect_free. */
typedef struct {
    int n_keys;
    CollectKey *keys;    /* the swept keys, in config.ini order */
    int n_runs;
    CollectRun *runs;
    int n_points;
    CollectPoint *points;
    int n_skipped;
    CollectSkip *skipped;  /* in the order they were met */
} CollectResult;

typedef struct {
    const char *const *dirs;  /* each a run directory (holds config.ini or result.csv) or a
                               * directory whose immediate subdirectories are runs (names
                               * starting with '.' are passed over) */
    int n_dirs;
    const char *const *ignore; /* keys ("section.key") never swept, e.g. output.dir */
    int n_ignore;
    const char *seed_key;     /* the key runs of a point differ by ("train.seed"); never swept;
                               * NULL: none */
    FILE *log;                /* one line per skipped run or directory,
                               * "mlptrain: REASON; skipped", and one per run repeating
                               * an earlier run's point and seed (both are counted),
                               * "mlptrain: note: DIR: the same settings and SEED_KEY as
                               * DIR0 (both counted)"; NULL: quiet */
} CollectParams;

/* The largest config.ini or result.csv read (a bigger one is skipped as not a run's). */
#define COLLECT_MAX_FILE_BYTES (1L << 20)

/* Reads the runs under p->dirs into r (which need not be initialized). Returns 0 when
 * every run found was read, 1 when some runs or directories were skipped (each logged
 * and listed in r->skipped; r holds the rest), -1 with e when no run could be read
 * ("DIR: no runs found (expected run directories holding config.ini and result.csv)");
 * r is then empty but for r->skipped, and still wants collect_free. A directory reached
 * twice (given twice, or a run also given inside its sweep) is read once. */
int collect_load(CollectResult *r, const CollectParams *p, Err *e);

/* Writes out_dir/summary.csv and out_dir/summary_by_point.csv from r, creating out_dir
 * (and its parents) if needed. Each file is written to a temporary and renamed. Returns 0,
 * or -1 with e naming the file and the system's reason. */
int collect_write(const CollectResult *r, const char *out_dir, Err *e);

/* collect_load then, when it found runs, collect_write: 0, 1 (files written, some runs
 * skipped) or -1 with e (no runs: nothing written; or a failed write). */
int collect_summarize(CollectResult *r, const CollectParams *p, const char *out_dir, Err *e);

/* The text of key k at point p. */
const char *collect_value(const CollectResult *r, int p, int k);

/* The point whose levels are level[0..n_keys), or -1 when no run has that combination
 * (an empty heatmap cell). */
int collect_point_at(const CollectResult *r, const int *level);

/* Frees everything r holds; safe on a zeroed result and twice. */
void collect_free(CollectResult *r);

#endif
