/* test_optim.c - the optimizers on SEMANTICS §6.5's scalar vectors (p0 = 1, injected
 * gradients), L1, clipping, Caffe's momentum and the bias group's multipliers (hand-computed
 * steps); and the model's parameter counts, init (Caffe's fillers too) and summary (§10). */
#include <math.h>
#include <string.h>

#include "model.h"
#include "optim.h"
#include "test.h"

static OptimParams base(OptimKind k, double lr)
{
    OptimParams p;
    memset(&p, 0, sizeof p);
    p.optimizer = k;
    p.lr = lr;
    p.beta1 = 0.9;
    p.beta2 = 0.999;
    p.eps = 1e-8;
    p.weight_decay = k == OPTIM_ADAMW ? 0.01 : 0.0;
    return p;
}

/* Runs 4 steps on one parameter with gradients G and compares with expected (float32
 * tolerance: the vectors are float64). */
static void run4(OptimParams p, const double G[4], const double expect[4])
{
    Optim o;
    optim_init(&o, &p, 1, NULL);
    float param = 1.0f;
    for (int i = 0; i < 4; i++) {
        float g = (float)G[i];
        optim_step(&o, &param, &g, p.lr);
        CHECK_NEAR(expect[i], param, 1e-6, 1e-6);
    }
    optim_free(&o);
}

static const double G[4] = {1.0, -0.5, 0.25, 2.0};

static void test_sgd_vectors(void)
{
    OptimParams p = base(OPTIM_SGD, 0.1);
    run4(p, G, (double[]){0.9, 0.95, 0.925, 0.725});
    p.weight_decay = 0.01;
    run4(p, G, (double[]){0.899, 0.948101, 0.922152899, 0.721230746101});
    p = base(OPTIM_SGD, 0.1);
    p.momentum = 0.9;
    run4(p, G, (double[]){0.9, 0.86, 0.799, 0.5441});
    p.dampening = 0.5;
    run4(p, G, (double[]){0.9, 0.835, 0.764, 0.6001});
    p.dampening = 0;
    p.nesterov = true;
    run4(p, G, (double[]){0.81, 0.824, 0.7441, 0.31469});
    p.nesterov = false;
    p.weight_decay = 0.01;
    run4(p, G, (double[]){0.899, 0.857201, 0.793724699, 0.535802303401});
}

static void test_adam_vectors(void)
{
    OptimParams p = base(OPTIM_ADAM, 0.1);
    run4(p, G, (double[]){0.900000001, 0.873366297371, 0.839323383065, 0.775034191526});
    p.weight_decay = 0.1;
    run4(p, G, (double[]){0.900000000909, 0.863218354794, 0.818278508491, 0.749528908564});
    p = base(OPTIM_ADAMW, 0.1);
    run4(p, G, (double[]){0.899000001, 0.87146729737, 0.836552915766, 0.771427171312});
    p.weight_decay = 0.1;
    run4(p, G, (double[]){0.890000001, 0.854466297361, 0.811878720081, 0.739470741341});
    const double G2[4] = {2.0, 0.01, 0.01, 0.01};
    p = base(OPTIM_ADAM, 0.1);
    run4(p, G2, (double[]){0.9000000005, 0.832622764031, 0.780220898834, 0.737006027972});
    p.amsgrad = true;
    run4(p, G2, (double[]){0.9000000005, 0.832655618443, 0.780304844426, 0.737153158322});
}

/* Caffe's momentum (optim.momentum_form = caffe, sgd_solver.cpp ComputeUpdateValue):
 * V = m*V + lr*g, p -= V, against PyTorch's b = m*b + g, p -= lr*b. Two steps with the
 * LR cut from 0.1 to 0.01 between them, p0 = 1, m = 0.9, g = 1 both times:
 *   PyTorch: b1 = 1,   p1 = 1 - 0.1*1 = 0.9;  b2 = 0.9*1 + 1 = 1.9,   p2 = 0.9 - 0.01*1.9 = 0.881
 *   Caffe:   V1 = 0.1, p1 = 0.9;              V2 = 0.9*0.1 + 0.01*1 = 0.1, p2 = 0.9 - 0.1 = 0.8
 * With weight_decay 0.01 (g += 0.01*p before the momentum, in both):
 *   PyTorch: d1 = 1.01, b1 = 1.01, p1 = 0.899; d2 = 1 + 0.00899 = 1.00899,
 *            b2 = 0.909 + 1.00899 = 1.91799, p2 = 0.899 - 0.0191799 = 0.8798201
 *   Caffe:   V1 = 0.101, p1 = 0.899; V2 = 0.0909 + 0.0100899 = 0.1009899,
 *            p2 = 0.899 - 0.1009899 = 0.7980101
 * At a constant LR the two are the same (V_t = lr*b_t): SEMANTICS §6.5's vectors. */
