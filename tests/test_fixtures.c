/* test_fixtures.c - the model, loss and optimizers against PyTorch. Each fixture in
 * tests/fixtures/nets/ (written by PyTorch 1.13) holds a small net's initial parameters, a
 * batch, the step-0 logits, loss and gradients, the parameters and batch-norm running
 * statistics after each of 3 optimizer steps on that batch, and eval-mode logits at the
 * end. mlptrain runs the same steps in float32 from the same parameters.
 * Tolerance: |got - expected| <= 1e-6 + 1e-5 * |expected| for every value (float32
 * arithmetic with a different summation order than PyTorch's float64).
 * One exception, with batch norm: the bias of a Linear that feeds a BatchNorm1d has an
 * exactly zero true gradient (the normalization removes any per-feature shift). Any
 * floating-point run computes rounding noise for it (PyTorch's float64: ~1e-17, float32:
 * ~1e-9), and Adam turns noise into steps of +-lr whose sign is the noise's. So after each
 * step those biases are checked to have a negligible gradient and are then re-synchronized
 * from the fixture; everything that depends on them (running means, later losses, eval
 * logits) is still compared. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "model.h"
#include "optim.h"
#include "test.h"

#define ATOL 1e-6
#define RTOL 1e-5
#define MAX_ENTRIES 256

typedef struct {
    char name[96];
    int n;
    double *v;
} Entry;

typedef struct {
    char net[128], optim[256];
    int n;
    Entry e[MAX_ENTRIES];
} Fixture;

static int load_fixture(Fixture *fx, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    memset(fx, 0, sizeof *fx);
    static char line[1 << 16];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "# net ", 6) == 0) {
            sscanf(line + 6, "%127[^\n]", fx->net);
            continue;
        }
        if (strncmp(line, "# optimizer ", 12) == 0) {
            sscanf(line + 12, "%255[^\n]", fx->optim);
            continue;
        }
        if (line[0] == '#' || line[0] == '\n')
            continue;
        Entry *en = &fx->e[fx->n++];
        int a = 1, b = 1;
        int k = sscanf(line, "%95s %d %d", en->name, &a, &b);
        en->n = k >= 3 ? a * b : k == 2 ? a : 1;
        en->v = calloc((size_t)en->n, sizeof(double));
        for (int i = 0; i < en->n; i++)
            if (fscanf(f, "%lf", &en->v[i]) != 1) {
                fclose(f);
                return -1;
            }
        if (!fgets(line, sizeof line, f)) /* rest of the values line */
            break;
    }
    fclose(f);
    return 0;
}

static void free_fixture(Fixture *fx)
{
    for (int i = 0; i < fx->n; i++)
        free(fx->e[i].v);
}

static const Entry *find(const Fixture *fx, const char *name)
{
    for (int i = 0; i < fx->n; i++)
        if (strcmp(fx->e[i].name, name) == 0)
            return &fx->e[i];
    return NULL;
}

/* Compares n floats with the named entry; returns the max abs difference. */
static double compare(const char *file, const Fixture *fx, const char *name, const float *got, int n)
{
    const Entry *en = find(fx, name);
    if (!en || en->n != n) {
        fprintf(stderr, "%s: entry %s missing or of size %d, expected %d\n", file, name,
                en ? en->n : -1, n);
        CHECK(en && en->n == n);
        return INFINITY;
    }
    double worst = 0.0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        double d = fabs((double)got[i] - en->v[i]);
        if (d > worst)
            worst = d;
        if (!(d <= ATOL + RTOL * fabs(en->v[i]))) {
            if (bad++ < 3)
                fprintf(stderr, "%s: %s[%d] = %.9g, PyTorch %.9g\n", file, name, i, got[i], en->v[i]);
        }
    }
    CHECK(bad == 0);
    return worst;
}

static double worst_seen;
static Gemm *kernels; /* the path MLPTRAIN_KERNEL selects (auto when unset) */

/* The kind whose name is the word at s (up to a blank or ';'), or -1: fixture headers
 * name activations and optimizers as the config does. */
