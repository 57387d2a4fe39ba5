/* train.c - see train.h. Train loss/accuracy per row are sample-weighted means over the
 * batches since the previous row, measured in train mode during the epoch (SEMANTICS
 * §8.3); validation and test loss are averaged over samples (§8.2). */
#include "train.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "layers.h"

const char *const train_status_names[] = {"ok", "diverged", "interrupted", NULL};

static const char *const epoch_columns[] = {
    "epoch", "iteration", "lr", "train_loss", "train_acc", "val_loss", "val_acc",
    "test_loss", "test_acc", "epoch_seconds", "elapsed_seconds"};
enum { N_EPOCH_COLUMNS = sizeof epoch_columns / sizeof epoch_columns[0] };

long train_steps_per_epoch(const TrainParams *tp, long n_train)
{
    return (n_train + tp->batch_size - 1) / tp->batch_size;
}

long train_total_steps(const TrainParams *tp, long n_train)
{
    if (tp->max_iterations > 0)
        return tp->max_iterations;
    return tp->epochs * train_steps_per_epoch(tp, n_train);
}

long train_epochs(const TrainParams *tp, long n_train)
{
    long per_epoch = train_steps_per_epoch(tp, n_train);
    return (train_total_steps(tp, n_train) + per_epoch - 1) / per_epoch;
}

int train_check(const TrainParams *tp, const ModelParams *mp, long n_train, Err *e)
{
    if (n_train < 1)
        return err_set_key(e, "data.val_split", "no training records are left (expected "
                           "data.train_limit and data.val_split to leave at least one)");
    long total = train_total_steps(tp, n_train);
    if (total > TRAIN_MAX_STEPS)
        return err_set_key(e, "train.epochs", "%ld epochs of %ld optimizer steps are %ld steps "
                           "(expected at most %ld in a run: fewer epochs or a larger batch)",
                           tp->epochs, train_steps_per_epoch(tp, n_train), total, TRAIN_MAX_STEPS);
    if (!mp->batchnorm)
        return 0;
    long last = n_train % tp->batch_size;
    if (n_train == 1 || last == 1)
        return err_set_key(e, "model.batchnorm",
                           "a training batch would hold 1 record (%ld training records in batches "
                           "of %ld leave a last batch of 1), and batch norm needs at least 2 per "
                           "batch in training, as in PyTorch; change train.batch_size (e.g. %ld) "
                           "or data.train_limit / data.val_split",
                           n_train, tp->batch_size, tp->batch_size + 1);
    return 0;
}

int train_max_rows(const TrainParams *tp, long n_train, long n_eval)
{
    long train_rows = tp->batch_size < n_train ? tp->batch_size : n_train;
    long eval_rows = tp->eval_batch_size < n_eval ? tp->eval_batch_size : n_eval;
    long rows = train_rows > eval_rows ? train_rows : eval_rows;
    return rows < 1 ? 1 : rows > INT_MAX ? INT_MAX : (int)rows;
}

int train_plan_memory(const RunParams *rp, const DataShape *ds, long n_val, int threads,
                      MemPlan *mp, Err *e)
{
    memset(mp, 0, sizeof *mp);
    long n_fit = ds->n_train - n_val;
    long n_eval = n_val > ds->n_test ? n_val : ds->n_test;
    int rows = train_max_rows(&rp->train, n_fit, n_eval);
    Model m;
    if (model_layout(&m, &rp->model, ds->dim, ds->n_classes, rows, NULL, e) < 0)
        return -1;
    ModelMemory mm;
    model_memory(&m, &mm);
    mp->params = mm.params;
    mp->grads = mm.grads;
    mp->activations = mm.activations;
    mp->optim = optim_state_bytes(&rp->optim, m.n_params);
    model_free(&m);
    double f = sizeof(float), i = sizeof(int);
    mp->workspace = gemm_workspace_bytes(threads) +
                    (double)rows * ((double)ds->dim * f + (double)ds->n_classes * f + 2 * i) +
                    (double)n_fit * i;
    mp->data = (double)(ds->n_train + ds->n_test) * (ds->dim + 1.0) + (double)ds->n_train * i;
    mp->total = mp->params + mp->grads + mp->optim + mp->activations + mp->workspace + mp->data;
    return 0;
}

/* Batch assembly on the pool, by rows. */
typedef struct {
    const Dataset *d;
    const Normalizer *nz;
    const int *idx;
    float *x;
    int *y;
} BatchJob;

static void batch_range(void *ctx, int b, int e)
{
    const BatchJob *j = ctx;
    dataset_batch(j->d, j->nz, j->idx + b, e - b, j->x + (size_t)b * j->d->dim, j->y + b);
}

