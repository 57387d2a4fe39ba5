/* test_train.c - the training loop on small synthetic data: rows written per epoch and
 * per eval_every, statuses, the stop flag, write failures, the batch-norm batch-of-1 check,
 * that a learnable problem is learned, the loss on the pool giving softmax_xent's bits,
 * Caffe's file-order stream and test passes, the bias group reaching training, and the
 * advice of a memory refusal (train_memory_hint). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "test.h"
#include "train.h"

typedef struct {
    Dataset train, test;
    DataSplit split;
    Normalizer nz;
    Model m;
    Optim o;
    Sched s;
    TrainParams tp;
    TrainData td;
} Fixture;

/* 16-pixel "images" whose label is the brightest of the first 4 pixels: learnable. */
static void make_data(Dataset *d, int n, Rng *r)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->dim = 16;
    d->channels = 1;
    d->n_classes = 4;
    d->pixels = malloc((size_t)n * 16);
    d->labels = malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int k = 0; k < 16; k++) {
            d->pixels[i * 16 + k] = (uint8_t)rng_below(r, 256);
            if (k < 4 && d->pixels[i * 16 + k] > d->pixels[i * 16 + best])
                best = k;
        }
        d->labels[i] = (uint8_t)best;
    }
}

static void setup_on(Fixture *f, double lr, long epochs, double val_split, int width, Gemm *g,
                     Pool *pool)
{
    memset(f, 0, sizeof *f);
    Rng r;
    rng_seed(&r, 9, 0);
    make_data(&f->train, 600, &r);
    make_data(&f->test, 200, &r);
    Err e;
    CHECK(dataset_split(&f->split, f->train.n, val_split, &r, &e) == 0);
    DataParams dp = {0};
    dp.normalize = NORM_SCALE;
    dataset_normalizer(&f->nz, &f->train, &dp);
    ModelParams mp = {0};
    mp.n_hidden = 1;
    mp.hidden[0] = width;
    mp.bias_init = BIAS_INIT_DEFAULT;
    CHECK(model_init(&f->m, &mp, 16, 4, 100, g, pool, &r, &e) == 0);
    OptimParams op = {0};
    op.optimizer = OPTIM_SGD;
    op.lr = lr;
    op.momentum = 0.9;
    op.bias_lr_mult = op.bias_decay_mult = 1;
    optim_init(&f->o, &op, f->m.n_params, pool);
    f->tp.epochs = epochs;
    f->tp.batch_size = 50;
    f->tp.eval_batch_size = 100;
    f->tp.seed = 3;
    f->tp.eval_test_every_epoch = true;
    f->tp.shuffle = true;
    long per = train_steps_per_epoch(&f->tp, f->split.n_train);
    SchedParams sp = {0};
    sp.type = SCHED_CONSTANT;
    CHECK(sched_init(&f->s, &sp, lr, epochs, per, 0, &e) == 0);
    f->td = (TrainData){&f->train, &f->test, &f->split, &f->nz};
}

static void setup(Fixture *f, double lr, long epochs, double val_split)
{
    setup_on(f, lr, epochs, val_split, 32, NULL, NULL);
}

static void teardown(Fixture *f)
{
    optim_free(&f->o);
    model_free(&f->m);
    dataset_split_free(&f->split);
    dataset_free(&f->train);
    dataset_free(&f->test);
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static const char *tmp_csv(void)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/mlptrain-test-train-%d.csv", (int)(util_now() * 1000) % 100000);
    return path;
}

static void test_learns_and_writes_rows(void)
{
    Fixture f;
    setup(&f, 0.1, 8, 0.2);
    const char *path = tmp_csv();
    TrainIO io = {.epochs_csv = path};
    RunResult r;
    Err e;
    CHECK(train_run(&f.tp, &f.td, &f.m, &f.o, &f.s, &io, &r, &e) == 0);
    CHECK(r.status == RUN_OK);
    CHECK(r.epochs == 8);
    CHECK(r.iterations == 8 * 10); /* 480 training records (val 0.2) in batches of 50 */
    CHECK(count_lines(path) == 1 + 8);
    CHECK(r.test_acc > 0.6);       /* chance is 0.25 */
    CHECK(r.best_val_acc > 0.6);
    remove(path);
    teardown(&f);
}