static int kind_named(const char *const *names, const char *s)
{
    size_t len = strcspn(s, " ;\n");
    for (int k = 0; names[k]; k++)
        if (strlen(names[k]) == len && strncmp(names[k], s, len) == 0)
            return k;
    return -1;
}

static void parse_net(const char *net, ModelParams *mp, int *n_in, int *n_classes)
{
    memset(mp, 0, sizeof *mp);
    int widths[PARAMS_MAX_HIDDEN + 2], n = 0;
    const char *p = net;
    while (n < PARAMS_MAX_HIDDEN + 2) {
        char *end;
        widths[n++] = (int)strtol(p, &end, 10);
        if (*end != '-')
            break;
        p = end + 1;
    }
    *n_in = widths[0];
    *n_classes = widths[n - 1];
    mp->n_hidden = n - 2;
    for (int i = 0; i < n - 2; i++)
        mp->hidden[i] = widths[i + 1];
    const char *act = strstr(net, "act=");
    int k = act ? kind_named(params_activation_names, act + 4) : -1;
    CHECK(k >= 0);
    mp->activation = k >= 0 ? (Activation)k : ACT_RELU;
    mp->batchnorm = strstr(net, "batchnorm=1") != NULL;
    mp->init = INIT_DEFAULT;
    mp->bias_init = BIAS_INIT_DEFAULT;
}

static void parse_optim(const char *s, OptimParams *op)
{
    memset(op, 0, sizeof *op);
    int k = kind_named(params_optim_names, s);
    CHECK(k >= 0);
    op->optimizer = k >= 0 ? (OptimKind)k : OPTIM_SGD;
    op->beta1 = 0.9;
    op->beta2 = 0.999;
    op->eps = 1e-8;
    op->weight_decay = params_optims[op->optimizer].default_weight_decay;
    const char *p;
    if ((p = strstr(s, "lr=")))
        op->lr = strtod(p + 3, NULL);
    if ((p = strstr(s, "momentum=")))
        op->momentum = strtod(p + 9, NULL);
    if ((p = strstr(s, "weight_decay=")))
        op->weight_decay = strtod(p + 13, NULL);
    op->nesterov = strstr(s, "nesterov=True") != NULL;
}