static void two_steps(MomentumForm form, double wd, double p1, double p2)
{
    OptimParams p = base(OPTIM_SGD, 0.1);
    p.momentum = 0.9;
    p.weight_decay = wd;
    p.momentum_form = form;
    Optim o;
    optim_init(&o, &p, 1, NULL);
    float w = 1.0f, g = 1.0f;
    optim_step(&o, &w, &g, 0.1);
    CHECK_NEAR(p1, w, 1e-6, 0);
    g = 1.0f;
    optim_step(&o, &w, &g, 0.01);
    CHECK_NEAR(p2, w, 1e-6, 0);
    optim_free(&o);
}

static void test_caffe_momentum(void)
{
    two_steps(MOMENTUM_PYTORCH, 0, 0.9, 0.881);
    two_steps(MOMENTUM_CAFFE, 0, 0.9, 0.8);
    two_steps(MOMENTUM_PYTORCH, 0.01, 0.899, 0.8798201);
    two_steps(MOMENTUM_CAFFE, 0.01, 0.899, 0.7980101);

    OptimParams p = base(OPTIM_SGD, 0.1);
    p.momentum_form = MOMENTUM_CAFFE;
    run4(p, G, (double[]){0.9, 0.95, 0.925, 0.725}); /* no momentum: plain SGD */
    p.momentum = 0.9;
    run4(p, G, (double[]){0.9, 0.86, 0.799, 0.5441});
    p.weight_decay = 0.01;
    run4(p, G, (double[]){0.899, 0.857201, 0.793724699, 0.535802303401});
}

/* Parameters 0..n in the bias group from..to (optim_set_group), all starting at 1. */
static void grouped(Optim *o, const OptimParams *p, size_t n, size_t from, size_t to)
{
    optim_init(o, p, n, NULL);
    optim_set_group(o, from, to, OPTIM_GROUP_BIAS);
}

