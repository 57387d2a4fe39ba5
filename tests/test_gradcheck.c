/* test_gradcheck.c - finite-difference gradient checks in double. The layer kernels of
 * src/layers_impl.h are instantiated here for double (names *_f64), so the checked code
 * is the same source the float product runs. Each check also makes sure the analytic
 * gradient is not trivially zero. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "gemm.h"
#include "rng.h"
#include "test.h"

static void gemm_f64(bool ta, bool tb, int M, int N, int K, const double *A, int lda,
                     const double *B, int ldb, double *C, int ldc, bool acc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = acc ? C[i * ldc + j] : 0.0;
            for (int k = 0; k < K; k++)
                s += (ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
            C[i * ldc + j] = s;
        }
}

static void gemm_bias_f64(bool ta, bool tb, int M, int N, int K, const double *A, int lda,
                          const double *B, int ldb, const double *bias, double *C, int ldc)
{
    for (int i = 0; i < M; i++)
        memcpy(C + (size_t)i * ldc, bias, sizeof(double) * (size_t)N);
    gemm_f64(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, true);
}

/* The double instantiation: each kernel gets an _f64 name, so every call below says
 * which precision it checks (the float kernels are linked into this binary too). */
#define linear_forward linear_forward_f64
#define linear_backward linear_backward_f64
#define linear_bias_backward linear_bias_backward_f64
#define act_forward act_forward_f64
#define act_backward act_backward_f64
#define batchnorm_forward_train batchnorm_forward_train_f64
#define batchnorm_update_running batchnorm_update_running_f64
#define batchnorm_forward_eval batchnorm_forward_eval_f64
#define batchnorm_backward batchnorm_backward_f64
#define dropout_apply dropout_apply_f64
#define softmax_xent softmax_xent_f64
#define softmax_xent_rows softmax_xent_rows_f64
#define REAL double
#define KERNEL static inline
#define GEMM(pool, ta, tb, M, N, K, A, lda, B, ldb, C, ldc, acc) \
    ((void)(pool), gemm_f64(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, acc))
#define GEMM_BIAS(pool, ta, tb, M, N, K, A, lda, B, ldb, bias, C, ldc) \
    ((void)(pool), gemm_bias_f64(ta, tb, M, N, K, A, lda, B, ldb, bias, C, ldc))
#define R_EXP exp
#define R_TANH tanh
#define R_SQRT sqrt
#include "../src/layers_impl.h"

#define H 1e-6
#define MAXN 256

static Rng rng;

static void fill(double *a, int n, double lo, double hi)
{
    for (int i = 0; i < n; i++)
        a[i] = lo + (hi - lo) * rng_uniform(&rng);
}

