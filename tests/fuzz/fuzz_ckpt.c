/* fuzz_ckpt.c - libFuzzer harness for what reads checkpoint.bin and model.bin: the
 * container (ckpt.c), the model file (model_file_shape, model_file_weights) and
 * train_load_checkpoint, with the run it continues. The input is one file:
 *
 *   byte 0   bit 0: its kind, 0 checkpoint, 1 model file
 *            bit 1: fix the header first (payload size and CRC-32 set to the bytes'
 *                   real ones), so that mutations reach the sections; without it
 *                   nearly every mutation is a CRC mismatch
 *            checkpoint: bits 2-3 the run it is loaded into (0 adam, 1 sgd, 2 adamw,
 *                   3 adam), bit 4 continue training after a successful load, bits
 *                   5-6 stop after that many steps (0 = run to the end)
 *            model file: bits 2-3 the model's batch rows - 1 (1..4), bit 4 read it
 *                   from a file with ckpt_read instead of ckpt_parse
 *   then     the file's bytes
 *
 * The runs: at LLVMFuzzerInitialize three tiny runs are built in memory as main.c builds
 * a run (config text -> split -> model_init -> optim_init -> sched_init), on a synthetic
 * Dataset of 40 + 12 records of 12 bytes in 4 classes, and trained once with train_run:
 * stopped mid-epoch by the stop flag (an interrupt checkpoint), then continued from it to
 * the end. Their epochs.csv is kept in memory and restored before each input. The clock
 * is a counter (the binary is linked with --wrap=util_now), so epochs.csv, and the CRC of
 * it that every checkpoint records, are the same bytes in every process: the committed
 * seeds load. The runs (all with a validation split and checkpoint_every = 1):
 *   adam:  hidden 8, batch norm, dropout 0.25; Adam; cosine_warm_restarts per epoch
 *          (T_0 1, T_mult 2); eval_every 3; early stopping, restore_best
 *   sgd:   hidden 8,6 tanh, dropout 0.1; SGD momentum 0.9 nesterov, weight decay;
 *          plateau (patience 0); batches of 7 (a last batch of 2)
 *   adamw: hidden 8 gelu, batch norm; AdamW amsgrad, clip_grad_norm, l1; 3 warm-up
 *          iterations then caffe_multistep; max_iterations 17 (a partial last epoch);
 *          label smoothing
 *
 * Asserts:
 *   model file: no crash or sanitizer report; no single allocation larger than rows x the
 *     input plus 64 KiB (a model whose parameters the file holds needs no more: every
 *     layer's width is at most its weight count; the 64 KiB cover the layer table of up to
 *     64 hidden layers and stdio); every failure is -1 with one line starting with the
 *     file's name; an accepted shape lies within the config's bounds (dropout < 1, a known
 *     activation, the dataset one of params_dataset_names) and builds (models of more than
 *     FUZZ_MAX_PARAMS parameters are not built); an accepted model evaluates rows rows, and
 *     model_save writes it back as a file that loads to the same shape, origin and bits.
 *   checkpoint: no crash or sanitizer report; no single allocation larger than the input
 *     plus its section table (at most one entry per 11 bytes) plus 16 KiB (the run's own
 *     arrays are far smaller); -1 or -2 with one line naming the checkpoint or epochs.csv,
 *     and the TrainState zeroed; on success the state lies within the run (epoch 1..epochs,
 *     batch 0..steps per epoch, iteration 0..steps, the order a permutation of the
 *     training records, the best weights present exactly with restore_best); continued
 *     for a few steps (or to the end) it returns 0 or -1 with one line, stays within the
 *     run's epochs and steps, and the checkpoint it writes loads again.
 *
 * Seeds: FUZZ_WRITE_SEEDS=DIR build-fuzz/fuzz_ckpt writes the valid files of these runs
 * (and a few damaged ones) to DIR and exits. FUZZ_VERBOSE=1 prints each input's outcome. */
#include "fuzz_files.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>

#include "ckpt.h"
#include "config.h"
#include "model.h"
#include "train.h"

/* The deterministic clock: every call advances 1/128 s (exact in binary). */
double __wrap_util_now(void);
static double fuzz_clock;
double __wrap_util_now(void)
{
    return fuzz_clock += 0.0078125;
}

/* Models above this many parameters are not built (time, not memory: the allocation
 * bound holds for any size). */
#define FUZZ_MAX_PARAMS 2000000

enum {
    F_MODEL = 1,
    F_FIX_HEADER = 2,
    F_CONTINUE = 16, /* checkpoint */
    F_READ_FILE = 16 /* model file */
};

static const uint8_t *input;
static size_t input_size;