/* optim.bias_lr_mult / bias_decay_mult: only the bias group's entries see them. */
static void test_bias_group(void)
{
    enum { N = 6 };
    float w[N], g[N];
    Optim o;

    /* SGD lr 0.1, bias_lr_mult 2, g = 1: weights 1 - 0.1 = 0.9, biases 1 - 0.2 = 0.8. */
    OptimParams p = base(OPTIM_SGD, 0.1);
    p.bias_lr_mult = 2;
    p.bias_decay_mult = 1;
    grouped(&o, &p, N, 2, 4);
    for (int i = 0; i < N; i++)
        w[i] = g[i] = 1.0f;
    optim_step(&o, w, g, 0.1);
    for (int i = 0; i < N; i++)
        CHECK_NEAR(i >= 2 && i < 4 ? 0.8 : 0.9, w[i], 1e-7, 0);
    optim_free(&o);

    /* weight_decay 0.1, bias_decay_mult 0, g = 0: weights 1 - 0.1 * (0.1 * 1) = 0.99,
     * biases keep 1 (Caffe's local_decay = weight_decay * decay_mult = 0). */
    p = base(OPTIM_SGD, 0.1);
    p.weight_decay = 0.1;
    p.bias_lr_mult = 1;
    p.bias_decay_mult = 0;
    grouped(&o, &p, N, 4, 6);
    for (int i = 0; i < N; i++) {
        w[i] = 1.0f;
        g[i] = 0.0f;
    }
    optim_step(&o, w, g, 0.1);
    for (int i = 0; i < N; i++)
        CHECK_NEAR(i >= 4 ? 1.0 : 0.99, w[i], 1e-7, 0);
    optim_free(&o);

    /* Caffe's form with LeNet's lr_mult 2, m = 0.9, g = 1, LR 0.1 then 0.01:
     * weights V = 0.1, p = 0.9; V = 0.09 + 0.01 = 0.1, p = 0.8;
     * biases (local_rate 0.2 then 0.02) V = 0.2, p = 0.8; V = 0.18 + 0.02 = 0.2, p = 0.6. */
    p = base(OPTIM_SGD, 0.1);
    p.momentum = 0.9;
    p.momentum_form = MOMENTUM_CAFFE;
    p.bias_lr_mult = 2;
    p.bias_decay_mult = 1;
    grouped(&o, &p, N, 0, 1);
    for (int i = 0; i < N; i++)
        w[i] = g[i] = 1.0f;
    optim_step(&o, w, g, 0.1);
    for (int i = 0; i < N; i++)
        g[i] = 1.0f;
    optim_step(&o, w, g, 0.01);
    for (int i = 0; i < N; i++)
        CHECK_NEAR(i == 0 ? 0.6 : 0.8, w[i], 1e-6, 0);
    optim_free(&o);

    /* AdamW lr 0.1, weight_decay 0.1, bias_lr_mult 2, bias_decay_mult 0.5, g = 0.5, first
     * step (m/bc1 = 0.5, sqrt(v/bc2) = 0.5, so the step is lr_g * 0.5 / (0.5 + 1e-8)):
     * weights 1 * (1 - 0.1*0.1) - 0.1 * 0.99999998 = 0.890000002,
     * biases  1 * (1 - 0.2*0.05) - 0.2 * 0.99999998 = 0.790000004. */
    p = base(OPTIM_ADAMW, 0.1);
    p.weight_decay = 0.1;
    p.bias_lr_mult = 2;
    p.bias_decay_mult = 0.5;
    grouped(&o, &p, N, 3, 6);
    for (int i = 0; i < N; i++) {
        w[i] = 1.0f;
        g[i] = 0.5f;
    }
    optim_step(&o, w, g, 0.1);
    for (int i = 0; i < N; i++)
        CHECK_NEAR(i >= 3 ? 0.790000004 : 0.890000002, w[i], 1e-6, 0);
    optim_free(&o);

    /* The spans: neighbours of one group merge, and a group can be given back. */
    p = base(OPTIM_SGD, 0.1);
    optim_init(&o, &p, 10, NULL);
    optim_set_group(&o, 2, 4, OPTIM_GROUP_BIAS);
    optim_set_group(&o, 4, 6, OPTIM_GROUP_BIAS);
    CHECK(o.n_spans == 3 && o.spans[0].end == 2 && o.spans[1].end == 6 &&
          o.spans[1].group == OPTIM_GROUP_BIAS && o.spans[2].end == 10);
    optim_set_group(&o, 3, 5, OPTIM_GROUP_MAIN);
    CHECK(o.n_spans == 5 && o.spans[1].end == 3 && o.spans[2].end == 5 &&
          o.spans[3].end == 6 && o.spans[3].group == OPTIM_GROUP_BIAS);
    optim_set_group(&o, 0, 10, OPTIM_GROUP_MAIN);
    CHECK(o.n_spans == 1 && o.spans[0].end == 10 && o.spans[0].group == OPTIM_GROUP_MAIN);
    optim_free(&o);
}

/* Groups whose multipliers are 1 change no bit of any optimizer's steps, also where a
 * group's span crosses the optimizer's chunks of 16384; and a multiplier of 2 reaches
 * exactly the entries of its span there. */