static void test_eval_every(void)
{
    Fixture f;
    setup(&f, 0.1, 3, 0.0);
    f.tp.eval_every = 4; /* 36 iterations: rows at 4, 8, ..., 32, and the last at 36 */
    const char *path = tmp_csv();
    TrainIO io = {.epochs_csv = path};
    RunResult r;
    Err e;
    CHECK(train_run(&f.tp, &f.td, &f.m, &f.o, &f.s, &io, &r, &e) == 0);
    CHECK(count_lines(path) == 1 + 8 + 1);
    CHECK(isnan(r.best_val_acc)); /* no validation split */
    remove(path);
    teardown(&f);
}

static void test_diverges(void)
{
    Fixture f;
    setup(&f, 1e20, 5, 0.0);
    const char *path = tmp_csv();
    TrainIO io = {.epochs_csv = path};
    RunResult r;
    Err e;
    CHECK(train_run(&f.tp, &f.td, &f.m, &f.o, &f.s, &io, &r, &e) == 0);
    CHECK(r.status == RUN_DIVERGED);
    CHECK(r.iterations < 60);
    remove(path);
    teardown(&f);
}

static void test_stop_flag(void)
{
    Fixture f;
    setup(&f, 0.1, 5, 0.0);
    volatile sig_atomic_t stop = SIGINT; /* set before training: stops after one batch */
    const char *path = tmp_csv();
    TrainIO io = {.stop = &stop, .epochs_csv = path};
    RunResult r;
    Err e;
    CHECK(train_run(&f.tp, &f.td, &f.m, &f.o, &f.s, &io, &r, &e) == 0);
    CHECK(r.status == RUN_INTERRUPTED);
    CHECK(r.iterations == 1);
    CHECK(!isnan(r.test_acc)); /* still evaluated */
    CHECK(count_lines(path) == 2);
    remove(path);
    teardown(&f);
}

static void test_write_failure_is_reported(void)
{
    Fixture f;
    setup(&f, 0.1, 1, 0.0);
    TrainIO io = {.epochs_csv = "/dev/full"};
    RunResult r;
    Err e;
    CHECK(train_run(&f.tp, &f.td, &f.m, &f.o, &f.s, &io, &r, &e) < 0);
    CHECK(strstr(e.msg, "/dev/full") != NULL);
    teardown(&f);
}

/* train.shuffle = false: Caffe's data layer reads the training records in file order as
 * one stream, so step k trains on records (64k .. 64k + 63) mod 600. With 600 records in
 * batches of 64 an epoch is ceil(600/64) = 10 steps; step 9 reads 576..599 and 0..39, and
 * epoch 2 starts at record 40 (PyTorch's shuffle=False would end epoch 1 with a batch of
 * 24 and start epoch 2 at 0). The run equals those 20 steps taken by hand, bit for bit;
 * the shuffled run does not. */
static void test_file_order(void)
{
    Fixture run, hand, shuffled;
    setup(&run, 0.1, 2, 0.0);
    setup(&hand, 0.1, 2, 0.0);
    setup(&shuffled, 0.1, 2, 0.0);
    run.tp.batch_size = shuffled.tp.batch_size = 64;
    run.tp.shuffle = false;
    const char *path = tmp_csv();
    TrainIO io = {.epochs_csv = path};
    RunResult r;
    Err e;
    CHECK(train_run(&run.tp, &run.td, &run.m, &run.o, &run.s, &io, &r, &e) == 0);
    CHECK(r.iterations == 20);
    CHECK(train_run(&shuffled.tp, &shuffled.td, &shuffled.m, &shuffled.o, &shuffled.s, &io, &r,
                    &e) == 0);
    remove(path);

    Model *m = &hand.m;
    float *x = malloc(64 * 16 * sizeof *x), *dlogits = malloc(64 * 4 * sizeof *dlogits);
    int idx[64], y[64], pred[64];
    double row_loss[64];
    Rng unused;
    rng_seed(&unused, 1, 0);
    for (long k = 0; k < 20; k++) {
        for (int i = 0; i < 64; i++)
            idx[i] = (int)((k * 64 + i) % 600);
        train_assemble(NULL, &hand.train, &hand.nz, idx, 64, x, y);
        const float *logits = model_forward(m, x, 64, true, &unused);
        long correct;
        train_loss(NULL, logits, y, 64, 4, 0.0f, dlogits, row_loss, pred, &correct);
        model_backward(m, x, dlogits, 64);
        optim_step(&hand.o, m->params, m->grads, 0.1);
    }
    CHECK(memcmp(run.m.params, hand.m.params, m->n_params * sizeof(float)) == 0);
    CHECK(memcmp(shuffled.m.params, hand.m.params, m->n_params * sizeof(float)) != 0);
    free(x);
    free(dlogits);
    teardown(&run);
    teardown(&hand);
    teardown(&shuffled);
}

