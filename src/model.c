/* model.c - see model.h. Layer order per hidden block is Linear -> [BatchNorm1d] ->
 * activation -> [Dropout], then a final Linear to the classes (no softmax: the loss
 * takes logits). */
#include "model.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BN_EPS 1e-5f
#define BN_MOMENTUM 0.1f

static const char *layer_type_name(const Layer *l, Activation a)
{
    switch (l->kind) {
    case LAYER_LINEAR: return "Linear";
    case LAYER_BATCHNORM: return "BatchNorm1d";
    case LAYER_ACT: return params_activations[a].module;
    case LAYER_DROPOUT: return "Dropout";
    }
    return "?";
}

/* torch.nn.init gains (SEMANTICS §1.2): xavier_* default gain 1, kaiming_* default
 * (a = 0, leaky_relu) gain sqrt(2). caffe_xavier and the constant bias are Caffe's
 * XavierFiller and ConstantFiller (include/caffe/filler.hpp). */
static void init_linear(float *W, float *b, int in, int out, const ModelParams *p, Rng *rng)
{
    size_t nw = (size_t)in * out;
    double bound = 1.0 / sqrt((double)in);
    double fan_avg = (double)(in + out);
    switch (p->init) {
    case INIT_DEFAULT:
        for (size_t i = 0; i < nw; i++)
            W[i] = (float)(-bound + 2.0 * bound * rng_uniform(rng));
        break;
    case INIT_XAVIER_UNIFORM: {
        double s = sqrt(6.0 / fan_avg);
        for (size_t i = 0; i < nw; i++)
            W[i] = (float)(-s + 2.0 * s * rng_uniform(rng));
        break;
    }
    case INIT_XAVIER_NORMAL: {
        double sd = sqrt(2.0 / fan_avg);
        for (size_t i = 0; i < nw; i++)
            W[i] = (float)(sd * rng_normal(rng));
        break;
    }
    case INIT_KAIMING_UNIFORM: {
        double s = sqrt(2.0) * sqrt(3.0 / in);
        for (size_t i = 0; i < nw; i++)
            W[i] = (float)(-s + 2.0 * s * rng_uniform(rng));
        break;
    }
    case INIT_KAIMING_NORMAL: {
        double sd = sqrt(2.0) / sqrt((double)in);
        for (size_t i = 0; i < nw; i++)
            W[i] = (float)(sd * rng_normal(rng));
        break;
    }
    case INIT_NORMAL:
        for (size_t i = 0; i < nw; i++)
            W[i] = (float)(p->init_std * rng_normal(rng));
        break;
    case INIT_CAFFE_XAVIER: {
        /* XavierFiller with its default variance_norm FAN_IN: n = count / num, which for
         * an InnerProduct weight (out, in) is in; U(-sqrt(3/n), sqrt(3/n)). Unlike
         * PyTorch's xavier_uniform it ignores fan_out: Var = 1/fan_in. */
        double s = sqrt(3.0 / in);
        for (size_t i = 0; i < nw; i++)
            W[i] = (float)(-s + 2.0 * s * rng_uniform(rng));
        break;
    }
    }
    switch (p->bias_init) {
    case BIAS_INIT_ZEROS:
        memset(b, 0, (size_t)out * sizeof *b);
        break;
    case BIAS_INIT_CONSTANT: {
        const float v = (float)p->bias_value; /* ConstantFiller: value, in the blob's float */
        for (int j = 0; j < out; j++)
            b[j] = v;
        break;
    }
    case BIAS_INIT_DEFAULT:
    case BIAS_INIT_AUTO: /* not reached: model_init refuses it */
        for (int j = 0; j < out; j++)
            b[j] = (float)(-bound + 2.0 * bound * rng_uniform(rng));
        break;
    }
}

