/* test_ckpt_sections.c - the sections each module writes into a checkpoint and reads back
 * (model_ckpt_put/get, optim_ckpt_put/get, sched_ckpt_put/get): a round trip restores
 * the state bit for bit and the run steps on exactly as the one that wrote it; a section
 * of the wrong size, a missing one and a value out of range are refused with the file's
 * name and the section's. mkdtemp is POSIX. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"
#include "model.h"
#include "optim.h"
#include "sched.h"
#include "test.h"

static char dir[] = "/tmp/test_ckpt_sections_XXXXXX";
static char path[256];

/* Opens a checkpoint writer on path. */
static void open_writer(CkptWriter *w)
{
    Err e;
    CHECK(ckpt_writer_open(w, CKPT_CHECKPOINT, path, &e) == 0);
}

/* Commits w and reads the file back into f. */
static void commit_and_read(CkptWriter *w, CkptFile *f)
{
    Err e;
    CHECK(ckpt_writer_commit(w, &e) == 0);
    if (ckpt_read(f, path, CKPT_CHECKPOINT, &e) < 0) {
        fprintf(stderr, "%s: %s\n", test_cur_name, e.msg);
        test_cur_failed = 1;
    }
}

/* rc, e: a get's result, which must be a refusal whose message names the file and says
 * want. */
static void check_refused(int rc, const Err *e, const char *want)
{
    if (rc >= 0) {
        fprintf(stderr, "%s: accepted (expected a refusal saying '%s')\n", test_cur_name, want);
        test_cur_failed = 1;
    } else if (strncmp(e->msg, path, strlen(path)) != 0 || !strstr(e->msg, want)) {
        fprintf(stderr, "%s: '%s' does not start with '%s' or does not say '%s'\n",
                test_cur_name, e->msg, path, want);
        test_cur_failed = 1;
    }
}

/* ---- optimizer ---- */

static OptimParams optim_params(OptimKind k, bool momentum, bool amsgrad)
{
    OptimParams p;
    memset(&p, 0, sizeof p);
    p.optimizer = k;
    p.lr = 0.01;
    p.momentum = momentum ? 0.9 : 0.0;
    p.beta1 = 0.9;
    p.beta2 = 0.999;
    p.eps = 1e-8;
    p.amsgrad = amsgrad;
    return p;
}

#define N_OPT 7

/* One step on params with gradients that change from step to step. */
static void optim_steps(Optim *o, float *params, int steps, int from)
{
    for (int s = from; s < from + steps; s++) {
        float g[N_OPT];
        for (int i = 0; i < N_OPT; i++)
            g[i] = (float)((i + 1) * (s % 2 ? -0.5 : 0.25) + 0.125 * s);
        optim_step(o, params, g, 0.01);
    }
}

static const char *const optim_sections[OPTIM_STATE_COUNT] = {"optim.m", "optim.v",
                                                                "optim.vmax"};

/* Every optimizer in every state layout: the sections are exactly the buffers it keeps,
 * and a fresh Optim read from them steps on as the one that wrote them. */
static void test_optim_round_trip(void)
{
    for (int k = 0; k < OPTIM_COUNT; k++)
        for (int momentum = 0; momentum < 2; momentum++)
            for (int amsgrad = 0; amsgrad < 2; amsgrad++) {
                OptimParams p = optim_params((OptimKind)k, momentum, amsgrad);
                Optim a, b;
                float pa[N_OPT], pb[N_OPT];
                for (int i = 0; i < N_OPT; i++)
                    pa[i] = (float)i / 3;
                optim_init(&a, &p, N_OPT, NULL);
                optim_steps(&a, pa, 3, 0);
                CkptWriter w;
                CkptFile f;
                open_writer(&w);
                optim_ckpt_put(&a, &w);
                commit_and_read(&w, &f);
                for (int s = 0; s < OPTIM_STATE_COUNT; s++)
                    CHECK((ckpt_find(&f, optim_sections[s]) != NULL) == (a.state[s] != NULL));
                optim_init(&b, &p, N_OPT, NULL);
                Err e;
                CHECK(optim_ckpt_get(&b, &f, 100, &e) == 0);
                CHECK(b.t == 3);
                for (int s = 0; s < OPTIM_STATE_COUNT; s++)
                    CHECK(!a.state[s] ||
                          memcmp(a.state[s], b.state[s], N_OPT * sizeof(float)) == 0);
                memcpy(pb, pa, sizeof pa);
                optim_steps(&a, pa, 2, 3);
                optim_steps(&b, pb, 2, 3);
                CHECK(memcmp(pa, pb, sizeof pa) == 0);
                ckpt_file_free(&f);
                optim_free(&a);
                optim_free(&b);
            }
}

