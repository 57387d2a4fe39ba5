/* run.c - one run as a library (see run.h): config -> data -> model -> optim/sched ->
 * train -> the run's files, in that order, freed in reverse; --resume and eval. A run
 * holds a POSIX record lock (fcntl) on its config.ini while it writes the directory; stat
 * compares directories. Nothing here reads argv or a signal: the caller hands in its
 * streams and its stop flag. */
#define _POSIX_C_SOURCE 200809L
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt.h"
#include "csv.h"
#include "gemm.h"
#include "model.h"
#include "optim.h"
#include "pool.h"
#include "report.h"
#include "rng.h"
#include "rundir.h"

int run_fail(const Config *c, int code, const Err *e, const char *context)
{
    char text[sizeof e->msg + PARAMS_PATH_MAX + 4800];
    config_error_text(c, e, context, text, sizeof text);
    fprintf(stderr, "mlptrain: %s\n", text);
    return code;
}

/* ---- the plan ---- */

static int resolve_threads(const TrainParams *tp)
{
    int cpus = pool_available_cpus();
    /* More threads than CPUs would only wait for each other. */
    return tp->threads > 0 && tp->threads < cpus ? (int)tp->threads : cpus;
}

static void memory_text(char *buf, size_t n, const MemPlan *m)
{
    char need[32], pb[32], gb[32], ob[32], ab[32], wb[32], db[32];
    util_format_bytes(need, sizeof need, m->total);
    util_format_bytes(pb, sizeof pb, m->params);
    util_format_bytes(gb, sizeof gb, m->grads);
    util_format_bytes(ob, sizeof ob, m->optim);
    util_format_bytes(ab, sizeof ab, m->activations);
    util_format_bytes(wb, sizeof wb, m->workspace);
    util_format_bytes(db, sizeof db, m->data);
    snprintf(buf, n, "%s (parameters %s, gradients %s, optimizer %s, activations %s, "
             "workspace %s, data %s)", need, pb, gb, ob, ab, wb, db);
}

int run_plan(const Config *c, bool train, bool force, int threads, RunPlan *pl, Err *e)
{
    const RunParams *rp = &c->run;
    memset(pl, 0, sizeof *pl);
    if (dataset_peek(&rp->data, &pl->shape, e) == 0)
        pl->data_known = true;
    else if (train)
        return EXIT_RUNTIME;
    else
        dataset_standard_shape(&rp->data, &pl->shape);
    long n = pl->shape.n_train;
    pl->n_val = dataset_val_count(n, rp->data.val_split);
    pl->n_fit = n - pl->n_val;
    if (rp->data.val_split > 0 && pl->n_val == 0) {
        /* Say where n comes from when it is not the files' own count. */
        const char *from = pl->data_known ? ""
                           : rp->data.train_limit > 0 ? " (data.train_limit)"
                                                      : ", the dataset's standard size";
        if (n < 2)
            return err_set_key(e, "data.val_split", "%ld training record%s%s cannot be split "
                               "(expected at least 2 records, or val_split = 0)", n,
                               n == 1 ? "" : "s", from), EXIT_USAGE;
        return err_set_key(e, "data.val_split", "holds out no record of %ld%s (expected a "
                           "fraction of at least 1/%ld, or 0 for no validation)", n, from, n),
               EXIT_USAGE;
    }
    if (train_check(&rp->train, &rp->model, pl->n_fit, e) < 0 ||
        train_sched_init(&pl->sched, &rp->train, &rp->sched, rp->optim.lr, pl->n_fit, e) < 0)
        return EXIT_USAGE;
    pl->threads = threads > 0 && rp->train.threads == 0 ? threads : resolve_threads(&rp->train);
    if (train_plan_memory(rp, &pl->shape, pl->n_val, pl->threads, &pl->mem, e) < 0)
        return EXIT_USAGE;
    if (!train || force)
        return -1;
    const char *what;
    long long avail = util_memory_available(&what);
    if (avail >= 0 && pl->mem.total > (double)avail) {
        char need[512], have[32], hint[512];
        memory_text(need, sizeof need, &pl->mem);
        util_format_bytes(have, sizeof have, (double)avail);
        train_memory_hint(&pl->mem, hint, sizeof hint);
        return err_set(e, "%s: the run needs about %s but %s is available (%s); %s, or --force "
                       "to try anyway", c->source[0] ? c->source : "config", need, have, what,
                       hint), EXIT_USAGE;
    }
    return -1;
}

