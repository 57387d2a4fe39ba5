/* test_layers.c - float kernels against the SEMANTICS test vectors, and the GEMM paths
 * (threaded and reference) against each other on odd shapes and every transpose. */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gemm.h"
#include "layers.h"
#include "pool.h"
#include "rng.h"
#include "test.h"

/* SEMANTICS §2 table, x = -1, 0, 1, 3. */
static void test_activation_vectors(void)
{
    const float x[4] = {-1, 0, 1, 3};
    const double sig[4] = {0.2689414214, 0.5, 0.7310585786, 0.9525741268};
    const double sigd[4] = {0.1966119332, 0.25, 0.1966119332, 0.04517665973};
    const double th[4] = {-0.761594156, 0, 0.761594156, 0.9950547537};
    const double thd[4] = {0.4199743416, 1, 0.4199743416, 0.009866037165};
    const double ge[4] = {-0.1586552539, 0, 0.8413447461, 2.995950306};
    const double ged[4] = {-0.08331547059, 0.5, 1.083315471, 1.011945647};
    const double relud[4] = {0, 0, 1, 1};
    const double leakyd[4] = {0.01, 0.01, 1, 1};
    const float ones[4] = {1, 1, 1, 1};
    float y[4], d[4];
    struct { Activation a; const double *y, *d; } cases[] = {
        {ACT_SIGMOID, sig, sigd}, {ACT_TANH, th, thd}, {ACT_GELU, ge, ged},
        {ACT_RELU, NULL, relud}, {ACT_LEAKY_RELU, NULL, leakyd}};
    _Static_assert(sizeof cases / sizeof cases[0] == ACT_COUNT, "reference values per activation");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        act_forward(cases[c].a, y, x, 4);
        act_backward(cases[c].a, d, ones, x, y, 4);
        for (int i = 0; i < 4; i++) {
            if (cases[c].y)
                CHECK_NEAR(cases[c].y[i], y[i], 1e-6, 1e-6);
            CHECK_NEAR(cases[c].d[i], d[i], 1e-6, 1e-6);
        }
    }
    /* relu at 0 is 0 with derivative 0; leaky_relu at 0 has derivative s. */
    act_forward(ACT_RELU, y, x, 4);
    CHECK(y[0] == 0.0f && y[1] == 0.0f && y[3] == 3.0f);
    /* Saturation: no overflow, no NaN. */
    const float big[2] = {-1000, 1000};
    act_forward(ACT_SIGMOID, y, big, 2);
    CHECK(y[0] == 0.0f && y[1] == 1.0f);
}