static void test_groups_bit_identical(void)
{
    enum { N = 40000 };
    static float w0[N], w1[N], g0[N], g1[N];
    static const size_t spans[][2] = {{0, 5}, {16380, 16400}, {30000, 30010}, {39990, 40000}};
    for (int variant = 0; variant < 6; variant++) {
        OptimParams p = base(variant < 3 ? OPTIM_SGD : variant == 3 ? OPTIM_ADAM : OPTIM_ADAMW,
                             0.05);
        p.bias_lr_mult = p.bias_decay_mult = 1;
        p.weight_decay = 0.01;
        p.momentum = variant < 3 ? 0.9 : 0;
        p.nesterov = variant == 1;
        p.momentum_form = variant == 2 ? MOMENTUM_CAFFE : MOMENTUM_PYTORCH;
        p.amsgrad = variant == 5;
        p.clip_grad_norm = variant == 4 ? 1.0 : 0;
        p.l1 = variant == 3 ? 1e-4 : 0;
        Optim plain, groups;
        optim_init(&plain, &p, N, NULL);
        optim_init(&groups, &p, N, NULL);
        for (size_t k = 0; k < sizeof spans / sizeof spans[0]; k++)
            optim_set_group(&groups, spans[k][0], spans[k][1], OPTIM_GROUP_BIAS);
        Rng r;
        rng_seed(&r, 11, 0);
        for (int i = 0; i < N; i++)
            w0[i] = w1[i] = (float)(rng_uniform(&r) - 0.5);
        for (int step = 0; step < 3; step++) {
            for (int i = 0; i < N; i++)
                g0[i] = g1[i] = (float)(rng_uniform(&r) - 0.5);
            double lr = 0.05 / (1 + step);
            optim_step(&plain, w0, g0, lr);
            optim_step(&groups, w1, g1, lr);
        }
        CHECK(memcmp(w0, w1, sizeof w0) == 0);
        for (int b = 0; b < OPTIM_STATE_COUNT; b++)
            CHECK(!plain.state[b] || memcmp(plain.state[b], groups.state[b], N * sizeof(float)) == 0);
        optim_free(&plain);
        optim_free(&groups);
    }

    OptimParams p = base(OPTIM_SGD, 0.1);
    p.bias_lr_mult = 2;
    Optim o;
    optim_init(&o, &p, N, NULL);
    for (size_t k = 0; k < sizeof spans / sizeof spans[0]; k++)
        optim_set_group(&o, spans[k][0], spans[k][1], OPTIM_GROUP_BIAS);
    for (int i = 0; i < N; i++)
        w0[i] = g0[i] = 1.0f;
    optim_step(&o, w0, g0, 0.1);
    int wrong = 0;
    for (size_t i = 0; i < N; i++) {
        bool bias = false;
        for (size_t k = 0; k < sizeof spans / sizeof spans[0]; k++)
            bias |= i >= spans[k][0] && i < spans[k][1];
        wrong += w0[i] != (bias ? 1.0f - 0.2f : 1.0f - 0.1f);
    }
    CHECK(wrong == 0);
    optim_free(&o);
}

static void test_l1_and_clipping(void)
{
    OptimParams p = base(OPTIM_SGD, 0.1);
    p.l1 = 0.5;
    Optim o;
    optim_init(&o, &p, 3, NULL);
    float w[3] = {2.0f, -1.0f, 0.0f}, g[3] = {0, 0, 0};
    CHECK_NEAR(0.5 * 3.0, optim_l1_penalty(&o, w), 0, 1e-12);
    optim_step(&o, w, g, 0.1);
    CHECK_NEAR(1.95, w[0], 1e-7, 0);  /* sign(p) = +1 */
    CHECK_NEAR(-0.95, w[1], 1e-7, 0); /* sign(p) = -1 */
    CHECK(w[2] == 0.0f);              /* sign(0) = 0 */
    optim_free(&o);

    p = base(OPTIM_SGD, 1.0);
    p.clip_grad_norm = 1.0;
    optim_init(&o, &p, 2, NULL);
    float q[2] = {0, 0}, h[2] = {3, 4};
    double norm = optim_step(&o, q, h, 1.0);
    CHECK_NEAR(5.0, norm, 0, 1e-12);
    CHECK_NEAR(-0.6, q[0], 1e-6, 0); /* coef = 1 / (5 + 1e-6) */
    CHECK_NEAR(-0.8, q[1], 1e-6, 0);
    optim_free(&o);
}

