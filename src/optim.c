/* optim.c - see optim.h. Scalars (lr, bias corrections) are computed in double and cast
 * to float where they multiply a tensor, as PyTorch does for float32 parameters.
 * Sources: torch/optim/sgd.py, adam.py, adamw.py (1.13), SEMANTICS §6.
 * The flat buffers are cut into fixed chunks run as pool tasks: element updates are
 * independent, and the one reduction (the clipping norm) adds per-chunk partial sums in
 * chunk order, so results do not depend on the thread count. The element loops are plain
 * C that the compiler vectorizes (no reassociation, so the vector code rounds exactly as
 * the scalar code). */
#include "optim.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "simd.h"
#include "util.h"

#define CHUNK 16384
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static size_t n_chunks(size_t n)
{
    return (n + CHUNK - 1) / CHUNK;
}

/* Whether an optimizer with parameters p keeps buffer b, as its params_optims row says. */
static bool kept(const OptimParams *p, OptimState b)
{
    assert((unsigned)p->optimizer < OPTIM_COUNT);
    switch (params_optims[p->optimizer].state[b]) {
    case KEPT_NEVER:
        return false;
    case KEPT_ALWAYS:
        return true;
    case KEPT_WITH_MOMENTUM:
        return p->momentum != 0.0;
    case KEPT_WITH_AMSGRAD:
        return p->amsgrad;
    }
    return false; /* not reached: the cases name every OptimKept */
}

/* The checkpoint section of each buffer (optim.h). */
static const char *const state_sections[] = {
    [OPTIM_STATE_M] = "optim.m", [OPTIM_STATE_V] = "optim.v", [OPTIM_STATE_VMAX] = "optim.vmax"};
_Static_assert(ARRAY_LEN(state_sections) == OPTIM_STATE_COUNT, "one section per buffer");

void optim_init(Optim *o, const OptimParams *p, size_t n, Pool *pool)
{
    memset(o, 0, sizeof *o);
    o->p = *p;
    o->n = n;
    o->pool = pool;
    for (int b = 0; b < OPTIM_STATE_COUNT; b++)
        if (kept(p, (OptimState)b))
            o->state[b] = xcalloc(n, sizeof *o->state[b]);
    o->partial = xcalloc(n_chunks(n), sizeof *o->partial);
    o->spans = xmalloc(sizeof *o->spans);
    o->spans[0] = (OptimSpan){n, OPTIM_GROUP_MAIN};
    o->n_spans = 1;
}

double optim_state_bytes(const OptimParams *p, size_t n)
{
    double buffers = 0;
    for (int b = 0; b < OPTIM_STATE_COUNT; b++)
        buffers += kept(p, (OptimState)b);
    return buffers * (double)n * sizeof(float) + (double)n_chunks(n) * sizeof(double);
}

void optim_free(Optim *o)
{
    for (int b = 0; b < OPTIM_STATE_COUNT; b++)
        free(o->state[b]);
    free(o->partial);
    free(o->spans);
    memset(o, 0, sizeof *o);
}

void optim_ckpt_put(const Optim *o, CkptWriter *w)
{
    ckpt_put_long(w, "optim.t", o->t);
    for (int b = 0; b < OPTIM_STATE_COUNT; b++)
        if (o->state[b])
            ckpt_put_f32(w, state_sections[b], o->state[b], o->n);
}

int optim_ckpt_get(Optim *o, const CkptFile *f, long max_steps, Err *e)
{
    long t;
    if (ckpt_get_long(f, "optim.t", 0, max_steps, &t, e) < 0)
        return -1;
    for (int b = 0; b < OPTIM_STATE_COUNT; b++)
        if (o->state[b] && ckpt_get_f32(f, state_sections[b], o->state[b], o->n, e) < 0)
            return -1;
    o->t = t;
    return 0;
}

double optim_l1_penalty(const Optim *o, const float *params)
{
    if (o->p.l1 == 0.0)
        return 0.0;
    double s = 0.0;
    for (size_t i = 0; i < o->n; i++)
        s += fabs((double)params[i]);
    return o->p.l1 * s;
}