static void test_optim_refusals(void)
{
    OptimParams p = optim_params(OPTIM_ADAM, false, false);
    Optim a, b;
    float params[N_OPT] = {0};
    optim_init(&a, &p, N_OPT, NULL);
    optim_steps(&a, params, 3, 0);
    CkptWriter w;
    CkptFile f;
    open_writer(&w);
    optim_ckpt_put(&a, &w);
    commit_and_read(&w, &f);
    Err e;
    /* a model of another size: the buffers hold the old one's count */
    optim_init(&b, &p, N_OPT + 1, NULL);
    check_refused(optim_ckpt_get(&b, &f, 100, &e), &e,
                  "section 'optim.m' holds 7 values (expected 8)");
    optim_free(&b);
    /* a buffer the file does not hold */
    OptimParams q = optim_params(OPTIM_ADAM, false, true);
    optim_init(&b, &q, N_OPT, NULL);
    check_refused(optim_ckpt_get(&b, &f, 100, &e), &e,
                  "section 'optim.vmax' is missing");
    optim_free(&b);
    /* more steps than the run may take */
    optim_init(&b, &p, N_OPT, NULL);
    check_refused(optim_ckpt_get(&b, &f, 2, &e), &e,
                  "section 'optim.t' holds 3 (expected 0..2)");
    optim_free(&b);
    ckpt_file_free(&f);

    /* a second moment of the wrong count beside a first moment of the right one */
    open_writer(&w);
    ckpt_put_long(&w, "optim.t", 3);
    ckpt_put_f32(&w, "optim.m", a.state[OPTIM_STATE_M], N_OPT);
    ckpt_put_f32(&w, "optim.v", a.state[OPTIM_STATE_V], N_OPT - 1);
    commit_and_read(&w, &f);
    optim_init(&b, &p, N_OPT, NULL);
    check_refused(optim_ckpt_get(&b, &f, 100, &e), &e,
                  "section 'optim.v' holds 6 values (expected 7)");
    optim_free(&b);
    ckpt_file_free(&f);
    optim_free(&a);
}

/* ---- model ---- */

static int build_model(Model *m, int width, uint64_t seed)
{
    ModelParams mp;
    memset(&mp, 0, sizeof mp);
    mp.n_hidden = 1;
    mp.hidden[0] = width;
    mp.activation = ACT_RELU;
    mp.batchnorm = true;
    mp.dropout = 0.25;
    mp.init = INIT_DEFAULT;
    mp.bias_init = BIAS_INIT_DEFAULT;
    Rng r;
    rng_seed(&r, seed, 0);
    Err e;
    int rc = model_init(m, &mp, 4, 3, 2, NULL, NULL, &r, &e);
    if (rc < 0)
        fprintf(stderr, "%s: model_init: %s\n", test_cur_name, e.msg), test_cur_failed = 1;
    return rc;
}

/* Trained rows move the running statistics and count batches. */
static void train_forwards(Model *m, int times)
{
    const float x[8] = {0.5f, -1, 2, 0.25f, -0.5f, 1.5f, 0, 3};
    Rng r;
    rng_seed(&r, 7, 1);
    for (int i = 0; i < times; i++)
        model_forward(m, x, 2, true, &r);
}