/* train.test_iter: a test pass is test_iter batches of eval_batch_size records, read on
 * from where the last pass stopped, as Caffe's test net reads its LMDB. 200 test records,
 * test_iter 3, batches of 50: pass 1 (after epoch 1) reads records 0..149, pass 2 (the
 * final row) 150..199 then 0..99. The final confusion matrix counts 150 records, and the
 * final test loss and accuracy are exactly those of records 150..199, 0..99 evaluated as
 * a set of their own in batches of 50. */
static void test_test_iter(void)
{
    Fixture f;
    setup(&f, 0.1, 2, 0.0);
    f.tp.test_iter = 3;
    f.tp.eval_batch_size = 50;
    const char *path = tmp_csv();
    long confusion[4 * 4];
    TrainIO io = {.epochs_csv = path, .confusion = confusion};
    RunResult r;
    Err e;
    CHECK(train_run(&f.tp, &f.td, &f.m, &f.o, &f.s, &io, &r, &e) == 0);
    long counted = 0;
    for (int i = 0; i < 16; i++)
        counted += confusion[i];
    CHECK(counted == 150);

    Dataset pass = f.test;
    pass.n = 150;
    pass.pixels = malloc(150 * 16);
    pass.labels = malloc(150);
    for (int i = 0; i < 150; i++) {
        int rec = (150 + i) % 200;
        memcpy(pass.pixels + i * 16, f.test.pixels + rec * 16, 16);
        pass.labels[i] = f.test.labels[rec];
    }
    double loss, acc;
    train_evaluate(&f.m, &pass, &f.nz, 50, 0.0f, NULL, &loss, &acc);
    CHECK(loss == r.test_loss && acc == r.test_acc);
    /* and not those of the first 150 records, where a pass from 0 would have looked */
    pass.pixels = memcpy(pass.pixels, f.test.pixels, 150 * 16);
    memcpy(pass.labels, f.test.labels, 150);
    double loss0, acc0;
    train_evaluate(&f.m, &pass, &f.nz, 50, 0.0f, NULL, &loss0, &acc0);
    CHECK(loss0 != r.test_loss);
    free(pass.pixels);
    free(pass.labels);
    remove(path);
    teardown(&f);
}

/* optim.bias_lr_mult reaches the Linear biases through train_run (which puts them in the
 * optimizer's bias group): with 0 they never move, while the weights do. */
static void test_bias_group_in_training(void)
{
    Fixture f;
    setup(&f, 0.1, 1, 0.0);
    f.o.p.bias_lr_mult = 0;
    size_t n = f.m.n_params;
    float *before = malloc(n * sizeof *before);
    memcpy(before, f.m.params, n * sizeof *before);
    const char *path = tmp_csv();
    TrainIO io = {.epochs_csv = path};
    RunResult r;
    Err e;
    CHECK(train_run(&f.tp, &f.td, &f.m, &f.o, &f.s, &io, &r, &e) == 0);
    size_t off;
    int count, moved_bias = 0, moved_weight = 0, k = 0;
    for (; model_linear_bias(&f.m, k, &off, &count); k++)
        for (int j = 0; j < count; j++)
            moved_bias += f.m.params[off + j] != before[off + j];
    for (int i = 0; i < f.m.n_layers; i++)
        if (f.m.layers[i].kind == LAYER_LINEAR)
            moved_weight += f.m.params[f.m.layers[i].w] != before[f.m.layers[i].w];
    CHECK(k == 2 && moved_bias == 0 && moved_weight == 2);
    free(before);
    remove(path);
    teardown(&f);
}