/* The scalars of one parameter group, in float where PyTorch casts (SEMANTICS §6). */
typedef struct {
    float wd;                  /* L2 weight decay added to the gradient; 0 when decoupled */
    float lr;                  /* SGD, Caffe form: local_rate = lr * lr_mult */
    float neg_lr;              /* SGD, PyTorch form: -(lr * lr_mult) */
    float step_size;           /* Adam: lr * lr_mult / bc1 */
    float decay;               /* AdamW: 1 - lr * lr_mult * weight_decay * decay_mult, else 1 */
} GroupStep;

/* Everything one step needs, with the scalars already in float where PyTorch casts. */
typedef struct {
    Optim *o;
    float *p, *g;
    int phase;                 /* 0: L1 + squared-norm partials; 1: clip scale + update */
    float l1, clip_coef;       /* clip_coef 1 = no clipping */
    /* SGD */
    float mu, keep;
    bool first, nesterov, caffe;
    /* Adam / AdamW */
    float bc2_sqrt, b1, b2, one_b1, one_b2, eps;
    GroupStep group[OPTIM_GROUP_COUNT];
} Step;

/* The LR and weight-decay multipliers of group g. */
static void group_mults(const OptimParams *p, OptimGroup g, double *lr_mult, double *decay_mult)
{
    switch (g) {
    case OPTIM_GROUP_MAIN:
        *lr_mult = *decay_mult = 1.0;
        return;
    case OPTIM_GROUP_BIAS:
        *lr_mult = p->bias_lr_mult;
        *decay_mult = p->bias_decay_mult;
        return;
    }
}

void optim_set_group(Optim *o, size_t begin, size_t end, OptimGroup g)
{
    assert(begin <= end && end <= o->n);
    if (begin == end)
        return;
    /* Cut the spans at begin and end, give what lies between to g, merge neighbours. */
    OptimSpan *out = xmalloc(((size_t)o->n_spans + 2) * sizeof *out);
    int k = 0;
    size_t start = 0;
    for (int i = 0; i < o->n_spans; i++) {
        const OptimSpan *sp = &o->spans[i];
        const size_t cuts[3] = {begin, end, sp->end};
        size_t from = start;
        for (int c = 0; c < 3; c++) {
            size_t to = cuts[c] < from ? from : cuts[c] > sp->end ? sp->end : cuts[c];
            if (to == from)
                continue;
            OptimGroup grp = from >= begin && to <= end ? g : sp->group;
            if (k > 0 && out[k - 1].group == grp)
                out[k - 1].end = to;
            else
                out[k++] = (OptimSpan){to, grp};
            from = to;
        }
        start = sp->end;
    }
    free(o->spans);
    o->spans = out;
    o->n_spans = k;
}

SIMD_CLONES
static void chunk_prepare(const Step *s, size_t i0, size_t i1)
{
    float *restrict g = s->g;
    const float *restrict p = s->p;
    const float l1 = s->l1;
    if (l1 != 0.0f)
        for (size_t i = i0; i < i1; i++)
            g[i] += p[i] > 0.0f ? l1 : p[i] < 0.0f ? -l1 : 0.0f;
    if (s->o->p.clip_grad_norm > 0.0) {
        double ss = 0.0;
        for (size_t i = i0; i < i1; i++)
            ss += (double)g[i] * g[i];
        s->o->partial[i0 / CHUNK] = ss;
    }
}

/* SEMANTICS §6.1, PyTorch's form (torch/optim/sgd.py): b = m*b + (1-dampening)*g (b = g
 * at the first step), p -= lr*b, after g += wd*p. Without momentum there is no buffer, and
 * a loop of its own reads none, so the one with momentum reads b unconditionally and
 * vectorizes. */
SIMD_CLONES
static void chunk_sgd(const Step *s, const GroupStep *k, size_t i0, size_t i1)
{
    float *restrict p = s->p;
    const float *restrict g = s->g;
    const float wd = k->wd, neg_lr = k->neg_lr, clip = s->clip_coef;
    for (size_t i = i0; i < i1; i++) {
        float d = clip != 1.0f ? g[i] * clip : g[i];
        if (wd != 0.0f)
            d = d + wd * p[i];
        p[i] = p[i] + neg_lr * d;
    }
}