/* Shows what failed and the input's size, and traps. */
static _Noreturn void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz: %s\n---- detail\n%s\n---- input: %zu bytes, flags 0x%02x\n", what,
            detail ? detail : "", input_size, input_size ? input[0] : 0);
    __builtin_trap();
}

/* A failure's message: one non-empty line that names one of the files. */
static void check_message(const Err *e, const char *name, const char *other)
{
    if (e->msg[0] == '\0' || strchr(e->msg, '\n'))
        fail("error message empty or not one line", e->msg);
    if (strncmp(e->msg, name, strlen(name)) != 0 && !(other && strstr(e->msg, other)))
        fail("error message does not name the file", e->msg);
}

/* ---- the synthetic runs ---- */

#define N_RECORDS 40
#define N_TEST 12
#define DIM 12
#define CLASSES 4

static const char *const run_names[] = {"adam", "sgd", "adamw"};
enum { N_RUNS = sizeof run_names / sizeof run_names[0] };

static const char *const run_inis[N_RUNS] = {
    "[data]\nval_split = 0.25\n"
    "[model]\nhidden = 8\nbatchnorm = true\ndropout = 0.25\n"
    "[optim]\noptimizer = adam\nlr = 0.01\n"
    "[schedule]\ntype = cosine_warm_restarts\nT_0 = 1\nT_mult = 2\n"
    "[train]\nepochs = 5\nbatch_size = 8\neval_every = 3\ncheckpoint_every = 1\n"
    "early_stop_patience = 3\nrestore_best = true\nseed = 7\n",

    "[data]\nval_split = 0.25\n"
    "[model]\nhidden = 8, 6\nactivation = tanh\ndropout = 0.1\n"
    "[optim]\noptimizer = sgd\nlr = 0.05\nmomentum = 0.9\nnesterov = true\n"
    "weight_decay = 0.0001\n"
    "[schedule]\ntype = plateau\npatience = 0\nfactor = 0.5\n"
    "[train]\nepochs = 5\nbatch_size = 7\ncheckpoint_every = 1\nseed = 8\n",

    "[data]\nval_split = 0.2\n"
    "[model]\nhidden = 8\nactivation = gelu\nbatchnorm = true\n"
    "[optim]\noptimizer = adamw\namsgrad = true\nlr = 0.01\nclip_grad_norm = 1\nl1 = 0.0001\n"
    "[schedule]\ntype = caffe_multistep\nmilestones = 5, 9, 14\ngamma = 0.5\n"
    "warmup_iterations = 3\n"
    "[train]\nmax_iterations = 17\nbatch_size = 8\nlabel_smoothing = 0.1\n"
    "checkpoint_every = 1\nseed = 9\n",
};

/* Where each run stops first (mid-epoch). */
static const long run_stops[N_RUNS] = {6, 8, 10};

typedef struct {
    Config c;
    Dataset train, test;
    DataSplit split;
    Normalizer nz;
    TrainData td;
    uint64_t hash;
    long per_epoch, total, n_epochs;
    char rows[600];          /* its epochs.csv */
    unsigned char *csv;      /* what the run left in it */
    size_t csv_size;
    bool dirty;              /* changed since: restore before the next load */
    /* checkpoints the setup wrote, for seeds: mid-run, each epoch's end, the end */
    unsigned char *ckpt[8];
    size_t ckpt_size[8];
    int n_ckpt;
} Ctx;

static Ctx runs[N_RUNS];

/* A model, optimizer and schedule, built exactly as for a fresh run. */
typedef struct {
    Model m;
    Optim o;
    Sched s;
} Parts;

static void setup_fail(const char *what, const Err *e)
{
    fprintf(stderr, "fuzz_ckpt: setup: %s: %s\n", what, e ? e->msg : "");
    abort();
}

static void parts_build(const Ctx *c, Parts *p)
{
    const RunParams *rp = &c->c.run;
    Err e;
    Rng rng;
    memset(p, 0, sizeof *p);
    long n_fit = c->split.n_train;
    long n_eval = c->split.n_val > c->test.n ? c->split.n_val : c->test.n;
    rng_seed(&rng, rp->train.seed, RNG_STREAM_INIT);
    if (model_init(&p->m, &rp->model, c->train.dim, c->train.n_classes,
                   train_max_rows(&rp->train, n_fit, n_eval), NULL, NULL, &rng, &e) < 0)
        setup_fail("model_init", &e);
    optim_init(&p->o, &rp->optim, p->m.n_params, NULL);
    if (sched_init(&p->s, &rp->sched, rp->optim.lr, c->n_epochs, c->per_epoch,
                   rp->train.max_iterations, &e) < 0)
        setup_fail("sched_init", &e);
}