static void test_batchnorm_batch_of_one(void)
{
    TrainParams tp = {0};
    tp.batch_size = 64;
    tp.shuffle = true;
    ModelParams mp = {0};
    mp.batchnorm = true;
    Err e;
    CHECK(train_check(&tp, &mp, 129, &e) < 0);
    CHECK(strstr(e.msg, "last batch of 1") != NULL);
    CHECK(train_check(&tp, &mp, 128, &e) == 0);
    CHECK(train_check(&tp, &mp, 1, &e) < 0);
    /* In file order the stream runs on across the end: every batch holds 64. */
    tp.shuffle = false;
    CHECK(train_check(&tp, &mp, 129, &e) == 0);
    CHECK(train_check(&tp, &mp, 1, &e) == 0);
    /* A batch size of 1 puts one record in every batch, in any order. */
    tp.batch_size = 1;
    CHECK(train_check(&tp, &mp, 128, &e) < 0);
    CHECK(strstr(e.msg, "train.batch_size = 1") != NULL);
    tp.shuffle = true;
    CHECK(train_check(&tp, &mp, 128, &e) < 0);
    tp.batch_size = 64;
    mp.batchnorm = false;
    CHECK(train_check(&tp, &mp, 129, &e) == 0);
    CHECK(train_check(&tp, &mp, 0, &e) < 0);
}

/* train_loss on 1 and 3 threads: softmax_xent's sum, hits and dlogits, bit for bit, with
 * and without label smoothing (200 rows: several blocks of rows per thread). */
static void test_loss_on_pool(void)
{
    enum { N = 200, C = 10 };
    static float z[N * C], d0[N * C], d1[N * C];
    static double row_loss[N];
    static int row_pred[N];
    int y[N];
    Rng r;
    rng_seed(&r, 3, 0);
    for (int i = 0; i < N * C; i++)
        z[i] = (float)(3 * rng_normal(&r));
    for (int i = 0; i < N; i++)
        y[i] = (int)rng_below(&r, C);
    Pool *pool = pool_create_exact(3);
    for (int smooth = 0; smooth < 2; smooth++) {
        float ls = smooth ? 0.1f : 0.0f;
        long c0 = -1, c1 = -2;
        double l0 = softmax_xent(z, y, N, C, ls, d0, &c0);
        for (int t = 0; t < 2; t++) {
            memset(d1, 0, sizeof d1);
            double l1 = train_loss(t ? pool : NULL, z, y, N, C, ls, d1, row_loss, row_pred, &c1);
            CHECK(memcmp(&l0, &l1, sizeof l0) == 0);
            CHECK(c0 == c1 && c0 > 0);
            CHECK(memcmp(d0, d1, sizeof d0) == 0);
        }
    }
    pool_free(pool);
}

/* A run on 3 threads whose thread choice probes from its first step (one thread, then
 * all, and a choice): the parameters and results are those of the same run kept on all
 * threads. */