static void assemble(Pool *pool, const Dataset *d, const Normalizer *nz, const int *idx, int n,
                     float *x, int *y)
{
    BatchJob j = {d, nz, idx, x, y};
    pool_for(pool, n, 32, batch_range, &j);
}

/* Per-run working memory, allocated once. */
typedef struct {
    float *x, *dlogits;
    int *y;
    int *order;
} Work;

typedef struct {
    double loss, acc;
} Eval;

/* Eval-mode pass over records idx[0..n) of d (all records when idx is NULL). */
static Eval evaluate(Model *m, const Dataset *d, const Normalizer *nz, const int *idx, int n,
                     int batch, float label_smoothing, Work *w)
{
    double loss = 0.0;
    long hits = 0;
    int *seq = w->order; /* reused as an identity index list when idx is NULL */
    for (int start = 0; start < n; start += batch) {
        int rows = n - start < batch ? n - start : batch;
        const int *ids = idx ? idx + start : seq;
        if (!idx)
            for (int i = 0; i < rows; i++)
                seq[i] = start + i;
        assemble(m->pool, d, nz, ids, rows, w->x, w->y);
        const float *logits = model_forward(m, w->x, rows, false, NULL);
        long c = 0;
        loss += softmax_xent(logits, w->y, rows, m->n_classes, label_smoothing, NULL, &c);
        hits += c;
    }
    Eval r = {n ? loss / n : NAN, n ? (double)hits / n : NAN};
    return r;
}

typedef struct {
    const TrainParams *tp;
    const TrainData *d;
    Model *m;
    Work *w;
    CsvWriter csv;
    FILE *log;
    const char *csv_path;
    double t_start;
    double window_seconds;   /* training time since the last row */
    double window_loss;
    long window_correct, window_seen;
    Eval last_val;           /* validation at iteration last_val_iter */
    long last_val_iter;
    double last_val_acc;     /* of the last row, for progress */
    const char *prefix;
    TrainResult *r;
} Loop;

/* Reports progress when due (every 0.2 s) or when forced. */
static void report(Loop *L, const TrainIO *io, long epoch, long n_epochs, long iteration,
                   long total, double *last_report, int force)
{
    if (!io->progress)
        return;
    double now = util_now();
    if (!force && now - *last_report < 0.2)
        return;
    *last_report = now;
    double trained = L->r->train_seconds + L->window_seconds;
    long seen = iteration * L->tp->batch_size;
    TrainProgress p = {
        .epoch = epoch, .n_epochs = n_epochs, .iteration = iteration, .total_iterations = total,
        .loss = L->window_seen ? L->window_loss / L->window_seen : NAN,
        .samples_per_second = trained > 0 ? (double)seen / trained : NAN,
        .eta = iteration > 0 ? (now - L->t_start) * (double)(total - iteration) / (double)iteration
                             : NAN,
        .last_val_acc = L->last_val_acc};
    io->progress(io->progress_ctx, &p);
}

/* The validation result at this iteration, evaluated once however often it is asked for. */
static Eval validate(Loop *L, long iteration)
{
    const TrainData *d = L->d;
    if (L->last_val_iter != iteration) {
        L->last_val = evaluate(L->m, d->train, d->nz, d->split->val_idx, d->split->n_val,
                               (int)L->tp->eval_batch_size, (float)L->tp->label_smoothing, L->w);
        L->last_val_iter = iteration;
    }
    return L->last_val;
}

static void write_cell(CsvWriter *c, double v, int present)
{
    if (present)
        csv_double(c, v);
    else
        csv_empty(c);
}

