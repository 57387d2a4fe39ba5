/* result.c - see result.h. */
#include "result.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "csv.h"

const char *const result_status_names[] = {"ok", "diverged", "interrupted", "pending",
                                          "incomplete", "failed", NULL};
_Static_assert(sizeof result_status_names / sizeof result_status_names[0] == RUN_STATUS_COUNT + 1,
               "one name per RunStatus");

int result_status_parse(const char *text)
{
    for (int s = 0; s < RUN_STATUS_COUNT; s++)
        if (result_status_in_file((RunStatus)s) && strcmp(text, result_status_names[s]) == 0)
            return s;
    return -1;
}

const char *const result_columns[RESULT_COL_COUNT] = {
#define RESULT_COLUMN_NAME(id, name) [id] = name,
    RESULT_COLUMN_LIST(RESULT_COLUMN_NAME)
#undef RESULT_COLUMN_NAME
};

int result_write(const char *path, const RunParams *rp, const char *name, int threads,
                 size_t n_params, size_t model_bytes, const RunResult *r, Err *e)
{
    AtomicFile af;
    if (util_atomic_open(&af, path, e) < 0)
        return -1;
    CsvWriter c;
    csv_attach_file(&c, &af, result_columns, RESULT_COL_COUNT);
    char hidden[PARAMS_MAX_HIDDEN * 12 + 1] = "";
    size_t len = 0;
    for (int i = 0; i < rp->model.n_hidden; i++)
        len += (size_t)snprintf(hidden + len, sizeof hidden - len, "%s%d", i ? "-" : "",
                                rp->model.hidden[i]);
    /* One value per column, each written beside its column's name: no default, so a
     * column without a value is a -Wswitch warning, not a shifted row. */
    for (int col = 0; col < RESULT_COL_COUNT; col++) {
        switch ((ResultColumn)col) {
        case RESULT_COL_NAME:
            csv_str(&c, name);
            break;
        case RESULT_COL_DATASET:
            csv_str(&c, params_dataset_names[rp->data.dataset]);
            break;
        case RESULT_COL_HIDDEN:
            csv_str(&c, hidden);
            break;
        case RESULT_COL_ACTIVATION:
            csv_str(&c, params_activation_names[rp->model.activation]);
            break;
        case RESULT_COL_BATCHNORM:
            csv_str(&c, rp->model.batchnorm ? "true" : "false");
            break;
        case RESULT_COL_DROPOUT:
            csv_double(&c, rp->model.dropout);
            break;
        case RESULT_COL_OPTIMIZER:
            csv_str(&c, params_optim_names[rp->optim.optimizer]);
            break;
        case RESULT_COL_LR:
            csv_double(&c, rp->optim.lr);
            break;
        case RESULT_COL_BATCH_SIZE:
            csv_long(&c, rp->train.batch_size);
            break;
        case RESULT_COL_EPOCHS:
            csv_long(&c, r->epochs);
            break;
        case RESULT_COL_SCHEDULE:
            csv_str(&c, params_sched_names[rp->sched.type]);
            break;
        case RESULT_COL_SEED:
            csv_ullong(&c, rp->train.seed);
            break;
        case RESULT_COL_PARAMS:
            csv_long(&c, (long long)n_params);
            break;
        case RESULT_COL_TEST_ACC:
            csv_double(&c, r->test_acc);
            break;
        case RESULT_COL_TEST_LOSS:
            csv_double(&c, r->test_loss);
            break;
        case RESULT_COL_BEST_VAL_ACC:
            csv_double_or_empty(&c, r->best_val_acc, !isnan(r->best_val_acc));
            break;
        case RESULT_COL_BEST_EPOCH:
            if (r->best_epoch > 0)
                csv_long(&c, r->best_epoch);
            else
                csv_empty(&c);
            break;
        case RESULT_COL_STOPPED_EPOCH:
            if (r->stopped_epoch > 0)
                csv_long(&c, r->stopped_epoch);
            else
                csv_empty(&c);
            break;
        case RESULT_COL_TRAIN_SECONDS:
            csv_double(&c, r->train_seconds);
            break;
        case RESULT_COL_SECONDS_PER_100_ITERATIONS:
            csv_double_or_empty(&c, r->train_seconds * 100.0 / (double)r->iterations,
                                r->iterations > 0);
            break;
        case RESULT_COL_PEAK_RSS_BYTES: {
            long long rss = util_peak_rss_bytes();
            if (rss >= 0)
                csv_long(&c, rss);
            else
                csv_empty(&c);
            break;
        }
        case RESULT_COL_MODEL_BYTES:
            csv_long(&c, (long long)model_bytes);
            break;
        case RESULT_COL_THREADS:
            csv_long(&c, threads);
            break;
        case RESULT_COL_STATUS:
            csv_str(&c, result_status_names[r->status]);
            break;
        }
    }
    csv_end_row(&c, NULL);
    return csv_commit(&c, &af, e);
}