static void test_model_round_trip(void)
{
    Model a, b;
    if (build_model(&a, 5, 1) < 0 || build_model(&b, 5, 2) < 0)
        return;
    train_forwards(&a, 3);
    CHECK(a.bn_batches == 3 && a.n_buffers == 10);
    CkptWriter w;
    CkptFile f;
    open_writer(&w);
    model_ckpt_put(&a, &w);
    commit_and_read(&w, &f);
    /* the checkpoint's names, not model.bin's */
    CHECK(ckpt_find(&f, "model.params") && ckpt_find(&f, "model.buffers") &&
          ckpt_find(&f, "model.bn_batches") && !ckpt_find(&f, "params"));
    Err e;
    CHECK(model_ckpt_get(&b, &f, 100, &e) == 0);
    CHECK(memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0);
    CHECK(memcmp(a.buffers, b.buffers, a.n_buffers * sizeof(float)) == 0);
    CHECK(b.bn_batches == 3);
    /* both step on alike */
    train_forwards(&a, 1);
    train_forwards(&b, 1);
    CHECK(memcmp(a.buffers, b.buffers, a.n_buffers * sizeof(float)) == 0);
    CHECK(b.bn_batches == 4);
    ckpt_file_free(&f);
    model_free(&a);
    model_free(&b);
}

static void test_model_refusals(void)
{
    Model a, b;
    if (build_model(&a, 5, 1) < 0)
        return;
    train_forwards(&a, 3);
    CkptWriter w;
    CkptFile f;
    open_writer(&w);
    model_ckpt_put(&a, &w);
    commit_and_read(&w, &f);
    Err e;
    /* a wider hidden layer: 4x6 + 6 + 6 + 6 + 6x3 + 3 = 63 parameters; the file has 53 */
    if (build_model(&b, 6, 1) == 0) {
        check_refused(model_ckpt_get(&b, &f, 100, &e), &e,
                      "section 'model.params' holds 53 values (expected 63)");
        model_free(&b);
    }
    /* more batches than the run may take */
    if (build_model(&b, 5, 1) == 0) {
        check_refused(model_ckpt_get(&b, &f, 2, &e), &e,
                      "section 'model.bn_batches' holds 3 (expected 0..2)");
        model_free(&b);
    }
    ckpt_file_free(&f);

    /* running statistics of the wrong count beside parameters of the right one */
    open_writer(&w);
    ckpt_put_f32(&w, "model.params", a.params, a.n_params);
    ckpt_put_f32(&w, "model.buffers", a.buffers, a.n_buffers - 1);
    ckpt_put_long(&w, "model.bn_batches", 3);
    commit_and_read(&w, &f);
    if (build_model(&b, 5, 1) == 0) {
        check_refused(model_ckpt_get(&b, &f, 100, &e), &e,
                      "section 'model.buffers' holds 9 values (expected 10)");
        model_free(&b);
    }
    ckpt_file_free(&f);
    model_free(&a);
}

/* ---- schedule ---- */

static SchedParams sched_params(SchedKind type)
{
    SchedParams p;
    memset(&p, 0, sizeof p);
    p.type = type;
    p.step_unit = STEP_UNIT_EPOCH;
    p.step_size = 1;
    p.gamma = 0.5;
    p.T_0 = 1;
    p.T_mult = 2;
    p.mode = PLATEAU_MIN;
    p.metric = METRIC_VAL_LOSS;
    p.factor = 0.5;
    p.patience = 1;
    p.threshold = 1e-4;
    p.threshold_mode = THRESH_REL;
    p.cooldown = 1;
    return p;
}

#define SPE 4

/* Epochs from..to of SPE steps each as the training loop steps them, with a validation
 * loss that stalls; the LR of each step to lr. */
static void sched_epochs(Sched *s, int from, int to, double *lr)
{
    for (int epoch = from; epoch < to; epoch++) {
        for (int k = 0; k < SPE; k++) {
            lr[(epoch - from) * SPE + k] = sched_lr(s);
            sched_after_iteration(s);
        }
        sched_after_epoch(s, epoch < 2 ? 1.0 - 0.1 * epoch : 0.9, 0.5);
    }
}

/* cosine_warm_restarts (T_cur, T_i) and plateau (best, num_bad, the cooldown): after 4
 * epochs the state is read back into a fresh schedule, which gives the same LR as the
 * one that wrote it for the rest of the run. */