static size_t count_params(int n_in, int h, int layers, bool bn)
{
    ModelParams mp;
    memset(&mp, 0, sizeof mp);
    mp.n_hidden = layers;
    for (int i = 0; i < layers; i++)
        mp.hidden[i] = h;
    mp.batchnorm = bn;
    mp.bias_init = BIAS_INIT_DEFAULT;
    Model m;
    Rng r;
    rng_seed(&r, 1, 0);
    Err e;
    if (model_init(&m, &mp, n_in, 10, 2, NULL, NULL, &r, &e) < 0)
        return 0;
    size_t n = m.n_params;
    model_free(&m);
    return n;
}

/* One training forward + backward and one eval forward of a batch-norm, GELU, dropout
 * net with its layers on pool; logits, gradients and running statistics are copied out. */
static void model_pass(Pool *pool, float *logits, float *grads, float *eval, float *buffers)
{
    enum { N = 64, IN = 50, H = 128 };
    ModelParams mp;
    memset(&mp, 0, sizeof mp);
    mp.n_hidden = 2;
    mp.hidden[0] = mp.hidden[1] = H;
    mp.activation = ACT_GELU;
    mp.batchnorm = true;
    mp.dropout = 0.2;
    mp.bias_init = BIAS_INIT_DEFAULT;
    Model m;
    Rng r, drop;
    rng_seed(&r, 5, 0);
    rng_seed(&drop, 5, 1);
    Err e;
    CHECK(model_init(&m, &mp, IN, 10, N, NULL, pool, &r, &e) == 0);
    CHECK(m.pool == pool);
    static float x[N * IN], dlogits[N * 10];
    for (int i = 0; i < N * IN; i++)
        x[i] = (float)rng_normal(&r);
    for (int i = 0; i < N * 10; i++)
        dlogits[i] = (float)rng_normal(&r) / N;
    memcpy(logits, model_forward(&m, x, N, true, &drop), sizeof(float) * N * 10);
    model_backward(&m, x, dlogits, N);
    memcpy(grads, m.grads, sizeof(float) * m.n_params);
    memcpy(buffers, m.buffers, sizeof(float) * m.n_buffers);
    memcpy(eval, model_forward(&m, x, N, false, NULL), sizeof(float) * N * 10);
    model_free(&m);
}

/* The layers model_init hands to its pool (activations of 8192 values, batch norm over
 * 128 features, dropout over 64 rows: all above their grains) give bit-identical results
 * on the calling thread and on 3 threads. */
static void test_model_on_pool(void)
{
    enum { LOGITS = 64 * 10, PARAMS = 50 * 128 + 128 + 2 * 128 + 128 * 128 + 128 + 2 * 128 +
                                       128 * 10 + 10, BUFFERS = 4 * 128 };
    static float l0[LOGITS], l1[LOGITS], g0[PARAMS], g1[PARAMS], e0[LOGITS], e1[LOGITS];
    static float b0[BUFFERS], b1[BUFFERS];
    Pool *pool = pool_create_exact(3);
    CHECK(pool != NULL);
    model_pass(NULL, l0, g0, e0, b0);
    model_pass(pool, l1, g1, e1, b1);
    CHECK(memcmp(l0, l1, sizeof l0) == 0);
    CHECK(memcmp(g0, g1, sizeof g0) == 0);
    CHECK(memcmp(e0, e1, sizeof e0) == 0);
    CHECK(memcmp(b0, b1, sizeof b0) == 0);
    pool_free(pool);
}

/* SEMANTICS §10 table. */
static void test_param_counts(void)
{
    CHECK(count_params(3072, 256, 2, false) == 855050);
    CHECK(count_params(3072, 2048, 2, true) == 10518538);
    CHECK(count_params(784, 32, 2, false) == 26506);
    CHECK(count_params(784, 256, 2, true) == 270346);
    CHECK(count_params(784, 1024, 2, false) == 1863690);
    CHECK(count_params(784, 0, 0, false) == 7850);
}

/* Init distributions: bounds of the default init (SEMANTICS §1.1) and the std of the
 * normal ones, measured on a large layer. */
