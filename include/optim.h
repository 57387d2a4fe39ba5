/* optim.h - SGD (momentum, dampening, nesterov, weight decay), Adam (amsgrad) and AdamW
 * over the model's flat parameter and gradient buffers, with optional L1 and gradient
 * clipping, in PyTorch's order (SEMANTICS §6). The LR is passed to every step, so a
 * schedule changes it without touching optimizer state. */
#ifndef MLPTRAIN_OPTIM_H
#define MLPTRAIN_OPTIM_H

#include <stddef.h>

#include "params.h"
#include "pool.h"

typedef struct {
    OptimParams p;
    size_t n;
    long t;              /* steps taken */
    float *m;            /* SGD momentum buffer, or Adam first moment */
    float *v;            /* Adam second moment */
    float *vmax;         /* AMSGrad running max of v */
    double *partial;     /* per-chunk sums of squared gradients (clipping) */
    Pool *pool;          /* not owned; NULL = one thread */
} Optim;

/* Allocates state for n parameters (zeroed, as PyTorch's lazy state starts); steps run on
 * pool (NULL = the calling thread), with the same results for any thread count. */
void optim_init(Optim *o, const OptimParams *p, size_t n, Pool *pool);
/* Bytes optim_init allocates for n parameters. */
double optim_state_bytes(const OptimParams *p, size_t n);

/* Safe on a zeroed Optim. */
void optim_free(Optim *o);

/* The L1 term l1 * sum |p| that the reported loss includes (0 when l1 = 0). */
double optim_l1_penalty(const Optim *o, const float *params);

/* One update with learning rate lr. In order: g += l1*sign(p) (sign(0) = 0); clip the
 * global L2 norm to clip_grad_norm; then the optimizer's own rule. grads is modified.
 * Returns the gradient norm before clipping when clipping is on, else 0. */
double optim_step(Optim *o, float *params, float *grads, double lr);

#endif