/* SEMANTICS §3 test vector. */
static void test_batchnorm_vector(void)
{
    const float x[8] = {1, 10, 2, 20, 3, 30, 4, 60};
    const float gamma[2] = {1, 1}, beta[2] = {0, 0};
    float y[8], xhat[8], mean[2], var[2], rstd[2];
    batchnorm_forward_train(y, xhat, mean, var, rstd, x, gamma, beta, 4, 2, 2, 1e-5f);
    const double xh0[4] = {-1.341635419968927, -0.4472118066563091, 0.4472118066563089, 1.3416354199689269};
    const double y1[4] = {-1.0690449523776269, -0.5345224761888134, 0, 1.6035674285664403};
    for (int n = 0; n < 4; n++) {
        CHECK_NEAR(xh0[n], xhat[n * 2], 1e-6, 1e-6);
        CHECK_NEAR(y1[n], y[n * 2 + 1], 1e-6, 1e-6);
    }
    CHECK_NEAR(2.5, mean[0], 0, 1e-7);
    CHECK_NEAR(1.25, var[0], 0, 1e-7);
    CHECK_NEAR(350, var[1], 0, 1e-7);
    float rm[2] = {0, 0}, rv[2] = {1, 1};
    batchnorm_update_running(rm, rv, mean, var, 4, 2, 0.1f);
    CHECK_NEAR(0.25, rm[0], 0, 1e-6);
    CHECK_NEAR(3.0, rm[1], 0, 1e-6);
    CHECK_NEAR(1.0666666666666667, rv[0], 0, 1e-6);
    CHECK_NEAR(47.56666666666667, rv[1], 0, 1e-6);
    const float dy[8] = {1, 0.5f, 0, -1, 0, 2, 0, 0};
    float dx[8], dg[2], db[2];
    batchnorm_backward(dx, dg, db, dy, xhat, gamma, rstd, 4, 2, 2);
    const double dx0[4] = {0.26833030389303414, -0.3577683720252976, -0.08944343463101138, 0.17888150276327486};
    const double dx1[4] = {0.006681530952360168, -0.07349684047596185, 0.08685990238068218, -0.020044592857080504};
    for (int n = 0; n < 4; n++) {
        CHECK_NEAR(dx0[n], dx[n * 2], 1e-6, 1e-5);
        CHECK_NEAR(dx1[n], dx[n * 2 + 1], 1e-6, 1e-5);
    }
    CHECK_NEAR(-1.3416354199689269, dg[0], 1e-6, 1e-6);
    CHECK_NEAR(0.0, dg[1], 1e-6, 0);
    CHECK_NEAR(1.0, db[0], 0, 1e-7);
    CHECK_NEAR(1.5, db[1], 0, 1e-7);
    const float xe[2] = {2.5f, 30};
    float ye[2];
    batchnorm_forward_eval(ye, xe, gamma, beta, rm, rv, 1, 2, 2, 1e-5f);
    CHECK_NEAR(2.1785429203456665, ye[0], 1e-6, 1e-6);
    CHECK_NEAR(3.9148250564124765, ye[1], 1e-6, 1e-6);
}

/* A wide layer is cut into blocks of features: each feature's statistics, output and
 * gradients are the same bits as when that feature is normalized alone. */
static void test_batchnorm_blocks(void)
{
    enum { N = 5, F = 2500 };
    size_t n_all = (size_t)N * F;
    float *x = malloc(sizeof(float) * n_all), *dy = malloc(sizeof(float) * n_all);
    float *y = malloc(sizeof(float) * 6 * n_all), *xhat = y + n_all, *dx = y + 2 * n_all;
    float *y1 = y + 3 * n_all, *xhat1 = y + 4 * n_all, *dx1 = y + 5 * n_all;
    float *gamma = malloc(sizeof(float) * 7 * F), *beta = gamma + F;
    float *mean = gamma + 2 * F, *var = gamma + 3 * F, *rstd = gamma + 4 * F;
    float *dg = gamma + 5 * F, *db = gamma + 6 * F;
    Rng r;
    rng_seed(&r, 7, 0);
    for (size_t i = 0; i < n_all; i++) {
        x[i] = (float)rng_uniform(&r) * 4.0f - 2.0f;
        dy[i] = (float)rng_uniform(&r) - 0.5f;
    }
    for (int f = 0; f < F; f++) {
        gamma[f] = 0.5f + (float)f / F;
        beta[f] = (float)f / F - 0.25f;
    }
    batchnorm_forward_train(y, xhat, mean, var, rstd, x, gamma, beta, N, F, F, 1e-5f);
    batchnorm_backward(dx, dg, db, dy, xhat, gamma, rstd, N, F, F);
    const int feats[] = {0, 63, 64, 1023, 1024, 1025, 2047, 2048, F - 1};
    for (size_t q = 0; q < sizeof feats / sizeof feats[0]; q++) {
        int f = feats[q];
        float m1, v1, r1, g1, b1;
        batchnorm_forward_train(y1 + f, xhat1 + f, &m1, &v1, &r1, x + f, gamma + f, beta + f, N,
                                1, F, 1e-5f);
        batchnorm_backward(dx1 + f, &g1, &b1, dy + f, xhat1 + f, gamma + f, &r1, N, 1, F);
        CHECK(m1 == mean[f] && v1 == var[f] && r1 == rstd[f] && g1 == dg[f] && b1 == db[f]);
        for (int n = 0; n < N; n++) {
            size_t i = (size_t)n * F + f;
            CHECK(y1[i] == y[i] && xhat1[i] == xhat[i] && dx1[i] == dx[i]);
        }
    }
    free(x);
    free(dy);
    free(y);
    free(gamma);
}