static void test_init_statistics(void)
{
    for (int init = 0; init < INIT_COUNT; init++) {
        ModelParams mp;
        memset(&mp, 0, sizeof mp);
        mp.n_hidden = 1;
        mp.hidden[0] = 256;
        mp.init = (InitKind)init;
        mp.init_std = 0.01;
        mp.bias_init = init == INIT_DEFAULT ? BIAS_INIT_DEFAULT : BIAS_INIT_ZEROS;
        Model m;
        Rng r;
        rng_seed(&r, 5, 0);
        Err e;
        CHECK(model_init(&m, &mp, 784, 10, 2, NULL, NULL, &r, &e) == 0);
        size_t n = 784 * 256;
        double s = 0, ss = 0, mx = 0;
        for (size_t i = 0; i < n; i++) {
            double v = m.params[i];
            s += v;
            ss += v * v;
            if (fabs(v) > mx)
                mx = fabs(v);
        }
        double sd = sqrt(ss / n - (s / n) * (s / n));
        double fan_in = 784, fan_out = 256;
        /* Caffe's xavier: U(+-sqrt(3 / fan_in)), so sd = 1 / sqrt(fan_in) whatever fan_out. */
        double want_sd = init == INIT_DEFAULT ? 1 / sqrt(3 * fan_in)
                         : init == INIT_XAVIER_UNIFORM || init == INIT_XAVIER_NORMAL ? sqrt(2 / (fan_in + fan_out))
                         : init == INIT_NORMAL ? 0.01
                         : init == INIT_CAFFE_XAVIER ? 1 / sqrt(fan_in) : sqrt(2 / fan_in);
        CHECK_NEAR(want_sd, sd, 0, 0.01);
        CHECK(fabs(s / n) < 3 * want_sd / sqrt((double)n) * 2);
        if (init == INIT_DEFAULT) {
            CHECK(mx <= 1 / sqrt(fan_in));
            CHECK(m.params[n] != 0.0f); /* bias drawn too */
        } else {
            CHECK(m.params[n] == 0.0f); /* zeros bias */
        }
        model_free(&m);
    }
}

/* Caffe's LeNet fillers on the MLP 784-500-10 (lenet_train_test.prototxt: weight_filler
 * xavier, bias_filler constant): XavierFiller's n = count / num = fan_in (variance_norm
 * FAN_IN), scale = sqrt(3 / n): linear1 sqrt(3/784) = sqrt(3)/28 = 0.061858957413174..,
 * linear2 sqrt(3/500) = sqrt(0.006) = 0.077459666924148..; Var = scale^2 / 3 = 1 / fan_in.
 * PyTorch's xavier_uniform would reach sqrt(6 / (784 + 500)) = 0.0684 on linear1. The
 * biases are the ConstantFiller's value. And model_linear_bias names exactly the tensors
 * model_tensor calls linearK.bias (with batch norm, whose beta is not one). */
static void test_caffe_xavier_and_constant_bias(void)
{
    ModelParams mp;
    memset(&mp, 0, sizeof mp);
    mp.n_hidden = 1;
    mp.hidden[0] = 500;
    mp.init = INIT_CAFFE_XAVIER;
    mp.bias_init = BIAS_INIT_CONSTANT;
    mp.bias_value = 0.25;
    mp.batchnorm = true; /* bn1.bias is no Linear bias */
    Model m;
    Rng r;
    rng_seed(&r, 7, 0);
    Err e;
    CHECK(model_init(&m, &mp, 784, 10, 2, NULL, NULL, &r, &e) == 0);
    const double bound[2] = {0.06185895741317419, 0.07745966692414834};
    const int fan_in[2] = {784, 500};
    size_t off;
    int count, k = 0;
    for (; model_linear_bias(&m, k, &off, &count); k++) {
        const Layer *l = NULL;
        for (int i = 0, seen = 0; i < m.n_layers; i++)
            if (m.layers[i].kind == LAYER_LINEAR && seen++ == k)
                l = &m.layers[i];
        CHECK(l && off == l->b && count == l->out);
        if (!l || k > 1)
            break;
        size_t n = (size_t)l->in * l->out;
        double s = 0, ss = 0, mx = 0;
        for (size_t i = 0; i < n; i++) {
            double v = m.params[l->w + i];
            s += v;
            ss += v * v;
            mx = fabs(v) > mx ? fabs(v) : mx;
        }
        CHECK(mx <= bound[k]);
        CHECK(mx > 0.99 * bound[k]);
        CHECK_NEAR(1.0 / fan_in[k], ss / n - (s / n) * (s / n), 0, 0.05);
        CHECK(fabs(s / n) < 4 * bound[k] / sqrt(3.0 * n));
        int not_value = 0;
        for (int j = 0; j < count; j++)
            not_value += m.params[off + j] != 0.25f;
        CHECK(not_value == 0);
    }
    CHECK(k == 2);
    /* The tensor names agree: every linearK.bias, and nothing else. */
    char name[64];
    int rows, cols, biases = 0;
    for (int t = 0; model_tensor(&m, t, name, sizeof name, &off, &rows, &cols); t++) {
        size_t b_off;
        int b_n;
        bool is_bias = false;
        for (int j = 0; model_linear_bias(&m, j, &b_off, &b_n); j++)
            is_bias |= b_off == off && b_n == rows;
        CHECK(is_bias == (strncmp(name, "linear", 6) == 0 && strstr(name, ".bias") != NULL));
        biases += is_bias;
    }
    CHECK(biases == 2);
    model_free(&m);
}