static Layer *push(Model *m, LayerKind kind, int in, int out)
{
    Layer *l = &m->layers[m->n_layers++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->in = in;
    l->out = out;
    return l;
}

/* n += a * b, refusing what size_t cannot hold. */
static int add_product(size_t *n, size_t a, size_t b)
{
    size_t ab;
    return util_mul_size(a, b, &ab) || util_add_size(*n, ab, n) ? -1 : 0;
}

int model_layout(Model *m, const ModelParams *p, int n_in, int n_classes, int max_batch,
                 Gemm *gemm, Err *e)
{
    memset(m, 0, sizeof *m);
    if ((unsigned)p->activation >= ACT_COUNT || (unsigned)p->init >= INIT_COUNT ||
        (unsigned)p->bias_init >= BIAS_INIT_COUNT)
        return err_set(e, "model: activation %d, init %d or bias_init %d is not a known kind",
                       (int)p->activation, (int)p->init, (int)p->bias_init);
    if (p->bias_init == BIAS_INIT_AUTO)
        return err_set(e, "model: bias_init must be resolved before model_init");
    m->p = *p;
    m->n_in = n_in;
    m->n_classes = n_classes;
    m->max_batch = max_batch;
    m->gemm = gemm;
    int per_block = 2 + (p->batchnorm ? 1 : 0) + (p->dropout > 0.0 ? 1 : 0);
    m->layers = xcalloc((size_t)(p->n_hidden * per_block + 1), sizeof *m->layers);

    int in = n_in, widest = n_in > n_classes ? n_in : n_classes;
    int overflow = 0;
    for (int h = 0; h <= p->n_hidden; h++) {
        int out = h < p->n_hidden ? p->hidden[h] : n_classes;
        if (out > widest)
            widest = out;
        Layer *l = push(m, LAYER_LINEAR, in, out);
        l->index = h + 1;
        l->w = m->n_params;
        overflow |= add_product(&m->n_params, (size_t)in, (size_t)out);
        l->b = m->n_params;
        overflow |= add_product(&m->n_params, (size_t)out, 1);
        if (h == p->n_hidden)
            break;
        if (p->batchnorm) {
            l = push(m, LAYER_BATCHNORM, out, out);
            l->index = h + 1;
            l->w = m->n_params;
            l->b = m->n_params + (size_t)out;
            overflow |= add_product(&m->n_params, 2, (size_t)out);
            l->rm = m->n_buffers;
            l->rv = m->n_buffers + (size_t)out;
            m->n_buffers += 2 * (size_t)out;
        }
        push(m, LAYER_ACT, out, out);
        if (p->dropout > 0.0)
            push(m, LAYER_DROPOUT, out, out);
        in = out;
    }
    m->widest = widest;
    /* Gradients, optimizer state and the bytes of all of them must stay countable. */
    size_t bytes;
    if (overflow || util_mul_size(m->n_params, 4 * sizeof(float), &bytes)) {
        model_free(m);
        return err_set_key(e, "model.hidden", "the model would have more parameters than this "
                           "machine can address (expected narrower or fewer layers)");
    }
    /* Kernels index a batch's activations with int; refuse what would overflow. */
    if ((size_t)max_batch * (size_t)widest > (size_t)INT_MAX) {
        model_free(m);
        return err_set_key(e, "train.batch_size", "a batch of %d rows of width %d is too large "
                           "(at most %d values per layer; expected a smaller train.batch_size or "
                           "train.eval_batch_size)", max_batch, widest, INT_MAX);
    }
    return 0;
}

void model_memory(const Model *m, ModelMemory *mm)
{
    double rows = m->max_batch, f = sizeof(float);
    memset(mm, 0, sizeof *mm);
    mm->params = ((double)m->n_params + (double)m->n_buffers) * f;
    mm->grads = (double)m->n_params * f;
    mm->activations = 2.0 * rows * m->widest * f;
    for (int i = 0; i < m->n_layers; i++) {
        const Layer *l = &m->layers[i];
        double per_layer = 1.0 + (l->kind == LAYER_BATCHNORM) + (l->kind == LAYER_DROPOUT);
        mm->activations += per_layer * rows * l->out * f;
        if (l->kind == LAYER_BATCHNORM)
            mm->activations += 3.0 * l->out * f;
    }
}

int model_init(Model *m, const ModelParams *p, int n_in, int n_classes, int max_batch,
               Gemm *gemm, Pool *pool, Rng *rng, Err *e)
{
    if (model_layout(m, p, n_in, n_classes, max_batch, gemm, e) < 0)
        return -1;
    m->pool = pool;
    int widest = m->widest;
    m->params = xcalloc(m->n_params, sizeof *m->params);
    m->grads = xcalloc(m->n_params, sizeof *m->grads);
    m->buffers = xcalloc(m->n_buffers ? m->n_buffers : 1, sizeof *m->buffers);
    size_t rows = (size_t)max_batch;
    for (int i = 0; i < 2; i++)
        m->dbuf[i] = xmalloc(rows * (size_t)widest * sizeof(float));
    for (int i = 0; i < m->n_layers; i++) {
        Layer *l = &m->layers[i];
        l->y = xmalloc(rows * (size_t)l->out * sizeof(float));
        if (l->kind == LAYER_LINEAR) {
            init_linear(m->params + l->w, m->params + l->b, l->in, l->out, p, rng);
        } else if (l->kind == LAYER_BATCHNORM) {
            for (int f = 0; f < l->out; f++) {
                m->params[l->w + f] = 1.0f;
                m->params[l->b + f] = 0.0f;
                m->buffers[l->rm + f] = 0.0f;
                m->buffers[l->rv + f] = 1.0f;
            }
            l->xhat = xmalloc(rows * (size_t)l->out * sizeof(float));
            l->stats = xmalloc(3 * (size_t)l->out * sizeof(float));
        } else if (l->kind == LAYER_DROPOUT) {
            l->mask = xmalloc(rows * (size_t)l->out * sizeof(float));
        }
    }
    return 0;
}

void model_free(Model *m)
{
    if (m->layers)
        for (int i = 0; i < m->n_layers; i++) {
            free(m->layers[i].y);
            free(m->layers[i].xhat);
            free(m->layers[i].mask);
            free(m->layers[i].stats);
        }
    free(m->layers);
    free(m->params);
    free(m->grads);
    free(m->buffers);
    free(m->dbuf[0]);
    free(m->dbuf[1]);
    memset(m, 0, sizeof *m);
}

/* Element-wise layers run on the pool in contiguous ranges (results do not depend on
 * the cut); below ACT_GRAIN elements a range is not worth a dispatch. */
#define ACT_GRAIN 4096
#define BN_GRAIN 64        /* features */

typedef struct {
    Activation a;
    float *out;
    const float *in, *dy, *x, *y;
} ActJob;

static void act_forward_range(void *ctx, int b, int e)
{
    const ActJob *j = ctx;
    act_forward(j->a, j->out + b, j->in + b, e - b);
}

static void act_backward_range(void *ctx, int b, int e)
{
    const ActJob *j = ctx;
    act_backward(j->a, j->out + b, j->dy + b, j->x + b, j->y + b, e - b);
}

/* Bias gradients on the pool by blocks of columns, at least ACT_GRAIN values each. */
typedef struct {
    float *db;
    const float *dy;
    int n, out;
} BiasJob;

static void bias_backward_range(void *ctx, int b, int e)
{
    const BiasJob *j = ctx;
    linear_bias_backward(j->db + b, j->dy + b, j->n, e - b, j->out);
}

/* Batch norm on the pool by blocks of features (each feature's statistics are summed over
 * its rows in order, whatever the block). */
typedef struct {
    const Layer *l;
    const Model *m;
    const float *in, *dy;
    float *dx;
    int n;
    bool train;
} BnJob;

static void bn_forward_range(void *ctx, int b, int e)
{
    const BnJob *j = ctx;
    const Layer *l = j->l;
    const float *gamma = j->m->params + l->w + b, *beta = j->m->params + l->b + b;
    const float *rm = j->m->buffers + l->rm + b, *rv = j->m->buffers + l->rv + b;
    int F = l->out;
    if (j->train)
        batchnorm_forward_train(l->y + b, l->xhat + b, l->stats + b, l->stats + F + b,
                                l->stats + 2 * F + b, j->in + b, gamma, beta, j->n, e - b, F, BN_EPS);
    else
        batchnorm_forward_eval(l->y + b, j->in + b, gamma, beta, rm, rv, j->n, e - b, F, BN_EPS);
}

static void bn_backward_range(void *ctx, int b, int e)
{
    const BnJob *j = ctx;
    const Layer *l = j->l;
    Model *m = (Model *)j->m;
    int F = l->out;
    batchnorm_backward(j->dx + b, m->grads + l->w + b, m->grads + l->b + b, j->dy + b, l->xhat + b,
                       m->params + l->w + b, l->stats + 2 * F + b, j->n, e - b, F);
}

/* Dropout masks row by row: row r of a forward pass draws from its own stream, seeded by
 * one value taken from the dropout Rng per pass, so rows can be filled on any thread and
 * the masks do not depend on the thread count. */
typedef struct {
    float *mask, *y;
    const float *in;
    int F;
    float p;
    uint64_t base;
} DropJob;

static void dropout_range(void *ctx, int b, int e)
{
    const DropJob *j = ctx;
    for (int r = b; r < e; r++) {
        Rng row;
        rng_seed(&row, j->base, (uint64_t)r);
        size_t off = (size_t)r * j->F;
        dropout_mask(j->mask + off, j->F, j->p, &row);
        dropout_apply(j->y + off, j->in + off, j->mask + off, j->F);
    }
}

const float *model_forward(Model *m, const float *x, int n, bool train, Rng *dropout_rng)
{
    const float *in = x;
    if (train && m->n_buffers > 0)
        m->bn_batches++;
    for (int i = 0; i < m->n_layers; i++) {
        Layer *l = &m->layers[i];
        int count = n * l->out;
        switch (l->kind) {
        case LAYER_LINEAR:
            linear_forward(m->gemm, l->y, in, m->params + l->w, m->params + l->b, n, l->in, l->out);
            break;
        case LAYER_BATCHNORM: {
            BnJob j = {l, m, in, NULL, NULL, n, train};
            pool_for(m->pool, l->out, BN_GRAIN, bn_forward_range, &j);
            if (train)
                batchnorm_update_running(m->buffers + l->rm, m->buffers + l->rv, l->stats,
                                         l->stats + l->out, n, l->out, BN_MOMENTUM);
            break;
        }
        case LAYER_ACT: {
            ActJob j = {m->p.activation, l->y, in, NULL, NULL, NULL};
            pool_for(m->pool, count, ACT_GRAIN, act_forward_range, &j);
            break;
        }
        case LAYER_DROPOUT:
            if (train) {
                DropJob j = {l->mask, l->y, in, l->out, (float)m->p.dropout, rng_next(dropout_rng)};
                pool_for(m->pool, n, 8, dropout_range, &j);
            } else {
                memcpy(l->y, in, (size_t)count * sizeof(float));
            }
            break;
        }
        in = l->y;
    }
    return in;
}

void model_backward(Model *m, const float *x, const float *dlogits, int n)
{
    const float *dy = dlogits;
    int which = 0;
    for (int i = m->n_layers - 1; i >= 0; i--) {
        Layer *l = &m->layers[i];
        const float *in = i > 0 ? m->layers[i - 1].y : x;
        float *dx = i > 0 ? m->dbuf[which] : NULL;
        int count = n * l->out;
        switch (l->kind) {
        case LAYER_LINEAR: {
            BiasJob j = {m->grads + l->b, dy, n, l->out};
            pool_for(m->pool, l->out, ACT_GRAIN / n + 1, bias_backward_range, &j);
            linear_backward(m->gemm, dx, m->grads + l->w, dy, in, m->params + l->w, n, l->in,
                            l->out);
            break;
        }
        case LAYER_BATCHNORM:
            if (dx) {
                BnJob j = {l, m, NULL, dy, dx, n, true};
                pool_for(m->pool, l->out, BN_GRAIN, bn_backward_range, &j);
            }
            break;
        case LAYER_ACT:
            if (dx) {
                ActJob j = {m->p.activation, dx, NULL, dy, in, l->y};
                pool_for(m->pool, count, ACT_GRAIN, act_backward_range, &j);
            }
            break;
        case LAYER_DROPOUT:
            if (dx)
                dropout_apply(dx, dy, l->mask, count);
            break;
        }
        dy = dx;
        which ^= 1;
    }
}

bool model_tensor(const Model *m, int k, char *name, size_t name_size, size_t *offset,
                  int *rows, int *cols)
{
    for (int i = 0; i < m->n_layers; i++) {
        const Layer *l = &m->layers[i];
        if (l->kind != LAYER_LINEAR && l->kind != LAYER_BATCHNORM)
            continue;
        if (k >= 2) {
            k -= 2;
            continue;
        }
        const char *base = l->kind == LAYER_LINEAR ? "linear" : "bn";
        snprintf(name, name_size, "%s%d.%s", base, l->index, k == 0 ? "weight" : "bias");
        *offset = k == 0 ? l->w : l->b;
        bool matrix = l->kind == LAYER_LINEAR && k == 0;
        *rows = l->out;
        *cols = matrix ? l->in : 1;
        return true;
    }
    return false;
}

bool model_linear_bias(const Model *m, int k, size_t *offset, int *count)
{
    for (int i = 0; i < m->n_layers; i++) {
        const Layer *l = &m->layers[i];
        if (l->kind != LAYER_LINEAR || k-- > 0)
            continue;
        *offset = l->b;
        *count = l->out;
        return true;
    }
    return false;
}

bool model_buffer(const Model *m, int k, char *name, size_t name_size, size_t *offset, int *count)
{
    for (int i = 0; i < m->n_layers; i++) {
        const Layer *l = &m->layers[i];
        if (l->kind != LAYER_BATCHNORM)
            continue;
        if (k >= 2) {
            k -= 2;
            continue;
        }
        snprintf(name, name_size, "bn%d.%s", l->index, k == 0 ? "running_mean" : "running_var");
        *offset = k == 0 ? l->rm : l->rv;
        *count = l->out;
        return true;
    }
    return false;
}

/* Digits with thousands separators, as torchsummary's "{0:,}". */
static void with_commas(char *out, size_t size, size_t v)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%zu", v);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

void model_summary(const Model *m, FILE *f)
{
    const char *rule = "----------------------------------------------------------------";
    const char *dbl = "================================================================";
    char name[64], shape[32], count[32];
    fprintf(f, "%s\n%20s  %25s %15s\n%s\n", rule, "Layer (type)", "Output Shape", "Param #", dbl);
    size_t outputs = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const Layer *l = &m->layers[i];
        size_t np = l->kind == LAYER_LINEAR ? (size_t)l->in * l->out + (size_t)l->out
                    : l->kind == LAYER_BATCHNORM ? 2 * (size_t)l->out : 0;
        snprintf(name, sizeof name, "%s-%d", layer_type_name(l, m->p.activation), i + 1);
        snprintf(shape, sizeof shape, "[-1, %d]", l->out);
        with_commas(count, sizeof count, np);
        fprintf(f, "%20s  %25s %15s\n", name, shape, count);
        outputs += (size_t)l->out;
    }
    with_commas(count, sizeof count, m->n_params);
    double mb = 1024.0 * 1024.0;
    double input_mb = m->n_in * 4.0 / mb;
    double pass_mb = 2.0 * (double)outputs * 4.0 / mb;
    double params_mb = (double)m->n_params * 4.0 / mb;
    fprintf(f, "%s\nTotal params: %s\nTrainable params: %s\nNon-trainable params: 0\n%s\n", dbl,
            count, count, rule);
    fprintf(f, "Input size (MB): %.2f\nForward/backward pass size (MB): %.2f\n", input_mb, pass_mb);
    fprintf(f, "Params size (MB): %.2f\nEstimated Total Size (MB): %.2f\n%s\n", params_mb,
            input_mb + pass_mb + params_mb, rule);
}