/* SEMANTICS §5.1 test vectors. */
static void test_softmax_xent_vectors(void)
{
    const float z[6] = {2, 1, 0.1f, 0.5f, 2.5f, 0.2f};
    const int y[2] = {0, 1};
    float dz[6];
    long correct = -1;
    double sum = softmax_xent(z, y, 2, 3, 0.0f, dz, &correct);
    CHECK_NEAR(0.31429097256981015, sum / 2, 1e-7, 1e-6);
    CHECK(correct == 2);
    const double g[6] = {-0.17049943055701605, 0.12121648535235695, 0.0492829452046591,
                         0.054765266475347144, -0.09533637374077403, 0.04057110726542681};
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(g[i], dz[i], 1e-7, 1e-6);
    sum = softmax_xent(z, y, 2, 3, 0.1f, dz, NULL);
    CHECK_NEAR(0.43429097256981014, sum / 2, 1e-7, 1e-6);
    const double gs[6] = {-0.13716609722368273, 0.10454981868569029, 0.03261627853799243,
                          0.03809859980868048, -0.0620030404074407, 0.02390444059876014};
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(gs[i], dz[i], 1e-7, 1e-6);
}

/* SEMANTICS §8.1: first maximum wins, NaN counts as the maximum. */
static void test_argmax_rules(void)
{
    const float z[9] = {1, 3, 3, 0, 0, 0, 1, NAN, 5};
    const int y[3] = {1, 0, 1};
    long correct = 0;
    softmax_xent(z, y, 3, 3, 0.0f, NULL, &correct);
    CHECK(correct == 3);
}

/* SEMANTICS §4. */
static void test_dropout(void)
{
    Rng r;
    rng_seed(&r, 7, 0);
    enum { N = 20000 };
    static float mask[N];
    dropout_mask(mask, N, 0.25f, &r);
    int kept = 0;
    for (int i = 0; i < N; i++) {
        CHECK(mask[i] == 0.0f || mask[i] == 1.0f / 0.75f);
        kept += mask[i] != 0.0f;
    }
    CHECK(fabs(kept / (double)N - 0.75) < 0.02);
    dropout_mask(mask, 10, 1.0f, &r);
    for (int i = 0; i < 10; i++)
        CHECK(mask[i] == 0.0f);
    dropout_mask(mask, 10, 0.0f, &r);
    for (int i = 0; i < 10; i++)
        CHECK(mask[i] == 1.0f);
}

static void fill(float *a, int n, Rng *r)
{
    for (int i = 0; i < n; i++)
        a[i] = (float)(rng_uniform(r) * 2 - 1);
}

/* Every path against the reference on odd shapes, every transpose, accumulate on and off:
 * generic bit-identical, SIMD paths within float32 rounding; and each path bit-identical
 * to itself on 1, 2 and 3 threads. Paths this CPU cannot run are skipped. */