static double dot(const double *a, const double *b, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Compares analytic gradient g of f with central differences over the n values of v. */
typedef double (*Objective)(void *ctx);
static void check_grad(const char *what, Objective f, void *ctx, double *v, const double *g, int n)
{
    double norm = 0.0, worst = 0.0;
    for (int i = 0; i < n; i++) {
        double keep = v[i];
        v[i] = keep + H;
        double up = f(ctx);
        v[i] = keep - H;
        double down = f(ctx);
        v[i] = keep;
        double fd = (up - down) / (2 * H);
        double err = fabs(fd - g[i]) / (1e-6 + fabs(fd) + fabs(g[i]));
        if (err > worst)
            worst = err;
        norm += g[i] * g[i];
    }
    if (!(worst < 1e-6)) {
        fprintf(stderr, "  %s: worst relative error %.3g\n", what, worst);
    }
    CHECK(worst < 1e-6);
    CHECK(sqrt(norm) > 1e-3); /* not trivially zero */
}

/* ---- linear ---- */
typedef struct {
    int N, in, out;
    double x[MAXN], W[MAXN], b[MAXN], R[MAXN], y[MAXN];
} LinCtx;

static double lin_f(void *p)
{
    LinCtx *c = p;
    linear_forward_f64(NULL, c->y, c->x, c->W, c->b, c->N, c->in, c->out);
    return dot(c->y, c->R, c->N * c->out);
}

static void test_linear(void)
{
    LinCtx c = {.N = 4, .in = 5, .out = 3};
    fill(c.x, 20, -1, 1);
    fill(c.W, 15, -1, 1);
    fill(c.b, 3, -1, 1);
    fill(c.R, 12, -1, 1);
    double dx[MAXN], dW[MAXN], db[MAXN];
    linear_backward_f64(NULL, dx, dW, c.R, c.x, c.W, c.N, c.in, c.out);
    linear_bias_backward_f64(db, c.R, c.N, c.out, c.out);
    check_grad("linear dx", lin_f, &c, c.x, dx, 20);
    check_grad("linear dW", lin_f, &c, c.W, dW, 15);
    check_grad("linear db", lin_f, &c, c.b, db, 3);
}

/* ---- activations ---- */
typedef struct {
    Activation a;
    int n;
    double x[MAXN], y[MAXN], R[MAXN];
} ActCtx;

static double act_f(void *p)
{
    ActCtx *c = p;
    act_forward_f64(c->a, c->y, c->x, c->n);
    return dot(c->y, c->R, c->n);
}

static void test_activations(void)
{
    for (int a = 0; a < ACT_COUNT; a++) {
        ActCtx c = {.a = (Activation)a, .n = 40};
        fill(c.x, c.n, -3, 3);
        for (int i = 0; i < c.n; i++)
            if (fabs(c.x[i]) < 0.05)
                c.x[i] = 0.5; /* keep away from the kink of relu/leaky_relu */
        fill(c.R, c.n, -1, 1);
        act_f(&c);
        double dx[MAXN];
        act_backward_f64(c.a, dx, c.R, c.x, c.y, c.n);
        check_grad(params_activation_names[a], act_f, &c, c.x, dx, c.n);
    }
}

/* ---- batch norm (training mode) ---- */
typedef struct {
    int N, F;
    double x[MAXN], gamma[MAXN], beta[MAXN], R[MAXN];
    double y[MAXN], xhat[MAXN], mean[MAXN], var[MAXN], rstd[MAXN];
} BnCtx;

static double bn_f(void *p)
{
    BnCtx *c = p;
    batchnorm_forward_train_f64(c->y, c->xhat, c->mean, c->var, c->rstd, c->x, c->gamma, c->beta,
                                c->N, c->F, c->F, 1e-5);
    return dot(c->y, c->R, c->N * c->F);
}

static void test_batchnorm(void)
{
    BnCtx c = {.N = 6, .F = 4};
    fill(c.x, 24, -2, 2);
    fill(c.gamma, 4, 0.5, 1.5);
    fill(c.beta, 4, -0.5, 0.5);
    fill(c.R, 24, -1, 1);
    bn_f(&c);
    double dx[MAXN], dg[MAXN], dbeta[MAXN];
    batchnorm_backward_f64(dx, dg, dbeta, c.R, c.xhat, c.gamma, c.rstd, c.N, c.F, c.F);
    check_grad("bn dx", bn_f, &c, c.x, dx, 24);
    check_grad("bn dgamma", bn_f, &c, c.gamma, dg, 4);
    check_grad("bn dbeta", bn_f, &c, c.beta, dbeta, 4);
}

/* ---- dropout with a fixed mask ---- */
typedef struct {
    int n;
    double x[MAXN], mask[MAXN], y[MAXN], R[MAXN];
} DropCtx;

static double drop_f(void *p)
{
    DropCtx *c = p;
    dropout_apply_f64(c->y, c->x, c->mask, c->n);
    return dot(c->y, c->R, c->n);
}

static void test_dropout(void)
{
    DropCtx c = {.n = 30};
    fill(c.x, 30, -1, 1);
    fill(c.R, 30, -1, 1);
    for (int i = 0; i < 30; i++)
        c.mask[i] = i % 3 == 0 ? 0.0 : 1.0 / (1.0 - 0.25);
    double dx[MAXN];
    dropout_apply_f64(dx, c.R, c.mask, c.n);
    check_grad("dropout dx", drop_f, &c, c.x, dx, 30);
}

/* ---- softmax cross-entropy ---- */
typedef struct {
    int N, C;
    double smoothing;
    double z[MAXN];
    int y[MAXN];
} XentCtx;

static double xent_f(void *p)
{
    XentCtx *c = p;
    return softmax_xent_f64(c->z, c->y, c->N, c->C, c->smoothing, NULL, NULL) / c->N;
}

static void test_softmax_xent(void)
{
    for (int s = 0; s < 2; s++) {
        XentCtx c = {.N = 5, .C = 4, .smoothing = s ? 0.1 : 0.0};
        fill(c.z, 20, -3, 3);
        for (int i = 0; i < 5; i++)
            c.y[i] = i % 4;
        double dz[MAXN];
        softmax_xent_f64(c.z, c.y, c.N, c.C, c.smoothing, dz, NULL);
        check_grad(s ? "xent smoothing" : "xent", xent_f, &c, c.z, dz, 20);
    }
}

/* ---- whole net: linear -> bn -> tanh -> dropout(fixed) -> linear -> xent ---- */
typedef struct {
    int N, in, hid, C;
    double x[MAXN], W1[MAXN], b1[MAXN], g[MAXN], be[MAXN], W2[MAXN], b2[MAXN], mask[MAXN];
    int y[MAXN];
    double h1[MAXN], xhat[MAXN], mean[MAXN], var[MAXN], rstd[MAXN], h2[MAXN], h3[MAXN],
        h4[MAXN], z[MAXN];
} NetCtx;

static double net_f(void *p)
{
    NetCtx *c = p;
    linear_forward_f64(NULL, c->h1, c->x, c->W1, c->b1, c->N, c->in, c->hid);
    batchnorm_forward_train_f64(c->h2, c->xhat, c->mean, c->var, c->rstd, c->h1, c->g, c->be,
                                c->N, c->hid, c->hid, 1e-5);
    act_forward_f64(ACT_TANH, c->h3, c->h2, c->N * c->hid);
    dropout_apply_f64(c->h4, c->h3, c->mask, c->N * c->hid);
    linear_forward_f64(NULL, c->z, c->h4, c->W2, c->b2, c->N, c->hid, c->C);
    return softmax_xent_f64(c->z, c->y, c->N, c->C, 0.0, NULL, NULL) / c->N;
}

static void test_whole_net(void)
{
    NetCtx c = {.N = 5, .in = 6, .hid = 4, .C = 3};
    fill(c.x, 30, -1, 1);
    fill(c.W1, 24, -0.5, 0.5);
    fill(c.b1, 4, -0.1, 0.1);
    fill(c.g, 4, 0.8, 1.2);
    fill(c.be, 4, -0.1, 0.1);
    fill(c.W2, 12, -0.5, 0.5);
    fill(c.b2, 3, -0.1, 0.1);
    for (int i = 0; i < 20; i++)
        c.mask[i] = i % 5 == 1 ? 0.0 : 1.0 / 0.8;
    for (int i = 0; i < 5; i++)
        c.y[i] = i % 3;
    net_f(&c);
    double dz[MAXN], d4[MAXN], d3[MAXN], d2[MAXN], d1[MAXN];
    double dW2[MAXN], db2[MAXN], dg[MAXN], dbe[MAXN], dW1[MAXN], db1[MAXN], dx[MAXN];
    softmax_xent_f64(c.z, c.y, c.N, c.C, 0.0, dz, NULL);
    linear_backward_f64(NULL, d4, dW2, dz, c.h4, c.W2, c.N, c.hid, c.C);
    linear_bias_backward_f64(db2, dz, c.N, c.C, c.C);
    dropout_apply_f64(d3, d4, c.mask, 20);
    act_backward_f64(ACT_TANH, d2, d3, c.h2, c.h3, 20);
    batchnorm_backward_f64(d1, dg, dbe, d2, c.xhat, c.g, c.rstd, c.N, c.hid, c.hid);
    linear_backward_f64(NULL, dx, dW1, d1, c.x, c.W1, c.N, c.in, c.hid);
    linear_bias_backward_f64(db1, d1, c.N, c.hid, c.hid);
    check_grad("net dW1", net_f, &c, c.W1, dW1, 24);
    check_grad("net dgamma", net_f, &c, c.g, dg, 4);
    check_grad("net dbeta", net_f, &c, c.be, dbe, 4);
    check_grad("net dW2", net_f, &c, c.W2, dW2, 12);
    check_grad("net db2", net_f, &c, c.b2, db2, 3);
    check_grad("net dx", net_f, &c, c.x, dx, 30);
    /* db1 is exactly zero through batch norm (a per-feature shift is normalized away). */
    for (int i = 0; i < 4; i++)
        CHECK(fabs(db1[i]) < 1e-12);
}

int main(int argc, char **argv)
{
    (void)argc;
    rng_seed(&rng, 12345, 0);
    RUN(test_linear);
    RUN(test_activations);
    RUN(test_batchnorm);
    RUN(test_dropout);
    RUN(test_softmax_xent);
    RUN(test_whole_net);
    return test_finish(argv[0]);
}