static void run_fixture(const char *file)
{
    char path[256];
    snprintf(path, sizeof path, "tests/fixtures/nets/%s", file);
    Fixture fx;
    if (load_fixture(&fx, path) < 0) {
        CHECK(!"fixture loads");
        return;
    }
    ModelParams mp;
    OptimParams op;
    int n_in, n_classes;
    parse_net(fx.net, &mp, &n_in, &n_classes);
    parse_optim(fx.optim, &op);
    CHECK(op.lr > 0);

    const Entry *input = find(&fx, "input"), *labels = find(&fx, "labels");
    CHECK(input && labels);
    if (!input || !labels) {
        free_fixture(&fx);
        return;
    }
    int N = labels->n;
    Model m;
    Rng rng;
    rng_seed(&rng, 1, 0);
    Err e;
    CHECK(model_init(&m, &mp, n_in, n_classes, N, kernels, NULL, &rng, &e) == 0);
    char name[64], key[128];
    size_t off;
    int rows, cols, count;
    int tensors = 0;
    for (int k = 0; model_tensor(&m, k, name, sizeof name, &off, &rows, &cols); k++, tensors++) {
        snprintf(key, sizeof key, "init.%s", name);
        const Entry *en = find(&fx, key);
        CHECK(en && en->n == rows * cols);
        if (en && en->n == rows * cols)
            for (int i = 0; i < en->n; i++)
                m.params[off + i] = (float)en->v[i];
    }
    CHECK(tensors == 2 * (mp.n_hidden + 1) + (mp.batchnorm ? 2 * mp.n_hidden : 0));

    float *x = malloc(sizeof(float) * (size_t)input->n);
    int *y = malloc(sizeof(int) * (size_t)N);
    float *dz = malloc(sizeof(float) * (size_t)N * n_classes);
    for (int i = 0; i < input->n; i++)
        x[i] = (float)input->v[i];
    for (int i = 0; i < N; i++)
        y[i] = (int)labels->v[i];

    Optim o;
    optim_init(&o, &op, m.n_params, NULL);
    for (int step = 0; step < 3; step++) {
        const float *logits = model_forward(&m, x, N, true, NULL);
        float loss = (float)(softmax_xent(logits, y, N, n_classes, 0.0f, dz, NULL) / N);
        snprintf(key, sizeof key, "step%d.loss", step);
        compare(file, &fx, key, &loss, 1);
        if (step == 0)
            compare(file, &fx, "step0.logits", logits, N * n_classes);
        model_backward(&m, x, dz, N);
        if (step == 0)
            for (int k = 0; model_tensor(&m, k, name, sizeof name, &off, &rows, &cols); k++) {
                snprintf(key, sizeof key, "step0.grad.%s", name);
                double w = compare(file, &fx, key, m.grads + off, rows * cols);
                if (w > worst_seen)
                    worst_seen = w;
            }
        optim_step(&o, m.params, m.grads, op.lr);
        for (int k = 0; model_tensor(&m, k, name, sizeof name, &off, &rows, &cols); k++) {
            snprintf(key, sizeof key, "after_step%d.%s", step + 1, name);
            int layer = 0;
            if (mp.batchnorm && strstr(name, ".bias") && sscanf(name, "linear%d", &layer) == 1 &&
                layer <= mp.n_hidden) {
                const Entry *en = find(&fx, key);
                CHECK(en && en->n == rows);
                for (int i = 0; en && i < rows; i++) {
                    CHECK(fabs(m.grads[off + i]) < 1e-6);
                    m.params[off + i] = (float)en->v[i];
                }
                continue;
            }
            double w = compare(file, &fx, key, m.params + off, rows * cols);
            if (w > worst_seen)
                worst_seen = w;
        }
        for (int k = 0; model_buffer(&m, k, name, sizeof name, &off, &count); k++) {
            snprintf(key, sizeof key, "after_step%d.%s", step + 1, name);
            compare(file, &fx, key, m.buffers + off, count);
        }
    }
    const float *logits = model_forward(&m, x, N, false, NULL);
    double w = compare(file, &fx, "eval.logits", logits, N * n_classes);
    if (w > worst_seen)
        worst_seen = w;
    optim_free(&o);
    model_free(&m);
    free(x);
    free(y);
    free(dz);
    free_fixture(&fx);
}

static void test_relu_sgd(void) { run_fixture("relu_sgd.txt"); }
static void test_relu_adam(void) { run_fixture("relu_adam.txt"); }
static void test_relu_bn_adam(void) { run_fixture("relu_bn_adam.txt"); }
static void test_relu_bn_adamw(void) { run_fixture("relu_bn_adamw.txt"); }
static void test_sigmoid_deep_adam(void) { run_fixture("sigmoid_deep_adam.txt"); }
static void test_sigmoid_sgd_momentum(void) { run_fixture("sigmoid_sgd_momentum.txt"); }
static void test_tanh_bn_sgd_momentum(void) { run_fixture("tanh_bn_sgd_momentum.txt"); }
static void test_tanh_sgd_nesterov(void) { run_fixture("tanh_sgd_nesterov.txt"); }

int main(int argc, char **argv)
{
    (void)argc;
    GemmPath path;
    Err e;
    if (gemm_path_from_env(&path, &e) < 0 || !(kernels = gemm_create(NULL, path, &e))) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    printf("fixtures: %s kernels\n", gemm_path_names[gemm_path(kernels)]);
    RUN(test_relu_sgd);
    RUN(test_relu_adam);
    RUN(test_relu_bn_adam);
    RUN(test_relu_bn_adamw);
    RUN(test_sigmoid_deep_adam);
    RUN(test_sigmoid_sgd_momentum);
    RUN(test_tanh_bn_sgd_momentum);
    RUN(test_tanh_sgd_nesterov);
    printf("fixtures: largest difference from PyTorch %.3g\n", worst_seen);
    gemm_free(kernels);
    return test_finish(argv[0]);
}