static void test_gemm_paths(void)
{
    const int shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {33, 17, 65}, {1, 513, 7}, {130, 10, 257},
                             {64, 96, 784}, {13, 700, 300}, {250, 33, 600}};
    Rng r;
    rng_seed(&r, 3, 0);
    Pool *pools[3] = {NULL, pool_create_exact(2), pool_create_exact(3)};
    Gemm *gemms[3][3] = {{NULL}};
    int paths_run = 0;
    for (int path = 0; path < 3; path++)
        for (int p = 0; p < 3; p++)
            if (gemm_path_supported((GemmPath)(GEMM_GENERIC + path)))
                gemms[path][p] = gemm_create(pools[p], (GemmPath)(GEMM_GENERIC + path), NULL);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        size_t mn = (size_t)M * N;
        float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
        float *C0 = malloc(sizeof(float) * mn), *C1 = malloc(sizeof(float) * mn);
        float *C2 = malloc(sizeof(float) * mn), *start = malloc(sizeof(float) * mn);
        fill(A, M * K, &r);
        fill(B, K * N, &r);
        for (int t = 0; t < 4; t++) {
            bool ta = t & 1, tb = t & 2;
            int lda = ta ? M : K, ldb = tb ? K : N;
            for (int acc = 0; acc < 2; acc++) {
                fill(start, (int)mn, &r);
                memcpy(C0, start, sizeof(float) * mn);
                gemm_ref(ta, tb, M, N, K, A, lda, B, ldb, C0, N, acc);
                for (int path = 0; path < 3; path++) {
                    if (!gemms[path][0])
                        continue;
                    paths_run++;
                    memcpy(C1, start, sizeof(float) * mn);
                    gemm(gemms[path][0], ta, tb, M, N, K, A, lda, B, ldb, C1, N, acc);
                    if (path == 0) {
                        CHECK(memcmp(C0, C1, sizeof(float) * mn) == 0);
                    } else {
                        for (size_t i = 0; i < mn; i++)
                            CHECK_NEAR(C0[i], C1[i], 2e-7 * K, 1e-5);
                    }
                    for (int p = 1; p < 3; p++) {
                        memcpy(C2, start, sizeof(float) * mn);
                        gemm(gemms[path][p], ta, tb, M, N, K, A, lda, B, ldb, C2, N, acc);
                        CHECK(memcmp(C1, C2, sizeof(float) * mn) == 0);
                    }
                }
            }
        }
        /* And the reference is a correct product (double check of one element). */
        double s0 = 0;
        for (int k = 0; k < K; k++)
            s0 += (double)A[k] * B[(size_t)k * N];
        gemm_ref(false, false, M, N, K, A, K, B, N, C0, N, false);
        CHECK_NEAR(s0, C0[0], 1e-5, 1e-5);
        free(A);
        free(B);
        free(C0);
        free(C1);
        free(C2);
        free(start);
    }
    CHECK(paths_run > 0);
    printf("gemm paths tested on this CPU:");
    for (int path = 0; path < 3; path++)
        if (gemms[path][0])
            printf(" %s", gemm_path_names[GEMM_GENERIC + path]);
    printf("\n");
    for (int path = 0; path < 3; path++)
        for (int p = 0; p < 3; p++)
            gemm_free(gemms[path][p]);
    for (int p = 0; p < 3; p++)
        pool_free(pools[p]);
}

static int counts[100];
static void count_task(void *ctx, int task)
{
    (void)ctx;
    counts[task]++;
}

static void test_pool_runs_every_task_once(void)
{
    Pool *p = pool_create_exact(3);
    CHECK(p != NULL);
    CHECK(pool_threads(p) == 3);
    for (int round = 0; round < 50; round++)
        pool_run(p, 100, count_task, NULL);
    for (int i = 0; i < 100; i++)
        CHECK(counts[i] == 50);
    pool_free(p);
}

/* pool_online_cpus parses /sys/devices/system/cpu/online: it must find the CPUs glibc finds
 * there (sysconf counts the same file), not fall back to 1 on a machine with more. */
static void test_online_cpus(void)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK_NEAR(online, pool_online_cpus(), 0, 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_activation_vectors);
    RUN(test_batchnorm_vector);
    RUN(test_batchnorm_blocks);
    RUN(test_softmax_xent_vectors);
    RUN(test_argmax_rules);
    RUN(test_dropout);
    RUN(test_gemm_paths);
    RUN(test_pool_runs_every_task_once);
    RUN(test_online_cpus);
    return test_finish(argv[0]);
}
