/* optim.c - see optim.h. Scalars (lr, bias corrections) are computed in double and cast
 * to float where they multiply a tensor, as PyTorch does for float32 parameters.
 * Sources: torch/optim/sgd.py, adam.py, adamw.py (1.13), SEMANTICS §6. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void optim_init(Optim *o, const OptimParams *p, size_t n)
{
    memset(o, 0, sizeof *o);
    o->p = *p;
    o->n = n;
    bool sgd = p->optimizer == OPTIM_SGD;
    if (!sgd || p->momentum != 0.0)
        o->m = xcalloc(n, sizeof *o->m);
    if (!sgd)
        o->v = xcalloc(n, sizeof *o->v);
    if (!sgd && p->amsgrad)
        o->vmax = xcalloc(n, sizeof *o->vmax);
}

void optim_free(Optim *o)
{
    free(o->m);
    free(o->v);
    free(o->vmax);
    memset(o, 0, sizeof *o);
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

/* SEMANTICS §6.7: clip_grad_norm_(max_norm, p=2), coef = max_norm / (total + 1e-6). */
static double clip(float *g, size_t n, double max_norm)
{
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (double)g[i] * g[i];
    double total = sqrt(ss);
    double coef = max_norm / (total + 1e-6);
    if (coef < 1.0) {
        float c = (float)coef;
        for (size_t i = 0; i < n; i++)
            g[i] *= c;
    }
    return total;
}

/* SEMANTICS §6.1. */
static void sgd_step(Optim *o, float *p, float *g, double lr)
{
    const OptimParams *q = &o->p;
    float wd = (float)q->weight_decay, mu = (float)q->momentum;
    float keep = (float)(1.0 - q->dampening), neg_lr = (float)-lr;
    bool first = o->t == 1;
    for (size_t i = 0; i < o->n; i++) {
        float d = g[i];
        if (wd != 0.0f)
            d = d + wd * p[i];
        if (mu != 0.0f) {
            float b = first ? d : mu * o->m[i] + keep * d;
            o->m[i] = b;
            d = q->nesterov ? d + mu * b : b;
        }
        p[i] = p[i] + neg_lr * d;
    }
}

/* SEMANTICS §6.2 / §6.3: denom = sqrt(v)/sqrt(bc2) + eps; p -= (lr/bc1) * m / denom. */
static void adam_step(Optim *o, float *p, float *g, double lr)
{
    const OptimParams *q = &o->p;
    bool adamw = q->optimizer == OPTIM_ADAMW;
    double bc1 = 1.0 - pow(q->beta1, (double)o->t);
    double bc2 = 1.0 - pow(q->beta2, (double)o->t);
    float step_size = (float)(lr / bc1);
    float bc2_sqrt = (float)sqrt(bc2);
    float b1 = (float)q->beta1, b2 = (float)q->beta2;
    float one_b1 = (float)(1.0 - q->beta1), one_b2 = (float)(1.0 - q->beta2);
    float eps = (float)q->eps, wd = (float)q->weight_decay;
    float decay = (float)(1.0 - lr * q->weight_decay);
    for (size_t i = 0; i < o->n; i++) {
        float d = g[i];
        if (adamw)
            p[i] = p[i] * decay;
        else if (wd != 0.0f)
            d = d + wd * p[i];
        float m = b1 * o->m[i] + one_b1 * d;
        float v = b2 * o->v[i] + one_b2 * d * d;
        o->m[i] = m;
        o->v[i] = v;
        float u = v;
        if (o->vmax) {
            if (v > o->vmax[i])
                o->vmax[i] = v;
            u = o->vmax[i];
        }
        float denom = sqrtf(u) / bc2_sqrt + eps;
        p[i] = p[i] - step_size * (m / denom);
    }
}

double optim_step(Optim *o, float *params, float *grads, double lr)
{
    const OptimParams *q = &o->p;
    if (q->l1 != 0.0) {
        float l1 = (float)q->l1;
        for (size_t i = 0; i < o->n; i++)
            grads[i] += params[i] > 0.0f ? l1 : params[i] < 0.0f ? -l1 : 0.0f;
    }
    double norm = 0.0;
    if (q->clip_grad_norm > 0.0)
        norm = clip(grads, o->n, q->clip_grad_norm);
    o->t++;
    if (q->optimizer == OPTIM_SGD)
        sgd_step(o, params, grads, lr);
    else
        adam_step(o, params, grads, lr);
    return norm;
}