/* ---- model.bin ---- */

/* A growing string. */
typedef struct {
    char *s;
    size_t len, cap;
} Text;

static void text_add(Text *t, const char *line)
{
    size_t n = strlen(line);
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (t->len + n + 1 > cap)
            cap *= 2;
        char *bigger = xmalloc(cap);
        if (t->len)
            memcpy(bigger, t->s, t->len);
        free(t->s);
        t->s = bigger;
        t->cap = cap;
    }
    memcpy(t->s + t->len, line, n + 1);
    t->len += n;
}

/* ---- the weights in files: model.bin and checkpoints ---- */

/* The sections holding the parameters and the batch-norm buffers: plain names in model.bin,
 * the model.* prefix in a checkpoint, whose sections belong to several modules. */
static const struct {
    const char *params, *buffers;
} weight_sections[] = {
    [CKPT_CHECKPOINT] = {"model.params", "model.buffers"},
    [CKPT_MODEL] = {"params", "buffers"},
};
_Static_assert(ARRAY_LEN(weight_sections) == CKPT_KIND_COUNT, "weight sections per kind of file");

static void put_weights(const Model *m, CkptWriter *w)
{
    ckpt_put_f32(w, weight_sections[w->kind].params, m->params, m->n_params);
    ckpt_put_f32(w, weight_sections[w->kind].buffers, m->buffers, m->n_buffers);
}