/* Evaluates and appends one row to epochs.csv (and the log). */
static int write_row(Loop *L, long epoch, long iteration, double lr, int with_test, Err *e)
{
    const TrainData *d = L->d;
    Work *w = L->w;
    int eval_batch = (int)L->tp->eval_batch_size;
    float ls = (float)L->tp->label_smoothing;
    double train_loss = L->window_seen ? L->window_loss / L->window_seen : NAN;
    double train_acc = L->window_seen ? (double)L->window_correct / L->window_seen : NAN;
    Eval val = {NAN, NAN}, test = {NAN, NAN};
    int has_val = d->split->n_val > 0;
    if (has_val) {
        val = validate(L, iteration);
        if (isnan(L->r->best_val_acc) || val.acc > L->r->best_val_acc)
            L->r->best_val_acc = val.acc;
    }
    if (with_test) {
        test = evaluate(L->m, d->test, d->nz, NULL, d->test->n, eval_batch, ls, w);
        L->r->test_loss = test.loss;
        L->r->test_acc = test.acc;
    }
    double elapsed = util_now() - L->t_start;
    CsvWriter *c = &L->csv;
    csv_long(c, epoch);
    csv_long(c, iteration);
    csv_double(c, lr);
    write_cell(c, train_loss, L->window_seen > 0);
    write_cell(c, train_acc, L->window_seen > 0);
    write_cell(c, val.loss, has_val);
    write_cell(c, val.acc, has_val);
    write_cell(c, test.loss, with_test);
    write_cell(c, test.acc, with_test);
    csv_double(c, L->window_seconds);
    csv_double(c, elapsed);
    if (csv_end_row(c, e) < 0)
        return -1;
    if (has_val)
        L->last_val_acc = val.acc;
    if (L->log) {
        /* One write per line, so the lines of runs sharing stderr never interleave. */
        char line[1024], vpart[64] = "", tpart[64] = "";
        if (has_val)
            snprintf(vpart, sizeof vpart, " | val loss %.4f acc %.4f", val.loss, val.acc);
        if (with_test)
            snprintf(tpart, sizeof tpart, " | test loss %.4f acc %.4f", test.loss, test.acc);
        snprintf(line, sizeof line, "%sepoch %ld iter %ld lr %.6g | train loss %.4f acc %.4f%s%s | "
                 "%.2fs\n", L->prefix, epoch, iteration, lr, train_loss, train_acc, vpart, tpart,
                 L->window_seconds);
        fputs(line, L->log);
        fflush(L->log);
    }
    L->r->train_seconds += L->window_seconds;
    L->window_loss = 0.0;
    L->window_correct = L->window_seen = 0;
    L->window_seconds = 0.0;
    return 0;
}

int train_run(const TrainParams *tp, const TrainData *d, Model *m, Optim *o, Sched *s,
              const TrainIO *io, TrainResult *r, Err *e)
{
    memset(r, 0, sizeof *r);
    r->status = RUN_OK;
    r->best_val_acc = r->test_loss = r->test_acc = NAN;
    long n_train = d->split->n_train;
    if (train_check(tp, &m->p, n_train, e) < 0)
        return -1;
    int B = (int)tp->batch_size;
    int max_rows = m->max_batch;
    Work w;
    w.x = xmalloc((size_t)max_rows * d->train->dim * sizeof(float));
    w.dlogits = xmalloc((size_t)max_rows * m->n_classes * sizeof(float));
    w.y = xmalloc((size_t)max_rows * sizeof(int));
    int order_len = (int)n_train > max_rows ? (int)n_train : max_rows;
    int *perm = xmalloc((size_t)order_len * sizeof(int));
    w.order = xmalloc((size_t)max_rows * sizeof(int));
    memcpy(perm, d->split->train_idx, (size_t)n_train * sizeof(int));

    Rng shuffle_rng, dropout_rng;
    rng_seed(&shuffle_rng, tp->seed, RNG_STREAM_SHUFFLE);
    rng_seed(&dropout_rng, tp->seed, RNG_STREAM_DROPOUT);

    long iteration = 0;
    Loop L;
    memset(&L, 0, sizeof L);
    L.tp = tp;
    L.d = d;
    L.m = m;
    L.w = &w;
    L.log = io->log;
    L.csv_path = io->epochs_csv;
    L.r = r;
    L.prefix = io->prefix ? io->prefix : "";
    L.last_val_acc = NAN;
    L.last_val_iter = -1;
    double last_report = 0.0;
    L.last_val = (Eval){NAN, NAN};
    int rc = csv_open(&L.csv, io->epochs_csv, epoch_columns, N_EPOCH_COLUMNS, e);
    if (rc < 0)
        goto done;

    long per_epoch = train_steps_per_epoch(tp, n_train);
    long total = train_total_steps(tp, n_train);
    long n_epochs = train_epochs(tp, n_train);
    double lr_used = sched_lr(s);
    bool watch_val = params_scheds[s->p.type].needs_validation;
    L.t_start = util_now();
    int stopped = 0;
    for (long epoch = 1; epoch <= n_epochs && !stopped; epoch++) {
        r->epochs = epoch;
        rng_shuffle(&shuffle_rng, perm, (int)n_train);
        double t0 = util_now();
        for (long b = 0; b < per_epoch && iteration < total; b++) {
            int start = (int)(b * B);
            int rows = (int)(n_train - start < B ? n_train - start : B);
            assemble(m->pool, d->train, d->nz, perm + start, rows, w.x, w.y);
            const float *logits = model_forward(m, w.x, rows, true, &dropout_rng);
            long correct = 0;
            double loss_sum = softmax_xent(logits, w.y, rows, m->n_classes,
                                           (float)tp->label_smoothing, w.dlogits, &correct);
            double loss = loss_sum / rows + optim_l1_penalty(o, m->params);
            L.window_loss += loss * rows;
            L.window_correct += correct;
            L.window_seen += rows;
            if (!isfinite(loss)) {
                /* Diverged: keep the last finite parameters, record what we have. */
                r->status = RUN_DIVERGED;
                stopped = 1;
                break;
            }
            model_backward(m, w.x, w.dlogits, rows);
            lr_used = sched_lr(s);
            optim_step(o, m->params, m->grads, lr_used);
            iteration++;
            sched_after_iteration(s);
            if (io->stop && *io->stop) {
                r->status = RUN_INTERRUPTED;
                stopped = 1;
                break;
            }
            if (io->progress) {
                L.window_seconds += util_now() - t0; /* so the rate counts this epoch too */
                t0 = util_now();
                report(&L, io, epoch, n_epochs, iteration, total, &last_report, 0);
            }
            if (tp->eval_every > 0 && iteration % tp->eval_every == 0 && iteration < total) {
                L.window_seconds += util_now() - t0;
                if ((rc = write_row(&L, epoch, iteration, lr_used, tp->eval_test_every_epoch, e)) < 0)
                    goto done;
                t0 = util_now();
            }
        }
        L.window_seconds += util_now() - t0;
        if (stopped || iteration >= total)
            break;
        if (tp->eval_every == 0) {
            if ((rc = write_row(&L, epoch, iteration, lr_used, tp->eval_test_every_epoch, e)) < 0)
                goto done;
            report(&L, io, epoch, n_epochs, iteration, total, &last_report, 1);
        }
        /* A schedule that follows validation (plateau) sees the metric at every epoch
         * end, row or no row. */
        if (watch_val && d->split->n_val > 0)
            validate(&L, iteration);
        sched_after_epoch(s, L.last_val.loss, L.last_val.acc);
    }
    /* The final row always carries the test evaluation. */
    rc = write_row(&L, r->epochs, iteration, lr_used, 1, e);
done:
    r->iterations = iteration;
    if (csv_close(&L.csv, rc == 0 ? e : NULL) < 0)
        rc = -1;
    free(w.x);
    free(w.dlogits);
    free(w.y);
    free(w.order);
    free(perm);
    return rc;
}