SIMD_CLONES
static void chunk_sgd_momentum(const Step *s, const GroupStep *k, size_t i0, size_t i1)
{
    float *restrict p = s->p, *restrict b = s->o->state[OPTIM_STATE_M];
    const float *restrict g = s->g;
    const float wd = k->wd, neg_lr = k->neg_lr;
    const float mu = s->mu, keep = s->keep, clip = s->clip_coef;
    const bool first = s->first, nesterov = s->nesterov;
    for (size_t i = i0; i < i1; i++) {
        float d = clip != 1.0f ? g[i] * clip : g[i];
        if (wd != 0.0f)
            d = d + wd * p[i];
        float m = first ? d : mu * b[i] + keep * d;
        b[i] = m;
        d = nesterov ? d + mu * m : m;
        p[i] = p[i] + neg_lr * d;
    }
}

/* Caffe's form (SGDSolver::ComputeUpdateValue, src/caffe/solvers/sgd_solver.cpp), with
 * momentum: after g += local_decay*p (Regularize, L2), V = momentum*V + local_rate*g
 * (caffe_cpu_axpby, V starting at 0), then p -= V (Net::Update). The buffer holds the LR,
 * so a change of LR reaches the update only through the new term; at a constant LR
 * V = lr*b of PyTorch's form. Without momentum V = lr*g and p - lr*g is bit for bit
 * chunk_sgd's p + (-lr)*g, so that loop serves both forms. */
SIMD_CLONES
static void chunk_sgd_caffe(const Step *s, const GroupStep *k, size_t i0, size_t i1)
{
    float *restrict p = s->p, *restrict v = s->o->state[OPTIM_STATE_M];
    const float *restrict g = s->g;
    const float wd = k->wd, lr = k->lr, mu = s->mu, clip = s->clip_coef;
    for (size_t i = i0; i < i1; i++) {
        float d = clip != 1.0f ? g[i] * clip : g[i];
        if (wd != 0.0f)
            d = d + wd * p[i];
        float u = mu * v[i] + lr * d;
        v[i] = u;
        p[i] = p[i] - u;
    }
}

/* SEMANTICS §6.2 / §6.3: denom = sqrt(v)/sqrt(bc2) + eps; p -= (lr/bc1) * m / denom.
 * One loop per variant keeps each one free of branches, so it vectorizes. */
SIMD_CLONES
static void chunk_adam(const Step *s, const GroupStep *k, size_t i0, size_t i1)
{
    const Optim *o = s->o;
    float *restrict p = s->p, *restrict m = o->state[OPTIM_STATE_M];
    float *restrict v = o->state[OPTIM_STATE_V], *restrict vmax = o->state[OPTIM_STATE_VMAX];
    const float *restrict g = s->g;
    const float b1 = s->b1, b2 = s->b2, one_b1 = s->one_b1, one_b2 = s->one_b2;
    const float step = k->step_size, bc2_sqrt = s->bc2_sqrt, eps = s->eps;
    const float wd = k->wd, clip = s->clip_coef, decay = k->decay;
    /* decay = 1 and wd = 0 leave w and d unchanged exactly, so one loop serves Adam and
     * AdamW; the compiler unswitches the amsgrad test out of it. */
    for (size_t i = i0; i < i1; i++) {
        float d = g[i] * clip, w = p[i] * decay;
        d = d + wd * w;
        float mi = b1 * m[i] + one_b1 * d;
        float vi = b2 * v[i] + one_b2 * d * d;
        m[i] = mi;
        v[i] = vi;
        float u = vi;
        if (vmax) {
            u = vmax[i] > vi ? vmax[i] : vi;
            vmax[i] = u;
        }
        p[i] = w - step * (mi / (sqrtf(u) / bc2_sqrt + eps));
    }
}