static void test_sched_round_trip(void)
{
    const SchedKind kinds[] = {SCHED_COSINE_WARM_RESTARTS, SCHED_PLATEAU};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        SchedParams p = sched_params(kinds[i]);
        Sched a, b;
        Err e;
        CHECK(sched_init(&a, &p, 0.1, 8, SPE, 0, &e) == 0);
        CHECK(sched_init(&b, &p, 0.1, 8, SPE, 0, &e) == 0);
        double lr_a[8 * SPE], lr_b[8 * SPE];
        sched_epochs(&a, 0, 4, lr_a);
        SchedState sa, sb;
        sched_get_state(&a, &sa);
        /* a state away from its start: T_i = 1, 2, 4 after restarts at epochs 1 and 3; a
         * plateau cut after epoch 4 (two epochs of 0.9 after the best, 0.9), its cooldown
         * begun */
        if (kinds[i] == SCHED_COSINE_WARM_RESTARTS)
            CHECK(sa.T_cur == 1 && sa.T_i == 4);
        else
            CHECK(sa.cooldown_counter == 1 && sa.lr == 0.05 && sa.best == 0.9);
        CkptWriter w;
        CkptFile f;
        open_writer(&w);
        sched_ckpt_put(&a, &w);
        commit_and_read(&w, &f);
        CHECK(sched_ckpt_get(&b, &f, 4 * SPE, 4, &e) == 0);
        sched_get_state(&b, &sb);
        CHECK(memcmp(&sa, &sb, sizeof sa) == 0);
        sched_epochs(&a, 4, 8, lr_a);
        sched_epochs(&b, 4, 8, lr_b);
        CHECK(memcmp(lr_a, lr_b, 4 * SPE * sizeof(double)) == 0);
        ckpt_file_free(&f);
    }
}

static void test_sched_refusals(void)
{
    SchedParams p = sched_params(SCHED_COSINE_WARM_RESTARTS);
    Sched a, b;
    Err e;
    CHECK(sched_init(&a, &p, 0.1, 8, SPE, 0, &e) == 0);
    CHECK(sched_init(&b, &p, 0.1, 8, SPE, 0, &e) == 0);
    double lr[3 * SPE];
    sched_epochs(&a, 0, 3, lr);
    CkptWriter w;
    CkptFile f;
    open_writer(&w);
    sched_ckpt_put(&a, &w);
    commit_and_read(&w, &f);
    /* a state the loop's counts do not reach: refused, b left as it was */
    SchedState before, after;
    sched_get_state(&b, &before);
    check_refused(sched_ckpt_get(&b, &f, 2 * SPE, 2, &e), &e,
                  "damaged: the schedule's state in sections 'sched.lr_best' and "
                  "'sched.counts': t = 3 (expected 2:");
    sched_get_state(&b, &after);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    ckpt_file_free(&f);

    /* counts of the wrong number */
    const double lr_best[2] = {0.1, 0};
    const int64_t counts[6] = {3, 0, 4, 0, 0, 0};
    open_writer(&w);
    ckpt_put_f64(&w, "sched.lr_best", lr_best, 2);
    ckpt_put_i64(&w, "sched.counts", counts, 5);
    commit_and_read(&w, &f);
    check_refused(sched_ckpt_get(&b, &f, 3 * SPE, 3, &e), &e,
                  "section 'sched.counts' holds 5 values (expected 6)");
    ckpt_file_free(&f);
    /* a negative count */
    const int64_t negative[6] = {3, -1, 4, 0, 0, 0};
    open_writer(&w);
    ckpt_put_f64(&w, "sched.lr_best", lr_best, 2);
    ckpt_put_i64(&w, "sched.counts", negative, 6);
    commit_and_read(&w, &f);
    check_refused(sched_ckpt_get(&b, &f, 3 * SPE, 3, &e), &e,
                  "damaged: entry 1 of section 'sched.counts' is -1");
    ckpt_file_free(&f);
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/checkpoint.bin", dir);
    RUN(test_optim_round_trip);
    RUN(test_optim_refusals);
    RUN(test_model_round_trip);
    RUN(test_model_refusals);
    RUN(test_sched_round_trip);
    RUN(test_sched_refusals);
    remove(path);
    rmdir(dir);
    return test_finish(argv[0]);
}