static void parts_free(Parts *p)
{
    optim_free(&p->o);
    model_free(&p->m);
    memset(p, 0, sizeof *p);
}

/* Records with deterministic bytes: each label's records share a pattern, plus noise. */
static void make_dataset(Dataset *d, int n, uint32_t seed)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->dim = DIM;
    d->channels = 1;
    d->n_classes = CLASSES;
    d->n_files = 1;
    d->pixels = xmalloc((size_t)n * DIM);
    d->labels = xmalloc((size_t)n);
    uint32_t x = seed;
    for (int i = 0; i < n; i++) {
        int label = (i * 7 + 3) % CLASSES;
        d->labels[i] = (uint8_t)label;
        for (int k = 0; k < DIM; k++) {
            x = x * 1664525u + 1013904223u;
            int v = (k % CLASSES == label ? 160 : 40) + (int)(x >> 26);
            d->pixels[(size_t)i * DIM + (size_t)k] = (uint8_t)v;
        }
    }
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    unsigned char *b = xmalloc(cap);
    size_t got;
    while ((got = fread(b + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            unsigned char *bigger = xmalloc(cap * 2);
            memcpy(bigger, b, len);
            free(b);
            b = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    *n = len;
    return b;
}

static void write_file(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* Stops a run after step stop_at; keeps the periodic checkpoints as they appear. */
typedef struct {
    volatile sig_atomic_t stop;
    long stop_at;
    Ctx *keep;               /* setup only: collect checkpoint.bin at each epoch's start */
    const char *ckpt_path;
} Hook;

static void keep_checkpoint(Ctx *c, const char *path)
{
    size_t n;
    unsigned char *b = slurp(path, &n);
    if (!b)
        return;
    if (c->n_ckpt > 0 && c->ckpt_size[c->n_ckpt - 1] == n &&
        memcmp(c->ckpt[c->n_ckpt - 1], b, n) == 0) {
        free(b);
        return;
    }
    if (c->n_ckpt == (int)(sizeof c->ckpt / sizeof c->ckpt[0])) {
        free(b);
        return;
    }
    c->ckpt[c->n_ckpt] = b;
    c->ckpt_size[c->n_ckpt++] = n;
}

static void on_step(void *ctx, long iteration)
{
    Hook *h = ctx;
    if (h->keep && iteration % h->keep->per_epoch == 1)
        keep_checkpoint(h->keep, h->ckpt_path);
    if (iteration == h->stop_at)
        h->stop = 1;
}

static void restore_rows(Ctx *c)
{
    if (!c->dirty)
        return;
    write_file(c->rows, c->csv, c->csv_size);
    c->dirty = false;
}

static char ckpt_setup_path[N_RUNS][600];

/* Builds run k and trains it: stopped after run_stops[k], then continued to the end. */
static void setup_run(int k)
{
    Ctx *c = &runs[k];
    Err e;
    config_init(&c->c);
    if (config_load_string(&c->c, run_names[k], run_inis[k], &e) < 0 ||
        config_finish(&c->c, &e) < 0)
        setup_fail(run_names[k], &e);
    const RunParams *rp = &c->c.run;
    make_dataset(&c->train, N_RECORDS, 1u + (uint32_t)k);
    make_dataset(&c->test, N_TEST, 100u + (uint32_t)k);
    Rng rng;
    rng_seed(&rng, rp->train.seed, RNG_STREAM_SPLIT);
    if (dataset_split(&c->split, c->train.n, rp->data.val_split, &rng, &e) < 0)
        setup_fail("dataset_split", &e);
    dataset_normalizer(&c->nz, &c->train, &rp->data);
    c->td = (TrainData){&c->train, &c->test, &c->split, &c->nz};
    c->hash = config_result_hash(&c->c);
    long n_fit = c->split.n_train;
    c->per_epoch = train_steps_per_epoch(&rp->train, n_fit);
    c->total = train_total_steps(&rp->train, n_fit);
    c->n_epochs = train_epochs(&rp->train, n_fit);
    char name[64];
    snprintf(name, sizeof name, "%s.csv", run_names[k]);
    fuzz_path(c->rows, sizeof c->rows, name);
    snprintf(name, sizeof name, "%s.bin", run_names[k]);
    fuzz_path(ckpt_setup_path[k], sizeof ckpt_setup_path[k], name);
    const char *ckpt = ckpt_setup_path[k];

    for (int part = 0; part < 2; part++) {
        Parts p;
        parts_build(c, &p);
        TrainState st = {0};
        if (part == 1 &&
            train_load_checkpoint(&st, ckpt, c->hash, &rp->train, &c->td, &p.m, &p.o, &p.s,
                                  c->rows, &e) != 0)
            setup_fail("train_load_checkpoint", &e);
        Hook h = {0, part == 0 ? run_stops[k] : 0, c, ckpt};
        TrainIO io = {.stop = &h.stop, .epochs_csv = c->rows, .checkpoint = ckpt,
                      .config_hash = c->hash, .resume = part == 1 ? &st : NULL,
                      .on_step = on_step, .step_ctx = &h};
        RunResult r;
        if (train_run(&rp->train, &c->td, &p.m, &p.o, &p.s, &io, &r, &e) != 0)
            setup_fail("train_run", &e);
        if (r.status != (part == 0 ? RUN_INTERRUPTED : RUN_OK))
            setup_fail("train_run ended with the wrong status", NULL);
        keep_checkpoint(c, ckpt);
        train_state_free(&st);
        parts_free(&p);
    }
    c->csv = slurp(c->rows, &c->csv_size);
    if (!c->csv)
        setup_fail("cannot read back epochs.csv", NULL);
}

/* ---- the checks ---- */

static void fix_header(unsigned char *b, size_t n)
{
    if (n < CKPT_HEADER_BYTES)
        return;
    uint64_t payload = n - CKPT_HEADER_BYTES;
    uint32_t crc = ckpt_crc32(0, b + CKPT_HEADER_BYTES, (size_t)payload);
    for (int i = 0; i < 8; i++)
        b[16 + i] = (unsigned char)(payload >> (8 * i));
    for (int i = 0; i < 4; i++)
        b[24 + i] = (unsigned char)(crc >> (8 * i));
}

/* A loaded state lies within the run: counts in range, the order a permutation of the
 * training records, the best weights there exactly with restore_best. */
static void check_state(const Ctx *c, const Parts *p, const TrainState *st)
{
    char d[256];
    snprintf(d, sizeof d, "epoch %ld of %ld, batch %ld of %ld, iteration %ld of %ld, order %d",
             st->epoch, c->n_epochs, st->batch, c->per_epoch, st->iteration, c->total, st->n_perm);
    if (st->epoch < 1 || st->epoch > c->n_epochs || st->batch < 0 || st->batch > c->per_epoch ||
        st->iteration < 0 || st->iteration > c->total || st->n_perm != c->split.n_train ||
        !st->perm)
        fail("loaded state outside the run", d);
    unsigned char seen[N_RECORDS] = {0};
    for (int i = 0; i < c->split.n_train; i++)
        seen[c->split.train_idx[i]] = 1;
    for (int i = 0; i < st->n_perm; i++) {
        int r = st->perm[i];
        if (r < 0 || r >= N_RECORDS || seen[r] != 1)
            fail("loaded order is not a permutation of the training records", d);
        seen[r] = 2;
    }
    size_t want = c->c.run.train.restore_best ? p->m.n_params + p->m.n_buffers : 0;
    if ((st->best_weights != NULL) != (want > 0) || st->n_best != want)
        fail("best weights present without restore_best, or of the wrong size", d);
}

/* Loads checkpoint path into a fresh build of run c, against its epochs.csv as it is. */
static int load(Ctx *c, Parts *p, TrainState *st, const char *path, Err *e)
{
    const RunParams *rp = &c->c.run;
    parts_build(c, p);
    return train_load_checkpoint(st, path, c->hash, &rp->train, &c->td, &p->m, &p->o, &p->s,
                                 c->rows, e);
}

/* Continues a loaded run for `steps` steps (0 = to its end); the checkpoint it writes must
 * load again. */
static void continue_run(Ctx *c, Parts *p, TrainState *st, int steps)
{
    const RunParams *rp = &c->c.run;
    char next[600];
    fuzz_path(next, sizeof next, fuzz_names[1]);
    unlink(next);
    Hook h = {0, steps ? st->iteration + steps : 0, NULL, NULL};
    TrainIO io = {.stop = &h.stop, .epochs_csv = c->rows, .checkpoint = next,
                  .config_hash = c->hash, .resume = st, .on_step = on_step, .step_ctx = &h};
    RunResult r;
    Err e = {0};
    c->dirty = true;
    int rc = train_run(&rp->train, &c->td, &p->m, &p->o, &p->s, &io, &r, &e);
    if (fuzz_verbose)
        fprintf(stderr, "fuzz: continued: %s\n", rc ? e.msg : result_status_names[r.status]);
    if (rc != 0) {
        if (rc != -1)
            fail("train_run returned neither 0 nor -1", e.msg);
        check_message(&e, c->rows, next);
        return;
    }
    char d[160];
    snprintf(d, sizeof d, "epochs %ld of %ld, iterations %ld of %ld, status %s", r.epochs,
             c->n_epochs, r.iterations, c->total, result_status_names[r.status]);
    if (r.epochs < 1 || r.epochs > c->n_epochs || r.iterations < 0 || r.iterations > c->total)
        fail("continued run went outside the run's epochs or steps", d);
    if (r.status == RUN_DIVERGED) /* a diverged run writes no checkpoint */
        return;
    Parts again;
    TrainState st2 = {0};
    rc = load(c, &again, &st2, next, &e);
    if (rc != 0)
        fail("the checkpoint a continued run wrote does not load", e.msg);
    check_state(c, &again, &st2);
    if (st2.iteration != r.iterations)
        fail("the continued run's checkpoint is not of its last step", d);
    train_state_free(&st2);
    parts_free(&again);
}

static void fuzz_checkpoint(const unsigned char *b, size_t n, unsigned flags)
{
    Ctx *c = &runs[(flags >> 2 & 3) % N_RUNS];
    char path[600];
    fuzz_write(path, sizeof path, fuzz_names[0], b, n);
    Parts p;
    TrainState st;
    Err e = {0};
    restore_rows(c);
    parts_build(c, &p);
    fuzz_alloc_limit = n + (n / 11 + 1) * sizeof(CkptSection) + FUZZ_ALLOC_SLACK;
    int rc = train_load_checkpoint(&st, path, c->hash, &c->c.run.train, &c->td, &p.m, &p.o,
                                   &p.s, c->rows, &e);
    fuzz_alloc_limit = 0;
    if (fuzz_verbose)
        fprintf(stderr, "fuzz: %s: %s\n", run_names[c - runs], rc ? e.msg : "loaded");
    if (rc != 0) {
        if (rc != -1 && rc != -2)
            fail("train_load_checkpoint returned neither 0, -1 nor -2", e.msg);
        check_message(&e, path, c->rows);
        if (st.perm || st.best_weights)
            fail("a refused checkpoint left arrays in the state", e.msg);
    } else {
        check_state(c, &p, &st);
        if (flags & F_CONTINUE)
            continue_run(c, &p, &st, (int)(flags >> 5 & 3));
    }
    train_state_free(&st);
    parts_free(&p);
}

/* ---- model files ---- */

#define MODEL_NAME "fuzz/model.bin"
#define MODEL_SLACK (64 * 1024)

static bool same_shape(const ModelParams *a, const ModelParams *b)
{
    if (a->n_hidden != b->n_hidden || a->activation != b->activation ||
        a->batchnorm != b->batchnorm || memcmp(&a->dropout, &b->dropout, sizeof a->dropout))
        return false;
    for (int i = 0; i < a->n_hidden; i++)
        if (a->hidden[i] != b->hidden[i])
            return false;
    return true;
}

/* model_save writes m back; it must load to the same shape, origin and bits. */
static void round_trip(const Model *m, const ModelOrigin *org)
{
    char path[600];
    fuzz_path(path, sizeof path, fuzz_names[2]);
    Err e;
    if (model_save(m, org, path, &e) < 0)
        fail("model_save failed", e.msg);
    CkptFile f;
    ModelParams mp;
    ModelOrigin o2;
    int n_in, n_classes;
    if (ckpt_read(&f, path, CKPT_MODEL, &e) < 0 ||
        model_file_shape(&f, &mp, &n_in, &n_classes, &o2, &e) < 0)
        fail("a saved model does not load back", e.msg);
    if (!same_shape(&mp, &m->p) || n_in != m->n_in || n_classes != m->n_classes ||
        strcmp(o2.dataset, org->dataset) != 0 || o2.epoch != org->epoch ||
        o2.best != org->best || o2.config_hash != org->config_hash)
        fail("a saved model loads back to another shape or origin", NULL);
    Model m2;
    Rng rng;
    rng_seed(&rng, 1, RNG_STREAM_INIT);
    if (model_init(&m2, &mp, n_in, n_classes, 1, NULL, NULL, &rng, &e) < 0 ||
        model_file_weights(&f, &m2, &e) < 0)
        fail("a saved model's weights do not load back", e.msg);
    if (m2.n_params != m->n_params || m2.n_buffers != m->n_buffers ||
        memcmp(m2.params, m->params, m->n_params * sizeof(float)) != 0 ||
        (m->n_buffers && memcmp(m2.buffers, m->buffers, m->n_buffers * sizeof(float)) != 0))
        fail("a saved model loads back to other weights", NULL);
    model_free(&m2);
    ckpt_file_free(&f);
}

static void fuzz_model(const unsigned char *b, size_t n, unsigned flags)
{
    int rows = 1 + (int)(flags >> 2 & 3);
    char path[600];
    const char *name = MODEL_NAME;
    CkptFile f;
    Err e = {0};
    fuzz_alloc_limit = (size_t)rows * n + MODEL_SLACK;
    int rc;
    if (flags & F_READ_FILE) {
        fuzz_write(path, sizeof path, fuzz_names[0], b, n);
        name = path;
        rc = ckpt_read(&f, path, CKPT_MODEL, &e);
    } else {
        rc = ckpt_parse(&f, b, n, name, CKPT_MODEL, &e);
    }
    ModelParams mp;
    ModelOrigin org;
    int n_in = 0, n_classes = 0;
    if (rc == 0)
        rc = model_file_shape(&f, &mp, &n_in, &n_classes, &org, &e);
    if (rc != 0) {
        fuzz_alloc_limit = 0;
        if (fuzz_verbose)
            fprintf(stderr, "fuzz: model: %s\n", e.msg);
        if (rc != -1)
            fail("a model file's refusal is not -1", e.msg);
        check_message(&e, name, NULL);
        ckpt_file_free(&f);
        return;
    }
    /* What a run could have written: the config's bounds. */
    bool dataset_known = false;
    for (int k = 0; params_dataset_names[k]; k++)
        dataset_known |= strcmp(params_dataset_names[k], org.dataset) == 0;
    if (!(mp.dropout >= 0 && mp.dropout < 1) || (unsigned)mp.activation >= ACT_COUNT ||
        mp.n_hidden < 0 || mp.n_hidden > PARAMS_MAX_HIDDEN || n_in < 1 || n_classes < 2 ||
        !dataset_known)
        fail("an accepted model file holds a shape or origin no run writes", org.dataset);
    Model m;
    if (model_layout(&m, &mp, n_in, n_classes, rows, NULL, &e) < 0)
        fail("an accepted shape cannot be laid out", e.msg);
    size_t n_params = m.n_params;
    model_free(&m);
    if (n_params > FUZZ_MAX_PARAMS) {
        fuzz_alloc_limit = 0;
        ckpt_file_free(&f);
        return;
    }
    Rng rng;
    rng_seed(&rng, 0, RNG_STREAM_INIT);
    if (model_init(&m, &mp, n_in, n_classes, rows, NULL, NULL, &rng, &e) < 0)
        fail("an accepted shape cannot be built", e.msg);
    rc = model_file_weights(&f, &m, &e);
    fuzz_alloc_limit = 0;
    if (fuzz_verbose)
        fprintf(stderr, "fuzz: model: %s\n", rc ? e.msg : "loaded");
    if (rc != 0) {
        if (rc != -1)
            fail("a model file's refusal is not -1", e.msg);
        check_message(&e, name, NULL);
    } else {
        /* It evaluates: a forward pass of rows rows (NaN weights are allowed values). */
        float *x = xmalloc((size_t)rows * (size_t)n_in * sizeof(float));
        for (size_t i = 0; i < (size_t)rows * (size_t)n_in; i++)
            x[i] = (float)(i % 7) * 0.25f - 0.5f;
        const float *logits = model_forward(&m, x, rows, false, NULL);
        unsigned sum = 0;
        for (int i = 0; i < rows * n_classes; i++)
            sum += logits[i] > 0;
        fuzz_sink = sum;
        free(x);
        round_trip(&m, &org);
    }
    model_free(&m);
    ckpt_file_free(&f);
}

/* ---- seeds ---- */

static void seed(const char *dir, const char *name, unsigned flags, const unsigned char *b,
                 size_t n)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unsigned char *s = xmalloc(n + 1);
    s[0] = (unsigned char)flags;
    memcpy(s + 1, b, n);
    write_file(path, s, n + 1);
    free(s);
}

/* Run k's final model as model.bin bytes. */
static unsigned char *model_bytes(int k, size_t *n)
{
    Ctx *c = &runs[k];
    Parts p;
    TrainState st = {0};
    Err e;
    char path[600];
    restore_rows(c);
    if (load(c, &p, &st, ckpt_setup_path[k], &e) != 0)
        setup_fail("train_load_checkpoint", &e);
    ModelOrigin org = {.epoch = st.epoch, .best = false, .config_hash = c->hash};
    util_strlcpy(org.dataset, params_dataset_names[c->c.run.data.dataset], sizeof org.dataset);
    fuzz_path(path, sizeof path, fuzz_names[3]);
    if (model_save(&p.m, &org, path, &e) < 0)
        setup_fail("model_save", &e);
    train_state_free(&st);
    parts_free(&p);
    unsigned char *b = slurp(path, n);
    unlink(path);
    return b;
}

/* Section name's first value byte in file b (parsed as kind), or NULL. */
static unsigned char *section_at(unsigned char *b, size_t n, CkptKind kind, const char *name)
{
    CkptFile f;
    Err e;
    if (ckpt_parse(&f, b, n, "seed", kind, &e) < 0)
        setup_fail("ckpt_parse", &e);
    const CkptSection *s = ckpt_find(&f, name);
    unsigned char *p = s ? b + s->offset : NULL;
    ckpt_file_free(&f);
    return p;
}

static void write_seeds(const char *dir)
{
    char name[64];
    enum { CONT = F_CONTINUE | 2 << 5 }; /* continue 2 steps */
    for (int k = 0; k < N_RUNS; k++) {
        Ctx *c = &runs[k];
        unsigned ckpt_flags = F_FIX_HEADER | (unsigned)k << 2 | CONT;
        for (int i = 0; i < c->n_ckpt; i++) {
            snprintf(name, sizeof name, "ckpt_%s_%d", run_names[k], i);
            seed(dir, name, ckpt_flags, c->ckpt[i], c->ckpt_size[i]);
        }
        size_t n;
        unsigned char *m = model_bytes(k, &n);
        snprintf(name, sizeof name, "model_%s", run_names[k]);
        seed(dir, name, F_MODEL | F_FIX_HEADER | 1 << 2, m, n);
        free(m);
    }
    /* Damaged ones. */
    const Ctx *a = &runs[0];
    unsigned char *b = xmalloc(a->ckpt_size[0]);
    size_t n = a->ckpt_size[0];
    seed(dir, "bad_ckpt_truncated", 0, a->ckpt[0], n / 2);
    memcpy(b, a->ckpt[0], n);
    b[n - 5] ^= 0x40;
    seed(dir, "bad_ckpt_crc", 0, b, n);
    memcpy(b, a->ckpt[0], n);
    unsigned char *order = section_at(b, n, CKPT_CHECKPOINT, "loop.order");
    memcpy(order + 4, order, 4); /* a record twice */
    seed(dir, "bad_ckpt_order_duplicate", F_FIX_HEADER | CONT, b, n);
    /* run sgd's checkpoint given to run adamw: another config */
    seed(dir, "bad_ckpt_other_run", F_FIX_HEADER | 2 << 2, runs[1].ckpt[0], runs[1].ckpt_size[0]);
    free(b);
    size_t mn;
    unsigned char *m = model_bytes(0, &mn);
    seed(dir, "bad_model_as_checkpoint", F_FIX_HEADER, m, mn);
    unsigned char *hidden = section_at(m, mn, CKPT_MODEL, "model.hidden");
    hidden[0] = 9; /* width 9, but the weights of 8 */
    seed(dir, "bad_model_width", F_MODEL | F_FIX_HEADER, m, mn);
    free(m);
}

/* ---- libFuzzer ---- */

/* The runs' files; fuzz_files.h's cleanup removes a..d and the directory. */
static void cleanup(void)
{
    for (int k = 0; k < N_RUNS; k++) {
        unlink(runs[k].rows);
        unlink(ckpt_setup_path[k]);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_make_dir();
    atexit(cleanup); /* runs before fuzz_make_dir's, which removes the directory */
    for (int k = 0; k < N_RUNS; k++) {
        setup_run(k);
        /* Every checkpoint the setup kept loads: the harness reaches the loader's end. */
        for (int i = 0; i < runs[k].n_ckpt; i++) {
            char path[600];
            fuzz_write(path, sizeof path, fuzz_names[0], runs[k].ckpt[i], runs[k].ckpt_size[i]);
            Parts p;
            TrainState st = {0};
            Err e;
            restore_rows(&runs[k]);
            if (load(&runs[k], &p, &st, path, &e) != 0)
                setup_fail("a checkpoint of the setup does not load", &e);
            train_state_free(&st);
            parts_free(&p);
        }
    }
    const char *dir = getenv("FUZZ_WRITE_SEEDS");
    if (dir && *dir) {
        write_seeds(dir);
        exit(0);
    }
    fuzz_install_hooks();
    return 0;
}

/* ---- a mutator that knows the sections ----
 * Byte mutations rarely land on the few counters among a file's weights, and a CRC hides
 * every change that does. So half the mutations pick a value of a section (an entry of
 * loop.counts, optim.t, a float of sched.lr_best, a byte of model.activation, ...) and
 * give it a value from the edges (0, -1, 1, the type's extremes, the old value +-1 or
 * doubled, NaN, inf, a random one; in text a control character, a byte above 0x7e or a
 * random one), setting the fix-header flag so the change reaches the loader; sometimes
 * they change the flags' options instead. The other half are libFuzzer's own. */

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

typedef struct {
    unsigned type;
    size_t offset;      /* of the first value, in the input (flags byte included) */
    uint64_t count;
} Section;

/* The non-empty sections of the file in data[1..size), as far as they parse. */
static int sections_of(const uint8_t *data, size_t size, Section *out, int max)
{
    static const size_t bytes[] = {0, 8, 8, 8, 4, 4, 1};
    int n = 0;
    size_t pos = 1 + CKPT_HEADER_BYTES;
    while (n < max && pos + 2 <= size) {
        unsigned type = data[pos], len = data[pos + 1];
        if (type < CKPT_I64 || type > CKPT_TEXT || size - pos < 10 + (size_t)len)
            break;
        uint64_t count = 0;
        for (int i = 0; i < 8; i++)
            count |= (uint64_t)data[pos + 2 + len + (size_t)i] << (8 * i);
        pos += 10 + (size_t)len;
        if (count > (size - pos) / bytes[type])
            break;
        if (count > 0)
            out[n++] = (Section){type, pos, count};
        pos += (size_t)count * bytes[type];
    }
    return n;
}

static uint64_t mix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* An edge value for an integer of `bytes` bytes that held old. */
static uint64_t edge_int(uint64_t *r, uint64_t old, int bytes)
{
    uint64_t top = bytes == 8 ? UINT64_MAX : UINT32_MAX, sign = top / 2 + 1;
    switch (mix(r) % 12) {
    case 0: return 0;
    case 1: return top;                 /* -1 */
    case 2: return 1;
    case 3: return sign - 1;            /* INT_MAX */
    case 4: return sign;                /* INT_MIN */
    case 5: return old + 1;
    case 6: return old - 1;
    case 7: return old * 2;
    case 8: return old + mix(r) % 64;
    case 9: return (uint64_t)1 << (mix(r) % (unsigned)(8 * bytes));
    case 10: return sign - 1 - mix(r) % 64;
    default: return mix(r);
    }
}

static double edge_double(uint64_t *r, double old)
{
    static const double edges[] = {0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, 1e300, -1e300, 5e-324};
    switch (mix(r) % 6) {
    case 0: return NAN;
    case 1: return mix(r) % 2 ? INFINITY : -INFINITY;
    case 2: return old * 2;
    case 3: return -old;
    default: return edges[mix(r) % (sizeof edges / sizeof edges[0])];
    }
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    uint64_t r = seed;
    Section secs[64];
    int n = size > 1 + CKPT_HEADER_BYTES ? sections_of(data, size, secs, 64) : 0;
    uint64_t choice = mix(&r) % 8;
    if (n == 0 || choice >= 4)
        return LLVMFuzzerMutate(data, size, max_size);
    if (choice == 0) { /* the options: run, continue, steps, rows, file or memory */
        data[0] = (uint8_t)((data[0] & 3) | (mix(&r) & 0x7c));
        return size;
    }
    const Section *s = &secs[mix(&r) % (uint64_t)n];
    int bytes = s->type == CKPT_TEXT ? 1 : s->type == CKPT_F32 || s->type == CKPT_I32 ? 4 : 8;
    uint8_t *p = data + s->offset + (size_t)(mix(&r) % s->count) * (size_t)bytes;
    if (s->type == CKPT_TEXT) {
        static const uint8_t edges[] = {0x00, 0x0a, 0x0d, 0x1b, 0x7f, 0x80, 0xff, '%', '\'', '.'};
        *p = mix(&r) % 2 ? edges[mix(&r) % sizeof edges] : (uint8_t)mix(&r);
    } else if (s->type == CKPT_F64) {
        uint64_t bits = get_le(p, 8);
        double v;
        memcpy(&v, &bits, 8);
        v = edge_double(&r, v);
        memcpy(&bits, &v, 8);
        put_le(p, bits, 8);
    } else if (s->type == CKPT_F32) {
        uint32_t bits = (uint32_t)get_le(p, 4);
        float v;
        memcpy(&v, &bits, 4);
        double d = edge_double(&r, v);
        v = isfinite(d) && fabs(d) > FLT_MAX ? (float)copysign(INFINITY, d) : (float)d;
        memcpy(&bits, &v, 4);
        put_le(p, bits, 4);
    } else {
        put_le(p, edge_int(&r, get_le(p, bytes), bytes), bytes);
    }
    data[0] |= F_FIX_HEADER;
    return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    input = data;
    input_size = size;
    unsigned flags = data[0];
    size_t n = size - 1;
    unsigned char *b = xmalloc(n ? n : 1);
    memcpy(b, data + 1, n);
    if (flags & F_FIX_HEADER)
        fix_header(b, n);
    if (flags & F_MODEL)
        fuzz_model(b, n, flags);
    else
        fuzz_checkpoint(b, n, flags);
    free(b);
    return 0;
}