static void test_threads_choice_same_result(void)
{
    Pool *pool = pool_create_exact(3);
    Err e;
    Gemm *g = gemm_create(pool, GEMM_AUTO, &e);
    CHECK(pool && g);
    enum { EPOCHS = 100, WIDTH = 256 };
    static float params[2][16 * WIDTH + WIDTH + WIDTH * 4 + 4];
    double loss[2];
    for (int fixed = 0; fixed < 2; fixed++) {
        Fixture f;
        setup_on(&f, 0.01, EPOCHS, 0.2, WIDTH, g, pool);
        CHECK(f.m.n_params == sizeof params[0] / sizeof params[0][0]);
        /* Probing from the first step, as often as its cost allows; or never. */
        TrainThreads choice;
        train_threads_init(&choice, pool, fixed ? INFINITY : 0, 0);
        TrainIO io = {.epochs_csv = "/dev/null", .threads = &choice};
        RunResult r;
        CHECK(train_run(&f.tp, &f.td, &f.m, &f.o, &f.s, &io, &r, &e) == 0);
        CHECK(r.status == RUN_OK && r.iterations == EPOCHS * 10);
        memcpy(params[fixed], f.m.params, sizeof params[0]);
        loss[fixed] = r.test_loss;
        CHECK(fixed ? choice.probes == 0 : choice.probes >= 1);
        teardown(&f);
    }
    CHECK(memcmp(params[0], params[1], sizeof params[0]) == 0);
    CHECK(memcmp(&loss[0], &loss[1], sizeof loss[0]) == 0);
    gemm_free(g);
    pool_free(pool);
}

/* One step at made-up time t, taking by_count[k] seconds on 2^k threads; returns the
 * threads it ran on. */
static int made_up_step(TrainThreads *c, double *t, const double *by_count)
{
    int n = train_threads_before(c, *t), k = 0;
    while (1 << k < n)
        k++;
    *t += by_count[k];
    train_threads_after(c, *t);
    return n;
}

/* The thread choice on made-up step times: one thread 20% faster is chosen after two
 * rounds; all threads twice as fast win after one round and the gap doubles; back on
 * all threads when they turn clearly faster; never probes with first = INFINITY. */
static void probe_round(TrainThreads *c, double *t, double one, double all, int *caps)
{
    const double by_count[2] = {one, all};
    for (int i = 0; i < 6; i++)
        caps[i] = made_up_step(c, t, by_count);
}

static void test_threads_choice_decisions(void)
{
    Pool *pool = pool_create_exact(2);
    TrainThreads c;
    train_threads_init(&c, pool, 0, 10);
    double t = util_now();
    int caps[6];
    probe_round(&c, &t, 0.8, 1.0, caps);
    CHECK(caps[0] == 1 && caps[1] == 1 && caps[2] == 1 && caps[3] == 2 && caps[5] == 2);
    CHECK(c.probes == 0 && c.step == 7); /* 0.8x: not clear after one round */
    probe_round(&c, &t, 0.8, 1.0, caps);
    CHECK(c.probes == 1 && c.cap == 1 && c.fewer == 1 && c.gap == 10);
    CHECK(train_threads_before(&c, t) == 1 && pool_threads_now(pool) == 1);
    train_threads_after(&c, t + 1);
    double next = c.next;
    CHECK(next >= t + 10);
    t = next;
    probe_round(&c, &t, 1.0, 0.5, caps); /* all threads twice as fast: clear at once */
    CHECK(c.probes == 2 && c.cap == 2 && c.step == 0 && c.gap == 10);
    t = c.next;
    probe_round(&c, &t, 1.0, 0.5, caps);
    CHECK(c.probes == 3 && c.cap == 2 && c.gap == 20);
    CHECK(train_threads_before(&c, t) == 2 && pool_threads_now(pool) == 2);
    train_threads_init(&c, pool, INFINITY, 0);
    probe_round(&c, &t, 0.1, 1.0, caps);
    CHECK(c.probes == 0 && caps[0] == 2 && caps[5] == 2);
    pool_free(pool);
}

/* On 16 threads, made-up step times by thread count (1, 2, 4, 8, 16): the choice walks
 * down by halves to the fastest count, 4, and stays there; when more threads turn faster
 * it walks back up to all of them. */
static void run_probes(TrainThreads *c, double *t, const double by_count[5], long probes)
{
    for (long i = 0; i < 100000 && c->probes < probes; i++)
        made_up_step(c, t, by_count);
}