/* Copies the weights of a file of this kind into m, each section of exactly m's size. */
static int get_weights(Model *m, const CkptFile *f, CkptKind kind, Err *e)
{
    if (ckpt_get_f32(f, weight_sections[kind].params, m->params, m->n_params, e) < 0 ||
        ckpt_get_f32(f, weight_sections[kind].buffers, m->buffers, m->n_buffers, e) < 0)
        return -1;
    return 0;
}

void model_ckpt_put(const Model *m, CkptWriter *w)
{
    put_weights(m, w);
    ckpt_put_long(w, "model.bn_batches", m->bn_batches);
}

int model_ckpt_get(Model *m, const CkptFile *f, long max_batches, Err *e)
{
    long bn_batches;
    if (get_weights(m, f, CKPT_CHECKPOINT, e) < 0 ||
        ckpt_get_long(f, "model.bn_batches", 0, max_batches, &bn_batches, e) < 0)
        return -1;
    m->bn_batches = bn_batches;
    return 0;
}

int model_save(const Model *m, const ModelOrigin *org, const char *path, Err *e)
{
    /* A table of contents for readers in other languages: "name rows cols offset", the
     * offset into params (or, for the running statistics, into buffers). */
    Text toc = {0};
    text_add(&toc, "");
    char name[64], line[160];
    size_t off;
    int rows, cols;
    for (int k = 0; model_tensor(m, k, name, sizeof name, &off, &rows, &cols); k++) {
        snprintf(line, sizeof line, "%s %d %d %zu\n", name, rows, cols, off);
        text_add(&toc, line);
    }
    for (int k = 0; model_buffer(m, k, name, sizeof name, &off, &rows); k++) {
        snprintf(line, sizeof line, "%s %d 1 %zu\n", name, rows, off);
        text_add(&toc, line);
    }
    CkptWriter w;
    if (ckpt_writer_open(&w, CKPT_MODEL, path, e) < 0) {
        free(toc.s);
        return -1;
    }
    int64_t hidden[PARAMS_MAX_HIDDEN];
    for (int i = 0; i < m->p.n_hidden; i++)
        hidden[i] = m->p.hidden[i];
    ckpt_put_long(&w, "model.inputs", m->n_in);
    ckpt_put_long(&w, "model.classes", m->n_classes);
    ckpt_put_i64(&w, "model.hidden", hidden, (size_t)m->p.n_hidden);
    ckpt_put_text(&w, "model.activation", params_activation_names[m->p.activation]);
    ckpt_put_long(&w, "model.batchnorm", m->p.batchnorm);
    ckpt_put_double(&w, "model.dropout", m->p.dropout);
    put_weights(m, &w);
    ckpt_put_text(&w, "tensors", toc.s);
    ckpt_put_text(&w, "origin.dataset", org->dataset);
    ckpt_put_long(&w, "origin.epoch", org->epoch);
    ckpt_put_long(&w, "origin.best", org->best);
    ckpt_put_u64(&w, "config_hash", &org->config_hash, 1);
    free(toc.s);
    return ckpt_writer_commit(&w, e);
}