static void print_memory(FILE *f, const RunPlan *pl, const TrainParams *tp)
{
    const struct {
        const char *name;
        double bytes;
    } rows[] = {{"parameters", pl->mem.params}, {"gradients", pl->mem.grads},
                {"optimizer state", pl->mem.optim}, {"activations", pl->mem.activations},
                {"workspace", pl->mem.workspace}, {"data", pl->mem.data},
                {"total", pl->mem.total}};
    fprintf(f, "Memory estimate (batch %ld, eval batch %ld, %d thread%s, %ld + %ld records%s):\n",
            tp->batch_size, tp->eval_batch_size, pl->threads, pl->threads == 1 ? "" : "s",
            pl->shape.n_train, pl->shape.n_test,
            pl->data_known ? "" : " (the dataset's standard sizes)");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char b[32];
        util_format_bytes(b, sizeof b, rows[i].bytes);
        fprintf(f, "  %-16s %12s\n", rows[i].name, b);
    }
}

int run_print_schedule(FILE *f, const Config *c, const RunPlan *pl, Err *e)
{
    const RunParams *rp = &c->run;
    if (sched_write_table(f, &rp->sched, rp->optim.lr, train_epochs(&rp->train, pl->n_fit),
                          train_steps_per_epoch(&rp->train, pl->n_fit), rp->train.max_iterations,
                          e) < 0)
        return EXIT_USAGE;
    return EXIT_OK;
}

int run_print_summary(FILE *f, const Config *c, const RunPlan *pl, Err *e)
{
    const RunParams *rp = &c->run;
    Model m;
    if (model_layout(&m, &rp->model, pl->shape.dim, pl->shape.n_classes, 1, NULL, e) < 0)
        return EXIT_USAGE;
    model_summary(&m, f);
    model_free(&m);
    print_memory(f, pl, &rp->train);
    return EXIT_OK;
}

/* ---- the run directory ---- */

/* Writes config.ini into dir if it has none: 0 when written, 1 when dir already holds a
 * run, -1 with e on failure. The file is written whole and claims the directory in one
 * step (util_atomic_commit_new), so of several runs started into one directory exactly
 * one proceeds. */