static void test_threads_choice_ladder(void)
{
    Pool *pool = pool_create_exact(16);
    TrainThreads c;
    train_threads_init(&c, pool, 0, 10);
    double t = util_now();
    const double best4[5] = {1.0, 0.6, 0.4, 0.5, 0.7};
    run_probes(&c, &t, best4, 1);
    CHECK(c.probes == 1 && c.cap == 8 && c.side[0] == 8 && c.side[1] == 16);
    run_probes(&c, &t, best4, 6);
    CHECK(c.probes == 6 && c.cap == 4 && c.fewer >= 2);
    CHECK(train_threads_before(&c, t) == 4 && pool_threads_now(pool) == 4);
    train_threads_after(&c, t + 0.4);
    const double best16[5] = {1.0, 0.6, 0.4, 0.3, 0.2};
    run_probes(&c, &t, best16, 12);
    CHECK(c.probes == 12 && c.cap == 16);
    pool_free(pool);
}

/* The advice of a memory refusal names the largest part, the parts grouped by the keys
 * that shrink them, and those keys. */
static void test_memory_hint(void)
{
    char buf[512];
    /* a 1.7 TB data file under a small model: the data, not model.hidden */
    RunParams rp;
    memset(&rp, 0, sizeof rp);
    rp.model.n_hidden = 1;
    rp.model.hidden[0] = 32;
    rp.model.bias_init = BIAS_INIT_DEFAULT;
    rp.optim.optimizer = OPTIM_SGD;
    rp.train.batch_size = 64;
    rp.train.eval_batch_size = 1000;
    DataShape ds = {.n_train = 2000000000L, .n_test = 140000000L, .dim = 784, .n_classes = 10};
    MemPlan mp;
    Err e;
    CHECK(train_plan_memory(&rp, &ds, 0, 1, &mp, &e) == 0);
    CHECK(mp.data > 1.6e12);
    train_memory_hint(&mp, buf, sizeof buf);
    CHECK_STR("the data is the largest part (1.69 TB); expected data.train_limit or "
              "data.test_limit to load fewer records, or a smaller dataset", buf);
    /* parameters, gradients and optimizer state all shrink with model.hidden: together */
    MemPlan model = {.params = 1.13e9, .grads = 1.13e9, .optim = 1.13e9, .activations = 1.97e8,
                     .workspace = 8.82e6, .data = 1.97e6};
    model.total = model.params + model.grads + model.optim + model.activations +
                  model.workspace + model.data;
    train_memory_hint(&model, buf, sizeof buf);
    CHECK_STR("the model is the largest part (3.39 GB: parameters, gradients and optimizer "
              "state); expected a smaller model.hidden", buf);
    MemPlan batch = {.params = 1e6, .grads = 1e6, .activations = 3e9, .workspace = 5e8,
                     .data = 5e7};
    batch.total = batch.params + batch.grads + batch.activations + batch.workspace + batch.data;
    train_memory_hint(&batch, buf, sizeof buf);
    CHECK_STR("the batches are the largest part (3.50 GB: activations and workspace); expected a "
              "smaller train.batch_size or train.eval_batch_size (or model.hidden)", buf);
    /* the data is the largest single part, but model.hidden shrinks three larger ones */
    MemPlan three = {.params = 1e9, .grads = 1e9, .optim = 1e9, .activations = 1e8,
                     .workspace = 1e6, .data = 2e9};
    train_memory_hint(&three, buf, sizeof buf);
    CHECK_STR("the model is the largest part (3.00 GB: parameters, gradients and optimizer "
              "state); expected a smaller model.hidden", buf);
    /* cut to the buffer, terminated */
    train_memory_hint(&batch, buf, 12);
    CHECK_STR("the batches", buf);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_learns_and_writes_rows);
    RUN(test_eval_every);
    RUN(test_diverges);
    RUN(test_stop_flag);
    RUN(test_write_failure_is_reported);
    RUN(test_file_order);
    RUN(test_test_iter);
    RUN(test_bias_group_in_training);
    RUN(test_batchnorm_batch_of_one);
    RUN(test_loss_on_pool);
    RUN(test_threads_choice_same_result);
    RUN(test_threads_choice_decisions);
    RUN(test_threads_choice_ladder);
    RUN(test_memory_hint);
    return test_finish(argv[0]);
}