static void test_summary_table(void)
{
    ModelParams mp;
    memset(&mp, 0, sizeof mp);
    mp.n_hidden = 2;
    mp.hidden[0] = mp.hidden[1] = 256;
    mp.bias_init = BIAS_INIT_DEFAULT;
    Model m;
    Rng r;
    rng_seed(&r, 1, 0);
    Err e;
    CHECK(model_init(&m, &mp, 3072, 10, 2, NULL, NULL, &r, &e) == 0);
    char buf[4096] = "";
    FILE *f = tmpfile();
    model_summary(&m, f);
    rewind(f);
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = '\0';
    fclose(f);
    CHECK(strstr(buf, "            Linear-1                  [-1, 256]         786,688\n") != NULL);
    CHECK(strstr(buf, "              ReLU-2                  [-1, 256]               0\n") != NULL);
    CHECK(strstr(buf, "            Linear-5                   [-1, 10]           2,570\n") != NULL);
    CHECK(strstr(buf, "Total params: 855,050\nTrainable params: 855,050\nNon-trainable params: 0\n") != NULL);
    CHECK(strstr(buf, "Params size (MB): 3.26\nEstimated Total Size (MB): 3.28\n") != NULL);
    model_free(&m);
}

/* The state each optimizer allocates, as its params_optims row says: SGD keeps a momentum
 * buffer only with momentum; Adam and AdamW keep m and v, and vmax with amsgrad. */
static void test_state_buffers(void)
{
    for (int k = 0; k < OPTIM_COUNT; k++)
        for (int momentum = 0; momentum < 2; momentum++)
            for (int amsgrad = 0; amsgrad < 2; amsgrad++) {
                OptimParams p = base((OptimKind)k, 0.1);
                p.momentum = momentum ? 0.9 : 0.0;
                p.amsgrad = amsgrad;
                Optim o;
                optim_init(&o, &p, 3, NULL);
                bool adam = k == OPTIM_ADAM || k == OPTIM_ADAMW;
                CHECK((o.state[OPTIM_STATE_M] != NULL) == (adam || momentum));
                CHECK((o.state[OPTIM_STATE_V] != NULL) == adam);
                CHECK((o.state[OPTIM_STATE_VMAX] != NULL) == (adam && amsgrad));
                /* the estimate counts what was allocated */
                double kept = (adam || momentum) + adam + (adam && amsgrad);
                CHECK(optim_state_bytes(&p, 3) == kept * 3 * sizeof(float) + sizeof(double));
                optim_free(&o);
            }
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_sgd_vectors);
    RUN(test_adam_vectors);
    RUN(test_state_buffers);
    RUN(test_l1_and_clipping);
    RUN(test_caffe_momentum);
    RUN(test_bias_group);
    RUN(test_groups_bit_identical);
    RUN(test_caffe_xavier_and_constant_bias);
    RUN(test_param_counts);
    RUN(test_model_on_pool);
    RUN(test_init_statistics);
    RUN(test_summary_table);
    return test_finish(argv[0]);
}