int train_write_result(const char *path, const RunParams *rp, const char *name, int threads,
                       const Model *m, const TrainResult *r, Err *e)
{
    static const char *const cols[] = {
        "name", "dataset", "hidden", "activation", "batchnorm", "dropout", "optimizer", "lr",
        "batch_size", "epochs", "schedule", "seed", "params", "test_acc", "test_loss",
        "best_val_acc", "train_seconds", "seconds_per_100_iterations", "peak_rss_bytes",
        "model_bytes", "threads", "status"};
    AtomicFile af;
    if (util_atomic_open(&af, path, e) < 0)
        return -1;
    CsvWriter c;
    csv_attach(&c, af.f, cols, (int)(sizeof cols / sizeof cols[0]));
    char hidden[PARAMS_MAX_HIDDEN * 12 + 1] = "";
    size_t len = 0;
    for (int i = 0; i < rp->model.n_hidden; i++)
        len += (size_t)snprintf(hidden + len, sizeof hidden - len, "%s%d", i ? "-" : "",
                                rp->model.hidden[i]);
    csv_str(&c, name);
    csv_str(&c, params_dataset_names[rp->data.dataset]);
    csv_str(&c, hidden);
    csv_str(&c, params_activation_names[rp->model.activation]);
    csv_str(&c, rp->model.batchnorm ? "true" : "false");
    csv_double(&c, rp->model.dropout);
    csv_str(&c, params_optim_names[rp->optim.optimizer]);
    csv_double(&c, rp->optim.lr);
    csv_long(&c, rp->train.batch_size);
    csv_long(&c, r->epochs);
    csv_str(&c, params_sched_names[rp->sched.type]);
    csv_ullong(&c, rp->train.seed);
    csv_long(&c, (long long)m->n_params);
    csv_double(&c, r->test_acc);
    csv_double(&c, r->test_loss);
    write_cell(&c, r->best_val_acc, !isnan(r->best_val_acc));
    csv_double(&c, r->train_seconds);
    write_cell(&c, r->train_seconds * 100.0 / (double)r->iterations, r->iterations > 0);
    long long rss = util_peak_rss_bytes();
    if (rss >= 0)
        csv_long(&c, rss);
    else
        csv_empty(&c);
    csv_long(&c, (long long)((m->n_params + m->n_buffers) * sizeof(float)));
    csv_long(&c, threads);
    csv_str(&c, train_status_names[r->status]);
    csv_end_row(&c, NULL);
    csv_close(&c, NULL);
    /* A failed write leaves the stream's error flag set; the commit reports it. */
    if (util_atomic_commit(&af, e) < 0)
        return -1;
    return 0;
}
