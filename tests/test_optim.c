/* test_optim.c - the optimizers on SEMANTICS §6.5's scalar vectors (p0 = 1, injected
 * gradients), L1, clipping; and the model's parameter counts and summary (§10). */
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
    RUN(test_param_counts);
    RUN(test_model_on_pool);
    RUN(test_init_statistics);
    RUN(test_summary_table);
    return test_finish(argv[0]);
}