/* Bounds of what a model file may describe: the config's own bounds. */
#define MAX_INPUTS (1L << 24)
#define MAX_CLASSES 65536L
#define MAX_WIDTH 1000000L

/* The index of s in a NULL-ended name table, or -1. */
static int name_index(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

/* "a, b, c": a NULL-ended name table, for messages. */
static const char *names_text(const char *const *names, char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; names[i] && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "", names[i]);
    return buf;
}

/* Text from a file as a message shows it: control characters and bytes above 0x7e as
 * \xNN, so a message stays one line whatever the file holds. */
static const char *shown(const char *text, char *buf, size_t n)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 5 < n; p++) {
        if (*p < 0x20 || *p > 0x7e)
            o += (size_t)snprintf(buf + o, n - o, "\\x%02x", *p);
        else
            buf[o++] = (char)*p;
    }
    buf[o] = '\0';
    return buf;
}

int model_file_shape(const CkptFile *f, ModelParams *p, int *n_in, int *n_classes,
                     ModelOrigin *org, Err *e)
{
    memset(p, 0, sizeof *p);
    memset(org, 0, sizeof *org);
    long inputs, classes, bn, epoch, best;
    char act[64];
    if (ckpt_get_long(f, "model.inputs", 1, MAX_INPUTS, &inputs, e) < 0 ||
        ckpt_get_long(f, "model.classes", 2, MAX_CLASSES, &classes, e) < 0 ||
        ckpt_get_long(f, "model.batchnorm", 0, 1, &bn, e) < 0 ||
        ckpt_get_double(f, "model.dropout", &p->dropout, e) < 0 ||
        ckpt_get_text(f, "model.activation", act, sizeof act, e) < 0 ||
        ckpt_get_text(f, "origin.dataset", org->dataset, sizeof org->dataset, e) < 0 ||
        ckpt_get_long(f, "origin.epoch", 0, LONG_MAX, &epoch, e) < 0 ||
        ckpt_get_long(f, "origin.best", 0, 1, &best, e) < 0 ||
        ckpt_get_u64(f, "config_hash", &org->config_hash, 1, e) < 0)
        return -1;
    char show[4 * sizeof act + 1], names[256];
    if (name_index(params_dataset_names, org->dataset) < 0)
        return err_set(e, "%s: section 'origin.dataset' holds '%s', not a dataset (expected "
                       "one of %s)", f->path, shown(org->dataset, show, sizeof show),
                       names_text(params_dataset_names, names, sizeof names));
    /* the config's range: dropout 1 would scale the kept values by 1 / 0 in training */
    if (!(p->dropout >= 0 && p->dropout < 1))
        return err_set(e, "%s: section 'model.dropout' holds %g (expected 0 <= dropout < 1)",
                       f->path, p->dropout);
    long long nh = ckpt_count(f, "model.hidden", CKPT_I64, e);
    if (nh < 0)
        return -1;
    if (nh > PARAMS_MAX_HIDDEN)
        return err_set(e, "%s: %lld hidden layers (expected at most %d)", f->path, nh,
                       PARAMS_MAX_HIDDEN);
    int64_t hidden[PARAMS_MAX_HIDDEN];
    if (ckpt_get_i64(f, "model.hidden", hidden, (size_t)nh, e) < 0)
        return -1;
    for (int i = 0; i < (int)nh; i++) {
        if (hidden[i] < 1 || hidden[i] > MAX_WIDTH)
            return err_set(e, "%s: hidden layer %d has width %lld (expected 1..%ld)", f->path,
                           i + 1, (long long)hidden[i], MAX_WIDTH);
        p->hidden[i] = (int)hidden[i];
    }
    p->n_hidden = (int)nh;
    int a = name_index(params_activation_names, act);
    if (a < 0)
        return err_set(e, "%s: section 'model.activation' holds '%s', not an activation "
                       "(expected one of %s)", f->path, shown(act, show, sizeof show),
                       names_text(params_activation_names, names, sizeof names));
    p->activation = (Activation)a;
    p->batchnorm = bn != 0;
    p->init = INIT_DEFAULT;
    p->bias_init = BIAS_INIT_ZEROS;
    /* The file must hold this shape's weights before anything is sized from the shape: a
     * damaged width would have model_init allocate what the file never held. */
    Model m;
    Err le;
    if (model_layout(&m, p, (int)inputs, (int)classes, 1, NULL, &le) < 0)
        return err_set(e, "%s: %s", f->path, le.msg);
    size_t n_params = m.n_params, n_buffers = m.n_buffers;
    model_free(&m);
    const char *sp = weight_sections[CKPT_MODEL].params, *sb = weight_sections[CKPT_MODEL].buffers;
    long long np = ckpt_count(f, sp, CKPT_F32, e), nb;
    if (np < 0 || (nb = ckpt_count(f, sb, CKPT_F32, e)) < 0)
        return -1;
    if ((unsigned long long)np != n_params || (unsigned long long)nb != n_buffers)
        return err_set(e, "%s: damaged: sections '%s' and '%s' hold %lld and %lld values, but "
                       "the shape it describes has %zu parameters and %zu buffers", f->path, sp,
                       sb, np, nb, n_params, n_buffers);
    org->epoch = epoch;
    org->best = best != 0;
    *n_in = (int)inputs;
    *n_classes = (int)classes;
    return 0;
}

int model_file_weights(const CkptFile *f, Model *m, Err *e)
{
    return get_weights(m, f, CKPT_MODEL, e);
}