/* The update of parameters i0..i1 of one group. */
static void update(const Step *s, const GroupStep *k, size_t i0, size_t i1)
{
    switch (s->o->p.optimizer) {
    case OPTIM_SGD:
        if (s->mu == 0.0f)
            chunk_sgd(s, k, i0, i1);
        else if (s->caffe)
            chunk_sgd_caffe(s, k, i0, i1);
        else
            chunk_sgd_momentum(s, k, i0, i1);
        break;
    case OPTIM_ADAM:
    case OPTIM_ADAMW:
        chunk_adam(s, k, i0, i1);
        break;
    }
}

static void step_task(void *ctx, int task)
{
    const Step *s = ctx;
    const Optim *o = s->o;
    size_t i0 = (size_t)task * CHUNK;
    size_t i1 = i0 + CHUNK < o->n ? i0 + CHUNK : o->n;
    if (s->phase == 0) {
        chunk_prepare(s, i0, i1);
        return;
    }
    /* The chunk piece by piece, each with its group's scalars. */
    for (int j = 0; j < o->n_spans && i0 < i1; j++) {
        size_t end = o->spans[j].end;
        if (end <= i0)
            continue;
        size_t to = end < i1 ? end : i1;
        update(s, &s->group[o->spans[j].group], i0, to);
        i0 = to;
    }
}

double optim_step(Optim *o, float *params, float *grads, double lr)
{
    const OptimParams *q = &o->p;
    Step s = {0};
    s.o = o;
    s.p = params;
    s.g = grads;
    s.l1 = (float)q->l1;
    s.clip_coef = 1.0f;
    int tasks = (int)n_chunks(o->n);
    double norm = 0.0;
    if (q->l1 != 0.0 || q->clip_grad_norm > 0.0) {
        pool_run(o->pool, tasks, step_task, &s);
        if (q->clip_grad_norm > 0.0) {
            for (int t = 0; t < tasks; t++)
                norm += o->partial[t];
            norm = sqrt(norm);
            /* SEMANTICS §6.7: clip_grad_norm_(max_norm, p=2), coef = max_norm / (total + 1e-6). */
            double coef = q->clip_grad_norm / (norm + 1e-6);
            if (coef < 1.0)
                s.clip_coef = (float)coef;
        }
    }
    o->t++;
    s.phase = 1;
    switch (q->optimizer) {
    case OPTIM_SGD:
        s.mu = (float)q->momentum;
        s.keep = (float)(1.0 - q->dampening);
        s.first = o->t == 1;
        s.nesterov = q->nesterov;
        s.caffe = q->momentum_form == MOMENTUM_CAFFE;
        break;
    case OPTIM_ADAM:
    case OPTIM_ADAMW:
        s.bc2_sqrt = (float)sqrt(1.0 - pow(q->beta2, (double)o->t));
        s.b1 = (float)q->beta1;
        s.b2 = (float)q->beta2;
        s.one_b1 = (float)(1.0 - q->beta1);
        s.one_b2 = (float)(1.0 - q->beta2);
        s.eps = (float)q->eps;
        break;
    }
    /* Each group's LR and weight decay: lr * lr_mult and weight_decay * decay_mult, in
     * double (a multiplier of 1 leaves them exactly as they are). */
    bool adam = q->optimizer != OPTIM_SGD;
    double bc1 = adam ? 1.0 - pow(q->beta1, (double)o->t) : 1.0;
    bool decoupled = params_optims[q->optimizer].decoupled_weight_decay;
    for (int g = 0; g < OPTIM_GROUP_COUNT; g++) {
        double lr_mult, decay_mult;
        group_mults(q, (OptimGroup)g, &lr_mult, &decay_mult);
        double glr = lr * lr_mult, gwd = q->weight_decay * decay_mult;
        GroupStep *k = &s.group[g];
        k->wd = decoupled ? 0.0f : (float)gwd;
        k->lr = (float)glr;
        k->neg_lr = (float)-glr;
        k->step_size = adam ? (float)(glr / bc1) : 0.0f;
        k->decay = decoupled ? (float)(1.0 - glr * gwd) : 1.0f;
    }
    pool_run(o->pool, tasks, step_task, &s);
    return norm;
}