static int claim_dir(const char *dir, const Config *c, Err *e)
{
    if (rundir_holds_run(dir))
        return 1;
    char path[PARAMS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" RUNDIR_CONFIG, dir);
    AtomicFile af;
    if (util_atomic_open(&af, path, e) < 0)
        return -1;
    config_print(c, af.f);
    return util_atomic_commit_new(&af, e);
}

/* Chooses, creates and claims the run directory: run_dir as given (refused, exit 2, when
 * it already holds a run), else output.dir/output.name with -2, -3, ... appended until a
 * new directory is made. Returns -1 when claimed, else the exit code with e. */
static int make_run_dir(const char *run_dir, const Config *c, char *dir, size_t size, Err *e)
{
    const RunParams *rp = &c->run;
    if (run_dir) {
        if (util_strlcpy(dir, run_dir, size) < 0)
            return err_set(e, "-o: path too long"), EXIT_USAGE;
        bool made = util_is_dir(dir) != 1;
        if (util_mkdirs(dir, e) < 0)
            return EXIT_RUNTIME;
        int rc = claim_dir(dir, c, e);
        if (rc == 1)
            return err_set(e, "-o %s: the directory already holds a run (config.ini, epochs.csv "
                           "or result.csv); remove it or choose another directory", dir),
                   EXIT_USAGE;
        if (rc < 0 && made)
            remove(dir); /* made here and still empty: leave nothing behind */
        return rc < 0 ? EXIT_RUNTIME : -1;
    }
    if (util_mkdirs(rp->output.dir, e) < 0) {
        util_strlcpy(e->key, "output.dir", sizeof e->key); /* say where it was set */
        return EXIT_RUNTIME;
    }
    for (int k = 1; k < 100000; k++) {
        int n = k == 1 ? snprintf(dir, size, "%s/%s", rp->output.dir, rp->output.name)
                       : snprintf(dir, size, "%s/%s-%d", rp->output.dir, rp->output.name, k);
        if (n < 0 || (size_t)n >= size)
            return err_set(e, "output.dir/output.name: path too long"), EXIT_USAGE;
        int made = util_mkdir_new(dir, e);
        if (made < 0)
            return EXIT_RUNTIME;
        if (made == 1)
            continue;
        int rc = claim_dir(dir, c, e);
        if (rc == 0)
            return -1;
        remove(dir); /* ours and empty: leave nothing behind */
        if (rc < 0)
            return EXIT_RUNTIME;
    }
    return err_set(e, "output.name: too many runs named '%s' in '%s'", rp->output.name,
                   rp->output.dir), EXIT_USAGE;
}

static const char *base_name(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    const char *p = path + n;
    while (p > path && p[-1] != '/')
        p--;
    return p;
}

/* ---- a run in memory ---- */

/* Everything a run holds while it trains; freed by parts_free in reverse order. */
typedef struct {
    Dataset train, test;
    ClassNames names;
    DataSplit split;
    Normalizer nz;
    Pool *pool;
    Gemm *gemm;
    Model m;
    Optim o;
    TrainData td;
    int max_rows;
    FILE *lock;              /* holds the run directory (lock_run) */
    TrainState resume;       /* the checkpoint's loop state when continuing */
    long *confusion;
} Parts;

static void parts_free(Parts *p)
{
    if (p->lock)
        fclose(p->lock);
    free(p->confusion);
    train_state_free(&p->resume);
    optim_free(&p->o);
    model_free(&p->m);
    gemm_free(p->gemm);
    pool_free(p->pool);
    dataset_split_free(&p->split);
    dataset_free(&p->test);
    dataset_free(&p->train);
}

/* The model and the optimizer as a fresh run starts them. */
static int build_model(const Config *c, Parts *p, Err *e)
{
    const RunParams *rp = &c->run;
    Rng init_rng;
    rng_seed(&init_rng, rp->train.seed, RNG_STREAM_INIT);
    if (model_init(&p->m, &rp->model, p->train.dim, p->train.n_classes, p->max_rows, p->gemm,
                   p->pool, &init_rng, e) < 0)
        return -1;
    optim_init(&p->o, &rp->optim, p->m.n_params, p->pool);
    return 0;
}

/* The pool of threads (none for one) and the matrix kernels MLPTRAIN_KERNEL chooses. */
static int start_kernels(int threads, Pool **pool, Gemm **gemm, Err *e)
{
    if (threads > 1 && !(*pool = pool_create(threads)))
        return err_set(e, "cannot start %d threads", threads), EXIT_RUNTIME;
    GemmPath kernels;
    if (gemm_path_from_env(&kernels, e) < 0 || !(*gemm = gemm_create(*pool, kernels, e)))
        return EXIT_USAGE;
    return -1;
}

/* Loads the data, splits it, and builds the model and optimizer of a fresh run. Returns
 * -1 to go on, else the exit code with e. */
static int load_parts(const Config *c, RunPlan *pl, Parts *p, Err *e)
{
    const RunParams *rp = &c->run;
    if (dataset_load(&p->train, &p->test, &rp->data, e) < 0)
        return EXIT_RUNTIME;
    if (p->test.n < 1)
        return err_set(e, "%s: the test set is empty", rp->data.path), EXIT_RUNTIME;
    if (dataset_class_names(&p->names, &rp->data, e) < 0)
        return EXIT_RUNTIME;
    Rng split_rng;
    rng_seed(&split_rng, rp->train.seed, RNG_STREAM_SPLIT);
    if (dataset_split(&p->split, p->train.n, rp->data.val_split, &split_rng, e) < 0)
        return EXIT_USAGE;
    /* The files may have changed since they were planned for: decide again on what loaded. */
    long n_fit = p->split.n_train;
    if (n_fit != pl->n_fit &&
        (train_check(&rp->train, &rp->model, n_fit, e) < 0 ||
         train_sched_init(&pl->sched, &rp->train, &rp->sched, rp->optim.lr, n_fit, e) < 0))
        return EXIT_USAGE;
    dataset_normalizer(&p->nz, &p->train, &rp->data);
    int code = start_kernels(pl->threads, &p->pool, &p->gemm, e);
    if (code >= 0)
        return code;
    long n_eval = p->split.n_val > p->test.n ? p->split.n_val : p->test.n;
    p->max_rows = train_max_rows(&rp->train, n_fit, n_eval);
    if (build_model(c, p, e) < 0)
        return EXIT_USAGE;
    p->td = (TrainData){&p->train, &p->test, &p->split, &p->nz};
    return -1;
}

/* Continues the run in dir from its checkpoint: locks it, loads the checkpoint into the
 * model, optimizer, schedule and p->resume, and removes the old result.csv (the run is
 * under way again). With o->restart, a checkpoint that cannot be used is said on the log,
 * the run's files are cleared and *resumed stays false: the caller starts it afresh.
 * Returns -1 to go on, else the exit code with e. */
static int continue_run(const RunOpts *o, const Config *c, RunPlan *pl, Parts *p,
                        const char *dir, bool *resumed, Err *e)
{
    const RunParams *rp = &c->run;
    char ckpt[PARAMS_PATH_MAX + 32], rows[PARAMS_PATH_MAX + 32], path[PARAMS_PATH_MAX + 32];
    int code = rundir_lock(dir, &p->lock, e);
    if (code != 0)
        return code;
    snprintf(ckpt, sizeof ckpt, "%s/%s", dir, RUNDIR_CHECKPOINT);
    snprintf(rows, sizeof rows, "%s/" RUNDIR_EPOCHS, dir);
    Sched fresh = pl->sched;
    int rc = train_load_checkpoint(&p->resume, ckpt, config_result_hash(c), &rp->train, &p->td,
                                   &p->m, &p->o, &pl->sched, rows, e);
    if (rc < 0 && !o->restart)
        return rc == -2 ? EXIT_USAGE : EXIT_RUNTIME;
    if (rc < 0) {
        /* Loading wrote into the model, optimizer and schedule: start them again. */
        if (o->log)
            fprintf(o->log, "%smlptrain: %s: cannot continue from the checkpoint (%s); "
                    "starting the run again\n", o->prefix ? o->prefix : "", dir, e->msg);
        fclose(p->lock);
        p->lock = NULL;
        optim_free(&p->o);
        model_free(&p->m);
        pl->sched = fresh;
        if (rundir_clear(dir, e) < 0 || build_model(c, p, e) < 0)
            return EXIT_RUNTIME;
        return -1;
    }
    *resumed = true;
    snprintf(path, sizeof path, "%s/" RUNDIR_RESULT, dir);
    if (remove(path) != 0 && errno != ENOENT)
        return err_set(e, "cannot remove '%s': %s", path, strerror(errno)), EXIT_RUNTIME;
    return -1;
}

/* The live line of a run: "LABEL epoch 3/10 iter 1234/4690 loss 0.3412 val 0.9123
 * 12345 samples/s ETA 1m02s". */
static void show_progress(void *ctx, const TrainProgress *p)
{
    const RunOpts *o = ctx;
    char line[512], eta[32], loss[32] = "", val[32] = "";
    progress_format_duration(eta, sizeof eta, p->eta);
    if (isfinite(p->loss)) /* none before the first batch; a diverged run's shows in its row */
        snprintf(loss, sizeof loss, " loss %.4f", p->loss);
    if (p->last_val_acc == p->last_val_acc)
        snprintf(val, sizeof val, " val acc %.4f", p->last_val_acc);
    snprintf(line, sizeof line, "%sepoch %ld/%ld iter %ld/%ld%s%s %.0f samples/s ETA %s",
             o->label ? o->label : "", p->epoch, p->n_epochs, p->iteration, p->total_iterations,
             loss, val, p->samples_per_second, eta);
    progress_slot(o->progress, o->progress_slot, line);
}

static int write_summary(const char *dir, const Model *m, const RunPlan *pl,
                         const TrainParams *tp, Err *e)
{
    char path[PARAMS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" RUNDIR_SUMMARY, dir);
    AtomicFile af;
    if (util_atomic_open(&af, path, e) < 0)
        return -1;
    model_summary(m, af.f);
    print_memory(af.f, pl, tp);
    return util_atomic_commit(&af, e);
}

/* The files of a finished (or interrupted) run: the model, its confusion matrix and its
 * plot before result.csv, so a run whose result.csv says it finished has every file. */
static int write_results(const char *dir, const Config *c, const Parts *p, int threads,
                         const RunResult *r, Err *e)
{
    const RunParams *rp = &c->run;
    char path[PARAMS_PATH_MAX + 32];
    const char *name = base_name(dir);
    ModelOrigin origin = {.epoch = r->weights_epoch, .best = r->restored,
                          .config_hash = config_result_hash(c)};
    util_strlcpy(origin.dataset, params_dataset_names[rp->data.dataset], sizeof origin.dataset);
    snprintf(path, sizeof path, "%s/" RUNDIR_MODEL, dir);
    if (model_save(&p->m, &origin, path, e) < 0 ||
        train_write_confusion(dir, p->confusion, &p->names, e) < 0)
        return -1;
    char title[PARAMS_PATH_MAX + 256], hidden[PARAMS_MAX_HIDDEN * 12 + 1] = "";
    size_t len = 0;
    for (int i = 0; i < rp->model.n_hidden; i++)
        len += (size_t)snprintf(hidden + len, sizeof hidden - len, "%s%d", i ? "-" : "",
                                rp->model.hidden[i]);
    snprintf(title, sizeof title, "%s: %s, hidden %s, %s lr=%g, %s schedule (%s)", name,
             params_dataset_names[rp->data.dataset], rp->model.n_hidden ? hidden : "none",
             params_optim_names[rp->optim.optimizer], rp->optim.lr,
             params_sched_names[rp->sched.type], result_status_names[r->status]);
    if (report_run_curves(dir, title, e) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/" RUNDIR_RESULT, dir);
    return result_write(path, rp, name, threads, p->m.n_params,
                        (p->m.n_params + p->m.n_buffers) * sizeof(float), r, e);
}

int run_train(const RunOpts *o, const Config *c, RunPlan *pl, RunOutcome *out, Err *e)
{
    const RunParams *rp = &c->run;
    FILE *log = o->log;
    const char *prefix = o->prefix ? o->prefix : "";
    Parts p = {0};
    char dir[PARAMS_PATH_MAX + 16], rows[PARAMS_PATH_MAX + 32], ckpt[PARAMS_PATH_MAX + 32];
    bool resumed = false;
    int code = load_parts(c, pl, &p, e);
    if (code < 0 && o->resume) {
        util_strlcpy(dir, o->run_dir, sizeof dir);
        code = continue_run(o, c, pl, &p, dir, &resumed, e);
    }
    if (code < 0 && !resumed && (code = make_run_dir(o->run_dir, c, dir, sizeof dir, e)) < 0 &&
        (code = rundir_lock(dir, &p.lock, e)) == 0)
        code = -1;
    if (code >= 0) {
        parts_free(&p);
        return code;
    }
    /* Held: what a killed process left half-written here is nobody's now. */
    if (rundir_clear_temporaries(dir, e) < 0) {
        parts_free(&p);
        return EXIT_RUNTIME;
    }
    if (o->on_claimed)
        o->on_claimed();
    snprintf(ckpt, sizeof ckpt, "%s/%s", dir, RUNDIR_CHECKPOINT);
    snprintf(rows, sizeof rows, "%s/" RUNDIR_EPOCHS, dir);
    if (!resumed && write_summary(dir, &p.m, pl, &rp->train, e) < 0) {
        parts_free(&p);
        return EXIT_RUNTIME;
    }
    int threads = pl->threads;
    if (log) {
        char mem[32];
        util_format_bytes(mem, sizeof mem, pl->mem.total);
        fprintf(log, "%smlptrain: %s: %d train / %d val / %d test records, %zu params, about %s "
                "of memory, %d thread%s, %s kernels -> %s\n", prefix,
                params_dataset_names[rp->data.dataset], p.split.n_train, p.split.n_val, p.test.n,
                p.m.n_params, mem, threads, threads == 1 ? "" : "s",
                gemm_path_names[gemm_path(p.gemm)], dir);
        if (resumed)
            fprintf(log, "%smlptrain: continuing %s from its checkpoint: epoch %ld, iteration "
                    "%ld of %ld\n", prefix, dir, p.resume.epoch, p.resume.iteration,
                    train_total_steps(&rp->train, p.split.n_train));
    }

    int n_classes = p.train.n_classes;
    p.confusion = xcalloc((size_t)n_classes * n_classes, sizeof *p.confusion);
    TrainIO io = {.log = o->epoch_lines ? log : NULL, .prefix = prefix, .stop = o->stop,
                  .epochs_csv = rows, .progress = o->progress ? show_progress : NULL,
                  .progress_ctx = (void *)o, .checkpoint = ckpt,
                  .config_hash = config_result_hash(c), .resume = resumed ? &p.resume : NULL,
                  .confusion = p.confusion, .on_step = o->on_step, .step_ctx = o->step_ctx};
    RunResult r;
    int trc = train_run(&rp->train, &p.td, &p.m, &p.o, &pl->sched, &io, &r, e);
    progress_slot(o->progress, o->progress_slot, "");
    if (trc < 0 || write_results(dir, c, &p, threads, &r, e) < 0) {
        parts_free(&p);
        return EXIT_RUNTIME;
    }
    if (out) {
        out->result = r;
        util_strlcpy(out->dir, dir, sizeof out->dir);
    }
    if (log) {
        char stop[96] = "";
        if (r.stopped_epoch > 0)
            snprintf(stop, sizeof stop, ", stopped early at epoch %ld", r.stopped_epoch);
        if (r.restored)
            snprintf(stop + strlen(stop), sizeof stop - strlen(stop), ", best epoch %ld's weights",
                     r.best_epoch);
        fprintf(log, "%smlptrain: %s: test acc %.4f loss %.4f%s, %.2fs training -> %s\n", prefix,
                result_status_names[r.status], r.test_acc, r.test_loss, stop, r.train_seconds, dir);
        if (r.status == RUN_INTERRUPTED)
            fprintf(log, "%smlptrain: continue it with: mlptrain --resume %s\n", prefix, dir);
    }
    parts_free(&p);
    return r.status == RUN_INTERRUPTED ? 128 + (int)(o->stop ? *o->stop : 0) : EXIT_OK;
}

/* ---- a run directory's own config: --resume and eval ---- */

/* The key of a "section.key=value" assignment, into buf. */
static void assignment_key(const char *assignment, char *buf, size_t n)
{
    size_t len = strcspn(assignment, "=");
    if (len >= n)
        len = n - 1;
    memcpy(buf, assignment, len);
    buf[len] = '\0';
    while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
        buf[--len] = '\0';
}

int run_dir_config(const char *dir, const ConfigOverride *ov, int n,
                   bool (*allowed)(const char *key), const char *why, Config *c, Err *e)
{
    char path[PARAMS_PATH_MAX + 32];
    if (util_is_dir(dir) != 1)
        return err_set(e, "%s: not a run directory (expected the directory a run wrote)", dir),
               EXIT_USAGE;
    snprintf(path, sizeof path, "%s/" RUNDIR_CONFIG, dir);
    if (util_file_size(path, NULL) < 0)
        return err_set(e, "%s: not a run directory (it holds no config.ini)", dir), EXIT_USAGE;
    if (config_load_file(c, path, e) < 0)
        return EXIT_USAGE;
    for (int i = 0; i < n; i++) {
        char key[128];
        if (ov[i].kind == CONFIG_THREADS)
            snprintf(key, sizeof key, "train.threads");
        else
            assignment_key(ov[i].text, key, sizeof key);
        if (config_locate(c, key, path, sizeof path) == 0 && !allowed(key)) {
            char list[1024] = "";
            const char *section, *name, *def;
            for (int k = 0; config_key_info(k, &section, &name, &def) == 0; k++) {
                char full[128];
                snprintf(full, sizeof full, "%s.%s", section, name);
                if (allowed(full))
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                             list[0] ? ", " : "", full);
            }
            return err_set(e, "--set %s: %s, so only %s may be set", ov[i].text, why, list),
                   EXIT_USAGE;
        }
        if (config_override(c, &ov[i], e) < 0)
            return EXIT_USAGE;
    }
    if (sweep_has(&c->sweep))
        return err_set(e, "%s/config.ini: has a [sweep] section; a run's config.ini has none",
                       dir), EXIT_USAGE;
    if (config_finish(c, e) < 0)
        return EXIT_USAGE;
    return -1;
}

static bool changes_no_result(const char *key)
{
    return !config_key_affects_results(key);
}

int run_resume(const char *dir, const ConfigOverride *ov, int n, bool force, const RunOpts *o,
               Config *c, RunOutcome *out, Err *e)
{
    char why[PARAMS_PATH_MAX + 256];
    snprintf(why, sizeof why, "a continued run keeps the config it started with (%s/config.ini): "
             "its results must be those of the uninterrupted run", dir);
    int code = run_dir_config(dir, ov, n, changes_no_result, why, c, e);
    if (code >= 0)
        return code;
    RunStatus st = rundir_status(dir);
    char path[PARAMS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, RUNDIR_CHECKPOINT);
    if (rundir_finished(st))
        return err_set(e, "%s: the run is finished (status %s in result.csv); there is nothing "
                       "to continue", dir, result_status_names[st]), EXIT_USAGE;
    /* Only a missing checkpoint is the user's to fix by starting again; one that is no
     * file (a directory, a FIFO never opened) is a damaged run, as a damaged file is. */
    if (util_file_size_of(path, "a checkpoint file", e) < 0) {
        if (errno != ENOENT)
            return EXIT_RUNTIME;
        return err_set(e, "%s: no %s to continue from (a run writes one when a signal stops "
                       "it, at its end, and every train.checkpoint_every epochs); start the run "
                       "again instead", dir, RUNDIR_CHECKPOINT), EXIT_USAGE;
    }
    RunPlan plan;
    if ((code = run_plan(c, true, force, 0, &plan, e)) >= 0)
        return code;
    RunOpts here = *o;
    here.run_dir = dir;
    here.resume = true;
    return run_train(&here, c, &plan, out, e);
}

/* ---- eval ---- */

static bool names_test_set(const char *key)
{
    static const char *const keys[] = {"data.path", "data.dataset", "data.test_limit",
                                       "train.threads"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

/* eval.csv: what was evaluated, and how it did. */
static int write_eval(const char *dir, const RunParams *rp, const ModelOrigin *origin,
                      const RunEval *res, Err *e)
{
    static const char *const cols[] = {"run", "weights", "epoch", "dataset", "path", "records",
                                       "test_loss", "test_acc"};
    char path[PARAMS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" RUNDIR_EVAL, res->out);
    AtomicFile af;
    if (util_atomic_open(&af, path, e) < 0)
        return -1;
    CsvWriter w;
    csv_attach_file(&w, &af, cols, (int)(sizeof cols / sizeof cols[0]));
    csv_str(&w, dir);
    csv_str(&w, origin->best ? "best" : "last");
    csv_long(&w, origin->epoch);
    csv_str(&w, params_dataset_names[rp->data.dataset]);
    csv_str(&w, rp->data.path);
    csv_long(&w, res->records);
    csv_double(&w, res->loss);
    csv_double(&w, res->acc);
    csv_end_row(&w, NULL);
    return csv_commit(&w, &af, e);
}

/* What eval holds; freed by eval_free. */
typedef struct {
    Config own;              /* the run's config.ini as it is, without overrides */
    CkptFile f;
    Dataset test;
    Model m;
    Pool *pool;
    Gemm *gemm;
    long *confusion;
} Eval;

static void eval_free(Eval *v)
{
    free(v->confusion);
    ckpt_file_free(&v->f);
    model_free(&v->m);
    gemm_free(v->gemm);
    pool_free(v->pool);
    dataset_free(&v->test);
    config_free(&v->own);
}

/* The body of run_eval, with what it holds in v. */
static int evaluate(const char *dir, const ConfigOverride *ov, int n, const char *out_dir,
                    FILE *log, Config *c, Eval *v, RunEval *res, Err *e)
{
    int code = run_dir_config(dir, ov, n, names_test_set, "eval evaluates the saved model as "
                              "it was trained", c, e);
    if (code < 0)
        code = run_dir_config(dir, NULL, 0, names_test_set, "", &v->own, e);
    if (code >= 0)
        return code;
    const RunParams *rp = &c->run;
    char path[PARAMS_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/" RUNDIR_MODEL, dir);
    ModelParams mp;
    ModelOrigin origin;
    int n_in, n_classes;
    if (ckpt_read(&v->f, path, CKPT_MODEL, e) < 0 ||
        model_file_shape(&v->f, &mp, &n_in, &n_classes, &origin, e) < 0)
        return EXIT_RUNTIME;
    if (origin.config_hash != config_result_hash(&v->own))
        return err_set(e, "%s: written by a run of another config than %s/config.ini (the file "
                       "or the directory was changed); expected a run directory as a run left "
                       "it", path, dir), EXIT_USAGE;
    if (dataset_load_test(&v->test, &rp->data, e) < 0)
        return EXIT_RUNTIME;
    if (v->test.n < 1)
        return err_set(e, "%s: the test set is empty", rp->data.path), EXIT_RUNTIME;
    if (v->test.dim != n_in || v->test.n_classes != n_classes)
        return err_set(e, "%s: %s records have %d values in %d classes, but the model takes %d "
                       "values in %d classes (expected a dataset like the one it was trained "
                       "on, %s)", rp->data.path, params_dataset_names[rp->data.dataset],
                       v->test.dim, v->test.n_classes, n_in, n_classes, origin.dataset),
               EXIT_USAGE;
    ClassNames names;
    if (dataset_class_names(&names, &rp->data, e) < 0)
        return EXIT_RUNTIME;
    if ((code = start_kernels(resolve_threads(&rp->train), &v->pool, &v->gemm, e)) >= 0)
        return code;
    int batch = rp->train.eval_batch_size < v->test.n ? (int)rp->train.eval_batch_size
                                                       : v->test.n;
    Rng unused;
    rng_seed(&unused, 0, RNG_STREAM_INIT);
    if (model_init(&v->m, &mp, n_in, n_classes, batch, v->gemm, v->pool, &unused, e) < 0 ||
        model_file_weights(&v->f, &v->m, e) < 0)
        return EXIT_RUNTIME;
    ckpt_file_free(&v->f);
    Normalizer nz;
    dataset_normalizer(&nz, &v->test, &rp->data);
    v->confusion = xcalloc((size_t)n_classes * n_classes, sizeof *v->confusion);
    res->records = v->test.n;
    train_evaluate(&v->m, &v->test, &nz, batch, (float)rp->train.label_smoothing, v->confusion,
                   &res->loss, &res->acc);

    if (out_dir)
        util_strlcpy(res->out, out_dir, sizeof res->out);
    else
        snprintf(res->out, sizeof res->out, "%s/" RUNDIR_EVAL_DIR, dir);
    if ((code = rundir_claim_eval(res->out, dir, e)) >= 0)
        return code;
    if (train_write_confusion(res->out, v->confusion, &names, e) < 0 ||
        write_eval(dir, rp, &origin, res, e) < 0)
        return EXIT_RUNTIME;
    if (log)
        fprintf(log, "mlptrain: eval: %s/model.bin (epoch %ld, %s weights) on %s in %s: %d "
                "records, test acc %.4f loss %.4f -> %s\n", dir, origin.epoch,
                origin.best ? "best" : "last", params_dataset_names[rp->data.dataset],
                rp->data.path, v->test.n, res->acc, res->loss, res->out);
    return EXIT_OK;
}

int run_eval(const char *dir, const ConfigOverride *ov, int n, const char *out_dir, FILE *log,
             Config *c, RunEval *res, Err *e)
{
    Eval v = {0};
    config_init(&v.own);
    int code = evaluate(dir, ov, n, out_dir, log, c, &v, res, e);
    eval_free(&v);
    return code;
}
